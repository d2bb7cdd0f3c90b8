"""Measure Agora against the fastest plain way to serve the same page, side by side, in one run.

Usage: python -m bench.run [--quick] [--out docs/performance.md]

Both servers run the production way (uvicorn, 2 workers, uvloop + httptools, no access log, no
reload) on the same database file, and wrk drives them alternately. Every target is a ratio
measured in this run, because these machines are shared and noisy.
"""

import argparse
import asyncio
import contextlib
import hashlib
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from app.seeding import SEED_PASSWORD as PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SECRET = "benchmark-secret-" + "k" * 40
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Scenario:
    name: str
    target: str
    # One dict per round: server name ("Agora", "reference", a peer) -> its sample.
    rounds: list[dict[str, Sample]] = field(default_factory=list)
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    # Where Agora's time goes on this page (bench/profile.py), when it was profiled.
    profile: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


WORKERS = 2
# What both servers run on: uvicorn's fastest event loop and HTTP parser, named rather than left
# to "auto", so a missing package fails the run instead of quietly slowing one side down.
UVICORN_FAST = ["--loop", "uvloop", "--http", "httptools"]


# The process groups of the servers running now: `settle` waits for all of them to go quiet.
_GROUPS: set[int] = set()


def _group_cpu() -> float:
    """Seconds of CPU the servers' processes have used so far (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) in _GROUPS:  # the fifth field, pgrp
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def settle(longest: float = 30.0) -> None:
    """Wait until no server is still working off the last run's requests.

    A server slower than the load (the peers' JOIN + GROUP BY at 100k posts takes half a
    second) still has every connection's last request queued when wrk stops; answering them
    took its CPU from whichever server was measured next."""
    if not os.path.isdir("/proc"):
        return
    deadline = time.monotonic() + longest
    before = _group_cpu()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _group_cpu()
        if now - before < 0.025:  # under a tenth of a core
            return
        before = now


@contextmanager
def server(
    cmd: list[str], env: dict[str, str], probe: str, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    cmd = [arg.replace("{port}", str(port)) for arg in cmd]
    with open(log or os.devnull, "ab") as log_file:
        proc = subprocess.Popen(  # noqa: S603
            cmd,
            cwd=ROOT,
            env={**os.environ, **env},
            start_new_session=True,
            stderr=log_file,
        )
    url = f"http://127.0.0.1:{port}"
    _GROUPS.add(proc.pid)
    try:
        for _ in range(300):
            try:
                if httpx.get(url + probe, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
            time.sleep(0.1)
        else:
            raise RuntimeError(f"{' '.join(cmd)} did not start")
        yield url, proc
    finally:
        _GROUPS.discard(proc.pid)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def agora_env(db: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{db}",
        "SECRET_KEY": SECRET,
        "ENV": "production",
        "SITE_URL": "http://127.0.0.1",  # production refuses to start without one
        # The write scenarios post and comment from accounts made minutes before.
        "NEW_ACCOUNT_POSTS_PER_HOUR": "1000000",
        "NEW_ACCOUNT_COMMENTS_PER_HOUR": "1000000",
        "BCRYPT_ROUNDS": "12",
        **extra,
    }


def agora(db: Path, **extra: str):  # type: ignore[no-untyped-def]
    """Agora served by `agora serve`, the production command: its JSON request log included."""
    # `agora serve` leaves loop and parser to uvicorn's "auto", which picks uvloop and httptools
    # when installed (uvicorn[standard]); the check below makes sure they are.
    import httptools  # noqa: F401
    import uvloop  # noqa: F401

    env = agora_env(db, WEB_CONCURRENCY=str(WORKERS), **extra)
    cmd = [PYTHON, "-m", "app", "serve", "--host", "127.0.0.1", "--port", "{port}"]
    return server(cmd, env, "/readyz", log=db.with_suffix(".log"))


def reference(db: Path):  # type: ignore[no-untyped-def]
    cmd = [PYTHON, "-m", "uvicorn", "bench.reference:app", "--host", "127.0.0.1", "--port"]
    cmd += ["{port}", "--workers", str(WORKERS), *UVICORN_FAST, "--no-access-log"]
    cmd += ["--log-level", "warning"]
    return server(cmd, {"REFERENCE_DB": str(db)}, "/")


def tutorial_peer(db: Path):  # type: ignore[no-untyped-def]
    """FastAPI + SQLModel the tutorial way (bench/peers/tutorial.py), served like Agora."""
    cmd = [PYTHON, "-m", "uvicorn", "bench.peers.tutorial:app", "--host", "127.0.0.1"]
    cmd += ["--port", "{port}", "--workers", str(WORKERS), *UVICORN_FAST, "--no-access-log"]
    cmd += ["--log-level", "warning"]
    return server(cmd, {"PEER_DB": str(db)}, "/")


def flask_peer(db: Path):  # type: ignore[no-untyped-def]
    """Flask + Flask-SQLAlchemy under gunicorn's sync workers (bench/peers/flask_app.py)."""
    cmd = [PYTHON, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", "127.0.0.1:{port}"]
    cmd += ["--log-level", "warning", "bench.peers.flask_app:app"]
    return server(cmd, {"PEER_DB": str(db)}, "/")


PEERS = {"FastAPI tutorial": tutorial_peer, "Flask-SQLAlchemy": flask_peer}


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str,
    seconds: int,
    connections: int = 32,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> Sample:
    # A long timeout: a slow server's answers are counted, at their real latency, not dropped.
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout  # noqa: S603
    settle()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p50 = _ms(*re.match(r"([\d.]+)(\w+)", lat["50"]).groups())  # type: ignore[union-attr]
    p99 = _ms(*re.match(r"([\d.]+)(\w+)", lat["99"]).groups())  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Sample(rps, p50, p99, errors)


# Seeded databases kept between runs (of the 100k-post size: the 1M one is 1.5 GB, the write
# scenarios' small ones seed in seconds), one for --quick and one for the whole run, so
# `make bench-quick` measures instead of seeding. A database is made again whenever the schema
# or the seeder changes: its name is a digest of both and of the counts asked for.
SEED_CACHE = ROOT / ".bench-cache"
SEED_SOURCES = ["app/seeding.py", "app/models.py", "app/cli.py", "migrations/versions/*.py"]
SEED_CACHE_KEPT = 2


def seed(
    db: Path, users: int, posts: int, votes: int, follows: int = 0, tags: int = 0, comments: int = 0
) -> None:
    counts = {"users": users, "posts": posts, "votes": votes, "follows": follows}
    counts |= {"tags": tags, "comments": comments}
    args = [arg for name, n in counts.items() for arg in (f"--{name}", str(n))]
    digest = hashlib.blake2b(repr(args).encode(), digest_size=10)
    for pattern in SEED_SOURCES:
        for source in sorted(ROOT.glob(pattern)):
            digest.update(source.read_bytes())
    kept = SEED_CACHE / f"seed-{digest.hexdigest()}.db"
    kept_size = 10_000 <= posts <= 100_000  # the slow seeds, not the write scenarios' small ones
    if kept_size and kept.exists():
        shutil.copyfile(kept, db)
        return
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "BCRYPT_ROUNDS": "12"}
    subprocess.run(  # noqa: S603
        [PYTHON, "-m", "app", "seed", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if kept_size:
        with sqlite3.connect(db) as conn:  # one file to copy: the WAL folded in
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        SEED_CACHE.mkdir(exist_ok=True)
        shutil.copyfile(db, kept.with_suffix(".tmp"))
        kept.with_suffix(".tmp").replace(kept)
        for old in sorted(SEED_CACHE.glob("seed-*.db"), key=lambda p: p.stat().st_mtime)[
            :-SEED_CACHE_KEPT
        ]:
            old.unlink()


def login_cookie(url: str, login: str, password: str) -> str:
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        token = CSRF_RE.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/login", data={"email": login, "password": password, "csrf_token": token}
        )
        assert response.status_code == 303, response.status_code
        # Follow the redirect as a browser would: the page shows the "welcome" flash and
        # clears its cookie, so the cookies measured are the ones every later page sends.
        client.get(response.headers["location"])
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def first_user(db: Path, nth: int = 0) -> str:
    """The first seeded user's name (`nth`: the one after `nth` others)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT username FROM user ORDER BY id LIMIT 1 OFFSET ?", (nth,))
        return str(row.fetchone()[0])


def a_post_id(db: Path, nth: int = 0) -> int:
    """The id of the `nth` newest published post (0: the newest)."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT id FROM post WHERE published = 1 ORDER BY id DESC LIMIT 1 OFFSET ?", (nth,)
        ).fetchone()
        return int(row[0])


