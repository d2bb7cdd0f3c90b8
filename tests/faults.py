"""Faults to inject under a running app: a SQLite file that may not grow (a full disk), and a
database connection that can be cut and mended while the database itself keeps running."""

import contextlib
import itertools
import socket
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError


def _cap_at_current_size(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's own limit on the file's size, per connection: past it, a write that needs a new
    # page fails with "database or disk is full", exactly as on a full disk.
    dbapi_connection.execute("PRAGMA max_page_count = 1")  # 1 means: no bigger than it is now


def throttle_row(engine: Engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO login_throttle (key, failures, window_start) VALUES (:k, 0, :t)"),
            {"k": key, "t": "2026-01-01 00:00:00.000000"},
        )


def fill_disk(engine: Engine) -> None:
    """Make the SQLite database behind `engine` (an app's own) full: no page is left to grow
    into, for the app's connections and any opened later. Rows of smaller and smaller sizes
    fill what is left of the last pages too, so even a login's few bytes find no room."""
    event.listen(engine, "connect", _cap_at_current_size)
    engine.dispose()
    numbers = itertools.count()
    for pad in (250, 40, 0):
        for _ in range(100_000):
            try:
                throttle_row(engine, f"filler-{next(numbers)}-" + "x" * pad)
            except OperationalError as exc:
                assert "full" in str(exc)
                break
        else:
            raise AssertionError("the database never filled up")


class CuttableProxy:
    """A TCP relay to the database that a test can cut and mend, leaving the database itself
    running (other test runs use it)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = False
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)

    def sever(self) -> None:
        self.cut = True
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self.open.clear()

    def close(self) -> None:
        self.sever()
        self.listener.close()


@contextlib.contextmanager
def proxied(database_url: str) -> Iterator[tuple[CuttableProxy, str]]:
    """A CuttableProxy in front of the database server of `database_url`, and the URL through it."""
    real = make_url(database_url)
    proxy = CuttableProxy((real.host or "127.0.0.1", real.port or 5432))
    try:
        yield (
            proxy,
            real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        )
    finally:
        proxy.close()
