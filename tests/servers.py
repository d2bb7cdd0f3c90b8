"""Real server processes for the tests, and a test-only app with a slow and a failing route.

`python -m tests.servers` serves that test app exactly as `agora serve` serves the real one
(same uvicorn options, production settings); the test routes exist only here.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from app.config import PROJECT_DIR

SLOW_SECONDS = 2.0


def create_test_app() -> FastAPI:
    """Agora plus /test/slow (announces itself in SLOW_MARKER, then sleeps) and /test/boom."""
    from app.main import create_app

    app = create_app()

    @app.get("/test/slow")
    async def slow() -> PlainTextResponse:
        Path(os.environ["SLOW_MARKER"]).touch()
        await asyncio.sleep(SLOW_SECONDS)
        return PlainTextResponse("finished")

    @app.get("/test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    return app


@dataclass(frozen=True)
class ServerConfig:
    """`python -m <module> <args> --host 127.0.0.1 --port N` with `env` added to ours."""

    env: dict[str, str]
    log: Path
    module: str = "app"
    args: tuple[str, ...] = ("serve",)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _launch(config: ServerConfig) -> Server:
    port = free_port()
    env = {**os.environ, **config.env}
    env.pop("TEST_DATABASE_URL", None)
    command = [sys.executable, "-m", config.module, *config.args]
    with config.log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(process, f"http://127.0.0.1:{port}", config.log)


def _wait_ready(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log_text()}")
            with suppress(httpx.TransportError):
                if client.get(server.url + "/readyz").status_code == 200:
                    return
            time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout}s:\n{server.log_text()}")


def stop(server: Server) -> int:
    """SIGTERM, as a process manager stops a server; returns the exit code."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        return server.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise


@contextmanager
def running(*configs: ServerConfig) -> Iterator[list[Server]]:
    """Start the servers side by side, wait until each says ready, stop them all afterwards."""
    servers: list[Server] = []
    try:
        for config in configs:
            servers.append(_launch(config))
        for server in servers:
            _wait_ready(server)
        yield servers
    finally:
        for server in servers:
            stop(server)


if __name__ == "__main__":
    import argparse

    import uvicorn

    from app.cli import production_options, server_options
    from app.config import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    options = parser.parse_args()
    os.environ["ENV"] = "production"
    os.environ.setdefault("SITE_URL", "http://127.0.0.1")  # production requires one
    # Tests write from accounts made a moment before; the limits have their own tests.
    os.environ.setdefault("NEW_ACCOUNT_POSTS_PER_HOUR", "100000")
    os.environ.setdefault("NEW_ACCOUNT_COMMENTS_PER_HOUR", "100000")
    settings = Settings()
    uvicorn.run(
        "tests.servers:create_test_app",
        factory=True,
        **server_options(settings, options),
        **production_options(settings),
    )
