"""/healthz and /readyz, as a load balancer sees them; the app never builds its own tables."""

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, pool, text

from app import schema
from app.config import Settings
from app.main import create_app


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
