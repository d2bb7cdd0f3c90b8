"""The `agora` console commands, run as real processes against the test database."""

import io
import os
import pty
import re
import select as fd_select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from app import cli
from app.models import AuditLog, Follow, Post, User, Vote
from tests.conftest import PASSWORD, get_user

AGORA = Path(sys.executable).with_name("agora")


@pytest.fixture
def cli_env(settings, app, tmp_path):  # type: ignore[no-untyped-def]
    """The environment a console command needs to reach the test database (already created)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ENV")}
    env.update(
        DATABASE_URL=settings.database_url,
        BCRYPT_ROUNDS="4",
        INSTANCE_DIR=str(tmp_path / "instance"),
    )
    return env


def agora(env, *args, stdin="", program=(sys.executable, "-m", "app")):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [*program, *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def agora_on_a_terminal(env, args, answers):  # type: ignore[no-untyped-def]
    """Run a command on a pseudo-terminal, typing each answer once its prompt appears."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the command
        os.execve(sys.executable, [sys.executable, "-m", "app", *args], env)  # noqa: S606
    output = b""
    unanswered = 0  # where the output not yet answered starts
    pending = list(answers)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = fd_select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the command exited and its terminal closed
                break
            if not chunk:
                break
            output += chunk
            if pending and output[unanswered:].rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                unanswered = len(output)
    finally:
        exited, status = os.waitpid(pid, os.WNOHANG)
        if not exited:  # still waiting for input: give up on it
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("create-admin", ["--email", "--username", "--password-stdin"]),
        ("seed-demo", ["empty database"]),
        ("run", ["--host", "--port"]),
    ],
)
def test_every_command_has_help(cli_env, command, words):
    result = agora(cli_env, command, "--help", program=(str(AGORA),))
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: agora {command}")
    for word in words:
        assert word in result.stdout


def test_create_admin_from_stdin_can_log_in_to_admin(cli_env, make_browser, db):
    result = agora(
        cli_env,
        "create-admin",
        "--email",
        "Boss@Example.com",
        "--username",
        "boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Created the administrator boss <boss@example.com>" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    boss = get_user(db, "boss")
    assert boss.role == "admin" and boss.email == "boss@example.com"
    browser = make_browser()
    assert browser.login("boss@example.com").status_code == 303
    assert browser.get("/admin").status_code == 200
    db.expire_all()
    entries = db.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(e.action, e.actor_name) for e in entries] == [
        ("user.create", "console"),
        ("user.role", "console"),
    ]


def test_create_admin_asks_for_the_password_twice(cli_env, db):
    args = ["create-admin", "--email", "t@example.com", "--username", "typist"]
    code, output = agora_on_a_terminal(cli_env, args, [PASSWORD, PASSWORD])
    assert code == 0, output
    assert "Password:" in output and "Password (again):" in output
    assert PASSWORD not in output  # never echoed
    assert get_user(db, "typist").role == "admin"


def test_create_admin_refuses_two_different_passwords(cli_env, db):
    args = ["create-admin", "--email", "t@example.com", "--username", "typist"]
    code, output = agora_on_a_terminal(cli_env, args, [PASSWORD, PASSWORD + "!"])
    assert code == 1
    assert "agora create-admin: error: the two passwords differ; nothing was changed" in output
    db.expire_all()
    assert db.exec(select(User)).all() == []


def test_create_admin_promotes_an_existing_user_at_once(cli_env, alice, db):
    assert alice.get("/admin").status_code == 403
    result = agora(cli_env, "create-admin", "--email", "ALICE@example.com", "--username", "Alice")
    assert result.returncode == 0, result.stderr
    assert "alice <alice@example.com> is now an administrator" in result.stdout
    assert alice.get("/admin").status_code == 200  # her open session, no new login
    again = agora(cli_env, "create-admin", "--email", "alice@example.com", "--username", "alice")
    assert again.returncode == 0 and "already is an active administrator" in again.stdout


def test_create_admin_reactivates_a_deactivated_account(cli_env, alice, db):
    alice_user = get_user(db, "alice")
    alice_user.is_active = False
    db.add(alice_user)
    db.commit()
    result = agora(cli_env, "create-admin", "--email", "alice@example.com", "--username", "alice")
    assert result.returncode == 0
    alice_user = get_user(db, "alice")
    assert alice_user.is_active and alice_user.role == "admin"


BAD_INPUT = [
    (["--email", "nope", "--username", "boss"], PASSWORD, "--email: Enter a valid email"),
    (["--email", "b@example.com", "--username", "b!"], PASSWORD, "--username: Use 3 to 30"),
    (["--email", "b@example.com", "--username", "boss"], "short", "password: Use at least 8"),
    (["--email", "b@example.com", "--username", "boss"], "password123", "too common"),
    (["--email", "b@example.com", "--username", "boss"], "é" * 40, "at most 72 bytes"),
    (["--email", "b@example.com", "--username", "boss"], "", "no password on standard input"),
    (["--email", "alice@example.com", "--username", "bob"], "", "belongs to the user 'alice'"),
    (["--email", "b@example.com", "--username", "ALICE"], PASSWORD, "username is taken"),
]


