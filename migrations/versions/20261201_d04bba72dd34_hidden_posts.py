"""Posts hidden by a moderator get their own state: `hidden_at` and `hidden_reason`; Top's
index carries the author.

Until now a moderator "unpublished" a post, which made it the author's draft, and the author
could simply publish it again. Posts whose latest `post.unpublish` audit entry was written by
someone other than their author become hidden: the moderator's decision stands, even where the
author had already undone it.

Top's index also carries the author, so Top can leave out unavailable (deactivated) accounts'
posts without reading the table.

Only columns and an index change (no table rebuild on SQLite), so the full-text triggers on
`post` stay.

Revision ID: d04bba72dd34
Revises: 5b1e7d4c9a20
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d04bba72dd34"
down_revision: str | Sequence[str] | None = "5b1e7d4c9a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

post = sa.table(
    "post",
    sa.column("id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("published", sa.Boolean),
    sa.column("hidden_at", sa.DateTime(timezone=True)),
    sa.column("hidden_reason", sa.String),
)
audit = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("target_type", sa.String),
    sa.column("target_id", sa.Integer),
)
# Written for posts hidden before reasons existed; the author reads it on their post.
LEGACY_REASON = "Unpublished by a moderator (no reason was recorded)."


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: a batch rebuild of `post` would drop its FTS triggers.
    op.add_column("post", sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("post", sa.Column("hidden_reason", sa.String(length=500), nullable=True))
    op.drop_index("ix_post_top", table_name="post")
    op.create_index(
        "ix_post_top", "post", ["published", "created_at", "vote_count", "owner_id"], unique=False
    )

    latest = (
        sa.select(audit.c.target_id, sa.func.max(audit.c.id).label("last_id"))
        .where(audit.c.target_type == "post", audit.c.action == "post.unpublish")
        .group_by(audit.c.target_id)
        .subquery("latest")
    )
    entry = audit.alias("entry")
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(post.c.id, entry.c.created_at)
        .join(latest, latest.c.target_id == post.c.id)
        .join(entry, entry.c.id == latest.c.last_id)
        .where(sa.or_(entry.c.actor_id.is_(None), entry.c.actor_id != post.c.owner_id))
    ).all()
    for post_id, hidden_at in rows:
        connection.execute(
            post.update()
            .where(post.c.id == post_id)
            .values(published=False, hidden_at=hidden_at, hidden_reason=LEGACY_REASON)
        )


def downgrade() -> None:
    # Hidden posts go back to being their authors' drafts, as before this revision.
    op.drop_index("ix_post_top", table_name="post")
    op.create_index("ix_post_top", "post", ["published", "created_at", "vote_count"], unique=False)
    with op.batch_alter_table("post", recreate="never") as batch_op:
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_at")
