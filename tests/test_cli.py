"""The `agora` command: migrate, backup, and the production server's refusal of weak settings."""

import shutil
import sqlite3
import stat
import threading
import time
from contextlib import closing

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, pool

from app import schema
from app.cli import main
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
        env="test", database_url=url, secret_key="k" * 40, bcrypt_rounds=4, instance_dir=tmp_path
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
