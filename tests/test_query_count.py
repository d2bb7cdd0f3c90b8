"""A page costs a fixed number of SQL statements, whatever the page or the data size."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.seeding import seed
from tests.conftest import post_id_from


@contextmanager
def count_statements(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(app, client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm up: the first request may touch caches
    with count_statements(app.state.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


@pytest.mark.parametrize("logged_in", [False, True])
def test_feed_statement_count_does_not_grow(app, alice, make_browser, logged_in):
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
    # One query for the page's rows (plus the session lookup when logged in).
    assert small["/"] == (2 if logged_in else 1)


@pytest.mark.parametrize("logged_in", [False, True])
def test_feeds_search_and_profiles_cost_the_same_at_any_size(app, alice, make_browser, logged_in):
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
