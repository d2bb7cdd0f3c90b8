"""The database engine, its SQLite tuning, and the compiled reads of the hottest pages.

Tables come from the migrations (app/schema.py, `agora migrate`), never from the app.
"""

import os
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Boolean, Enum, Integer, String, Table, event, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine
from sqlmodel.sql.sqltypes import AutoString
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.models import Heartbeat, UTCDateTime, utcnow

T = TypeVar("T")

CACHE_KIB = 512  # each SQLite connection's page cache


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
            # Each pooled connection (up to 40) keeps its own page cache, 2 MB by default:
            # search filled them all with the index and a worker grew past 160 MB. Pages
            # beyond 512 KiB come from the system's file cache, which all connections share.
            # Measured: docs/performance.md, "Where a worker's memory goes".
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
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
            # and give them back on the loop, so a checkout must never wait: SQLite connections
            # are cheap file handles; keep as many as the thread pool can use (anyio's: 40).
            # Last in, first out: the connection used a moment ago has a warm page cache.
            # Why, as measured: docs/performance.md, "The SQLite connection pool".
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


# What a driver says when the database cannot serve a request now, as opposed to a bug in it.
# SQLite's primary result codes: BUSY and LOCKED (past busy_timeout), READONLY, IOERR, FULL,
# CANTOPEN. PostgreSQL's SQLSTATE classes: connection exceptions, insufficient resources (disk
# full, too many connections), operator intervention (shutting down, starting up, a statement
# timeout); and a read-only transaction (a standby).
_SQLITE_UNAVAILABLE = frozenset({5, 6, 8, 10, 13, 14})
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57")
_PG_UNAVAILABLE = frozenset({"25006"})


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot take this request now (unreachable, full,
    read-only, too busy) and trying again later may work: a 503, not a 500.

    Takes SQLAlchemy's errors and the drivers' own (a HotQuery's raw cursor raises those).
    """
    if isinstance(exc, DisconnectionError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(driver_error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_UNAVAILABLE  # the extended code's low byte
    sqlstate = getattr(driver_error, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate[:2] in _PG_UNAVAILABLE_CLASSES or sqlstate in _PG_UNAVAILABLE
    # psycopg gives no SQLSTATE when the server cannot be reached or the connection drops.
    return isinstance(exc, OperationalError)


PROBE_PAD = bytes(8192)  # two pages of SQLite's default size: room for a post-sized write


def check_writes(engine: Engine) -> None:
    """Raise unless the database takes a write now; cheap enough for a readiness probe.

    Two short transactions. The first adds a scratch row needing fresh pages and rolls it back:
    it fails when the file may not grow (SQLite's max_page_count, a quota) and writes nothing.
    The second commits the heartbeat row, as every write commits: it fails on a full disk, a
    read-only file, a read-only PostgreSQL (a standby), or a write lock held too long.
    """
    # sqlmodel sets __table__ on every table model but does not declare it.
    table: Table = Heartbeat.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        conn.execute(insert(table).values(id=0, beat_at=utcnow(), pad=PROBE_PAD))
        conn.rollback()
        upsert = dialect_insert(engine)(table)
        conn.execute(
            upsert.values(id=1, beat_at=utcnow()).on_conflict_do_update(
                index_elements=[table.c.id], set_={"beat_at": upsert.excluded.beat_at}
            )
        )
        conn.commit()


def dialect_insert(engine: Engine) -> Any:
    """The engine's own `insert`, which has ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    return sqlite_insert if engine.dialect.name == "sqlite" else pg_insert


async def run_db(engine: Engine, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run a short database call from async code without blocking the event loop for long.

    SQLite answers an indexed read in microseconds from inside this process, so a trip to a
    worker thread costs more than the query: run it inline. Any other database is across a
    network: run the call in the thread pool.
    """
    if engine.dialect.name == "sqlite":
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


def engine_of(session: Session) -> Engine:
    """The engine behind a request's session (`deps.get_session` binds each to the app's)."""
    bind = session.get_bind()
    assert isinstance(bind, Engine), bind
    return bind


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


def _conversion(column: Any) -> str:
    """How a HotQuery turns `column`'s raw SQLite value into what the Core would return:
    "time", "bool" or "none"; TypeError for a type it has no conversion for."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "time"
    if isinstance(kind, Boolean):
        return "bool"
    # SQLite hands these back as the Core would. (An Enum is a String the Core converts.)
    if isinstance(kind, AutoString | Integer) or (
        isinstance(kind, String) and not isinstance(kind, Enum)
    ):
        return "none"
    raise TypeError(
        f"HotQuery cannot read column {column.key!r} of type {kind!r}: it converts only "
        "integers, text, booleans and UTCDateTime timestamps. Convert it in SQL, or read "
        "this statement through the Core."
    )


class _Held:
    """A request's one pooled SQLite connection for its HotQuery reads, checked out at the
    first (`held_reads`)."""

    __slots__ = ("engine", "raw")

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.raw: Any = None


_held: ContextVar[_Held | None] = ContextVar("agora_held_reads", default=None)


@contextmanager
def held_reads(engine: Engine) -> Iterator[None]:
    """Within this block (a request: app.middleware.DbSessionMiddleware), every HotQuery on
    `engine` reads through one pooled connection, checked out at the first read.

    Why: a logged-in page reads the session, the unread count, the site's counters and its
    own rows, and the pool's checkout and checkin (with its rollback) around each statement
    cost more than the statement (docs/performance.md, "One connection for a request's
    reads"). Each read is still a statement of its own in autocommit, so it sees every write
    committed before it, as on a connection of its own. SQLite only: a server database's
    reads go through the Core, which checks out as it always does.
    """
    if engine.dialect.name != "sqlite" or _held.get() is not None:
        yield
        return
    held = _Held(engine)
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        if held.raw is not None:
            held.raw.close()


_GIVEN = object()  # a HotQuery placeholder whose value the caller gives on each read


class HotQuery:
    """A prebuilt read statement for the hottest pages, compiled once.

    On SQLite a HotQuery runs its compiled SQL on a pooled DBAPI cursor, skipping the Core's
    per-execution work, and converts the two types SQLite returns raw: timestamps and booleans;
    it refuses, when built, a column of any type it would not convert. (Cursor events do not
    see it; tests/test_query_count.py counts what SQLite itself runs.) Other databases run it
    through the Core as usual. Build one at module level: compiling costs far more than running.
    Why, as measured: docs/performance.md, "Reads of the hottest pages compiled once".
    """

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        columns = list(stmt.selected_columns)
        conversions = [_conversion(column) for column in columns]
        # mypy reads namedtuple() only with literal field names; these come from the statement.
        self.row: Any = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]  # noqa: PYI024
        self.times = [i for i, kind in enumerate(conversions) if kind == "time"]
        self.bools = [i for i, kind in enumerate(conversions) if kind == "bool"]
        self._compiled: Any = None

    def rows(self, engine: Engine, params: dict[str, Any]) -> list[Any]:
        if engine.dialect.name != "sqlite":
            with engine.connect() as connection:
                return list(connection.execute(self.stmt, params).all())
        if self._compiled is None:
            self._compile(engine)
        sql, plan = self._compiled
        arguments = [
            _sqlite_param(params[name]) if name in params or fixed is _GIVEN else fixed
            for name, fixed in plan
        ]
        held = _held.get()
        if held is not None and held.engine is engine:
            if held.raw is None:
                held.raw = engine.raw_connection()
            return self._fetch(held.raw, sql, arguments)
        raw = engine.raw_connection()  # from the pool, with its checkout/checkin events
        try:
            return self._fetch(raw, sql, arguments)
        finally:
            raw.close()

    def rows_on(self, raw: Any, engine: Engine) -> list[Any]:
        """The rows of a statement with no parameters of its own, read on `raw`, one of
        `engine`'s SQLite connections (a KeptRead's)."""
        if self._compiled is None:
            self._compile(engine)
        sql, plan = self._compiled
        if any(fixed is _GIVEN for _, fixed in plan):
            raise TypeError("rows_on reads statements whose values are all their own")
        return self._fetch(raw, sql, [fixed for _, fixed in plan])

    def _compile(self, engine: Engine) -> None:
        """The SQL, and where each of its placeholders takes its value from: the caller's
        parameter of that name, or the constant the statement holds (a literal, compared to).

        The Core's `construct_params` works that out again on every execution, for every
        parameter: a quarter of a HotQuery's Python time on a member's page, for the same
        answer each time."""
        compiled = self.stmt.compile(dialect=engine.dialect)
        if "POSTCOMPILE" in compiled.string:  # an expanding IN: the Core must render each
            raise TypeError("HotQuery takes fixed placeholders, not an expanding IN")
        plan: list[tuple[str, Any]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if bind.callable is not None:
                raise TypeError(f"HotQuery takes no computed default (parameter {name!r})")
            plan.append((name, _GIVEN if bind.required else _sqlite_param(bind.value)))
        self._compiled = (compiled.string, plan)

    def _fetch(self, raw: Any, sql: str, arguments: list[Any]) -> list[Any]:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, arguments)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        return [self._convert(row) for row in fetched]

    def _convert(self, raw: tuple[Any, ...]) -> Any:
        values = list(raw)
        for i in self.times:
            if values[i] is not None:
                values[i] = _utc(values[i])
        for i in self.bools:
            if values[i] is not None:
                values[i] = bool(values[i])
        return self.row._make(values)


class KeptRead:
    """A parameterless HotQuery's rows, kept in memory until SQLite reports a commit.

    `PRAGMA data_version` on a connection of this process's own, taken out of the pool and
    only ever reading, changes whenever any other connection, in this process or another,
    commits to the file (https://sqlite.org/pragma.html#pragma_data_version): while it stays
    the same, so do the rows. The number is read before the rows, so a commit between the two
    leaves rows newer than their number, which the next read refreshes: never older. Why: the
    pragma costs 4 µs where the read cost 40, a third of a 304 (docs/performance.md, "The
    site's counters kept until a commit"). Other databases, and SQLite in memory (where a
    second connection would open another database), read every time.
    """

    def __init__(self, query: HotQuery) -> None:
        self.query = query
        self._kept: WeakKeyDictionary[Engine, _Kept] = WeakKeyDictionary()
        self._lock = threading.Lock()  # one connection, used from the loop and from threads
        _KEPT_READS.append(self)

    def rows(self, engine: Engine) -> list[Any]:
        if not _on_a_file(engine):
            return self.query.rows(engine, {})
        with self._lock:
            kept = self._kept.get(engine)
            if kept is None:
                kept = self._kept[engine] = _Kept(engine)
                # Closed with the pool's connections, as the engine's own would be.
                if not event.contains(engine, "engine_disposed", self._forget):
                    event.listen(engine, "engine_disposed", self._forget)
            try:
                return kept.rows(self.query, engine)
            except BaseException:
                del self._kept[engine]  # a connection that failed once is not trusted again
                kept.close()
                raise

    def _forget(self, engine: Engine) -> None:
        with self._lock:
            kept = self._kept.pop(engine, None)
        if kept is not None:
            kept.close()

    def connection(self, engine: Engine) -> Any:
        """The DBAPI connection this read keeps for `engine`, if it has one yet (for tests
        that see every statement SQLite runs)."""
        kept = self._kept.get(engine)
        return kept.raw.dbapi_connection if kept is not None else None


_KEPT_READS: list[KeptRead] = []


def kept_connections(engine: Engine) -> list[Any]:
    """The connections KeptReads hold for `engine`, outside its pool."""
    found = (kept.connection(engine) for kept in _KEPT_READS)
    return [connection for connection in found if connection is not None]


def _on_a_file(engine: Engine) -> bool:
    url = engine.url
    return (
        engine.dialect.name == "sqlite"
        and url.database not in (None, "", ":memory:")
        and url.query.get("mode") != "memory"
    )


class _Kept:
    """One engine's connection for a KeptRead, the data version it last saw, and the rows."""

    def __init__(self, engine: Engine) -> None:
        self.raw: Any = engine.raw_connection()  # opened as the pool opens them (its pragmas)
        self.raw.detach()  # ours from now on: never handed to a request, never written on
        self.version: int | None = None
        self.found: list[Any] = []

    def rows(self, query: HotQuery, engine: Engine) -> list[Any]:
        version = self.raw.dbapi_connection.execute("PRAGMA data_version").fetchone()[0]
        if version != self.version:
            self.found = query.rows_on(self.raw, engine)
            self.version = version
        return self.found

    def close(self) -> None:
        with suppress(Exception):
            self.raw.close()
