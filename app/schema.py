"""The schema belongs to the Alembic migrations in migrations/: this applies and checks them.

Every database (development, production, the test suite's) gets its tables the same way: by
upgrading to the newest revision. The app itself never creates tables.
"""

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection, Engine, make_url

from app.config import PROJECT_DIR
from app.db import private_sqlite_file

ALEMBIC_INI = PROJECT_DIR / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """An Alembic config for `database_url` that leaves the caller's logging alone."""
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def migration_engine(database_url: str) -> Engine:
    """A single-connection engine for running migrations (no pool, no app pragmas)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            private_sqlite_file(Path(url.database))
        # A site that is serving may hold the write lock for a moment: wait rather than fail.
        return create_engine(url, poolclass=pool.NullPool, connect_args={"timeout": 30})
    return create_engine(url, poolclass=pool.NullPool)


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply every pending migration up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


@lru_cache(maxsize=1)
def scripts() -> ScriptDirectory:
    """The revisions in the code; they cannot change while the process runs."""
    return ScriptDirectory.from_config(Config(str(ALEMBIC_INI)))


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revision(s) the database is at; empty for a database without Agora's tables."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def pending(engine: Engine) -> bool:
    """True while some revision in the code is not applied to the database yet.

    A database at a revision this code does not know was migrated by a newer release (a rolling
    deploy migrates first, then replaces the servers): not pending, since revisions are written to
    keep the previous release working. Raises if the database cannot be reached.
    """
    with engine.connect() as connection:
        current = current_revisions(connection)
    heads = set(scripts().get_heads())
    if set(current) == heads:
        return False
    try:
        applied = {rev.revision for rev in scripts().iterate_revisions(current, "base")}
    except RevisionError:
        return False
    return not heads <= applied
