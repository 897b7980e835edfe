"""The database's schema version, and upgrading a team's database to this release's tables (Alembic migrations).

A database is in one of four states:

- **empty** (none of the app's tables): the tables are created as this release defines them and stamped with the
  newest revision (Alembic's recipe for a database built from scratch);
- **release 1** (the app's tables, no version table: made before migrations existed): stamped with the first
  revision, whose tables are exactly release 1's, then upgraded;
- **behind** (an older revision): upgraded, one revision after the other;
- **ahead** (a revision this release does not know: a newer release upgraded it): refused, since this release
  would misread its tables.

An upgrade runs in one transaction holding the write lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock),
so two processes starting at once upgrade once; a failed migration leaves the database as it was (PostgreSQL and
SQLite both roll DDL back).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlmodel import SQLModel

from sla_model.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The revision whose tables are release 1's (the schema before migrations).
BASELINE = "0001"
#: Set to ``0`` to make the app refuse an old database instead of upgrading it on start.
AUTO_UPGRADE_ENV = "SMARKETING_AUTO_UPGRADE"
UPGRADE_COMMAND = "python -m sla_model upgrade"
#: Any number, the same in every process: PostgreSQL's advisory lock that serialises upgrades.
_PG_LOCK = 73_104_552


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this release; the message says why and what to run."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None = unversioned), this release's newest, and whether it is empty."""

    current: str | None
    head: str
    empty: bool

    @property
    def up_to_date(self) -> bool:
        """True when the database is at this release's newest revision."""
        return self.current == self.head


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the app's migrations, optionally bound to an open connection."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    """This release's newest revision."""
    return _script().get_current_head()


def _state(connection: Connection) -> SchemaState:
    current = MigrationContext.configure(connection).get_current_revision()
    tables = set(inspect(connection).get_table_names())
    return SchemaState(current=current, head=head(), empty=not tables & set(SQLModel.metadata.tables))


def state(engine: Engine) -> SchemaState:
    """The schema state of the database behind ``engine``."""
    with engine.connect() as connection:
        return _state(connection)


def _known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except Exception:  # noqa: BLE001  (Alembic raises several error types for an unknown revision)
        return False


def _ahead_message(current: str) -> str:
    return (
        f"The database is at schema revision {current}, which this release does not know (its newest is {head()}): "
        "a newer release has upgraded it. Run that release, or restore the database from a backup made before the "
        "upgrade."
    )


def upgrade(engine: Engine, *, allow: bool | None = None) -> SchemaState:
    """Bring the database to this release's schema (see the module's docstring for the four states).

    Args:
        engine: the database.
        allow: upgrade an older database; ``None`` reads ``SMARKETING_AUTO_UPGRADE`` (anything but ``0`` allows).
            An empty database is always set up.

    Returns:
        The state the database was found in.

    Raises:
        SchemaError: the database is ahead of this release, or behind it and upgrading is not allowed (the message
            names the revisions and the command to run).
    """
    if allow is None:
        allow = os.environ.get(AUTO_UPGRADE_ENV, "1") != "0"
    with engine.connect() as connection:
        found = _state(connection)
    if found.up_to_date:
        return found
    if found.current is not None and not _known(found.current):
        raise SchemaError(_ahead_message(found.current))
    if not found.empty and not allow:
        raise SchemaError(
            f"The database's tables are at schema revision {found.current or 'release 1 (unversioned)'}; this "
            f"release needs revision {found.head}. Back the database up, then run: {UPGRADE_COMMAND}"
        )
    with engine.execution_options(write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        now = _state(connection)  # another process may have upgraded it while this one waited for the lock
        if now.up_to_date:
            return found
        context = MigrationContext.configure(connection)
        if now.empty:
            SQLModel.metadata.create_all(connection)
            context.stamp(_script(), "head")
            return found
        if now.current is None:
            context.stamp(_script(), BASELINE)
        command.upgrade(config(connection), "head")
    return found
