"""Alembic's environment for the app's schema migrations.

The app runs migrations through :func:`sla_model.store.schema.upgrade`, which hands this script the connection it
already holds (and has locked) in ``config.attributes["connection"]``. Run from the command line
(``alembic -c sla_model/store/migrations/alembic.ini ...``, e.g. to write a new revision with ``--autogenerate``), it
connects to ``DATABASE_URL`` or the local SQLite file.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from sla_model.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from sla_model.store.db import database_url

config = context.config
target_metadata = SQLModel.metadata


def _render_item(kind: str, obj: object, _autogen_context) -> str | bool:
    # a revision is frozen: SQLModel's AutoString is written as the plain String it is
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
        compare_type=True,
    )


def run_migrations_online() -> None:
    """Run the migrations on the connection the app passed in, or on a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from sla_model.store.db import make_engine

    engine = make_engine(database_url(), upgrade=False)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported: run them against the database")
run_migrations_online()
