"""Real server processes: several of them share one database and nothing else, and a stopping
server finishes what it started. On the PostgreSQL run they share the PostgreSQL database; on the
SQLite run, one SQLite file."""

import http.client
import json
import re
import secrets
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PASSWORD, csrf_from
from tests.servers import ServerConfig, running, stop


@pytest.fixture
def production_env(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "10",  # the production minimum
        "SITE_URL": "http://agora.test",
        "WEB_CONCURRENCY": "1",
        "LOGIN_MAX_FAILURES_ACCOUNT": "3",
    }


def submit(client: httpx.Client, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Fetch the form on `page`, then post it with its CSRF token, as a browser does."""
    token = csrf_from(client.get(page).text)
    return client.post(action, data={**data, "csrf_token": token})


def test_two_servers_share_sessions_and_login_throttling(production_env, tmp_path: Path):
    with (
        running(
            ServerConfig({**production_env, "FORWARDED_ALLOW_IPS": "127.0.0.1"}, tmp_path / "a"),
            ServerConfig({**production_env, "FORWARDED_ALLOW_IPS": "192.0.2.1"}, tmp_path / "b"),
        ) as (a, b),
        httpx.Client(follow_redirects=False) as alice,
    ):
        # Registered on A, recognised on B: the session is a token plus a database row.
        form = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
        assert submit(alice, a.url + "/register", a.url + "/register", form).status_code == 303
        cookie = alice.cookies["agora_session"]
        with httpx.Client(cookies={"agora_session": cookie}) as stolen_copy:
            assert "Log out" in stolen_copy.get(b.url + "/").text

            # Logged out on A: B refuses the very same cookie at once.
            assert submit(alice, a.url + "/", a.url + "/logout", {}).status_code == 303
            response = stolen_copy.get(b.url + "/posts/new", follow_redirects=False)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login")

        # Failed logins alternate between the servers; the lock (3 here) counts all of them.
        with httpx.Client(follow_redirects=False) as attacker:
            wrong = {"email": "alice@example.com", "password": "not the password"}
            for server in (a, b, a):
                attempt = submit(attacker, server.url + "/login", server.url + "/login", wrong)
                assert attempt.status_code == 400
            for server in (b, a):
                locked = submit(attacker, server.url + "/login", server.url + "/login", wrong)
                assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
            right = {"email": "alice@example.com", "password": PASSWORD}
            assert submit(attacker, b.url + "/login", b.url + "/login", right).status_code == 429

        # The proxy's word on the scheme counts only from FORWARDED_ALLOW_IPS: A trusts us, B not.
        https = {"X-Forwarded-Proto": "https"}
        trusted = httpx.get(a.url + "/login", headers=https)
        assert trusted.headers["strict-transport-security"].startswith("max-age=")
        assert re.search(r"__Host-agora_presession=.*; Secure", trusted.headers["set-cookie"])
        untrusted = httpx.get(b.url + "/login", headers=https)
        assert "strict-transport-security" not in untrusted.headers
        assert "Secure" not in untrusted.headers["set-cookie"]


def burst(servers: list, passwords: list[str]) -> list[httpx.Response]:  # type: ignore[type-arg]
    """POST /api/token once per password, all at the same moment, spread over `servers`."""
    start = threading.Barrier(len(passwords))
    answers: list[httpx.Response] = []

    def attempt(i: int, password: str) -> None:
        with httpx.Client(timeout=60) as client:
            start.wait()
            url = servers[i % len(servers)].url + "/api/token"
            answers.append(client.post(url, data={"username": "alice", "password": password}))

    threads = [threading.Thread(target=attempt, args=item) for item in enumerate(passwords)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_hole_01_parallel_guesses_get_at_most_the_limit_checked(production_env, tmp_path: Path):
    # Each server checks passwords in its thread pool, so a burst really runs in parallel.
    env = {**production_env, "LOGIN_MAX_FAILURES_ACCOUNT": "5", "LOGIN_MAX_FAILURES_IP": "1000"}
    with running(ServerConfig(env, tmp_path / "a"), ServerConfig(env, tmp_path / "b")) as servers:
        user = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
        assert httpx.post(servers[0].url + "/api/users", json=user).status_code == 201

        answers = burst(servers, ["not the password"] * 30)
        statuses = sorted(answer.status_code for answer in answers)
        checked = statuses.count(401)  # a 401 is a password that bcrypt looked at
        assert 1 <= checked <= 5 and statuses == [401] * checked + [429] * (30 - checked)
        assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)

        # Locked now: the right password inside the next burst does not get in either.
        answers = burst(servers, ["not the password"] * 9 + [PASSWORD])
        assert [answer.status_code for answer in answers] == [429] * 10
        assert not any("access_token" in answer.text for answer in answers)


def test_production_server_logs_each_request_and_finishes_them_on_sigterm(
    production_env, tmp_path: Path
):
    marker = tmp_path / "slow-started"
    env = {**production_env, "WEB_CONCURRENCY": "2", "SLOW_MARKER": str(marker)}
    config = ServerConfig(env, tmp_path / "server.log", module="tests.servers", args=())
    with running(config) as (server,):
        boom = httpx.get(server.url + "/test/boom", headers={"X-Request-ID": "incident-42"})
        home = httpx.get(server.url + "/")
        result: dict[str, object] = {}

        def slow_request() -> None:
            try:
                result["response"] = httpx.get(server.url + "/test/slow", timeout=30)
            except httpx.HTTPError as exc:  # kept, so a failure says what went wrong
                result["error"] = exc
            result["finished_at"] = time.monotonic()

        thread = threading.Thread(target=slow_request)
        thread.start()
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), server.log_text()
        signalled_at = time.monotonic()
        exit_code = stop(server)  # SIGTERM to the supervisor, as systemd stops it
        thread.join()

    # Graceful shutdown: the request in flight got its whole answer, then the server left.
    assert "error" not in result, result
    slow = result["response"]
    assert isinstance(slow, httpx.Response)
    assert slow.status_code == 200 and slow.text == "finished"
    assert result["finished_at"] > signalled_at  # it was still running when the signal came
    assert exit_code in (0, -signal.SIGTERM)
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/healthz", timeout=2)

    # Errors: nothing shown, everything logged, one JSON object per line on stderr.
    assert boom.status_code == 500 and boom.headers["x-request-id"] == "incident-42"
    assert "secret internals" not in boom.text and "Traceback" not in boom.text
    assert "server" not in boom.headers  # no software banner either
    lines = [json.loads(line) for line in server.log_text().splitlines()]
    requests = [e for e in lines if e["logger"] == "agora.request" and e["path"] != "/readyz"]
    assert [(e["method"], e["path"], e["status"]) for e in requests] == [
        ("GET", "/test/boom", 500),
        ("GET", "/", 200),
        ("GET", "/test/slow", 200),
    ]
    assert requests[1]["request_id"] == home.headers["x-request-id"]
    assert requests[2]["duration_ms"] >= 1000
    (error,) = [e for e in lines if e["logger"] == "agora.errors"]
    assert error["request_id"] == "incident-42"
    assert "RuntimeError: secret internals" in error["exc"]
    assert not [e for e in lines if e["logger"] == "uvicorn.access"]  # we log requests ourselves


def test_hole_17_a_chunked_body_over_the_limit_is_413_from_a_served_app(
    production_env, tmp_path: Path
):
    # 1 MB allowed; 40 chunks of 30 kB each, every one far under the limit, 1.2 MB in all.
    with running(ServerConfig(production_env, tmp_path / "server.log")) as (server,):

        def chunks():  # type: ignore[no-untyped-def]
            yield b"email=a%40example.com&password="
            for _ in range(40):
                yield b"x" * 30_000

        with httpx.Client(timeout=30) as client:
            response = client.post(
                server.url + "/login",
                content=chunks(),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert response.request.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in response.request.headers
            assert response.status_code == 413
            assert "larger than the 1,000 kB we accept" in response.text
            # Under the limit the same chunked body reaches the app (here: its CSRF check).
            small = client.post(
                server.url + "/login",
                content=iter([b"email=a%40example.com", b"&password=", b"x" * 30_000]),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            assert small.status_code == 403


def test_hole_14_an_unhandled_error_is_logged_once_and_the_connection_lives(
    production_env, tmp_path: Path
):
    config = ServerConfig(production_env, tmp_path / "server.log", module="tests.servers", args=())
    with running(config) as (server,):
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request("GET", "/test/boom", headers={"X-Request-ID": "boom-1"})
            boom = connection.getresponse()
            boom_page = boom.read().decode()
            socket_used = connection.sock
            # The same connection carries the next request: a browser's next click works.
            connection.request("GET", "/healthz")
            after = connection.getresponse()
            after.read()
            assert connection.sock is socket_used and socket_used is not None
        finally:
            connection.close()
    assert boom.status == 500 and "Something went wrong" in boom_page
    assert boom.getheader("connection", "").lower() != "close"
    assert after.status == 200

    lines = [json.loads(line) for line in server.log_text().splitlines()]
    (error,) = [e for e in lines if e["level"] in ("error", "critical")]
    assert error["logger"] == "agora.errors" and error["request_id"] == "boom-1"
    assert "RuntimeError: secret internals" in error["exc"]
