"""Ids are never reused: AUTOINCREMENT on SQLite for user, post and audit_log.

Without it SQLite gives a new row the highest id in the table plus one, so deleting the newest
post or account handed its id to the next one: the new post answered the deleted one's URL,
the new account inherited the deleted one's audit history and login lock.

On SQLite each table is rebuilt with AUTOINCREMENT (the rows are copied with their ids), which
drops the full-text triggers on `post`: they are made again, and the index itself is kept. Each
table's sequence then starts past the highest id the database still mentions anywhere: its own
rows, the audit log (targets and actors of deleted rows, a post's owner in its before/after
values) and the login throttle's per-account keys.

PostgreSQL's id sequences never go back, so nothing there is rebuilt. A sequence is only moved
forward, past the same ids, if it is behind them (rows copied in from elsewhere with their ids).

Revision ID: 4c19f45f106f
Revises: 3d7c2a9e6f10
Create Date: 2026-12-01 10:00:00.000000
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "4c19f45f106f"
down_revision: str | Sequence[str] | None = "3d7c2a9e6f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("user", "post", "audit_log")

# A frozen copy of the full-text triggers of revision 5b1e7d4c9a20 (rebuilding `post` drops them).
SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER post_fts_insert AFTER INSERT ON post WHEN new.published BEGIN
        INSERT INTO post_fts(rowid, title, content) VALUES (new.id, new.title, new.content);
    END
    """,
    """
    CREATE TRIGGER post_fts_delete AFTER DELETE ON post WHEN old.published BEGIN
        INSERT INTO post_fts(post_fts, rowid, title, content)
        VALUES ('delete', old.id, old.title, old.content);
    END
    """,
    """
    CREATE TRIGGER post_fts_update AFTER UPDATE OF title, content, published ON post BEGIN
        INSERT INTO post_fts(post_fts, rowid, title, content)
        SELECT 'delete', old.id, old.title, old.content WHERE old.published;
        INSERT INTO post_fts(rowid, title, content)
        SELECT new.id, new.title, new.content WHERE new.published;
    END
    """,
)
# The throttle's counter for a known account, as the login code of this revision names it.
ACCOUNT_KEY = re.compile(r"acct:id:(\d+)")


def _max(conn: Connection, column: sa.ColumnElement[int], *where: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.select(sa.func.max(column)).where(*where)).scalar() or 0)


def highest_ids(conn: Connection) -> dict[str, int]:
    """For each table, the highest id its rows, the audit log or the throttle still mention."""
    ids = {name: _max(conn, sa.table(name, sa.column("id", sa.Integer)).c.id) for name in TABLES}
    audit = sa.table(
        "audit_log",
        sa.column("actor_id", sa.Integer),
        sa.column("target_type", sa.String),
        sa.column("target_id", sa.Integer),
        sa.column("before", sa.String),
        sa.column("after", sa.String),
    )
    for kind in ("user", "post"):
        ids[kind] = max(ids[kind], _max(conn, audit.c.target_id, audit.c.target_type == kind))
    ids["user"] = max(ids["user"], _max(conn, audit.c.actor_id))
    rows = conn.execute(
        sa.select(audit.c.before, audit.c.after).where(
            audit.c.target_type == "post",
            sa.or_(audit.c.before.like('%"owner_id"%'), audit.c.after.like('%"owner_id"%')),
        )
    )
    for row in rows:
        for values in (row.before, row.after):
            parsed = json.loads(values) if values else None
            owner = parsed.get("owner_id") if isinstance(parsed, dict) else None
            if isinstance(owner, int):
                ids["user"] = max(ids["user"], owner)
    throttle = sa.table("login_throttle", sa.column("key", sa.String))
    for (key,) in conn.execute(sa.select(throttle.c.key).where(throttle.c.key.like("acct:id:%"))):
        match = ACCOUNT_KEY.fullmatch(key)
        if match:
            ids["user"] = max(ids["user"], int(match.group(1)))
    return ids


def _sqlite_rebuild(autoincrement: bool) -> None:
    for name in TABLES:
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
    # The index still holds every published post by id (the ids were kept); only the triggers
    # that keep it in step went with the old table.
    for trigger in SQLITE_TRIGGERS:
        op.execute(trigger)


def _sqlite_start_sequences(conn: Connection, ids: dict[str, int]) -> None:
    for name, top in ids.items():
        conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": name})
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
            {"name": name, "seq": top},
        )


def _postgresql_advance_sequences(conn: Connection, ids: dict[str, int]) -> None:
    used = "COALESCE(pg_sequence_last_value(CAST(:seq AS regclass)), 0)"
    for name, top in ids.items():
        quoted = conn.dialect.identifier_preparer.quote(name)
        seq = conn.execute(sa.select(sa.func.pg_get_serial_sequence(quoted, "id"))).scalar_one()
        if conn.execute(sa.text(f"SELECT {used}"), {"seq": seq}).scalar_one() >= top:
            continue  # the normal case: the sequence has handed out every id the rows mention
        # Only ever forward: no insert may take an id from the sequence while it moves.
        conn.execute(sa.text(f"LOCK TABLE {quoted} IN EXCLUSIVE MODE"))
        conn.execute(
            sa.text(f"SELECT setval(CAST(:seq AS regclass), GREATEST(:top, {used}))"),
            {"seq": seq, "top": top},
        )


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        _postgresql_advance_sequences(conn, highest_ids(conn))
        return
    _sqlite_rebuild(autoincrement=True)
    _sqlite_start_sequences(conn, highest_ids(conn))


def downgrade() -> None:
    # PostgreSQL: a sequence moved forward stays there (moving it back would reuse ids).
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(autoincrement=False)
