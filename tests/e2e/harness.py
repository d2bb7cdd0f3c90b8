"""Agora and Chromium for the browser tests and screenshots: a real server on a free port."""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
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
class Server:
    url: str
    pid: int
    database_url: str
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Agora exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"Agora did not answer /healthz within {START_TIMEOUT:.0f} s:\n{log.read_text()}"
    )


@contextmanager
def run_server(workdir: Path, **env_overrides: str) -> Iterator[Server]:
    """Serve Agora from a fresh database in `workdir` until the block ends, then stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    database_url = f"sqlite:///{workdir / 'agora.db'}"
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": database_url,
        "INSTANCE_DIR": str(workdir / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BCRYPT_ROUNDS": "4",
        **env_overrides,
    }
    log = workdir / "server.log"
    with log.open("wb") as log_file:
        # Popen runs uvicorn itself (no shell in between), so `pid` is the server's own.
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield Server(url=url, pid=process.pid, database_url=database_url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
