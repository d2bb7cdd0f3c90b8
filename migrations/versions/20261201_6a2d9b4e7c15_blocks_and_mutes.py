"""Blocks and mutes: one row per (user, other) pair, its kind "mute" or "block".

Only a new table: every listing reads it by its primary key, and `other_id`'s index answers
who blocked someone (their posts' viewers, their follows).

Revision ID: 6a2d9b4e7c15
Revises: 9c4e2b7d1a08
Create Date: 2026-12-01 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Column types are written as plain SQLAlchemy types (see render_item in env.py), so a revision
# never imports app code or sqlmodel and keeps working however the models change later.

revision: str = "6a2d9b4e7c15"
down_revision: str | Sequence[str] | None = "9c4e2b7d1a08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "block",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("user_id <> other_id", name="ck_block_not_self"),
        sa.CheckConstraint("kind IN ('mute', 'block')", name="ck_block_kind"),
        sa.ForeignKeyConstraint(["other_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "other_id"),
    )
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_block_other_id"), ["other_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_other_id"))
    op.drop_table("block")
