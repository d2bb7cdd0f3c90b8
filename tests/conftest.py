"""Fixtures: a fresh database and app per test, a browser-like client, and login helpers.

Tests run on SQLite by default. With TEST_DATABASE_URL set (postgresql+psycopg://...) they run on
that PostgreSQL database instead; its tables are dropped and re-created at the start of the run.
Either way the schema comes from the migrations, as in production.
"""

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, pool, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

from app import schema
from app.config import Settings
from app.main import create_app
from app.models import Post, User
from app.services import throttle

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | Engine]:
    """Migrate once per run: a template SQLite file to copy, or the PostgreSQL test database."""
    if not TEST_DATABASE_URL:
        template = tmp_path_factory.mktemp("template") / "agora.db"
        schema.upgrade(f"sqlite:///{template}")
        yield template
        return
    engine = create_engine(TEST_DATABASE_URL, poolclass=pool.NullPool)
    with engine.begin() as conn:  # whatever an earlier run left behind
        stale = MetaData()
        stale.reflect(conn)
        stale.drop_all(conn)
    schema.upgrade(TEST_DATABASE_URL)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    quote = engine.dialect.identifier_preparer.quote  # "user" is a reserved word
    tables = ", ".join(quote(table.name) for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        # A connection left open by a test must fail loudly here, not hang the run.
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(migrated_database: Path | Engine, tmp_path: Path) -> str:
    """A database at the newest migration with no rows in it, for this test alone."""
    if isinstance(migrated_database, Engine):
        _truncate_all(migrated_database)
        return TEST_DATABASE_URL
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_database, path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL schema."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(TEST_DATABASE_URL, poolclass=pool.NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={name}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 40,
        instance_dir=tmp_path / "instance",
        bcrypt_rounds=4,
        # Tests sign up many accounts from one address; the sign-up limit has its own tests.
        registrations_per_ip_hour=10_000,
        # ...and write many posts and comments from fresh accounts; tests/test_newcomers.py
        # sets the new-account limits it tests.
        new_account_posts_per_hour=100_000,
        new_account_comments_per_hour=100_000,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def make_app(settings: Settings) -> Iterator:  # type: ignore[type-arg]
    """Build another app from the test settings with some changed (same database by default)."""
    built: list[FastAPI] = []

    def factory(**overrides: object) -> FastAPI:
        changed = Settings(_env_file=None, **{**settings.model_dump(), **overrides})  # type: ignore[call-arg]
        built.append(create_app(changed))
        return built[-1]

    yield factory
    for application in built:
        application.state.engine.dispose()


class Clock:
    """A stopped clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The login throttle's clock, stopped, for tests that move time past a lock or a window."""
    stopped = Clock()
    monkeypatch.setattr(throttle, "utcnow", stopped)
    return stopped


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browser:
    """A TestClient that behaves like one browser: cookies kept, forms posted with their token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)

    def token(self, page: str = "/") -> str:
        return csrf_from(self.client.get(page).text)

    def submit(
        self, url: str, data: dict[str, str] | None = None, page: str | None = None, **kwargs
    ):  # type: ignore[no-untyped-def]
        """POST a form as the browser would, with the CSRF token from `page` (default: `url`)."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.token(page or "/"))
        return self.client.post(url, data=form, **kwargs)

    def register(self, username: str = "alice", email: str | None = None, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        return self.submit(
            "/register",
            {
                "username": username,
                "email": email or f"{username}@example.com",
                "password": password,
            },
            page="/register",
        )

    def login(self, email: str = "alice@example.com", password: str = PASSWORD, next: str = ""):  # type: ignore[no-untyped-def]
        return self.submit(
            "/login", {"email": email, "password": password, "next": next}, page="/login"
        )

    def logout(self):  # type: ignore[no-untyped-def]
        return self.submit("/logout")

    def create_post(
        self, title: str = "Hello", content: str = "First post!", published: bool = True
    ):  # type: ignore[no-untyped-def]
        data = {"title": title, "content": content}
        if published:
            data["published"] = "1"
        return self.submit("/posts", data, page="/posts/new")

    @property
    def cookies(self):  # type: ignore[no-untyped-def]
        return self.client.cookies


@pytest.fixture
def make_browser(app: FastAPI) -> Iterator:  # type: ignore[type-arg]
    clients: list[TestClient] = []

    def factory(base_url: str = "http://testserver") -> Browser:
        client = TestClient(app, base_url=base_url, follow_redirects=False)
        clients.append(client)
        return Browser(client)

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def browser(make_browser) -> Browser:  # type: ignore[no-untyped-def]
    return make_browser()


@pytest.fixture
def alice(make_browser) -> Browser:  # type: ignore[no-untyped-def]
    b = make_browser()
    assert b.register("alice").status_code == 303
    return b


@pytest.fixture
def bob(make_browser) -> Browser:  # type: ignore[no-untyped-def]
    b = make_browser()
    assert b.register("bob").status_code == 303
    return b


def post_id_from(response) -> int:  # type: ignore[no-untyped-def]
    location = response.headers["location"]
    assert location.startswith("/posts/"), location
    return int(location.rsplit("/", 1)[1])


def get_user(db: Session, username: str) -> User:
    from sqlmodel import select

    db.expire_all()
    return db.exec(select(User).where(User.username_key == username.lower())).one()


def get_post(db: Session, post_id: int) -> Post | None:
    db.expire_all()
    return db.get(Post, post_id)


# --- the JSON API ---------------------------------------------------------------------------


class Api:
    """A JSON API client, as a script would use it: no cookies, a bearer token once logged in."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.token: str | None = None

    def request(self, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.request("DELETE", url, **kwargs)

    def signup(self, username: str = "alice", email: str | None = None, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        user = {"username": username, "email": email or f"{username}@example.com"}
        return self.client.post("/api/users", json={**user, "password": password})

    def get_token(self, login: str = "alice", password: str = PASSWORD):  # type: ignore[no-untyped-def]
        return self.client.post("/api/token", data={"username": login, "password": password})

    def log_in(self, login: str = "alice", password: str = PASSWORD) -> "Api":
        response = self.get_token(login, password)
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return self

    def create_post(
        self, title: str = "Hello", content: str = "First post!", published: bool = True
    ) -> dict:  # type: ignore[type-arg]
        response = self.post(
            "/api/posts", json={"title": title, "content": content, "published": published}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def make_api(app: FastAPI) -> Iterator:  # type: ignore[type-arg]
    clients: list[TestClient] = []

    def factory(username: str | None = None) -> Api:
        client = TestClient(app, follow_redirects=False)
        clients.append(client)
        api = Api(client)
        if username:
            assert api.signup(username).status_code == 201
            api.log_in(username)
        return api

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def api(make_api) -> Api:  # type: ignore[no-untyped-def]
    """An anonymous API client."""
    return make_api()  # type: ignore[no-any-return]


@pytest.fixture
def alice_api(make_api) -> Api:  # type: ignore[no-untyped-def]
    return make_api("alice")  # type: ignore[no-any-return]


@pytest.fixture
def bob_api(make_api) -> Api:  # type: ignore[no-untyped-def]
    return make_api("bob")  # type: ignore[no-any-return]


def set_role(db: Session, username: str, role: str) -> User:
    """Give a user a role directly in the database (test setup, not the admin pages).

    Staff accounts come from `agora create-admin`, which vouches for their address.
    """
    user = get_user(db, username)
    user.role = role
    user.email_verified_at = user.email_verified_at or datetime.now(UTC)
    db.add(user)
    db.commit()
    return user


@pytest.fixture
def admin(make_browser, db) -> Browser:  # type: ignore[no-untyped-def]
    """`root`, logged in, with the admin role."""
    b = make_browser()
    assert b.register("root").status_code == 303
    set_role(db, "root", "admin")
    return b


@pytest.fixture
def moderator(make_browser, db) -> Browser:  # type: ignore[no-untyped-def]
    """`mod`, logged in, with the moderator role."""
    b = make_browser()
    assert b.register("mod").status_code == 303
    set_role(db, "mod", "moderator")
    return b


# --- mail -----------------------------------------------------------------------------------


class SmtpServer:
    """A real SMTP server on this machine (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        import socket
        from email import message_from_bytes
        from email.policy import default

        from aiosmtpd.controller import Controller

        self.messages: list = []  # type: ignore[type-arg]
        self.refuse = False
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):  # type: ignore[no-untyped-def]
                if server.refuse:
                    return "451 Try again later"
                server.messages.append(message_from_bytes(envelope.content, policy=default))
                return "250 OK"

        # Controller.start() connects to its port to see it is up, so port 0 cannot be used.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller._thread is not None:
            self.controller.stop()

    def start(self) -> None:
        self.controller.start()


def link_in(message, path: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(base, path) of the first link to `path...` in a message's text part."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"(\S+?)(" + re.escape(path) + r"\S*)", text)
    assert found, f"no link to {path} in: {text}"
    return found.group(1), found.group(2)


class Mailbox(SmtpServer):
    """An SmtpServer with Agora's outbox pointed at it: `deliver()` runs the outbox once, as
    the server's worker would, and returns what arrived."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__()
        self.app = app
        settings = app.state.settings
        settings.smtp_host, settings.smtp_port, settings.smtp_security = (
            "127.0.0.1",
            self.port,
            "none",
        )

    def deliver(self) -> list:  # type: ignore[type-arg]
        from app.services import outbox

        before = len(self.messages)
        outbox.deliver_due(self.app.state.engine, self.app.state.settings)
        return self.messages[before:]

    def to(self, address: str) -> list:  # type: ignore[type-arg]
        self.deliver()
        return [m for m in self.messages if m["To"] == address]

    def link(self, address: str, path: str) -> str:
        """The path of the newest link to `path...` in mail to `address`."""
        for message in reversed(self.to(address)):
            if path in message.get_body(("plain",)).get_content():
                base, found = link_in(message, path)
                assert base == self.app.state.settings.base_url
                return found
        raise AssertionError(f"no mail to {address} links to {path}")


@pytest.fixture
def mailbox(app: FastAPI) -> Iterator[Mailbox]:
    box = Mailbox(app)
    yield box
    box.stop()