THREAD_ROOTS, THREAD_REPLIES = 40, 4  # 40 comments on the post, each answered 4 times: 200


def thread_post(db: Path) -> int:
    """Scenario 2c's post (not 2a's), given a thread of THREAD_ROOTS x (1 + THREAD_REPLIES)
    comments by seeded users, written as the app writes them (the ORM, so the search index's
    triggers see them too)."""
    from sqlmodel import Session, create_engine, select

    from app.models import Comment, Post, User

    post_id = a_post_id(db, nth=1)
    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        people = list(session.exec(select(User.id).order_by(User.id).limit(50)).all())
        for r in range(THREAD_ROOTS):
            root = Comment(
                post_id=post_id,
                author_id=people[r % len(people)],
                content=f"A comment with a few words, number {r}, and *some* Markdown.",
            )
            session.add(root)
            session.flush()
            root.root_id = root.id
            parent = root
            for n in range(THREAD_REPLIES):
                # Replies to the comment and to its replies: depth 1 and 2.
                reply = Comment(
                    post_id=post_id,
                    author_id=people[(r + n + 1) % len(people)],
                    parent_id=parent.id,
                    root_id=root.id,
                    depth=parent.depth + 1,
                    content=f"A reply, number {n}, to comment {r}.",
                )
                session.add(reply)
                session.flush()
                parent = reply if n % 2 else root
        post = session.get(Post, post_id)
        assert post is not None
        post.comment_count += THREAD_ROOTS * (1 + THREAD_REPLIES)
        session.add(post)
        session.commit()
    engine.dispose()
    return post_id


INBOX = 40  # the notified user's unread notifications: two pages of /notifications


def notify(db: Path, thread_id: int) -> int:
    """Give the first user INBOX unread notifications, through the service the site writes them
    with: follows from other seeded users and mentions in `thread_id`'s comments. The user with
    the next id (`first_user(db, 1)`) keeps none."""
    from sqlmodel import Session, col, create_engine, select

    from app.models import Comment, User
    from app.services import notifications

    engine = create_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        me, *others = session.exec(select(col(User.id)).order_by(col(User.id)).limit(INBOX))
        assert me is not None
        said = session.exec(
            select(Comment.id, Comment.author_id).where(Comment.post_id == thread_id)
        ).all()
        told = 0
        for actor in others[: INBOX // 2]:
            told += notifications.add(
                session=session, recipient_id=me, kind="follow", actor_id=actor
            )
        for comment_id, author_id in said:
            if told == INBOX:
                break
            told += notifications.add(
                session=session,
                recipient_id=me,
                kind="mention",
                actor_id=author_id,
                post_id=thread_id,
                comment_id=comment_id,
            )
        session.commit()
    engine.dispose()
    assert told == INBOX, told
    return told


def ratios(s: Scenario, what: str, server: str = "Agora") -> list[float]:
    """`server`'s req/s (or p99) over the reference's in the same round, one value per round."""
    if what == "rps":
        return [r[server].rps / r["reference"].rps for r in s.rounds]
    return [r[server].p99_ms / r["reference"].p99_ms for r in s.rounds]


def median_ratio(s: Scenario, what: str, server: str = "Agora") -> float:
    return statistics.median(ratios(s, what, server))


def _times(value: float) -> str:
    # Two decimals, or one significant figure for a ratio too small for two (a peer's).
    return f"{value:.2f}×" if value >= 0.01 or value == 0 else f"{value:.1g}×"


def spread(values: list[float]) -> str:
    return " / ".join(_times(v) for v in (min(values), statistics.median(values), max(values)))


def _cells(x: Sample) -> str:
    if not x.rps:  # no answer came back within the round: it has no latency to show
        return "0 | – | –"
    return f"{x.rps:,.0f} | {x.p50_ms:.2f} | {x.p99_ms:.2f}"


def _p99_spread(s: Scenario, server: str) -> str:
    """The p99 ratios of the rounds in which `server` answered at all."""
    answered = [r[server].p99_ms / r["reference"].p99_ms for r in s.rounds if r[server].rps]
    return spread(answered) if answered else "no answer in any round"


def ratio_table(s: Scenario) -> str:
    lines = [f"### {s.name}", "", f"Target: {s.target}", ""]
    if s.rounds:
        servers = list(s.rounds[0])
        lead = "Agora" if "Agora" in servers else servers[0]  # the per-round ratio columns'
        head = "| round | " + " | ".join(f"{n} req/s | p50 ms | p99 ms" for n in servers)
        lines += [
            head + " | errors | req/s ratio | p99 ratio |",
            "|---|" + "---|---|---|" * len(servers) + "---|---|---|",
        ]
        for i, r in enumerate(s.rounds, 1):
            cells = " | ".join(_cells(x) for x in r.values())
            errors = sum(x.errors for x in r.values())
            lines.append(
                f"| {i} | {cells} | {errors} | {r[lead].rps / r['reference'].rps:.2f}× "
                f"| {r[lead].p99_ms / r['reference'].p99_ms:.2f}× |"
            )
        lines += [
            "",
            "| ratio to the reference, min / median / max | req/s | p99 |",
            "|---|---|---|",
            *[
                f"| {n} | {spread(ratios(s, 'rps', n))} | {_p99_spread(s, n)} |"
                for n in servers
                if n != "reference"
            ],
        ]
    if s.profile:
        lines += ["", f"Where Agora's time goes (CPU, in-process): {s.profile}."]
    lines += ["", *s.notes, "", f"**{s.verdict}**", ""]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# --- scenarios --------------------------------------------------------------------------------


def versus(
    name: str,
    target: str,
    urls: dict[str, str],
    rounds: int,
    seconds: int,
    headers: dict[str, dict[str, str]] | None = None,
) -> Scenario:
    """wrk on every server in turn, `rounds` times; `headers` by server name (a cookie, a
    validator): the reference gets none. Two names may be one server on different terms.

    The order rotates each round, so no server always runs right after the same neighbour.
    """
    s = Scenario(name, target)
    names = list(urls)
    own = {n: (headers or {}).get(n) for n in names}
    for n in names:  # warm every server up
        wrk(urls[n], 1, headers=own[n])
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]
        samples = {n: wrk(urls[n], seconds, headers=own[n]) for n in order}
        s.rounds.append({n: samples[n] for n in names})
        print(
            f"  {name}: "
            + " | ".join(
                f"{n} {x.rps:,.0f} req/s p99 {x.p99_ms:.1f} ms" for n, x in samples.items()
            ),
            flush=True,
        )
    return s


