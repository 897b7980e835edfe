"""A database that gives up on a write (locked past its wait, timed out) is a clear refusal from every write.

The lock is real: another connection holds a write transaction (SQLite) or a table lock (PostgreSQL) while the
write waits a moment and gives up. Nothing of the write is stored, and the same write goes through once the lock
is released.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, text

from sla_model.access import Actor, Role, set_user
from sla_model.actions import DB_BUSY, ActionError
from sla_model.alerts import load_settings, save_settings, set_digest_muted
from sla_model.importing.mapping import OWN_LEADS, save_mapping, saved_mappings
from sla_model.store import db as store_db
from sla_model.store.db import make_engine
from tests.hostile.conftest import MANAGER, checksum

REP = Actor("Ana Souza", Role.REP, rep="Ana Souza", id="ana@example.com")
TABLES = ("saved_mapping", "app_user", "alert_settings", "audit_log")


def _write(name: str, engine) -> None:
    if name == "save_mapping":
        save_mapping(engine=engine, mapping=OWN_LEADS.model_copy(update={"name": "Our CRM"}), actor=MANAGER)
    elif name == "save_settings":
        save_settings(engine=engine, actor=MANAGER, settings={"risk_hours": 4.0}, expected_version=0)
    elif name == "digest_off":
        set_digest_muted(engine=engine, actor=REP, muted=True)
    else:
        set_user(engine=engine, actor=MANAGER, email="ben@example.com", role=Role.REP, rep="Ben Carter")


def _stored(name: str, engine) -> bool:
    if name == "save_mapping":
        return "Our CRM" in saved_mappings(engine=engine)
    settings, version = load_settings(engine=engine)
    if name == "save_settings":
        return settings.risk_hours == 4.0 and version == 1
    if name == "digest_off":
        return settings.muted_digests == ["Ana Souza"]
    with engine.connect() as conn:
        return conn.execute(text("SELECT rep FROM app_user WHERE email = 'ben@example.com'")).scalar() == "Ben Carter"


@pytest.fixture
def impatient(db_url, monkeypatch):
    """An engine whose writes give up after a fifth of a second of waiting for a lock."""
    if db_url.startswith("sqlite"):
        monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
        engine = make_engine(db_url)
    else:
        engine = make_engine(db_url)

        @event.listens_for(engine, "connect")
        def _lock_timeout(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
            dbapi_connection.commit()  # a SET inside a transaction rolled back would be undone

        engine.dispose()  # connections opened by the schema upgrade have no lock timeout
    yield engine
    engine.dispose()


@contextmanager
def _held(engine):
    """Another connection holding the write lock (SQLite) or the audit table's lock (PostgreSQL) meanwhile."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    other = create_engine(engine.url)
    with other.connect() as conn:
        conn.execute(text('LOCK TABLE "audit_log" IN ACCESS EXCLUSIVE MODE'))
        try:
            yield
        finally:
            conn.rollback()
    other.dispose()


@pytest.mark.parametrize("name", ["save_mapping", "save_settings", "digest_off", "set_user"])
def test_a_write_the_database_gives_up_on_is_refused_and_stores_nothing(impatient, name):
    """Before: save_mapping, the alert settings, the digest switch and set_user raised a raw OperationalError."""
    before = checksum(impatient)
    with _held(impatient), pytest.raises(ActionError) as refused:
        _write(name, impatient)
    assert str(refused.value) == DB_BUSY and "nothing was stored" in DB_BUSY
    assert checksum(impatient) == before and not _stored(name, impatient)
    _write(name, impatient)  # once the lock is gone, the same write is stored
    assert _stored(name, impatient)
