"""Agora and Chromium for the browser tests and screenshots: a real server, a real browser."""

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app import schema
from tests.servers import ServerConfig, running

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium calls its vendor's services in the background: noise the tests avoid.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_launch_args() -> dict[str, object]:
    """Debian's Chromium where present (the Makefile installs it), else Playwright's own build."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    args: dict[str, object] = {"args": CHROMIUM_ARGS}
    if shutil.which(chromium):
        args["executable_path"] = chromium
    return args


@dataclass(frozen=True)
class Site:
    """A running Agora: where it answers, its process id and its own database."""

    url: str
    pid: int
    database_url: str
    log: Path


@contextmanager
def run_site(workdir: Path, **env_overrides: str) -> Iterator[Site]:
    """Serve Agora (`agora run`) from a fresh, migrated database in `workdir`, then stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{workdir / 'agora.db'}"
    schema.upgrade(database_url)
    env = {
        "ENV": "test",
        "DATABASE_URL": database_url,
        "INSTANCE_DIR": str(workdir / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "4",
        # The journeys sign up many people from this one address.
        "REGISTRATIONS_PER_IP_HOUR": "10000",
        # ...and post and comment from fresh accounts.
        "NEW_ACCOUNT_POSTS_PER_HOUR": "100000",
        "NEW_ACCOUNT_COMMENTS_PER_HOUR": "100000",
        **env_overrides,
    }
    config = ServerConfig(env=env, log=workdir / "server.log", args=("run",))
    with running(config) as [server]:
        # `python -m app run` is uvicorn itself (no shell in between): this pid is the server's.
        yield Site(server.url, server.process.pid, database_url, server.log)
