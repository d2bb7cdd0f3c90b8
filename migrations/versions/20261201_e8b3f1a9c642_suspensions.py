"""Suspensions: an account is suspended until a date or for good, with a reason its owner
reads; deactivated accounts become suspended for good. Warnings carry a moderator's words on
their notification.

Columns are added in place (ALTER TABLE ADD COLUMN), never by rebuilding a table. A
deactivated account was `is_active` false with nothing else: that is what suspended for good
with no reason is, so the flag keeps its meaning and only the new columns are written.

Revision ID: e8b3f1a9c642
Revises: 5e8a1c3f9b27
Create Date: 2026-12-01 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e8b3f1a9c642"
down_revision: str | Sequence[str] | None = "5e8a1c3f9b27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user", sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_user_suspended_until"), "user", ["suspended_until"], unique=False)
    op.add_column(
        "user",
        sa.Column("suspension_reason", sa.String(length=500), server_default="", nullable=False),
    )
    op.add_column("notification", sa.Column("note", sa.String(length=500), nullable=True))
    # Deactivated accounts are suspended for good: no end date, no reason.
    op.execute(
        """UPDATE "user" SET suspended_until = NULL, suspension_reason = '' WHERE NOT is_active"""
    )


def downgrade() -> None:
    # A timed suspension becomes a deactivation: the account stays unavailable until reactivated.
    op.drop_column("notification", "note")
    op.drop_column("user", "suspension_reason")
    op.drop_index(op.f("ix_user_suspended_until"), table_name="user")
    op.drop_column("user", "suspended_until")
