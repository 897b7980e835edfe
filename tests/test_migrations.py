"""Schema migrations: a database of an earlier release is upgraded on start and loses nothing.

``tests/data/release_1/`` holds release 1's tables (as its ``create_all`` made them, per dialect) and a small data set
written by release 1's own code (sample leads with their touches and decisions, SLA versions, a user, a saved
mapping, a meeting decision, a proposal, audit entries).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlmodel import Session, SQLModel

from sla_model.access import Actor, Role
from sla_model.actions import log_touch
from sla_model.store import schema
from sla_model.store.db import make_engine
from sla_model.store.models import AuditEntry
from sla_model.store.repository import load_leads

RELEASE_1 = Path(__file__).parent / "data" / "release_1"
ROWS = json.loads((RELEASE_1 / "rows.json").read_text(encoding="utf-8"))


def _typed(table, row: dict) -> dict:
    """A fixture row with dates and times as Python objects (JSON holds them as ISO text)."""
    out = {}
    for name, value in row.items():
        kind = table.c[name].type.python_type if name in table.c else str
        if value is not None and kind is dt.datetime:
            value = dt.datetime.fromisoformat(value)
        elif value is not None and kind is dt.date:
            value = dt.date.fromisoformat(value)
        out[name] = value
    return out


def make_release_1(url: str):
    """A database as release 1 left it: its tables (no migration history) holding its rows."""
    engine = make_engine(url, upgrade=False)
    ddl = (RELEASE_1 / f"schema.{engine.dialect.name}.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    with engine.begin() as conn:
        for statement in filter(str.strip, ddl.split(";")):
            conn.exec_driver_sql(statement)
        for name, rows in ROWS.items():
            table = SQLModel.metadata.tables[name]
            if rows:
                conn.execute(table.insert(), [_typed(table, row) for row in rows])
            if engine.dialect.name == "postgresql" and "id" in table.c and rows:
                # as a restore would: the id sequence carries on after the stored rows
                last = f"(SELECT max(id) FROM {name})"
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {last})"))
    return engine


def differences(engine) -> list:
    """What Alembic finds different between the database's tables and this release's models."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)


def test_a_release_1_database_is_upgraded_on_start_and_keeps_every_row(db_url):
    old = make_release_1(db_url)
    assert schema.state(old).current is None
    old.dispose()

    engine = make_engine(db_url)  # what the app and the CLI do on start

    assert schema.state(engine).up_to_date
    assert differences(engine) == []
    with engine.connect() as conn:
        for name, rows in ROWS.items():
            table = SQLModel.metadata.tables[name]
            stored = [dict(r._mapping) for r in conn.execute(select(table))]
            key = [c.name for c in table.primary_key.columns]
            by_key = {tuple(r[k] for k in key): r for r in stored}
            assert len(stored) == len(rows), name
            for row in rows:
                expected = _typed(table, row)
                got = by_key[tuple(expected[k] for k in key)]
                assert {k: got[k] for k in expected} == expected, (name, expected)
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE actor_id IS NOT NULL")).scalar() == 0
    assert len(load_leads(engine=engine)) == len(ROWS["lead"])
    engine.dispose()


def test_an_upgraded_database_takes_new_writes(db_url):
    make_release_1(db_url).dispose()
    engine = make_engine(db_url)
    manager = Actor("Dana Manager", Role.MANAGER, id="dana@example.com")
    lead = ROWS["lead"][0]["lead_id"]

    touch = log_touch(engine=engine, actor=manager, lead_id=lead, kind="call", at=dt.datetime(2026, 11, 18, 12))

    assert touch.id > max(r["id"] for r in ROWS["touch"])  # new ids carry on after the stored rows
    with Session(engine) as session:
        newest = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()[0]
    assert newest.id > max(r["id"] for r in ROWS["audit_log"])
    assert (newest.action, newest.actor, newest.actor_id) == ("log_touch", "Dana Manager", "dana@example.com")
    engine.dispose()


def test_an_empty_database_gets_this_releases_tables_at_the_newest_revision(db_url):
    engine = make_engine(db_url)
    found = schema.state(engine)
    assert (found.current, found.empty) == (schema.head(), False)
    assert differences(engine) == []
    engine.dispose()


def test_a_database_from_a_newer_release_is_refused_and_left_alone(db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    refused = rf"revision 9999, which this release does not know .*newest is {schema.head()}"
    with pytest.raises(schema.SchemaError, match=refused):
        make_engine(db_url)
    assert schema.state(engine).current == "9999"
    engine.dispose()


def test_with_auto_upgrade_off_an_old_database_is_refused_naming_the_command(db_url, monkeypatch):
    make_release_1(db_url).dispose()
    monkeypatch.setenv(schema.AUTO_UPGRADE_ENV, "0")
    with pytest.raises(schema.SchemaError, match=r"release 1 \(unversioned\).*python -m sla_model upgrade"):
        make_engine(db_url)
    engine = make_engine(db_url, upgrade=False)
    assert schema.state(engine).current is None
    assert "actor_id" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    engine.dispose()


def test_a_migration_that_fails_leaves_the_database_as_it_was(db_url, monkeypatch):
    make_release_1(db_url).dispose()
    real = schema.command.upgrade

    def upgrade_then_fail(cfg, revision):
        real(cfg, revision)
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema.command, "upgrade", upgrade_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        make_engine(db_url)
    engine = make_engine(db_url, upgrade=False)
    assert schema.state(engine).current is None  # not even stamped
    assert "actor_id" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lead")).scalar() == len(ROWS["lead"])
    engine.dispose()


def test_two_processes_starting_at_once_upgrade_the_database_once(db_url):
    make_release_1(db_url).dispose()
    engines = [make_engine(db_url, upgrade=False) for _ in range(4)]
    found, errors = [], []

    def start(engine):
        try:
            found.append(schema.upgrade(engine))
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # each found the old database or the upgraded one, never one half-way
    assert {s.current for s in found} <= {None, schema.head()}
    assert schema.state(engines[0]).up_to_date
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for e in engines:
        e.dispose()