def assert_nothing_changed(db) -> None:  # type: ignore[no-untyped-def]
    db.expire_all()
    assert [u.username for u in db.exec(select(User))] == ["alice"]
    assert get_user(db, "alice").role == "user"


@pytest.mark.parametrize(("args", "stdin", "message"), [BAD_INPUT[0], BAD_INPUT[2]])
def test_create_admin_bad_input_exits_non_zero_with_one_line(
    cli_env, alice, db, args, stdin, message
):
    result = agora(cli_env, "create-admin", *args, "--password-stdin", stdin=stdin + "\n")
    assert result.returncode == 1
    assert result.stderr.startswith("agora create-admin: error: ")
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert_nothing_changed(db)


@pytest.mark.parametrize(("args", "stdin", "message"), BAD_INPUT)
def test_create_admin_refuses_bad_input(
    cli_env, alice, db, monkeypatch, capsys, args, stdin, message
):
    """The same command in this process, so every refusal is checked without a slow start-up."""
    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin + "\n"))
    assert cli.main(["create-admin", *args, "--password-stdin"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("agora create-admin: error: ") and message in error
    assert_nothing_changed(db)


def test_create_admin_without_a_terminal_points_to_password_stdin(cli_env, db):
    result = agora(cli_env, "create-admin", "--email", "b@example.com", "--username", "boss")
    assert result.returncode == 1
    assert "pipe one in with --password-stdin" in result.stderr


def test_create_admin_requires_email_and_username(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["create-admin", "--username", "boss"])
    assert exited.value.code == 2
    assert "the following arguments are required: --email" in capsys.readouterr().err


def test_seed_demo_fills_an_empty_database_and_prints_logins(cli_env, make_browser, db):
    result = agora(cli_env, "seed-demo")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Demo data is ready: 12 users, 27 posts, 1 draft\(s\), \d+ votes, \d+ follows and "
        r"13 comments\.",
        result.stdout,
    ), result.stdout
    logins = re.findall(r"^\s+(\S+@example\.com)\s+(\S+)\s+(\w+)$", result.stdout, re.M)
    assert len(logins) == 12 and logins[0][0] == "maya@example.com"
    assert [email for email, _, role in logins if role == "moderator"] == ["noor@example.com"]
    db.expire_all()
    assert len(db.exec(select(Post)).all()) == 28 and len(db.exec(select(Vote)).all()) > 150
    assert len(db.exec(select(Follow)).all()) >= 40 and all(u.bio for u in db.exec(select(User)))
    # A printed login works; the feed, a profile and a people list show the demo.
    email, password, _ = next(login for login in logins if login[2] == "moderator")
    browser = make_browser()
    assert browser.login(email, password).status_code == 303
    assert browser.get("/admin/posts").status_code == 200
    feed = browser.get("/").text
    assert "Focaccia for people who are scared of bread" in feed and "Notes for next" not in feed
    assert "Community gardener" in browser.get("/users/tomas").text
    assert 'class="card person-card"' in browser.get("/users/tomas/followers").text
    # Tagged, newest first on a tag's page; a draft's tag counts for nothing.
    baking = browser.get("/t/baking").text
    assert baking.index("Focaccia for people") < baking.index("Sunday bread report")
    assert 'href="/t/astronomy"' in browser.get("/tags").text
    assert browser.get("/t/hiking").text.count('class="post-title"') == 2
    # Real Markdown: a table, code and a quote render as such.
    rye = browser.get("/search?q=rye").text
    post_url = re.search(r'href="(/posts/\d+)">Sunday bread report', rye).group(1)
    assert "<table>" in browser.get(post_url).text


def test_seed_demo_goes_in_beside_administrators_in_the_readme_order(cli_env, make_browser, db):
    created = agora(
        cli_env,
        "create-admin",
        "--email",
        "you@example.com",
        "--username",
        "you",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    result = agora(cli_env, "seed-demo")
    assert result.returncode == 0, result.stderr
    assert "Demo data is ready: 12 users" in result.stdout
    # The administrator is still there and still logs in; a second run adds nothing.
    assert make_browser().login("you@example.com").status_code == 303
    again = agora(cli_env, "seed-demo")
    assert again.returncode == 1
    assert "The demo is already here (" in again.stderr and "demo data goes in once" in again.stderr
    db.expire_all()
    assert len(db.exec(select(User)).all()) == 13 and len(db.exec(select(Post)).all()) == 28


def test_seed_demo_refuses_a_database_with_accounts(cli_env, alice, db):
    result = agora(cli_env, "seed-demo")
    assert result.returncode == 1
    assert "agora seed-demo: error: The database already has 1 account(s)" in result.stderr
    db.expire_all()
    assert len(db.exec(select(User)).all()) == 1 and db.exec(select(Post)).all() == []
