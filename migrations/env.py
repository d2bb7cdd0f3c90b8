"""Alembic's entry point: Agora's models are the target, Agora's settings give the database URL."""

import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.config import Settings
from app.schema import migration_engine

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata

# Serialises `agora migrate` runs started at once (say, by several boxes deploying together) on
# PostgreSQL; the number is arbitrary but fixed.
PG_MIGRATION_LOCK = 720_431_990


def database_url() -> str:
    return config.attributes.get("database_url") or Settings().database_url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Write decorated column types (UTCDateTime, sqlmodel's AutoString) as what the database
    stores, so revisions never import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl
        if type(impl).__module__.startswith("sqlalchemy.sql"):
            return f"sa.{impl!r}"
    return False


# Full-text search lives outside the models (see the "full-text search" and "comment search"
# revisions): on SQLite the FTS5 tables `post_fts` and `comment_fts` and the shadow tables FTS5
# keeps beside them, on PostgreSQL the generated `search_vector` columns of `post` and `comment`
# and their GIN indexes. Autogenerate must neither drop nor recreate them.
SEARCH_OBJECTS = {"search_vector", "ix_post_search", "ix_comment_search"}
SEARCH_TABLES = ("post_fts", "comment_fts")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name and name.startswith(SEARCH_TABLES):
        return False
    return name not in SEARCH_OBJECTS


def configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode copies the table
        render_item=render_item,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_table_sql(connection: Connection, name: str) -> str:
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).scalar()
    return sql or ""


def _sqlite_autoincrement(connection: Connection, name: str) -> bool:
    return re.search(r"\bAUTOINCREMENT\b", _sqlite_table_sql(connection, name), re.I) is not None


def _sqlite_sequences(connection: Connection) -> dict[str, int]:
    if not _sqlite_table_sql(connection, "sqlite_sequence"):
        return {}
    return dict(connection.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all())


@contextmanager
def sqlite_ids_kept(connection: Connection) -> Iterator[None]:
    """Keep ids never reused across every revision's batch operations on SQLite.

    Batch mode rebuilds a table by copying it, which would lose both halves of AUTOINCREMENT:
    the keyword (SQLite reflection does not report it, so the copy is made without) and the
    table's sequence (the copy starts past its highest remaining id, not past deleted ones).
    """

    def keep_keyword(inspector: Inspector, table: Table, column_info: dict[str, Any]) -> None:
        if _sqlite_autoincrement(connection, table.name):
            table.dialect_kwargs["sqlite_autoincrement"] = True

    before = _sqlite_sequences(connection)
    event.listen(Table, "column_reflect", keep_keyword)
    try:
        yield
    finally:
        event.remove(Table, "column_reflect", keep_keyword)
    after = _sqlite_sequences(connection)
    for name, seq in before.items():
        if after.get(name, 0) >= seq or not _sqlite_autoincrement(connection, name):
            continue  # kept, or the table is gone or numbers its rows another way now
        connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
        connection.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq)
        )


def run_in(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode drops and re-creates tables; with foreign keys on, dropping `user` would
        # cascade-delete every post and vote. The pragma only takes effect outside a transaction.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"))
        with sqlite_ids_kept(connection) if sqlite else nullcontext():
            context.run_migrations()
    if sqlite:
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"migration left rows that break foreign keys: {problems[:5]}")


def run_migrations_online() -> None:
    engine = migration_engine(database_url())
    try:
        with engine.connect() as connection:
            run_in(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
