"""Reports, the moderation queue's pending state and the public moderation log.

`post.pending_at` and `comment.pending_at` are added in place (ALTER TABLE ADD COLUMN): `post`
is never rebuilt on SQLite, as its search triggers would go with it. `notification` is small
and has no triggers, so its new key column goes in through a batch copy.

Revision ID: 9c4e2b7d1a08
Revises: 3f111251c51c
Create Date: 2026-12-01 12:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e2b7d1a08"
down_revision: str | Sequence[str] | None = "3f111251c51c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=8), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["reporter_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(
            "uq_report_open",
            ["reporter_id", "item_type", "item_id"],
            unique=True,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
        batch_op.create_index(
            "ix_report_queue",
            ["item_type", "item_id", "created_at"],
            unique=False,
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
        batch_op.create_index("ix_report_reporter", ["reporter_id", "created_at"], unique=False)

    op.create_table(
        "moderation_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("item_type", sa.String(length=8), nullable=False),
        sa.Column("author_name", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("moderation_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_entry_created_at"), ["created_at"], unique=False
        )

    op.add_column("post", sa.Column("pending_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("comment", sa.Column("pending_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_report_id"), ["report_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_notification_report_id", "report", ["report_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notification_report_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notification_report_id"))
        batch_op.drop_column("report_id")
    op.drop_column("comment", "pending_at")
    op.drop_column("post", "pending_at")
    with op.batch_alter_table("moderation_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_entry_created_at"))
    op.drop_table("moderation_entry")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("ix_report_reporter")
        batch_op.drop_index("ix_report_queue")
        batch_op.drop_index("uq_report_open")
    op.drop_table("report")
