"""Server CPU per request, measured in-process: the ASGI apps are called directly, no sockets.

Usage: python -m bench.profile DB [--requests N] [--pyinstrument PAGE] [--summary PAGE]
       python -m bench.profile DB --count-cost

DB is a database filled by `agora seed`. Timing uses process CPU time, so other programs on a
busy machine barely move the numbers; it leaves out uvicorn's HTTP parsing, the same for both.
`--pyinstrument feed` (or post, feed-user, profile) prints a call tree of that page instead;
`--summary feed` one line saying where that page's time goes, for the benchmark's report;
`--count-cost` the logged-in feed's CPU time with the header's unread count and without it.
"""

import argparse
import asyncio
import logging.config as logging_config
import os
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.run import SECRET

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


Headers = list[tuple[bytes, bytes]]  # a request's own headers: a cookie, a validator


def scope_for(path: str, extra: Headers | None = None) -> dict[str, Any]:
    path, _, query = path.partition("?")
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")]
    headers += extra or []
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: App, path: str, extra: Headers | None = None) -> tuple[int, bytes, Headers]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_for(path, extra), receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, list(sent[0].get("headers", []))


async def cpu_ms(app: App, path: str, n: int, extra: Headers | None = None) -> float:
    """Median over 5 batches of the CPU milliseconds one request costs."""
    for _ in range(50):
        status, _, _ = await call(app, path, extra)
        assert status in (200, 304), (path, status)
    batches = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(n // 5):
            await call(app, path, extra)
        batches.append((time.process_time() - started) * 1000 / (n // 5))
    return sorted(batches)[2]


def make_agora(db: str) -> tuple[App, Headers, int]:
    """The production app on `db`, a logged-in cookie for its first user, and a post id."""
    os.environ.update(
        DATABASE_URL=f"sqlite:///{db}",
        SECRET_KEY=SECRET,
        ENV="production",
        SITE_URL="http://127.0.0.1",
        # The write scenarios post and comment from accounts made minutes before.
        NEW_ACCOUNT_POSTS_PER_HOUR="1000000",
        NEW_ACCOUNT_COMMENTS_PER_HOUR="1000000",
    )
    from app.config import load_settings
    from app.logs import log_config
    from app.main import create_app
    from app.models import User
    from app.services import sessions

    # The JSON request log, as `agora serve` configures it, written where it costs a write().
    config = log_config()
    config["handlers"]["stderr"]["stream"] = "ext://bench.profile.DEVNULL"
    logging_config.dictConfig(config)
    settings = load_settings()
    app = create_app(settings)
    from sqlmodel import Session, select

    with Session(app.state.engine) as session:
        user = session.exec(select(User).order_by(User.id)).first()  # type: ignore[arg-type]
        assert user is not None
        token, _ = sessions.start(session=session, settings=settings, user=user, kind="web")
    with sqlite3.connect(db) as conn:
        post_id = conn.execute("SELECT max(id) FROM post WHERE published = 1").fetchone()[0]
    return app, [(b"cookie", f"agora_session={token}".encode())], int(post_id)


DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--pyinstrument", choices=PAGES)
    parser.add_argument("--summary", choices=PAGES)
    parser.add_argument("--count-cost", action="store_true")
    args = parser.parse_args()
    app, cookie, post_id = make_agora(args.db)
    os.environ["REFERENCE_DB"] = args.db
    from bench import reference

    with sqlite3.connect(args.db) as conn:
        thread = conn.execute("SELECT id FROM post ORDER BY comment_count DESC").fetchone()[0]
        tag = conn.execute("SELECT name FROM tag ORDER BY public_posts DESC").fetchone()
    pages = {
        "feed": ("/", []),
        "feed-user": ("/", cookie),
        "post": (f"/posts/{post_id}", []),
        "profile": ("/users/" + first_username(args.db), []),
        "thread": (f"/posts/{thread}", []),
        "thread-user": (f"/posts/{thread}", cookie),
        "notifications": ("/notifications", cookie),
        "atom": ("/feeds/latest.atom", []),
    }
    if tag:  # the quick seed has no tags
        pages["tag"] = (f"/t/{tag[0]}", [])
    loop = asyncio.new_event_loop()
    # A feed reader that has the feed: its ETag sent back, answered 304.
    _, _, answer = loop.run_until_complete(call(app, "/feeds/latest.atom"))
    pages["atom-304"] = ("/feeds/latest.atom", [(b"if-none-match", dict(answer)[b"etag"])])
    if args.count_cost:
        on, off = count_cost(loop, app, cookie, args.requests)
        print(f"count on {on:.3f} ms, off {off:.3f} ms CPU per request")
        return 0
    if args.summary:
        if args.summary not in pages:
            parser.error(f"this database has no page for {args.summary!r}")
        path, page_cookie = pages[args.summary]
        print(summary(loop, app, path, page_cookie, min(args.requests, 500)))
        return 0
    if args.pyinstrument:
        from pyinstrument import Profiler

        if args.pyinstrument not in pages:
            parser.error(f"this database has no page for {args.pyinstrument!r}")
        path, page_cookie = pages[args.pyinstrument]
        loop.run_until_complete(cpu_ms(app, path, 100, page_cookie))
        profiler = Profiler(interval=0.0002)
        with profiler:
            loop.run_until_complete(cpu_ms(app, path, args.requests, page_cookie))
        print(profiler.output_text(unicode=True, show_all=False))
        return 0
    ref = loop.run_until_complete(cpu_ms(reference.app, "/", args.requests))
    print(f"reference feed: {ref:.3f} ms CPU per request")
    for name, (path, page_cookie) in pages.items():
        ms = loop.run_until_complete(cpu_ms(app, path, args.requests, page_cookie))
        print(f"agora {name:10s} {ms:.3f} ms CPU per request, {ref / ms:.2f}× the reference")
    return 0


PAGES = ["feed", "feed-user", "post", "profile", "thread", "thread-user", "notifications"]
PAGES += ["atom", "atom-304", "tag"]


def count_cost(
    loop: asyncio.AbstractEventLoop, app: App, cookie: Headers, n: int
) -> tuple[float, float]:
    """The logged-in feed's CPU ms a request with the header's unread count, and with the count
    replaced by its value: the page and its HTML the same, minus the count's work.

    The count is a column of the page's session read (app.deps.PAGE_SESSION); the switch puts
    the same read in its place with that column a constant, in this process only.
    Alternating 5 times, medians of each, so a slow spell of the machine hits both alike.
    """
    from sqlalchemy import literal

    from app import deps
    from app.services import sessions

    real = deps._READS["web"]  # noqa: SLF001 - the switch the docstring describes
    token = cookie[0][1].decode().partition("=")[2]
    settings, engine = app.state.settings, app.state.engine  # type: ignore[attr-defined]
    found = sessions.resolve(engine=engine, settings=settings, token=token, kind="web", read=real)
    assert found is not None
    constant = sessions.reader(literal(found[2]).label("unread"))

    on, off = [], []
    for _ in range(5):
        on.append(loop.run_until_complete(cpu_ms(app, "/", n // 5, cookie)))
        deps._READS["web"] = constant  # noqa: SLF001
        try:
            off.append(loop.run_until_complete(cpu_ms(app, "/", n // 5, cookie)))
        finally:
            deps._READS["web"] = real  # noqa: SLF001
    return sorted(on)[2], sorted(off)[2]


# Where a frame's own time is counted, by the file it runs in: the first match wins.
AREAS = [
    ("templates", ("/jinja2/", "/markupsafe/", "templates/", "app/templating.py")),
    ("SQL", ("/sqlalchemy/", "/sqlmodel/", "sqlite3", "app/db.py", "/psycopg/")),
    ("middleware", ("app/middleware.py", "/starlette/middleware/")),
    ("routing and validation", ("/fastapi/", "/starlette/", "/pydantic", "app/deps.py")),
    ("request log", ("/logging/", "app/logs.py")),
    ("Markdown", ("/markdown_it/", "app/rendering.py")),
    ("Agora's services and views", ("app/",)),
]


def summary(loop: asyncio.AbstractEventLoop, app: App, path: str, extra: Headers, n: int) -> str:
    """'templates 41% · SQL 22% · ...': the page's sampled self time, by area."""
    from pyinstrument import Profiler

    ms = loop.run_until_complete(cpu_ms(app, path, n, extra))  # unprofiled: the real cost
    profiler = Profiler(interval=0.0002)
    with profiler:
        loop.run_until_complete(cpu_ms(app, path, n, extra))
    totals: dict[str, float] = {}
    # pyinstrument keeps a frame's own time in "[self]" children: count those, by their parent.
    stack = [(profiler.last_session.root_frame(), "")] if profiler.last_session else []
    while stack:
        frame, parent = stack.pop()
        if frame is None:
            continue
        where = f"{frame.file_path or ''} {frame.function or ''}"
        path = frame.file_path or "<built-in>"
        if path.startswith("<") or ("/lib/python3" in path and "site-packages" not in path):
            # C functions and the standard library work for whoever called them.
            where = parent
        if frame.function == "[self]":
            area = next((a for a, marks in AREAS if any(m in parent for m in marks)), "other")
            if "bench/" not in parent:  # the harness calling the app is not the app's time
                totals[area] = totals.get(area, 0.0) + frame.time
        stack.extend((child, where) for child in frame.children)
    whole = sum(totals.values()) or 1.0
    parts = sorted(totals.items(), key=lambda kv: -kv[1])
    shares = " · ".join(f"{area} {t / whole:.0%}" for area, t in parts if t / whole >= 0.02)
    return f"{ms:.2f} ms a request: {shares}"


def first_username(db: str) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT username FROM user ORDER BY id LIMIT 1").fetchone()[0])


if __name__ == "__main__":
    sys.exit(main())
