"""Invites (REGISTRATION=invite) and when each post was published (the new-account limits).

`post.published_at` is backfilled with `created_at` for posts public now; the column is
added in place (ALTER TABLE ADD COLUMN), never by rebuilding the table.

Revision ID: 5e8a1c3f9b27
Revises: 9a4e2b7c1d05
Create Date: 2026-12-01 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e8a1c3f9b27"
down_revision: str | Sequence[str] | None = "9a4e2b7c1d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("inviter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["inviter_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["used_by_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sa.UniqueConstraint("used_by_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invite_inviter_id"), ["inviter_id"], unique=False)
    op.add_column("post", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE post SET published_at = created_at WHERE published")


def downgrade() -> None:
    op.drop_column("post", "published_at")
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_inviter_id"))
    op.drop_table("invite")
