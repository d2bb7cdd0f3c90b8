"""docs/example_client.py runs against a real server process, as a reader would run it."""

import secrets
import subprocess
import sys
from pathlib import Path

from app.config import PROJECT_DIR
from tests.servers import ServerConfig, running


def test_the_example_client_runs_end_to_end(database_url: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "10",  # the production minimum
        "WEB_CONCURRENCY": "1",
        "SITE_URL": "http://127.0.0.1",  # production requires one
    }
    with running(ServerConfig(env, tmp_path / "server.log")) as (server,):
        done = subprocess.run(
            [sys.executable, str(PROJECT_DIR / "docs" / "example_client.py"), server.url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "posts, two a page: [" in out
    assert "asked again with If-None-Match: 304" in out
    assert "a second edit from the old version: 412" in out
    assert out.rstrip().endswith("token revoked; done")
