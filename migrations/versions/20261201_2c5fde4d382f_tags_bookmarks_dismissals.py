"""Tags (with their old names, follows and filters), bookmarks and dismissals.

Only new tables: `post` is not rebuilt, so its full-text triggers stay as they are. A tag's
posts are read newest first from ix_post_tag_feed (tag_id, created_at, post_id).

Revision ID: 2c5fde4d382f
Revises: b10a5e7c3d21
Create Date: 2026-12-01 11:03:53.497321
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Column types are written as plain SQLAlchemy types (see render_item in env.py), so a revision
# never imports app code or sqlmodel and keeps working however the models change later.

revision: str = "2c5fde4d382f"
down_revision: str | Sequence[str] | None = "b10a5e7c3d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=25), nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "tag_alias",
        sa.Column("name", sa.String(length=25), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("tag_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_alias_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "tag_filter",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "tag_id"),
    )
    with op.batch_alter_table("tag_filter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_filter_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "tag_follow",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "tag_id"),
    )
    with op.batch_alter_table("tag_follow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_follow_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "bookmark",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "post_id"),
    )
    with op.batch_alter_table("bookmark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bookmark_post_id"), ["post_id"], unique=False)
        batch_op.create_index(
            "ix_bookmark_user", ["user_id", "created_at", "post_id"], unique=False
        )

    op.create_table(
        "dismissal",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "post_id"),
    )
    with op.batch_alter_table("dismissal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dismissal_post_id"), ["post_id"], unique=False)

    op.create_table(
        "post_tag",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "tag_id"),
    )
    with op.batch_alter_table("post_tag", schema=None) as batch_op:
        batch_op.create_index("ix_post_tag_feed", ["tag_id", "created_at", "post_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_post_tag_feed")

    op.drop_table("post_tag")
    with op.batch_alter_table("dismissal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dismissal_post_id"))

    op.drop_table("dismissal")
    with op.batch_alter_table("bookmark", schema=None) as batch_op:
        batch_op.drop_index("ix_bookmark_user")
        batch_op.drop_index(batch_op.f("ix_bookmark_post_id"))

    op.drop_table("bookmark")
    with op.batch_alter_table("tag_follow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_follow_tag_id"))

    op.drop_table("tag_follow")
    with op.batch_alter_table("tag_filter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_filter_tag_id"))

    op.drop_table("tag_filter")
    with op.batch_alter_table("tag_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tag_alias_tag_id"))

    op.drop_table("tag_alias")
    op.drop_table("tag")
