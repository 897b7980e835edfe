"""Hostile files: a small stored database to refuse them against, and a checksum of what it holds."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from sla_model.access import Actor, Role
from sla_model.generator import sample_dir
from sla_model.importing import importer
from sla_model.importing.csvfile import read_csv
from sla_model.importing.mapping import OWN_LEADS
from sla_model.store.db import make_engine
from sla_model.store.repository import read_dataset
from tests.pages.conftest import sample_db_url, writable_app  # noqa: F401  (for the page tests here)

MANAGER = Actor("Mia Manager", Role.MANAGER)
TABLES = ("lead", "touch", "feedback", "meta", "audit_log", "saved_mapping", "app_user", "sla_version", "data_change",
          "decision", "proposal", "alert_settings", "alert_outbox")  # fmt: skip


def checksum(engine) -> str:
    """A fingerprint of every row of every table (in a fixed order): equal before and after means unchanged."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in TABLES:
            rows = sorted(map(repr, conn.execute(text(f'SELECT * FROM "{table}"')).all()))
            digest.update(f"{table}:{len(rows)}:".encode() + "\n".join(rows).encode())
    return digest.hexdigest()


def _holding_leads(url: str):
    engine = make_engine(url)
    leads = read_dataset(sample_dir())[0].head(200)
    prepared = importer.prepare(read_csv(leads.to_csv(index=False).encode(), name="leads.csv"), OWN_LEADS)
    importer.write(engine, prepared, actor=MANAGER)
    return engine


@pytest.fixture
def stored(tmp_path):
    """An engine on a SQLite file holding the sample's first 200 leads."""
    engine = _holding_leads(f"sqlite:///{tmp_path / 'hostile.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def stored_on(db_url):
    """An engine holding the sample's first 200 leads on SQLite, then on PostgreSQL (a schema of its own)."""
    engine = _holding_leads(db_url)
    yield engine
    engine.dispose()
