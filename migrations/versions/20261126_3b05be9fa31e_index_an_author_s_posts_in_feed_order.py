"""index an author's posts in feed order

Revision ID: 3b05be9fa31e
Revises: 70eb10c481d7
Create Date: 2026-11-26 18:16:02.175655
"""

from collections.abc import Sequence

from alembic import op

# Column types are written as plain SQLAlchemy types (see render_item in env.py), so a revision
# never imports app code or sqlmodel and keeps working however the models change later.

revision: str = "3b05be9fa31e"
down_revision: str | Sequence[str] | None = "70eb10c481d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A profile page filtered the feed index by author, walking most of the table for an author
    # whose posts are old. Leading with owner_id still serves the foreign key's lookups.
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_owner_id"))
        batch_op.create_index(
            "ix_post_author", ["owner_id", "published", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_author")
        batch_op.create_index(batch_op.f("ix_post_owner_id"), ["owner_id"], unique=False)
