"""Change counters: one row per scope (site, user, post), bumped by every write it shows.

Revision ID: e5d1c8a3b7f2
Revises: a7c3e1f20b15
Create Date: 2026-12-01 11:20:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5d1c8a3b7f2"
down_revision: str | Sequence[str] | None = "a7c3e1f20b15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "change_counter",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope"),
    )
    # The site's row exists from the start: a conditional write locks it (never a gap). The
    # epoch is new each time the table is: counters that start again never repeat an ETag.
    op.bulk_insert(
        table,
        [
            {"scope": "site", "counter": 0},
            {"scope": "epoch", "counter": secrets.randbelow(2**31)},
        ],
    )


def downgrade() -> None:
    op.drop_table("change_counter")
