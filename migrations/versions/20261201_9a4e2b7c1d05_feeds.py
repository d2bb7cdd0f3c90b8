"""Feeds: when each change counter last moved (Last-Modified), the private notifications feed's
token hash on `user`, and each tag's stored count of public posts (backfilled here).

Columns are added in place (ALTER TABLE ADD COLUMN), never by rebuilding a table.

Revision ID: 9a4e2b7c1d05
Revises: 6a2d9b4e7c15
Create Date: 2026-12-01 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a4e2b7c1d05"
down_revision: str | Sequence[str] | None = "6a2d9b4e7c15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "change_counter", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("user", sa.Column("feed_token_hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_user_feed_token_hash"), "user", ["feed_token_hash"], unique=True)
    op.add_column(
        "tag", sa.Column("public_posts", sa.Integer(), server_default="0", nullable=False)
    )
    # The count as app.services.tags.recount keeps it: public posts by available authors.
    op.execute(
        """
        UPDATE tag SET public_posts = (
            SELECT count(*) FROM post_tag
            JOIN post ON post.id = post_tag.post_id
            JOIN "user" ON "user".id = post.owner_id
            WHERE post_tag.tag_id = tag.id AND post.published AND "user".is_active
        )
        """
    )


def downgrade() -> None:
    op.drop_column("tag", "public_posts")
    op.drop_index(op.f("ix_user_feed_token_hash"), table_name="user")
    op.drop_column("user", "feed_token_hash")
    op.drop_column("change_counter", "changed_at")
