"""A heartbeat table: /readyz writes to it, so "ready" means the database takes writes.

Revision ID: 3d7c2a9e6f10
Revises: d04bba72dd34
Create Date: 2026-12-01 08:28:58.706245
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Column types are written as plain SQLAlchemy types (see render_item in env.py), so a revision
# never imports app code or sqlmodel and keeps working however the models change later.

revision: str = "3d7c2a9e6f10"
down_revision: str | Sequence[str] | None = "d04bba72dd34"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heartbeat",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pad", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat")
