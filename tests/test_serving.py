"""`agora serve` on an open port, as an attacker and a process manager see it: request heads are
bounded in size and time, and no worker outlives its master."""

import contextlib
import os
import secrets
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import Server, ServerConfig, running

HEAD_TIMEOUT = 1.0


@pytest.fixture
def production_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "10",
        "SITE_URL": "http://agora.test",
        "WEB_CONCURRENCY": "1",
    }


@pytest.fixture
def exposed(production_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    """One `agora serve` process (no workers: its memory is the server's), short head timeout."""
    env = {**production_env, "HEAD_TIMEOUT": str(HEAD_TIMEOUT)}
    with running(ServerConfig(env, tmp_path / "server.log")) as (server,):
        yield server


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (monotonic)."""
    received = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.1)
        if ready:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return received, time.monotonic()
            received += data
    raise AssertionError(f"the server kept the connection open for {timeout} s: {received[:80]!r}")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_hole_16_a_huge_header_is_refused_at_once(exposed: Server):
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    started = time.monotonic()
    with socket.create_connection(address(exposed), timeout=5) as sock:
        with contextlib.suppress(OSError):  # the server may stop reading before the end
            sock.sendall(head)
        reply, closed_at = read_until_closed(sock, timeout=5)
    assert reply.startswith(b"HTTP/1.1 431 "), reply[:200]
    assert b"too large" in reply
    assert closed_at - started < 2

    # Ordinary requests, big cookies included, are untouched.
    cookie = "; ".join(f"c{i}={'v' * 3000}" for i in range(4))
    assert httpx.get(exposed.url + "/", headers={"Cookie": cookie}).status_code == 200


def test_hole_16_a_trickled_or_silent_head_is_closed(exposed: Server):
    with (
        socket.create_connection(address(exposed), timeout=5) as trickle,
        socket.create_connection(address(exposed), timeout=5) as silent,
    ):
        started = time.monotonic()
        trickle.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        closed = None
        while time.monotonic() - started < HEAD_TIMEOUT + 5:
            try:
                trickle.sendall(b"a")  # one byte at a time, well inside any read timeout
            except OSError:
                closed = time.monotonic()
                break
            ready, _, _ = select.select([trickle], [], [], 0.3)
            if ready:
                reply, closed = read_until_closed(trickle, timeout=2)
                assert reply == b"" or reply.startswith(b"HTTP/1.1 408 "), reply[:200]
                break
        assert closed is not None, "the trickling connection was never closed"
        assert closed - started < HEAD_TIMEOUT + 2

        # A connection that never sends a byte holds a slot just the same: it goes too.
        assert read_until_closed(silent, timeout=HEAD_TIMEOUT + 2)[0] == b""

    # A keep-alive connection is timed per request: its second request gets the same bound.
    with socket.create_connection(address(exposed), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        started = time.monotonic()
        reply, closed = read_until_closed(sock, timeout=HEAD_TIMEOUT + 5)
        assert reply.startswith(b"HTTP/1.1 408 "), reply[:200]
        assert closed - started < HEAD_TIMEOUT + 2


def test_hole_16_half_sent_huge_headers_keep_memory_bounded(exposed: Server):
    pid = exposed.process.pid
    httpx.get(exposed.url + "/")  # warm: the first page loads templates and fills caches
    before = rss_bytes(pid)
    chunk = b"a" * 65536
    held = []
    try:
        for _ in range(10):
            sock = socket.create_connection(address(exposed), timeout=5)
            held.append(sock)
            with contextlib.suppress(OSError):  # refused part way: what should happen
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
                for _ in range(8 * 16):  # 8 MB of one header, never finished
                    sock.sendall(chunk)
        time.sleep(0.5)
        grown = rss_bytes(pid) - before
    finally:
        for sock in held:
            sock.close()
    assert grown < 20 * 2**20, f"the server grew by {grown / 2**20:.0f} MB"
    assert httpx.get(exposed.url + "/healthz").status_code == 200


def _workers(master: int) -> list[int]:
    """The master's child processes that serve (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left to collect


def test_hole_15_workers_exit_when_the_master_is_killed(production_env, tmp_path: Path):
    env = {**production_env, "WEB_CONCURRENCY": "2"}
    with running(ServerConfig(env, tmp_path / "server.log")) as (server,):
        workers = _workers(server.process.pid)
        assert len(workers) == 2, workers
        try:
            server.process.kill()  # SIGKILL: the master gets no chance to stop its workers
            server.process.wait()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(_running(pid) for pid in workers):
                time.sleep(0.1)
            assert not [pid for pid in workers if _running(pid)], server.log_text()
            with pytest.raises(httpx.TransportError):
                httpx.get(server.url + "/readyz", timeout=2)
            # A restart can take the port again (as uvicorn binds it: SO_REUSEADDR).
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address(server))
                sock.listen()
        finally:
            for pid in workers:  # never leave a stray server behind, whatever happened
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
