"""The engine: URL resolution and SQLite settings for concurrent use."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sla_model.store.db import DEFAULT_SQLITE, database_url, make_engine, writer


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        (None, None, f"sqlite:///{DEFAULT_SQLITE}"),
        (None, "postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "sqlite:///ignored.db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", None, "sqlite:///x.db"),
    ],
)
def test_database_url(monkeypatch, given, env, expected):
    if env is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", env)
    assert database_url(given) == expected


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    assert (tmp_path / "a" / "b.db").exists()


def test_writer_transactions_take_the_write_lock_at_begin(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with writer(engine).begin() as conn:
        # Inside BEGIN IMMEDIATE this connection already holds the RESERVED lock, so a second
        # writer with no busy timeout is refused at once.
        import sqlite3

        other = sqlite3.connect(tmp_path / "w.db", timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        conn.execute(text("SELECT 1"))
    engine.dispose()
