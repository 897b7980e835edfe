"""The database engine: SQLite file by default, PostgreSQL through ``DATABASE_URL``."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, event
from sqlmodel import create_engine

from sla_model.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE = PROJECT_ROOT / "data" / "smarketing.db"
BUSY_TIMEOUT_MS = 30_000


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``DATABASE_URL``, else the local SQLite file.

    ``postgresql://`` and ``postgres://`` URLs are read with the psycopg 3 driver.

    Examples:
        >>> database_url("postgres://u@h/db")
        'postgresql+psycopg://u@h/db'
    """
    url = url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy emit BEGIN itself, so write units can take the write lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # Writers start with BEGIN IMMEDIATE: they wait (busy timeout) for the write lock instead of
    # failing half-way with "database is locked" when upgrading a read transaction.
    mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN"
    conn.exec_driver_sql(mode)


def make_engine(url: str | None = None, *, upgrade: bool = True) -> Engine:
    """Create an engine for ``url`` (see :func:`database_url`), its tables set up or upgraded to this release's.

    Args:
        url: the database URL (see :func:`database_url`).
        upgrade: bring the schema to this release's (:func:`sla_model.store.schema.upgrade`); ``False`` only opens
            the engine (the migration tool itself).

    Raises:
        sla_model.store.schema.SchemaError: the database cannot be used by this release (the message says why).
    """
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if upgrade:
        from sla_model.store.schema import upgrade as upgrade_schema

        try:
            upgrade_schema(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, marked so that its transactions take the write lock at BEGIN (SQLite)."""
    return engine.execution_options(write=True)


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite database."""
    return engine.dialect.name == "sqlite"
