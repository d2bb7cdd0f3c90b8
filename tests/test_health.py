"""/healthz and /readyz, as a load balancer sees them; the app never builds its own tables."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import schema
from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_DATABASE_URL
from tests.faults import fill_disk, proxied, throttle_row


def client_for(database_url: str, tmp_path) -> TestClient:  # type: ignore[no-untyped-def]
    settings = Settings(
        env="test", database_url=database_url, secret_key="k" * 40, instance_dir=tmp_path
    )
    return TestClient(create_app(settings))


def test_ready_when_migrated(browser):
    response = browser.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}
    assert browser.get("/healthz").json() == {"status": "ok"}


def test_not_ready_until_migrated_and_no_tables_made_behind_our_back(empty_database_url, tmp_path):
    with client_for(empty_database_url, tmp_path) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "migrations pending"}
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        engine = create_engine(empty_database_url, poolclass=pool.NullPool)
        assert inspect(engine).get_table_names() == []

        schema.upgrade(empty_database_url)
        assert client.get("/readyz").json() == {"status": "ready"}

        # A newer release migrated first (rolling deploy): this one keeps serving meanwhile.
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
        assert client.get("/readyz").status_code == 200
        engine.dispose()


def test_database_unreachable(tmp_path):
    # Nothing listens on port 1: the driver fails at once.
    url = "postgresql+psycopg://agora:secret@127.0.0.1:1/agora"
    with client_for(url, tmp_path) as client:
        for probe in ("/healthz", "/readyz"):
            response = client.get(probe)
            assert response.status_code == 503, probe
            assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
            assert "secret" not in response.text


def test_hole_13_a_full_disk_is_read_only_and_reads_go_on(tmp_path):
    # Its own SQLite file on both runs: PostgreSQL cannot be filled up without harming others.
    url = f"sqlite:///{tmp_path / 'full.db'}"
    schema.upgrade(url)
    with client_for(url, tmp_path) as client:
        assert client.get("/readyz").json() == {"status": "ready"}
        engine = client.app.state.engine  # type: ignore[attr-defined]
        fill_disk(engine)
        with pytest.raises(OperationalError, match="full"):  # a post-sized write cannot be saved
            throttle_row(engine, "big-" + "y" * 8000)

        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "read-only"}
        # Reads do not depend on free space: the site stays up for readers.
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/").status_code == 200


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the SQLite run fills a file instead (above)")
def test_hole_13_a_read_only_postgresql_is_not_ready(tmp_path):
    # What a standby or a database put in read-only mode answers: reads work, writes do not.
    url = make_url(TEST_DATABASE_URL).update_query_dict(
        {"options": "-c default_transaction_read_only=on"}
    )
    with client_for(url.render_as_string(hide_password=False), tmp_path) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "reason": "read-only"}
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/").status_code == 200


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs a database server to cut off")
def test_a_database_cut_off_is_unreachable_not_read_only_then_ready_again(tmp_path):
    with proxied(TEST_DATABASE_URL) as (proxy, url), client_for(url, tmp_path) as client:
        assert client.get("/readyz").json() == {"status": "ready"}
        proxy.sever()
        for probe in ("/readyz", "/healthz"):
            response = client.get(probe)
            assert response.status_code == 503, probe
            assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
        proxy.cut = False  # the network comes back: so does the site, by itself
        assert client.get("/readyz").json() == {"status": "ready"}
