"""The site's counters are kept in memory only while SQLite says nothing was committed since.

Every anonymous page and every 304 starts from these counters (app.services.changes), so they
are read through a KeptRead (app.db): a stale value would answer 304 for a page that changed.
"""

import sqlite3

import pytest
from sqlalchemy import Integer, String, column, create_engine, select, table, text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from app.db import HotQuery, KeptRead, kept_connections, make_engine
from app.services import changes
from tests.test_query_count import count_statements


def bump_site(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        changes.bump(session, changes.SITE)
        session.commit()


def test_a_commit_on_any_connection_is_seen_at_the_next_read(app, settings):
    engine = app.state.engine
    (epoch, before), _ = changes.site_state(engine)
    bump_site(engine)  # this process, through the pool
    assert changes.site_state(engine)[0] == (epoch, before + 1)
    other = make_engine(settings)  # another worker process's engine
    try:
        bump_site(other)
        assert changes.site_state(engine)[0] == (epoch, before + 2)
    finally:
        other.dispose()
    if engine.dialect.name == "sqlite":  # and a program that is not Agora at all
        with sqlite3.connect(engine.url.database) as plain:
            plain.execute("UPDATE change_counter SET counter = counter + 1 WHERE scope = 'site'")
        assert changes.site_state(engine)[0] == (epoch, before + 3)


def test_with_nothing_committed_sqlite_is_only_asked_whether_anything_was(app):
    engine = app.state.engine
    bump_site(engine)
    first = changes.site_state(engine)
    with count_statements(engine) as statements:
        again = [changes.site_state(engine) for _ in range(3)]
    assert again == [first] * 3
    if engine.dialect.name == "sqlite":
        assert statements == ["PRAGMA data_version"] * 3
    else:  # a server database is read every time
        assert len(statements) == 3 and all("change_counter" in sql for sql in statements)


def test_sqlite_in_memory_is_read_every_time():
    # A second connection to ":memory:" would open another, empty database.
    engine = make_engine_in_memory()
    things = table("thing", column("n", Integer), column("name", String))
    read = KeptRead(HotQuery(select(things.c.n).where(things.c.name == "one")))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE thing (n INTEGER, name TEXT)"))
        conn.execute(text("INSERT INTO thing VALUES (1, 'one')"))
    assert [row.n for row in read.rows(engine)] == [1]
    with engine.begin() as conn:
        conn.execute(text("UPDATE thing SET n = 2"))
    assert [row.n for row in read.rows(engine)] == [2]
    assert kept_connections(engine) == []


def make_engine_in_memory():  # type: ignore[no-untyped-def]
    return create_engine("sqlite://", poolclass=StaticPool)


def test_a_broken_kept_connection_is_replaced_and_disposing_closes_it(app):
    engine = app.state.engine
    if engine.dialect.name != "sqlite":
        changes.site_state(engine)
        assert kept_connections(engine) == []  # nothing is kept outside the pool
        return
    changes.site_state(engine)
    (kept,) = kept_connections(engine)
    kept.close()  # as if the file had failed under it
    with pytest.raises(sqlite3.ProgrammingError):
        changes.site_state(engine)
    bump_site(engine)
    assert changes.site_state(engine)[0][1] >= 1  # a new connection, reading again
    (replacement,) = kept_connections(engine)
    assert replacement is not kept
    engine.dispose()
    assert kept_connections(engine) == []
