"""A page costs a fixed number of SQL statements, whatever the page or the data size."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.db import kept_connections
from app.seeding import seed
from tests.conftest import post_id_from


@contextmanager
def count_statements(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Every SQL statement the database runs meanwhile, however the app sent it.

    On SQLite, SQLite's own trace hook on each pooled connection, installed and removed by the
    pool's checkout/checkin events, and on the connections KeptReads hold outside the pool: it
    sees the hot pages' plain-cursor reads (app.db.HotQuery, KeptRead) as well as everything
    sent through SQLAlchemy. Elsewhere every statement goes through the Core, and its cursor
    events see them all.
    """
    statements: list[str] = []
    if engine.dialect.name == "sqlite":

        def seen(sql: str) -> None:
            # Left out: statements inside triggers ("-- trigger name") and the FTS5 index's own
            # reads of its shadow tables ('main'.'post_fts_data'...), which SQLite runs for us.
            if not sql.startswith("--") and "'main'." not in sql:
                statements.append(sql)

        def trace(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.set_trace_callback(seen)

        def untrace(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.set_trace_callback(None)

        hooks = [(engine.pool, "checkout", trace), (engine.pool, "checkin", untrace)]
    else:

        def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        hooks = [(engine, "before_cursor_execute", record)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    # One a KeptRead opens meanwhile is traced by its checkout, and never checked in.
    kept = kept_connections(engine) if engine.dialect.name == "sqlite" else []
    for connection in kept:
        connection.set_trace_callback(seen)
    try:
        yield statements
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)
        for connection in kept_connections(engine):
            connection.set_trace_callback(None)


def statements_for(app, client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm up: the first request may touch caches
    with count_statements(app.state.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


@pytest.mark.parametrize("logged_in", [False, True])
def test_feed_statement_count_does_not_grow(app, alice, make_browser, logged_in):
    app.state.shared_pages = None  # the render path; shared pages: tests/test_shared_pages.py
    client = alice if logged_in else make_browser()
    post_id = post_id_from(alice.create_post("First", "x"))
    small = {
        url: statements_for(app, client, url) for url in ("/", f"/posts/{post_id}", "/users/alice")
    }
    seed(app.state.engine, users=30, posts=300, votes=900)
    for _ in range(25):
        alice.create_post("More", "y")
    large = {
        url: statements_for(app, client, url)
        for url in (
            "/",
            "/?page=2",
            "/?page=9",
            f"/posts/{post_id}",
            "/users/alice",
            "/users/alice?page=2",
        )
    }
    base = {
        "/": small["/"],
        "/?page=2": small["/"],
        "/?page=9": small["/"],
        f"/posts/{post_id}": small[f"/posts/{post_id}"],
        "/users/alice": small["/users/alice"],
        "/users/alice?page=2": small["/users/alice"],
    }
    assert large == base
    # One query for the page's rows (plus, when logged in, the session lookup, which counts the
    # header's unread notifications too, and the viewer's votes among the page's posts).
    assert small["/"] == (3 if logged_in else 1)


@pytest.mark.parametrize("logged_in", [False, True])
def test_feeds_search_and_profiles_cost_the_same_at_any_size(app, alice, make_browser, logged_in):
    app.state.shared_pages = None  # the render path; shared pages: tests/test_shared_pages.py
    client = alice if logged_in else make_browser()
    urls = ["/top", "/top?page=2", "/search?q=agora", "/search?q=agora+forum&page=2"]
    urls += ["/users/alice", "/users/alice/followers", "/users/alice/following"]
    if logged_in:
        urls += ["/following"]
    alice.create_post("agora forum", "x")
    small = {url: statements_for(app, client, url) for url in urls}
    seed(app.state.engine, users=30, posts=300, votes=900, follows=200)
    for username in seeded_usernames(app)[:3]:
        alice.submit(f"/users/{username}/follow", page="/")
    large = {url: statements_for(app, client, url) for url in urls}
    assert large == small
    if logged_in:
        assert (
            statements_for(app, client, "/following?before=" + older_cursor(client))
            == (small["/following"])
        )


def seeded_usernames(app) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from app.models import User

    with Session(app.state.engine) as session:
        names = session.exec(select(User.username).where(User.username != "alice")).all()
        return sorted(names)


def older_cursor(client) -> str:  # type: ignore[no-untyped-def]
    import re

    match = re.search(r"/following\?before=([\w-]+)", client.get("/following").text)
    assert match, "the Following feed has a second page"
    return match.group(1)


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_post_page_costs_the_same_with_one_comment_or_a_long_thread(
    app, alice, bob, make_browser, logged_in
):
    app.state.shared_pages = None  # the render path; shared pages: tests/test_shared_pages.py
    from tests.test_comments import comment_on

    client = alice if logged_in else make_browser()
    post_id = post_id_from(alice.create_post("Talk", "x"))
    first = comment_on(bob, post_id, "first")
    url = f"/posts/{post_id}"
    small = {u: statements_for(app, client, u) for u in (url, url + "?sort=best")}
    parent = first
    for n in range(12):
        parent = comment_on(bob if n % 2 else alice, post_id, f"reply {n}", parent)
    for n in range(40):
        comment_on(bob, post_id, f"root {n}")
    alice.submit(f"/comments/{first}/vote", page="/")
    bob.submit(f"/comments/{parent}/delete", page="/")
    large = {u: statements_for(app, client, u) for u in (url, url + "?sort=best", url + "?page=2")}
    assert large == {**small, url + "?page=2": small[url]}
    # The session with its unread count (when logged in), the post, and one read for the page
    # of threads.
    assert small[url] == (3 if logged_in else 2)
