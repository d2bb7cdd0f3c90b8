"""The database engine, its SQLite tuning, and the compiled reads of the hottest pages.

Tables come from the migrations (app/schema.py, `agora migrate`), never from the app.
"""

import os
from collections import namedtuple
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Boolean, event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import create_engine
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.models import UTCDateTime

T = TypeVar("T")


def _sqlite_pragmas(tuned: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL + NORMAL roughly doubles write throughput under concurrency and lets readers
        # proceed while a writer commits; busy_timeout makes writers queue instead of failing.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if tuned:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        else:
            cursor.execute("PRAGMA journal_mode=DELETE")
        cursor.close()

    return on_connect


def private_sqlite_file(database: Path) -> None:
    """Create the SQLite file (0600) and its folder (0700) if missing, before SQLite opens it.

    The file holds password hashes. SQLite gives its -wal, -shm and -journal files the mode of
    the database file, so they stay private too; files an older release left looser are
    tightened. A folder that already exists is the operator's, and keeps its mode.
    """
    folder = database.parent
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        with suppress(FileNotFoundError):
            os.chmod(f"{database}{suffix}", 0o600)


def make_engine(settings: Settings) -> Engine:
    """Build the engine for `settings.database_url`, creating a private SQLite file if needed."""
    url = make_url(settings.database_url)
    if settings.instance_dir.is_dir():
        os.chmod(settings.instance_dir, 0o700)  # Agora's own folder: the key, the database
    if url.get_backend_name() == "sqlite":
        pool: dict[str, Any] = {}
        if url.database and url.database != ":memory:":
            private_sqlite_file(Path(url.database))
            # Requests take connections on the event loop (run_db) as well as in worker threads,
            # and give them back on the loop. A checkout that waited on the loop for a free
            # connection would stall every request until the pool timeout (64 concurrent writers
            # did that). SQLite connections are cheap file handles: never make anyone wait,
            # and keep as many open as the thread pool can use (anyio's default: 40).
            # Last in, first out: each connection has its own page cache, and the one used a
            # moment ago has the pages the next query wants (a search over the index took
            # 30% longer on the coldest connection, which is what first-in-first-out hands out).
            pool = {"pool_size": 40, "max_overflow": -1, "pool_use_lifo": True}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, **pool
        )
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_tuning))
        return engine
    # A short connect timeout: an unreachable server fails /readyz quickly instead of hanging.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": 5},
    )


async def run_db(engine: Engine, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a short database call from async code without blocking the event loop for long.

    SQLite answers an indexed read in microseconds from inside this process, so a trip to a
    worker thread costs more than the query: run it inline. Any other database is across a
    network: run the call in the thread pool.
    """
    if engine.dialect.name == "sqlite":
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


@lru_cache(maxsize=8192)  # the same posts' timestamps are read on every view of a page
def _utc(stored: str) -> datetime:
    """A timestamp as SQLAlchemy stores it in SQLite, read back as an aware UTC datetime."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _sqlite_param(value: Any) -> Any:
    """A timestamp as SQLAlchemy stores it in SQLite (UTC, no offset), so comparisons with
    stored values hold; anything else as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # as UTCDateTime refuses them on the Core's path
            raise ValueError("naive datetime; use timezone-aware UTC")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class HotQuery:
    """A prebuilt read statement for the hottest pages, compiled once.

    For the feed's 21-row page, SQLAlchemy's per-execution work (building the statement's cache
    key, processing parameters and each result value) cost more than SQLite takes to answer.
    On SQLite a HotQuery runs its compiled SQL on a pooled DBAPI cursor, the way the benchmark's
    reference does, and converts the two types SQLite returns raw: timestamps and booleans.
    (Cursor events do not see it; tests/test_query_count.py counts what SQLite itself runs.)
    Other databases run it through the Core as usual.
    Build one at module level: compiling costs far more than running.
    """

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        columns = list(stmt.selected_columns)
        self.row = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]  # noqa: PYI024
        self.times = [i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime)]
        self.bools = [i for i, c in enumerate(columns) if c.type._type_affinity is Boolean]
        self._compiled: Any = None

    def rows(self, engine: Engine, params: dict[str, Any]) -> list[Any]:
        if engine.dialect.name != "sqlite":
            with engine.connect() as connection:
                return list(connection.execute(self.stmt, params).all())
        if self._compiled is None:
            self._compiled = self.stmt.compile(dialect=engine.dialect)
        compiled = self._compiled
        values = {k: _sqlite_param(v) for k, v in compiled.construct_params(params).items()}
        connection = engine.raw_connection()  # from the pool, with its checkout/checkin events
        try:
            cursor = connection.cursor()
            cursor.execute(compiled.string, [values[name] for name in compiled.positiontup])
            raw = cursor.fetchall()
            cursor.close()
        finally:
            connection.close()
        return [self._convert(row) for row in raw]

    def _convert(self, raw: tuple[Any, ...]) -> Any:
        values = list(raw)
        for i in self.times:
            if values[i] is not None:
                values[i] = _utc(values[i])
        for i in self.bools:
            if values[i] is not None:
                values[i] = bool(values[i])
        return self.row._make(values)