async def _login_loop(
    url: str, login: str, password: str, stop: asyncio.Event, counter: list[int]
) -> None:
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=30) as client:
        while not stop.is_set():
            client.cookies.clear()
            token = CSRF_RE.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
            response = await client.post(
                "/login", data={"email": login, "password": password, "csrf_token": token}
            )
            counter[0 if response.status_code == 303 else 1] += 1


def with_logins(url: str, login: str, password: str, seconds: int) -> tuple[Sample, list[int]]:
    """wrk on GET / while two clients log in continuously (bcrypt cost 12)."""
    counter = [0, 0]
    stop = asyncio.Event()
    result: list[Sample] = []

    async def main() -> None:
        tasks = [
            asyncio.create_task(_login_loop(url, login, password, stop, counter)) for _ in range(2)
        ]
        await asyncio.sleep(1)
        result.append(await asyncio.to_thread(wrk, url + "/", seconds))
        stop.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    return result[0], counter


def _post_form(token: str, n: int, client: int) -> tuple[str, dict[str, str]]:
    return "/posts", {
        "title": f"Load test post {n}",
        "content": "Written <under> load & counted.",
        "published": "1",
        "csrf_token": token,
    }


async def _writer(
    url: str,
    cookie: str,
    token: str,
    deadline: float,
    counts: dict[str, int],
    form: Any = _post_form,
    client: int = 0,
) -> None:
    """One client posting over a keep-alive connection until the deadline.

    Plain asyncio streams rather than httpx: with 64 clients, httpx's own CPU time (~9 ms a
    request) made the load generator the bottleneck, and the server sat idle between posts.
    Each request waits for its answer, so every response is counted, none is left in flight.
    """
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    n = 0
    try:
        while time.perf_counter() < deadline:
            n += 1
            path, fields = form(token, n, client)
            body = urlencode(fields).encode()
            writer.write(
                b"POST %s HTTP/1.1\r\nHost: %s\r\nCookie: %s\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n%s"
                % (path.encode(), f"{host}:{port}".encode(), cookie.encode(), len(body), body)
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            counts["ok" if status == 303 else "error"] += 1
            if status != 303:  # what went wrong, for the report
                counts[f"HTTP {status}"] = counts.get(f"HTTP {status}", 0) + 1
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        counts["error"] += 1
        counts[type(exc).__name__] = counts.get(type(exc).__name__, 0) + 1
    finally:
        writer.close()


def write_load(
    db: Path, tuned: bool, seconds: int, clients: int = 64
) -> tuple[float, dict[str, int], int]:
    """64 concurrent clients create posts; returns (posts/s, counts, rows added)."""
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM post").fetchone()[0]
    extra = {} if tuned else {"SQLITE_TUNING": "0"}
    with agora(db, **extra) as (url, _):
        cookie = login_cookie(url, first_user(db), "benchmark password")
        page = httpx.get(url + "/posts/new", headers={"Cookie": cookie}).text
        token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
        counts = {"ok": 0, "error": 0}

        async def main() -> float:
            start = time.perf_counter()
            deadline = start + seconds
            await asyncio.gather(
                *[_writer(url, cookie, token, deadline, counts) for _ in range(clients)]
            )
            return time.perf_counter() - start

        elapsed = asyncio.run(main())
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT count(*) FROM post").fetchone()[0]
    return counts["ok"] / elapsed, counts, after - before


def error_kinds(counts: dict[str, int]) -> str:
    """'0', or '2 (HTTP 503: 1, IncompleteReadError: 1)': the errors a write run counted."""
    kinds = ", ".join(f"{k}: {n}" for k, n in counts.items() if k not in ("ok", "error"))
    return f"{counts['error']} ({kinds})" if kinds else str(counts["error"])


COMMENT_CLIENTS = 16


def comment_load(
    db: Path, seconds: int, mentions: list[str] | None = None, label: str = ""
) -> tuple[float, dict[str, int], int]:
    """COMMENT_CLIENTS clients, one account, post comments on one post; (comments/s, counts,
    rows added). Each text differs (`label` tells runs apart): the same words twice within
    seconds are one comment. Each comment names every user in `mentions`."""
    post_id = a_post_id(db)
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM comment").fetchone()[0]
    with agora(db) as (url, _):
        cookie = login_cookie(url, first_user(db), PASSWORD)
        page = httpx.get(f"{url}/posts/{post_id}", headers={"Cookie": cookie}).text
        token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
        counts = {"ok": 0, "error": 0}

        def form(token: str, n: int, client: int) -> tuple[str, dict[str, str]]:
            text = f"Comment {n}{label} from client {client}: written under load & *counted*."
            text += "".join(f" @{name}" for name in mentions or [])
            return f"/posts/{post_id}/comments", {"content": text, "csrf_token": token}

        async def main() -> float:
            start = time.perf_counter()
            deadline = start + seconds
            await asyncio.gather(
                *[
                    _writer(url, cookie, token, deadline, counts, form, client)
                    for client in range(COMMENT_CLIENTS)
                ]
            )
            return time.perf_counter() - start

        elapsed = asyncio.run(main())
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT count(*) FROM comment").fetchone()[0]
    return counts["ok"] / elapsed, counts, after - before


def worker_rss_mb(proc: subprocess.Popen[bytes]) -> list[float]:
    """Each worker's resident MB: the server's children but multiprocessing's resource tracker."""
    out = subprocess.run(
        ["ps", "-ww", "-o", "rss=,args=", "--ppid", str(proc.pid)],  # noqa: S603,S607
        capture_output=True,
        text=True,
    ).stdout
    return [
        int(line.split()[0]) / 1024
        for line in out.strip().splitlines()
        if line.strip() and "resource_tracker" not in line
    ]


SEARCH_QUERY = "garden morning"  # two of the seeded words: each is in about half the posts
SEARCH_CONNECTIONS = 4  # two per worker: p50 is the search itself, not time spent queueing


def search_scenario(agora_url: str, rounds: int, seconds: int) -> Scenario:
    """7. A two-word full-text search on the 100k-post database: posts, people and comments."""
    url = f"{agora_url}/search?q={SEARCH_QUERY.replace(' ', '+')}"
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and "<mark>" in page.text, "the search finds nothing"
    assert 'id="comments-heading"' in page.text, "the search finds no comments"
    wrk(url, 1, connections=SEARCH_CONNECTIONS)
    samples = [wrk(url, seconds, connections=SEARCH_CONNECTIONS) for _ in range(rounds)]
    p50 = statistics.median(x.p50_ms for x in samples)
    s = Scenario(
        "7. Search, comments included: a two-word query, 100k posts and 100k comments",
        f"p50 < 20 ms for `GET /search?q={SEARCH_QUERY}` (wrk, {SEARCH_CONNECTIONS} connections)",
    )
    s.notes = [
        "| round | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|",
        *[
            f"| {i} | {x.rps:,.0f} | {x.p50_ms:.2f} | {x.p99_ms:.2f} | {x.errors} |"
            for i, x in enumerate(samples, 1)
        ],
        f"| median | | {p50:.2f} | | |",
        "",
        "Each word is in about half of the seeded posts, so this is the expensive kind of "
        "query: ranking reads only the newest 500 matches, but weighing such common words "
        "reads their whole index entries (app/services/search.py). The same words find "
        "comments too (each in about a third of them): the page's Comments section reads "
        "the comments' own index the same way.",
    ]
    s.verdict = verdict(p50 < 20 and all(x.errors == 0 for x in samples))
    print(f"  search: p50 {p50:.2f} ms", flush=True)
    return s


FEED_CONNECTIONS = 4  # as for search: p50 is the page's own time, not time spent queueing


def feeds_scenario(url: str, db: Path, password: str, rounds: int, seconds: int) -> Scenario:
    """8. The Following and Top tabs on the big database, with the Latest feed for comparison."""
    cookie = {"Cookie": login_cookie(url, first_user(db), password)}
    page = httpx.get(url + "/following", headers=cookie, timeout=30)
    assert page.status_code == 200 and 'class="post-title"' in page.text, "Following is empty"
    targets = {
        "Latest (`/`)": "/",
        "Following (`/following`)": "/following",
        "Top (`/top`)": "/top",
    }
    for path in targets.values():  # warm up: the first reads come from disk
        wrk(url + path, 2, connections=FEED_CONNECTIONS, headers=cookie)
    results: dict[str, list[Sample]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, path in targets.items():
            results[name].append(
                wrk(url + path, seconds, connections=FEED_CONNECTIONS, headers=cookie)
            )
    p50 = {name: statistics.median(x.p50_ms for x in runs) for name, runs in results.items()}
    rps = {name: statistics.median(x.rps for x in runs) for name, runs in results.items()}
    s = Scenario(
        "8. Following and Top feeds at the big size, logged in",
        f"p50 < 20 ms for `/following` and for `/top` (wrk, {FEED_CONNECTIONS} connections)",
    )
    s.notes = [
        "| tab | req/s (median) | p50 ms (median) |",
        "|---|---|---|",
        *[f"| {name} | {rps[name]:,.0f} | {p50[name]:.2f} |" for name in targets],
        "",
        "Each seeded user follows about 50 others. Following reads at most 21 posts per "
        "followed author, inside an index; Top sorts the last week's posts (about 2% of a "
        "year's) inside an index, so it costs more than Latest but does not grow with the "
        "table (app/services/feeds.py says what bounds each).",
    ]
    errors = sum(x.errors for runs in results.values() for x in runs)
    s.verdict = verdict(
        errors == 0 and p50["Following (`/following`)"] < 20 and p50["Top (`/top`)"] < 20
    )
    print(f"  feeds: p50 {', '.join(f'{k} {v:.2f} ms' for k, v in p50.items())}", flush=True)
    return s


ALONE_TIMES = 5


def alone_ms(url: str) -> float:
    """The median time of one GET of `url` at a time, after one to warm up: what a page costs
    a server with nothing else to do."""
    times = []
    with httpx.Client(timeout=120) as client:
        for _ in range(ALONE_TIMES + 1):
            start = time.perf_counter()
            client.get(url).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    settle()
    return statistics.median(times[1:])


def hot_pages(
    db: Path,
    agora_url: str,
    ref_url: str,
    peers: dict[str, str],
    rounds: int,
    seconds: int,
    thread_id: int,
    want: Callable[[str], bool],
) -> list[Scenario]:
    """1, 2a, 2c, 2b and 2d: the pages people hit most, against the reference (and the peers on
    1); 2c is post `thread_id`, with its comments."""
    scenarios = []
    if want("feed"):
        shared = {"Agora": agora_url + "/", "reference": ref_url + "/"}
        shared |= {name: url + "/" for name, url in peers.items()}
        feed = versus(
            "1. Feed, anonymous, 100k posts, 32 connections",
            "≥ 0.8× the reference's req/s and p99 ≤ 1.5× the reference's p99"
            + ("; both peers behind Agora" if peers else ""),
            shared,
            rounds,
            seconds,
        )
        if peers:
            alone = ", ".join(f"{n} {alone_ms(url):,.1f} ms" for n, url in shared.items())
            feed.notes.append(
                f"One request alone, no other load (median of {ALONE_TIMES}): {alone}. The "
                "peers count every post's votes before taking the newest 20 (JOIN + GROUP BY "
                "over all the posts, as written in bench/peers/), so under 32 connections "
                "their answers queue behind each other; a round in which none came back shows "
                "no latency (–)."
            )
        behind = all(median_ratio(feed, "rps", n) < median_ratio(feed, "rps") for n in peers)
        feed.verdict = verdict(
            median_ratio(feed, "rps") >= 0.8 and median_ratio(feed, "p99") <= 1.5 and behind
        )
        feed.profile = where_time_goes(db, "feed")
        scenarios.append(feed)
    if want("post"):
        post = versus(
            "2a. A post page",
            "≥ 0.7× the reference feed's req/s",
            {"Agora": f"{agora_url}/posts/{a_post_id(db)}", "reference": ref_url + "/"},
            rounds,
            seconds,
        )
        post.verdict = verdict(median_ratio(post, "rps") >= 0.7)
        post.profile = where_time_goes(db, "post")
        scenarios.append(post)
    if want("thread"):
        thread = versus(
            f"2c. A post page with {THREAD_ROOTS * (1 + THREAD_REPLIES)} comments",
            "≥ 0.3× the reference feed's req/s",
            {"Agora": f"{agora_url}/posts/{thread_id}", "reference": ref_url + "/"},
            rounds,
            seconds,
        )
        thread.notes = [
            f"{THREAD_ROOTS} comments on the post, each answered {THREAD_REPLIES} times (depth 1 "
            "and 2): one page holds them all (app/services/threads.py)."
        ]
        thread.verdict = verdict(median_ratio(thread, "rps") >= 0.3)
        thread.profile = where_time_goes(db, "thread", requests=100)
        scenarios.append(thread)
    if want("feed-user"):
        scenarios += logged_in_feed(db, agora_url, ref_url, rounds, seconds)
    return scenarios


def logged_in_feed(
    db: Path, agora_url: str, ref_url: str, rounds: int, seconds: int
) -> list[Scenario]:
    """2b, the feed for a user with unread notifications, and 2d, what the header's count of
    them costs: the same feed for a user with none runs in the same rounds."""
    told = {"Cookie": login_cookie(agora_url, first_user(db), PASSWORD)}
    untold = {"Cookie": login_cookie(agora_url, first_user(db, 1), PASSWORD)}
    badge = re.compile(r'class="badge">(\d+)<')
    for cookie, count in ((told, str(INBOX)), (untold, None)):
        shown = badge.search(httpx.get(agora_url + "/", headers=cookie).text)
        assert (shown and shown.group(1)) == count, ("the header's count", shown, count)
    logged_in = versus(
        f"2b. The feed, logged in, {INBOX} unread notifications in the header",
        "≥ 0.7× the reference feed's req/s",
        {
            "Agora": agora_url + "/",
            "Agora, nothing unread": agora_url + "/",
            "reference": ref_url + "/",
        },
        rounds,
        seconds,
        headers={"Agora": told, "Agora, nothing unread": untold},
    )
    logged_in.notes = [
        f"The user has {INBOX} unread notifications (follows and mentions, written by "
        "app/services/notifications.py), so the header reads and shows a real count. "
        '"Agora, nothing unread" is the same page for a user with none, for 2d.'
    ]
    logged_in.verdict = verdict(median_ratio(logged_in, "rps") >= 0.7)
    logged_in.profile = where_time_goes(db, "feed-user")
    return [logged_in, unread_cost(db, logged_in)]


def unread_cost(db: Path, feed: Scenario) -> Scenario:
    """2d. What the header's unread count adds to the logged-in feed, measured two ways."""
    # Time per request is 1 / req/s: what 40 unread rows add over none, round by round.
    rows = [r["Agora, nothing unread"].rps / r["Agora"].rps - 1 for r in feed.rounds]
    out = subprocess.run(  # noqa: S603
        [PYTHON, "-m", "bench.profile", str(db), "--count-cost"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    on, off = (float(x) for x in re.findall(r"([\d.]+) ms", out)[:2])
    whole = on / off - 1
    s = Scenario(
        "2d. The header's unread count, on the logged-in feed",
        "the count adds ≤ 10 % to the logged-in feed's time (issue 15), both ways below",
    )
    s.notes = [
        "| measure | with the count | without | added |",
        "|---|---|---|---|",
        f"| CPU per request, in-process (count on / off) | {on:.3f} ms | {off:.3f} ms "
        f"| {whole:+.1%} |",
        *[
            f"| round {i} of 2b, wrk: {INBOX} unread vs none | {r['Agora'].rps:,.0f} req/s "
            f"| {r['Agora, nothing unread'].rps:,.0f} req/s | {add:+.1%} |"
            for i, (r, add) in enumerate(zip(feed.rounds, rows, strict=True), 1)
        ],
        f"| median of the rounds | | | {statistics.median(rows):+.1%} |",
        "",
        "The site has no switch for the count, and a user with nothing unread still counts "
        "(an indexed read that finds nothing), so the two ways measure different things. "
        "In-process (bench/profile.py `--count-cost`), the same user's feed is timed with the "
        "count a column of the session's read, as the site reads it, and with that column "
        "replaced by the same number as a constant: the whole cost of the count, its SQL and "
        "all, on the same HTML. Under "
        "wrk, the user with unread notifications against one with none: what the unread rows "
        "add to the query and the page. Both must stay within 10 %.",
    ]
    s.verdict = verdict(whole <= 0.10 and statistics.median(rows) <= 0.10)
    added = statistics.median(rows)
    print(f"  unread count: {whole:+.1%} in-process, {added:+.1%} wrk", flush=True)
    return s


def logged_in_pages(
    db: Path,
    agora_url: str,
    ref_url: str,
    rounds: int,
    seconds: int,
    thread_id: int,
    want: Callable[[str], bool],
) -> list[Scenario]:
    """2e, the thread for a member, and 10, their notifications."""
    cookie = {"Cookie": login_cookie(agora_url, first_user(db), PASSWORD)}
    scenarios = []
    if want("thread-user"):
        thread = versus(
            f"2e. A post page with {THREAD_ROOTS * (1 + THREAD_REPLIES)} comments, logged in",
            "≥ 0.3× the reference feed's req/s",
            {"Agora": f"{agora_url}/posts/{thread_id}", "reference": ref_url + "/"},
            rounds,
            seconds,
            headers={"Agora": cookie},
        )
        thread.notes = [
            "2c's thread for a member: each comment carries its Reply link and the member's own "
            "vote on it, outside the shared cache."
        ]
        thread.verdict = verdict(median_ratio(thread, "rps") >= 0.3)
        thread.profile = where_time_goes(db, "thread-user", requests=100)
        scenarios.append(thread)
    if want("notifications"):
        page = httpx.get(agora_url + "/notifications", headers=cookie).text
        listed = page.count('class="card notification unread"')
        assert listed == 20, ("unread notifications listed", listed)
        inbox = versus(
            "10. `/notifications`, logged in, a full page",
            "≥ 0.7× the reference feed's req/s (no target of its own: the logged-in pages')",
            {"Agora": agora_url + "/notifications", "reference": ref_url + "/"},
            rounds,
            seconds,
            headers={"Agora": cookie},
        )
        inbox.notes = [
            f"The user has {INBOX} unread notifications: the page lists the newest 20, each "
            "checked against the one visibility rule as it is read (app/services/inbox.py)."
        ]
        inbox.verdict = verdict(median_ratio(inbox, "rps") >= 0.7)
        inbox.profile = where_time_goes(db, "notifications")
        scenarios.append(inbox)
    return scenarios


ATOM = "/feeds/latest.atom"
STATIC = "/static/css/agora.css"
# 13's answers to a client that has the resource: the server's name, and what it asks again.
CONDITIONAL = {"Agora, Atom feed": ATOM, "Agora, Latest page": "/", "Agora, a static file": STATIC}


def atom_scenario(db: Path, agora_url: str, ref_url: str, rounds: int, seconds: int) -> Scenario:
    """13. Conditional GETs answered 304 (the Atom feed, the Latest page to a visitor, a static
    file), beside the Atom feed in full."""
    copies = {}
    for server, path in CONDITIONAL.items():
        full = httpx.get(agora_url + path)
        assert full.status_code == 200 and full.headers["etag"], (path, full.status_code)
        copies[server] = {"If-None-Match": full.headers["etag"]}
        assert httpx.get(agora_url + path, headers=copies[server]).status_code == 304, path
    s = versus(
        "13. Conditional GETs (304): the Atom feed, the Latest page, a static file",
        "each 304 ≥ 2× the reference feed's req/s (issue 21, target 3; issue 19)",
        {
            **{server: agora_url + path for server, path in CONDITIONAL.items()},
            "Agora, Atom feed in full": agora_url + ATOM,
            "reference": ref_url + "/",
        },
        rounds,
        seconds,
        headers=copies,
    )
    still = all(
        httpx.get(agora_url + path, headers=copies[server]).status_code == 304
        for server, path in CONDITIONAL.items()
    )
    s.notes = [
        f"Each of the first three sends `If-None-Match` with the ETag it was given and is "
        f"answered 304 (still 304 after the runs: {still}): `{ATOM}`, `/` as an anonymous "
        f'visitor sees it, and `{STATIC}`. "Agora, Atom feed in full" asks with no validator '
        "(no target of its own; the reference is an HTML page of 20 posts)."
    ]
    s.verdict = verdict(
        all(median_ratio(s, "rps", server) >= 2 for server in CONDITIONAL) and still
    )
    s.profile = where_time_goes(db, "atom-304")
    return s


def tag_scenario(
    db: Path, big_url: str, ref_url: str, posts: int, rounds: int, seconds: int
) -> Scenario:
    """12. A tag's page on the big database: the most used tag, and a median one."""
    with sqlite3.connect(db) as conn:
        by_use = [
            row
            for row in conn.execute(
                "SELECT name, public_posts FROM tag ORDER BY public_posts DESC, id"
            )
        ]
    (top, top_n), (middle, middle_n) = by_use[0], by_use[len(by_use) // 2]
    s = versus(
        f"12. A tag page `/t/{{tag}}` at {posts:,} posts and {len(by_use):,} tags",
        "the Latest feed's target (issue 19): ≥ 0.8× the reference's req/s and p99 ≤ 1.5× its "
        "p99, for the most used tag",
        {
            "Agora": f"{big_url}/t/{top}",
            "Agora, a median tag": f"{big_url}/t/{middle}",
            "reference": ref_url + "/",
        },
        rounds,
        seconds,
    )
    s.notes = [
        f"The most used tag is on {top_n:,} public posts, the median one on {middle_n:,} "
        f"(`agora seed --tags`: each post carries 1 to 3 tags, a few tags far more used than "
        "the rest). The reference serves its page from the same big database."
    ]
    s.verdict = verdict(median_ratio(s, "rps") >= 0.8 and median_ratio(s, "p99") <= 1.5)
    s.profile = where_time_goes(db, "tag", requests=100)
    return s


def mentions_scenario(db: Path, rounds: int, seconds: int) -> Scenario:
    """11. Posting a comment that mentions 5 users against a plain one, in alternate runs."""
    names = [first_user(db, n) for n in range(1, 6)]  # never the poster (user 0)
    plain: list[tuple[float, dict[str, int], int]] = []
    named: list[tuple[float, dict[str, int], int]] = []
    for i in range(rounds):
        plain.append(comment_load(db, seconds, label=f" (plain, run {i})"))
        named.append(comment_load(db, seconds, names, label=f" (mentions, run {i})"))
    # Under the same load, time per comment is 1 / comments per second.
    slower = [p[0] / max(m[0], 0.001) for p, m in zip(plain, named, strict=True)]
    with sqlite3.connect(db) as conn:
        told = conn.execute("SELECT count(*) FROM notification WHERE kind = 'mention'").fetchone()
    s = Scenario(
        f"11. Posting a comment that mentions 5 users vs a plain comment ({COMMENT_CLIENTS} "
        "clients)",
        "a comment with 5 mentions takes ≤ 2× a plain comment's time (issue 15)",
    )
    s.notes = [
        "| run | plain comments/s | errors | with 5 mentions, comments/s | errors | time ratio |",
        "|---|---|---|---|---|---|",
        *[
            f"| {i} | {p[0]:,.0f} | {p[1]['error']} | {m[0]:,.0f} | {m[1]['error']} | {r:.2f}× |"
            for i, (p, m, r) in enumerate(zip(plain, named, slower, strict=True), 1)
        ],
        f"| median | | | | | {statistics.median(slower):.2f}× |",
        "",
        f"Each mentioning comment links 5 profiles and notifies their 5 users in its own "
        f"transaction ({told[0]:,} mention notifications written in all).",
    ]
    errors = sum(x[1]["error"] for x in plain + named)
    lost = sum(x[1]["ok"] - x[2] for x in plain + named)
    s.verdict = verdict(statistics.median(slower) <= 2 and errors == 0 and lost == 0)
    print(f"  mentions: {statistics.median(slower):.2f}× a plain comment's time", flush=True)
    return s


def where_time_goes(db: Path, page: str, requests: int = 500) -> str:
    """bench/profile.py's summary of one page, in its own process (it imports the app)."""
    out = subprocess.run(  # noqa: S603
        [PYTHON, "-m", "bench.profile", str(db), "--summary", page, "--requests", str(requests)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else f"not profiled ({out.stderr[-200:]})"


# --- main -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores, {cpu}, {system}, Python {platform.python_version()}"


# Each scenario's name for --only, in the order they run; the first four are --quick's.
HOT = ["feed", "post", "thread", "feed-user"]
SCENARIOS = HOT + ["thread-user", "notifications", "atom", "logins", "search"]
SCENARIOS += ["size", "following", "tags", "writes", "comments", "mentions"]
ON_BIG = {"size", "following", "tags"}  # the scenarios that need the big database


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the hot pages only, short rounds")
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=[],
        metavar="NAME,...",
        help=f"run only these scenarios (of {', '.join(SCENARIOS)}); the results are printed, "
        "and written only with --out",
    )
    parser.add_argument(
        "--out",
        help="where the results go (default docs/performance.md, without --only or --quick)",
    )
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="posts in the big database (default 1M)"
    )
    args = parser.parse_args()
    unknown = set(args.only) - set(SCENARIOS)
    if unknown:
        names = ", ".join(sorted(unknown))
        parser.error(f"no scenario {names}: choose from {', '.join(SCENARIOS)}")
    # Only `make bench` records: a quick look must never replace the recorded run.
    if args.out is None and not args.only and not args.quick:
        args.out = str(ROOT / "docs" / "performance.md")
    if not shutil.which("wrk"):
        print("wrk is not installed (make bench installs it)", file=sys.stderr)
        return 2
    chosen = args.only or (HOT if args.quick else SCENARIOS)

    def want(name: str) -> bool:
        return name in chosen

    rounds, seconds = (3, 3) if args.quick else (5, 8)
    big_posts = args.big
    started = time.perf_counter()
    load_at_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    scenarios: list[Scenario] = []
    rss: list[float] = []

    with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp:
        tmpdir = Path(tmp)
        db = tmpdir / "bench-100k.db"
        password = PASSWORD
        if set(chosen) - ON_BIG - {"writes", "comments", "mentions"}:
            # Comments beyond 2c's thread only where a scenario reads them (search): seeding
            # them and their search index takes time --quick cannot spare.
            comments = 100_000 if want("search") else 0
            print(f"Seeding 100k posts and {comments:,} comments ...", flush=True)
            seed(db, 1000, 100_000, 300_000, 50_000, comments=comments)
            thread_id = thread_post(db)
            notify(db, thread_id)
            with contextlib.ExitStack() as stack:
                agora_url, agora_proc = stack.enter_context(agora(db))
                ref_url, _ = stack.enter_context(reference(db))
                peer_urls = {}
                if want("feed") and not args.quick:
                    for peer, serve in PEERS.items():
                        peer_urls[peer], _ = stack.enter_context(serve(db))
                scenarios += hot_pages(
                    db, agora_url, ref_url, peer_urls, rounds, seconds, thread_id, want
                )
                scenarios += logged_in_pages(
                    db, agora_url, ref_url, rounds, seconds, thread_id, want
                )
                if want("atom"):
                    scenarios.append(atom_scenario(db, agora_url, ref_url, rounds, seconds))
                if want("logins"):
                    # 4. Logins don't stall the feed.
                    quiet, busy, logins = [], [], [0, 0]
                    for _ in range(rounds):
                        quiet.append(wrk(agora_url + "/", seconds))
                        sample, counter = with_logins(agora_url, first_user(db), password, seconds)
                        busy.append(sample)
                        logins = [logins[0] + counter[0], logins[1] + counter[1]]
                    ratio = statistics.median(
                        b.p99_ms / q.p99_ms for q, b in zip(quiet, busy, strict=True)
                    )
                    s = Scenario(
                        "4. Logins don't stall anyone",
                        "`GET /` p99 with 2 clients logging in continuously (bcrypt cost 12) "
                        "≤ 2× its p99 with no logins",
                    )
                    s.notes = (
                        [
                            "| round | p99 no logins (ms) | p99 with logins (ms) | ratio |",
                            "|---|---|---|---|",
                        ]
                        + [
                            f"| {i} | {q.p99_ms:.2f} | {b.p99_ms:.2f} "
                            f"| {b.p99_ms / q.p99_ms:.2f}× |"
                            for i, (q, b) in enumerate(zip(quiet, busy, strict=True), 1)
                        ]
                        + [
                            f"| median | | | {ratio:.2f}× |",
                            "",
                            f"Logins completed during the runs: {logins[0]} (failed: {logins[1]}).",
                        ]
                    )
                    s.verdict = verdict(ratio <= 2 and logins[0] > 0 and logins[1] == 0)
                    scenarios.append(s)
                    print(f"  logins: p99 ratio {ratio:.2f}×, {logins[0]} logins", flush=True)
                if want("search"):
                    scenarios.append(search_scenario(agora_url, rounds, seconds))
                rss = worker_rss_mb(agora_proc)

        if set(chosen) & ON_BIG:
            # 3. Size doesn't matter: 1k posts vs big; 8 and 12 on the big one.
            small, big = tmpdir / "small.db", tmpdir / "big.db"
            print(f"Seeding 1k and {big_posts:,} posts (10k tags) ...", flush=True)
            seed(small, 100, 1_000, 3_000)
            seed(big, 1000, big_posts, 300_000, 50_000, tags=10_000)
            with agora(small) as (small_url, _), agora(big) as (big_url, _):
                if want("size"):
                    wrk(small_url + "/", 1)
                    wrk(big_url + "/", 1)
                    pairs = [
                        (wrk(small_url + "/", seconds), wrk(big_url + "/", seconds))
                        for _ in range(rounds)
                    ]
                    ratio = statistics.median(b.p50_ms / a.p50_ms for a, b in pairs)
                    s = Scenario(
                        f"3. Size doesn't matter: feed p50 at {big_posts:,} posts vs 1,000 posts",
                        f"p50 with {big_posts:,} posts ≤ 1.5× p50 with 1,000 posts",
                    )
                    s.notes = (
                        [
                            "| round | 1k posts p50 (ms) | req/s | big p50 (ms) | req/s | ratio |",
                            "|---|---|---|---|---|---|",
                        ]
                        + [
                            f"| {i} | {a.p50_ms:.2f} | {a.rps:,.0f} | {b.p50_ms:.2f} "
                            f"| {b.rps:,.0f} | {b.p50_ms / a.p50_ms:.2f}× |"
                            for i, (a, b) in enumerate(pairs, 1)
                        ]
                        + [f"| median | | | | | {ratio:.2f}× |"]
                    )
                    s.verdict = verdict(ratio <= 1.5)
                    scenarios.append(s)
                    print(f"  size: p50 ratio {ratio:.2f}×", flush=True)

                if want("following"):
                    feeds = feeds_scenario(big_url, big, password, rounds, seconds)
                    feeds.name = feeds.name.replace("the big size", f"{big_posts:,} posts")
                    scenarios.append(feeds)
                if want("tags"):
                    with reference(big) as (big_ref_url, _):
                        scenarios.append(
                            tag_scenario(big, big_url, big_ref_url, big_posts, rounds, seconds)
                        )

        write_seconds = 10
        results: dict[bool, tuple[float, dict[str, int], int]] = {}
        if want("writes"):
            # 5. Writes: WAL + synchronous=NORMAL vs SQLite's defaults, on fresh copies.
            for tuned in (True, False):
                copy = tmpdir / f"writes-{tuned}.db"
                seed(copy, 100, 1_000, 1_000)
                if not tuned:
                    # Seeding leaves the file in WAL mode, and leaving WAL needs the only
                    # connection: switch once here, not in two workers racing to do it at startup.
                    with sqlite3.connect(copy) as conn:
                        conn.execute("PRAGMA journal_mode=DELETE")
                results[tuned] = write_load(copy, tuned, write_seconds)
            (t_rate, t_counts, t_rows), (d_rate, d_counts, d_rows) = results[True], results[False]
            s = Scenario(
                "5. Writes: 64 clients creating posts",
                "zero errors, zero lost rows, throughput ≥ 1.5× SQLite's default journal",
            )
            s.notes = [
                "| SQLite settings | posts/s | successful responses | errors | rows added |",
                "|---|---|---|---|---|",
                f"| WAL + synchronous=NORMAL (Agora) | {t_rate:,.0f} | {t_counts['ok']} "
                f"| {error_kinds(t_counts)} | {t_rows} |",
                f"| default journal (DELETE, FULL) | {d_rate:,.0f} | {d_counts['ok']} "
                f"| {error_kinds(d_counts)} | {d_rows} |",
                "",
                f"Ratio: {t_rate / max(d_rate, 0.001):.2f}×",
            ]
            s.verdict = verdict(
                t_counts["error"] == 0 and t_rows == t_counts["ok"] and t_rate >= 1.5 * d_rate
            )
            scenarios.append(s)
            print(f"  writes: {t_rate:.0f}/s vs {d_rate:.0f}/s", flush=True)

        if want("comments"):
            # 9. Posting a comment, logged in, on a fresh copy.
            copy = tmpdir / "comments.db"
            seed(copy, 100, 1_000, 1_000)
            c_rate, c_counts, c_rows = comment_load(copy, write_seconds)
            s = Scenario(
                f"9. Writes: {COMMENT_CLIENTS} clients posting comments, logged in",
                "zero errors, zero lost rows (11 compares comments with mentions)",
            )
            posts_rate = f"{results[True][0]:,.0f}" if want("writes") else "not run"
            s.notes = [
                "| comments/s | successful responses | errors | rows added | posts/s (5) |",
                "|---|---|---|---|---|",
                f"| {c_rate:,.0f} | {c_counts['ok']} | {error_kinds(c_counts)} | {c_rows} "
                f"| {posts_rate} |",
                "",
                "Each comment moves its post's counter in the same transaction, so comments on "
                "one post take turns (app/services/comments.py).",
            ]
            s.verdict = verdict(c_counts["error"] == 0 and c_rows == c_counts["ok"])
            scenarios.append(s)
            print(f"  comments: {c_rate:.0f}/s", flush=True)

        if want("mentions"):
            copy = tmpdir / "mentions.db"
            seed(copy, 100, 1_000, 1_000)
            scenarios.append(mentions_scenario(copy, 3, 5))

    return report(args, scenarios, started, load_at_start, rounds, seconds, rss)


def memory(rss: list[float]) -> Scenario:
    mem = Scenario("6. Memory", "each worker's resident memory under 150 MB after the runs")
    mem.notes = [
        f"Worker RSS after the page scenarios: "
        f"{', '.join(f'{m:.0f} MB' for m in rss) or 'not measured'}."
    ]
    mem.verdict = verdict(bool(rss) and max(rss) < 150)
    return mem


def report(
    args: argparse.Namespace,
    scenarios: list[Scenario],
    started: float,
    load_at_start: str,
    rounds: int,
    seconds: int,
    rss: list[float],
) -> int:
    """Print the results and write them to --out, above the history kept past the marker."""
    if rss or not args.only:
        scenarios = [*scenarios, memory(rss)]
    took = time.perf_counter() - started
    command = "make bench-quick" if args.quick else "make bench"
    if args.only:
        command = (
            f"python -m bench.run{' --quick' if args.quick else ''} --only {','.join(args.only)}"
        )
    peers = (
        ""
        if args.quick
        else (
            " The peers (bench/peers/) serve the same page the usual ways: FastAPI + "
            "SQLModel in the tutorial style under uvicorn with the same settings, and Flask + "
            "Flask-SQLAlchemy under gunicorn's sync workers (2)."
        )
    )
    text = "\n".join(
        [
            "# Performance",
            "",
            f"Measured by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M UTC} "
            f"in {took / 60:.1f} minutes, on {machine()}.",
            f"{rounds} interleaved round(s) of {seconds} s per scenario, wrk with 2 threads and 32 "
            "connections, Agora and the reference (bench/reference.py: raw Starlette + sqlite3 + "
            "Jinja2, the same newest-20 page from the same database file) taking turns, the "
            "order rotating each round; ratios are judged on their median. "
            "Agora served by `agora serve` "
            "(uvicorn, 2 workers, uvloop and httptools, no access log; its own JSON request log "
            "on), the reference by uvicorn with the same settings." + peers + " Load average at "
            f"the start: {load_at_start}. Profiles are CPU time in one process, calling the app "
            "directly (bench/profile.py): they leave out HTTP parsing.",
            "",
            "| scenario | result |",
            "|---|---|",
            *[f"| {s.name} | {s.verdict} |" for s in scenarios],
            "",
            *[ratio_table(s) for s in scenarios],
        ]
    )
    print("\n" + text)
    if args.out is None:
        return 0 if all(s.verdict == "PASS" for s in scenarios) else 1
    out = Path(args.out)
    marker = "<!-- bench results end -->"
    previous = out.read_text() if out.exists() else ""
    history = previous.split(marker, 1)[1] if marker in previous else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n" + marker + history)
    return 0 if all(s.verdict == "PASS" for s in scenarios) else 1


if __name__ == "__main__":
    sys.exit(main())
