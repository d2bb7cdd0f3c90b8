"""The `agora` operations commands: migrate, backup, and refusing weak production settings."""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, pool

from app import schema
from app.cli import main, run_banner
from app.config import Settings
from app.main import create_app
from tests.conftest import PASSWORD, Browser, post_id_from


def test_migrate_builds_the_schema_and_is_safe_to_repeat(empty_database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    assert "The database is up to date" in capsys.readouterr().out
    engine = create_engine(empty_database_url, poolclass=pool.NullPool)
    assert not schema.pending(engine)
    engine.dispose()


def sqlite_site(tmp_path, name: str):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    url = f"sqlite:///{path}"
    schema.upgrade(url)
    settings = Settings(
        env="test",
        database_url=url,
        secret_key="k" * 40,
        bcrypt_rounds=4,
        instance_dir=tmp_path,
        # Its writers are new accounts posting as fast as they can.
        new_account_posts_per_hour=100_000,
    )
    return path, create_app(settings)


def test_backup_while_the_site_writes_then_restore_finds_every_row(tmp_path, monkeypatch, capsys):
    live, app = sqlite_site(tmp_path, "live.db")
    stop = threading.Event()
    created: list[int] = []
    clients = [TestClient(app, follow_redirects=False) for _ in range(2)]
    writers = [Browser(client) for client in clients]
    for i, writer in enumerate(writers):
        assert writer.register(f"writer{i}").status_code == 303

    def write(writer: Browser, n: int) -> None:
        # Each round writes a post and votes on the newest post: two tables per transaction.
        while not stop.is_set():
            post_id = post_id_from(writer.create_post(f"post by {n}", "body"))
            created.append(post_id)
            writer.submit(f"/posts/{created[-1]}/vote", page=f"/posts/{post_id}")

    threads = [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    try:
        while len(created) < 20:
            assert any(thread.is_alive() for thread in threads), "the writers stopped"
            time.sleep(0.01)
        committed = set(created)  # every one of these answered 303 before the backup began
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{live}")
        assert main(["backup", str(tmp_path / "backups" / "agora.db")]) == 0
        during = len(created)
        time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for client in clients:
            client.close()
        app.state.engine.dispose()
    assert len(created) > during  # the site kept writing after the copy
    assert "Backed up" in capsys.readouterr().out
    backup = tmp_path / "backups" / "agora.db"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds password hashes

    restored = tmp_path / "restored.db"
    shutil.copyfile(backup, restored)
    with closing(sqlite3.connect(restored)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # One consistent moment: each post's counter agrees with its vote rows.
        assert not db.execute(
            "SELECT id FROM post WHERE vote_count != "
            "(SELECT count(*) FROM vote WHERE vote.post_id = post.id)"
        ).fetchall()
    settings = Settings(
        env="test",
        database_url=f"sqlite:///{restored}",
        secret_key="k" * 40,
        bcrypt_rounds=4,
        instance_dir=tmp_path,
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:  # disposes on exit
        assert client.get("/readyz").json() == {"status": "ready"}
        for post_id in committed:
            assert client.get(f"/posts/{post_id}").status_code == 200, post_id
        reader = Browser(client)
        assert reader.login("writer1@example.com", PASSWORD).status_code == 303


def test_backup_refuses_to_overwrite_the_database_itself(tmp_path, monkeypatch, capsys):
    live, app = sqlite_site(tmp_path, "live.db")
    app.state.engine.dispose()
    before = live.read_bytes()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{live}")
    assert main(["backup", str(live)]) == 1
    assert "cannot overwrite the database" in capsys.readouterr().err
    assert live.read_bytes() == before


def test_backup_points_postgresql_at_pg_dump(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://agora:s3cret@db.internal:5432/agora")
    target = tmp_path / "agora.dump"
    assert main(["backup", str(target)]) == 2
    message = capsys.readouterr().err
    assert "pg_dump" in message and "postgresql://agora:***@db.internal:5432/agora" in message
    assert "s3cret" not in message
    assert not target.exists()


def test_serve_refuses_a_placeholder_secret_key(monkeypatch, capsys):
    monkeypatch.setenv("ENV", "development")  # `serve` is production whatever ENV says
    monkeypatch.setenv("SECRET_KEY", "changeme")
    assert main(["serve"]) == 2
    assert "SECRET_KEY is a placeholder" in capsys.readouterr().err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default: new files readable by everyone, unless the code says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_hole_09_a_fresh_instance_is_private_to_the_user_running_agora(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    database = instance / "agora.db"
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(ENV="development", DATABASE_URL=f"sqlite:///{database}", INSTANCE_DIR=str(instance))
    migrate = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (mode(instance), mode(database)) == (0o700, 0o600)

    # Serving: the key is generated, and a write brings the -wal and -shm files.
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="development",
        database_url=f"sqlite:///{database}",
        instance_dir=instance,
        bcrypt_rounds=4,
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        assert Browser(client).register("carol").status_code == 303
        files = {path.name: mode(path) for path in instance.iterdir()}
    app.state.engine.dispose()
    assert mode(instance) == 0o700
    assert {"agora.db", "agora.db-wal", "agora.db-shm", "secret_key"} <= set(files)
    assert files == dict.fromkeys(files, 0o600)


def test_hole_09_an_instance_left_readable_is_made_private(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "agora.db"
    schema.upgrade(f"sqlite:///{database}")
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.touch()
        path.chmod(0o644)
    instance.chmod(0o755)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        env="test",
        database_url=f"sqlite:///{database}",
        instance_dir=instance,
        secret_key="test-secret-key-" + "x" * 40,
    )
    create_app(settings).state.engine.dispose()
    assert mode(instance) == 0o700
    assert [mode(path) for path in sorted(instance.iterdir())] == [0o600] * 3


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),  # noqa: S104 - what a container binds to
        ("::1", "http://[::1]:8000"),
    ],
)
def test_run_says_which_address_to_open(settings, host, shown):
    lines = run_banner(settings, {"host": host, "port": 8000})
    assert lines[0] == f"agora: open {shown} in your browser (Ctrl+C stops the server)"
