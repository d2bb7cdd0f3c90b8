"""Comments: threaded replies under posts, their votes, and each post's comment counter.

`post.comment_count` is added in place (ALTER TABLE ADD COLUMN), never by rebuilding `post`, so
its full-text triggers stay as they are.

Revision ID: a7c3e1f20b15
Revises: 4c19f45f106f
Create Date: 2026-12-01 09:17:02.286136
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Column types are written as plain SQLAlchemy types (see render_item in env.py), so a revision
# never imports app code or sqlmodel and keeps working however the models change later.

revision: str = "a7c3e1f20b15"
down_revision: str | Sequence[str] | None = "4c19f45f106f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("root_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("content", sa.String(length=10000), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("removed_reason", sa.String(length=500), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["user.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comment.id"],
        ),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index("ix_comment_author", ["author_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_comment_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_comment_root", ["root_id"], unique=False)
        batch_op.create_index(
            "ix_comment_top", ["post_id", "parent_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "comment_vote",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "comment_id"),
    )
    with op.batch_alter_table("comment_vote", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_vote_comment_id"), ["comment_id"], unique=False
        )

    op.add_column(
        "post", sa.Column("comment_count", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    # SQLite drops a column in place (3.35+): no rebuild of `post`, its triggers stay.
    op.drop_column("post", "comment_count")

    with op.batch_alter_table("comment_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_vote_comment_id"))

    op.drop_table("comment_vote")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_top")
        batch_op.drop_index("ix_comment_root")
        batch_op.drop_index(batch_op.f("ix_comment_parent_id"))
        batch_op.drop_index("ix_comment_author")

    op.drop_table("comment")
