"""Promises that must hold on SQLite and PostgreSQL alike (the suite runs on both)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import JSON, DateTime, Enum, Numeric, bindparam, cast, literal_column, or_
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import func, select

from app.db import HotQuery, make_engine
from app.models import Post, User
from tests.conftest import PASSWORD, get_user


def test_names_and_emails_are_unique_ignoring_case(alice, make_browser, db):
    stored = get_user(db, "alice")
    assert (stored.username_key, stored.email) == ("alice", "alice@example.com")
    for username, email in (("ALICE", "new@example.com"), ("alice_2", "ALICE@Example.COM")):
        response = make_browser().register(username, email=email)
        assert response.status_code == 422, (username, email)
    assert db.exec(select(func.count()).select_from(User)).one() == 1


@pytest.mark.parametrize("column", ["username_key", "email"])
def test_the_database_itself_refuses_a_duplicate_key(alice, db, column):
    # Even a writer that skips the services' checks cannot store a second "alice".
    fields = {
        "username": "Alice_Two",
        "username_key": "alice_two",
        "email": "two@example.com",
        "password_hash": "x",
    }
    fields[column] = getattr(get_user(db, "alice"), column)
    db.add(User(**fields))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_simultaneous_sign_ups_differing_only_in_case(make_browser, db):
    browsers = [make_browser(), make_browser()]
    forms = [("Carol", "carol@example.com"), ("CAROL", "CAROL@example.com")]
    tokens = [b.token("/register") for b in browsers]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def sign_up(i: int) -> None:
        username, email = forms[i]
        barrier.wait()
        data = {"username": username, "email": email, "password": PASSWORD}
        response = browsers[i].client.post("/register", data={**data, "csrf_token": tokens[i]})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 422]  # one account, one clear form error, never a 500
    assert db.exec(select(func.count()).select_from(User)).one() == 1


def test_nul_characters_find_nothing_rather_than_failing(alice, make_browser):
    # PostgreSQL cannot hold NUL in text and refuses it even in a WHERE clause.
    b = make_browser()
    assert b.get("/users/ali%00ce").status_code == 400  # refused at the edge, as every NUL is
    assert b.login("alice\x00@example.com").status_code == 400
    assert b.login("ali\x00ce").status_code == 400
    assert b.login("alice@example.com").status_code == 303  # and nothing else broke


def test_post_ids_beyond_the_id_column_are_refused_cleanly(browser):
    assert browser.get(f"/posts/{2**31 - 1}").status_code == 404
    for too_big in (2**31, 2**63):
        assert browser.get(f"/posts/{too_big}").status_code == 400


def test_sqlite_never_makes_a_request_wait_for_a_connection(settings, tmp_path):
    # Pages take connections on the event loop too; waiting there for one that only the loop can
    # give back stalled every request until the pool timed out (64 concurrent writers did it).
    # A SQLite engine of its own, so the PostgreSQL run checks the SQLite pool too.
    sqlite_settings = settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'pool.db'}"}
    )
    engine = make_engine(sqlite_settings)
    engine.pool._timeout = 0.5  # a dry pool fails in half a second instead of 30
    connections = [engine.connect() for _ in range(64)]
    try:
        assert all(c.exec_driver_sql("SELECT 1").scalar() == 1 for c in connections)
    finally:
        for connection in connections:
            connection.close()
        engine.dispose()


def test_a_hot_query_reads_the_same_typed_values_as_the_core(alice, db):
    # The feed's fast path must not change what a page shows: same rows, aware UTC timestamps,
    # real booleans, on SQLite (compiled SQL, raw values converted) as on PostgreSQL (the Core).
    from app.services.feeds import _FEED

    alice.create_post("Published", "text")
    alice.create_post("Draft", "text", published=False)
    engine = db.get_bind()
    params = {"limit": 21, "offset": 0}
    fast = _FEED.rows(engine, params)
    with engine.connect() as connection:
        core = connection.execute(_FEED.stmt, params).all()
    assert [tuple(row) for row in fast] == [tuple(row) for row in core]
    assert [row.title for row in fast] == ["Published"]
    (row,) = fast
    assert row.published is True
    assert row.created_at.utcoffset() == timedelta(0)


def test_a_requests_reads_share_one_connection_and_each_sees_what_was_committed(alice, db):
    """app.db.held_reads: one pooled connection for a request's prebuilt reads, given back at
    its end, and no read sees less than one on a connection of its own would."""
    from app.db import held_reads
    from app.services.feeds import _FEED

    engine = db.get_bind()
    params = {"limit": 21, "offset": 0}
    alice.create_post("First", "x")
    idle = engine.pool.checkedout()
    with held_reads(engine):
        assert engine.pool.checkedout() == idle  # none until the first read
        assert [row.title for row in _FEED.rows(engine, params)] == ["First"]
        held = engine.pool.checkedout()
        assert held == idle + (engine.dialect.name == "sqlite")
        alice.create_post("Second", "x")  # committed by another request, meanwhile
        assert [row.title for row in _FEED.rows(engine, params)] == ["Second", "First"]
        assert engine.pool.checkedout() == held
    assert engine.pool.checkedout() == idle


@pytest.mark.parametrize(
    ("column", "type_name"),
    [
        (cast(Post.vote_count, Numeric(10, 2)).label("score"), "Numeric"),
        (cast(Post.created_at, DateTime()).label("naive_at"), "DateTime"),
        (cast(Post.title, JSON()).label("data"), "JSON"),
        (cast(Post.title, Enum("user", "admin")).label("role"), "Enum"),
        (literal_column("1").label("raw"), "NullType"),
    ],
)
def test_a_hot_query_refuses_a_column_it_would_not_convert(column, type_name):
    # On SQLite a HotQuery reads raw values: a type it cannot convert would reach pages as
    # SQLite's raw value (a str for a timestamp, a float for a Decimal), so it fails when built.
    with pytest.raises(TypeError, match=rf"column '{column.key}' of type {type_name}"):
        HotQuery(select(Post.id, column))


def test_a_hot_query_takes_the_types_it_converts():
    query = HotQuery(select(Post.id, Post.title, Post.published, Post.created_at, Post.vote_count))
    assert query.times == [3] and query.bools == [2]


def test_a_hot_query_reads_its_literals_and_the_callers_values(alice, db):
    """A HotQuery works out once where each placeholder's value comes from: the caller's
    parameter of that name, or a constant the statement holds; both reach SQLite."""
    engine = db.get_bind()
    alice.create_post("Kept", "x")
    alice.create_post("Other", "x")
    query = HotQuery(
        select(Post.title).where(
            or_(Post.title == "Kept", Post.title == "Gone"), Post.id >= bindparam("least")
        )
    )
    assert [row.title for row in query.rows(engine, {"least": 1})] == ["Kept"]
    assert query.rows(engine, {"least": 10**9}) == []
    # A value the statement needs and was not given: refused, never run with a stale one.
    missing = KeyError if engine.dialect.name == "sqlite" else StatementError
    with pytest.raises(missing):
        query.rows(engine, {})


def test_a_hot_query_refuses_an_expanding_in_on_sqlite(alice, db):
    # An expanding IN is rendered for each execution by the Core: on SQLite a HotQuery runs
    # one SQL text, so it refuses one; other databases' reads go through the Core anyway.
    engine = db.get_bind()
    alice.create_post("Kept", "x")
    post_id = db.exec(select(Post.id)).one()
    query = HotQuery(select(Post.id).where(Post.id.in_(bindparam("ids", expanding=True))))
    if engine.dialect.name == "sqlite":
        with pytest.raises(TypeError, match="expanding IN"):
            query.rows(engine, {"ids": [post_id]})
    else:
        assert [row.id for row in query.rows(engine, {"ids": [post_id]})] == [post_id]
