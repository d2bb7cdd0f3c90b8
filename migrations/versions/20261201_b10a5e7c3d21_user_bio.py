"""A short bio on each account, shown on profiles and in people lists.

Revision ID: b10a5e7c3d21
Revises: b2e8d4f6a1c3
Create Date: 2026-12-01 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b10a5e7c3d21"
down_revision: str | Sequence[str] | None = "b2e8d4f6a1c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("bio", sa.String(length=300), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("bio")
