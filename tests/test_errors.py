"""How the site answers when the database fails underneath it: 503 with Retry-After, one log
line, no claim that anything was saved, and reads go on wherever the database can still read."""

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from app import schema
from app.config import Settings
from app.main import create_app
from app.models import Post
from tests.conftest import TEST_DATABASE_URL, Api, Browser, post_id_from
from tests.faults import fill_disk, proxied

BIG = "A post-sized paragraph that needs room on disk. " * 200  # ~10 kB: new pages


def settings_for(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 40,
        instance_dir=tmp_path / "instance",
        bcrypt_rounds=4,
    )


@pytest.fixture
def clients() -> Iterator[list[TestClient]]:
    opened: list[TestClient] = []
    yield opened
    for client in opened:
        client.close()


def browser_on(app: FastAPI, clients: list[TestClient]) -> Browser:
    clients.append(TestClient(app, follow_redirects=False))
    return Browser(clients[-1])


def api_on(app: FastAPI, clients: list[TestClient]) -> Api:
    clients.append(TestClient(app, follow_redirects=False))
    return Api(clients[-1])


def assert_cannot_save(response) -> None:  # type: ignore[no-untyped-def]
    """The 503 page: cannot save now, try again, and no word that the input was kept."""
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["retry-after"]) > 0
    page = response.text
    assert "Cannot save right now" in page and "try again" in page
    assert "may not have been saved" in page
    assert "lost" not in page and "kept" not in page and "was saved" not in page


def post_count(app: FastAPI) -> int:
    with Session(app.state.engine) as session:
        return session.exec(select(func.count()).select_from(Post)).one()


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """Each failed request logged one line, and none of them a traceback."""
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    lines = [r for r in caplog.records if r.name == "agora.errors"]
    assert lines and all("the database is unavailable" in r.getMessage() for r in lines)


def test_hole_12_a_full_disk_refuses_writes_with_503_and_reads_go_on(tmp_path, clients, caplog):
    # Its own SQLite file on both runs: PostgreSQL cannot be filled up without harming others.
    url = f"sqlite:///{tmp_path / 'full.db'}"
    schema.upgrade(url)
    app = create_app(settings_for(url, tmp_path))
    try:
        alice = browser_on(app, clients)
        assert alice.register("alice").status_code == 303
        before = alice.create_post(title="Written before the disk filled", content="Hello")
        post_url = before.headers["location"]
        assert browser_on(app, clients).register("bob").status_code == 303
        script = api_on(app, clients).log_in("alice")
        posts_token = alice.token("/posts/new")
        bob = browser_on(app, clients)
        login_token = bob.token("/login")

        fill_disk(app.state.engine)
        caplog.set_level(logging.INFO, logger="agora")

        # A post: not saved, and the page says so.
        data = {"title": "Written after", "content": BIG, "published": "1"}
        assert_cannot_save(alice.client.post("/posts", data={**data, "csrf_token": posts_token}))
        assert post_count(app) == 1
        # A login: refused the same way, and no session for it.
        form = {"email": "bob@example.com", "password": "correct horse battery"}
        response = bob.client.post("/login", data={**form, "csrf_token": login_token})
        assert_cannot_save(response)
        assert "agora_session" not in response.headers.get("set-cookie", "")
        # The API: JSON, with the same Retry-After.
        response = script.post("/api/posts", json={"title": "By script", "content": BIG})
        assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
        assert "may not have been saved" in response.json()["detail"]

        # Reads do not need free space: the site stays up for readers, logged in or not.
        feed = alice.get("/")
        assert feed.status_code == 200 and "Written before the disk filled" in feed.text
        assert "Written after" not in feed.text
        assert alice.get(post_url).status_code == 200
        assert browser_on(app, clients).get("/").status_code == 200
        assert script.get("/api/posts").status_code == 200
        no_tracebacks(caplog)
    finally:
        app.state.engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs a database server to cut off")
def test_hole_12_a_database_cut_off_answers_503_then_recovers_by_itself(
    database_url, tmp_path, clients, caplog
):
    with proxied(database_url) as (proxy, url):
        app = create_app(settings_for(url, tmp_path))
        try:
            alice = browser_on(app, clients)
            assert alice.register("alice").status_code == 303
            post_id = post_id_from(alice.create_post(title="Before the cut"))
            script = api_on(app, clients).log_in("alice")
            token = alice.token("/posts/new")
            caplog.set_level(logging.INFO, logger="agora")

            proxy.sever()
            for reader in (alice, browser_on(app, clients)):
                for page in ("/", f"/posts/{post_id}"):
                    response = reader.get(page)
                    assert response.status_code == 503, page
                    assert int(response.headers["retry-after"]) > 0
                    assert "cannot reach its database" in response.text
            data = {"title": "During the cut", "content": "x", "csrf_token": token}
            assert_cannot_save(alice.client.post("/posts", data=data))
            for method, path in (("GET", "/api/posts"), ("POST", "/api/posts")):
                response = script.request(method, path, json={"title": "t", "content": "c"})
                assert response.status_code == 503, (method, path)
                assert int(response.headers["retry-after"]) > 0
                assert "database is unavailable" in response.json()["detail"]
            no_tracebacks(caplog)

            # The database is back: so is the site, by itself, within a couple of seconds.
            proxy.cut = False
            deadline = time.monotonic() + 2
            while (feed := alice.get("/")).status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert feed.status_code == 200 and "Before the cut" in feed.text
            assert "Log out" in feed.text
            assert script.get("/api/posts").status_code == 200
        finally:
            app.state.engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="SQLite's read-only file: the full disk above")
def test_hole_12_a_read_only_postgresql_keeps_logged_in_readers(database_url, tmp_path, clients):
    writable = create_app(settings_for(database_url, tmp_path))
    alice = browser_on(writable, clients)
    assert alice.register("alice").status_code == 303
    alice.create_post(title="Readable while read-only")
    token = alice.token("/posts/new")
    with writable.state.engine.begin() as conn:  # last seen long ago: this visit records it
        conn.execute(
            text("UPDATE auth_session SET last_seen_at = last_seen_at - interval '1 hour'")
        )
    writable.state.engine.dispose()

    # A standby, or a database put in read-only mode: reads work, writes do not.
    read_only = f"{database_url}?options=-c%20default_transaction_read_only%3Don"
    app = create_app(settings_for(read_only, tmp_path))
    try:
        reader = browser_on(app, clients)
        reader.client.cookies = alice.client.cookies
        feed = reader.get("/")
        assert feed.status_code == 200 and "Readable while read-only" in feed.text
        assert "Log out" in feed.text
        data = {"title": "Not now", "content": "x", "csrf_token": token}
        assert_cannot_save(reader.client.post("/posts", data=data))
    finally:
        app.state.engine.dispose()
