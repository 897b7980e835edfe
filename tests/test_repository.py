"""Database round trips on SQLite and PostgreSQL: bulk writes, bulk reads, SLA versions, seeding."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from sla_model.access import Actor, Role
from sla_model.generator import sample_dir, sample_slas
from sla_model.store import repository, sqlite_bulk
from sla_model.store.models import AuditEntry
from sla_model.store.repository import (
    LEAD_COLUMNS,
    SNAPSHOT_KEY,
    add_sla_version,
    bulk_insert,
    counts,
    data_as_of,
    get_meta,
    list_sla_versions,
    load_feedback,
    load_leads,
    load_touches,
    read_dataset,
)
from sla_model.store.seed import seed_if_empty
from tests.conftest import versions_of
from tests.factories import same_values

TRICKY_TEXT = [
    "",
    "plain",
    "comma, \"quote\" and 'apostrophe'",
    "tab\tand\nnewline\r\nCRLF",
    "\\N",
    "back\\slash",
    "emoji 🚀🔥 and RTL مرحبا بالعالم שלום",
    "<script>alert(1)</script> **not markdown**",
    '=HYPERLINK("http://x")',
    "x" * 10_000,
]


def _tricky_feedback() -> pd.DataFrame:
    n = len(TRICKY_TEXT)
    return pd.DataFrame(
        {
            "lead_id": [f"T{i}" for i in range(n)],
            "decision": ["reject"] * n,
            "reason": [None, "no_budget"] * (n // 2),
            "note": TRICKY_TEXT,
            "by": ["Zoë Ångström"] * n,
            "at": pd.date_range("2026-01-01 09:30:15.123456", periods=n, freq="h"),
        }
    )


def test_bulk_insert_round_trips_any_text_exactly(engine):
    frame = _tricky_feedback()
    with Session(engine) as session:
        assert bulk_insert(session.connection(), "feedback", frame) == len(frame)
        session.commit()
    back = load_feedback(engine=engine)
    assert back["note"].tolist() == TRICKY_TEXT
    assert back["reason"].tolist() == frame["reason"].tolist()
    assert back["at"].tolist() == frame["at"].tolist()  # microseconds survive
    assert back["by"].unique().tolist() == ["Zoë Ångström"]


def _loaded(engine) -> dict[str, pd.DataFrame]:
    key = {"leads": "lead_id", "touches": ["lead_id", "at"], "feedback": ["lead_id", "at"]}
    frames = {"leads": load_leads(engine=engine), "touches": load_touches(engine=engine),
              "feedback": load_feedback(engine=engine)}  # fmt: skip
    return {name: frame.sort_values(key[name], ignore_index=True) for name, frame in frames.items()}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_bulk_reader_loads_exactly_what_the_row_by_row_read_loads(seeded_engine, monkeypatch):
    with Session(seeded_engine) as session:  # text of every kind, and columns that are NULL in every row
        bulk_insert(session.connection(), "feedback", _tricky_feedback())
        session.execute(text("UPDATE lead SET amount = NULL, lost_at = NULL, owner = NULL"))
        ids = session.execute(text("SELECT lead_id FROM lead ORDER BY lead_id LIMIT 3")).scalars().all()
        stored = ["2026-03-01 10:00:59.999833", "2026-03-01 10:00:59.5", "2026-03-01 10:00:59"]
        for lead_id, at in zip(ids, stored, strict=True):
            session.execute(text("UPDATE lead SET created_at = :at WHERE lead_id = :id"), {"at": at, "id": lead_id})
        session.commit()
    monkeypatch.setattr(repository, "BULK_READ_ROWS", 10**12)
    by_rows = _loaded(seeded_engine)
    monkeypatch.setattr(repository, "BULK_READ_ROWS", 1)
    read = []
    monkeypatch.setattr(sqlite_bulk, "read", lambda *a, **k: read.append(a[1]) or real_read(*a, **k))
    in_bulk = _loaded(seeded_engine)
    assert len(read) == 3  # every table went through the reader process
    for name, frame in by_rows.items():
        pd.testing.assert_frame_equal(in_bulk[name], frame, check_exact=True)
    assert in_bulk["leads"]["amount"].isna().all() and in_bulk["leads"]["lost_at"].isna().all()
    assert in_bulk["feedback"]["note"].tail(len(TRICKY_TEXT)).tolist() == TRICKY_TEXT
    times = by_rows["leads"].set_index("lead_id").loc[ids, "created_at"].astype(str).tolist()
    assert times == ["2026-03-01 10:00:59.999833", "2026-03-01 10:00:59.500000", "2026-03-01 10:00:59.000000"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_value_stored_with_another_type_is_read_row_by_row(seeded_engine, monkeypatch):
    with Session(seeded_engine) as session:  # written by hand or by another program: not what the app writes
        session.execute(text("UPDATE lead SET demo_request = 'True', score = 3.5 WHERE lead_id = 'L0000001'"))
        session.commit()
    monkeypatch.setattr(repository, "BULK_READ_ROWS", 1)
    leads = load_leads(engine=seeded_engine).set_index("lead_id")
    assert (bool(leads.loc["L0000001", "demo_request"]), int(leads.loc["L0000001", "score"])) == (True, 3)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_time_text_the_bulk_reader_cannot_parse_is_read_as_the_row_by_row_read_reads_it(seeded_engine, monkeypatch):
    """The bulk reader parses SQLite's time text with Arrow; text of another form (another program's) falls back."""
    with Session(seeded_engine) as session:
        session.execute(text("UPDATE touch SET at = '2026-03-01T10:00:00+02:00' WHERE id = 1"))
        session.execute(text("UPDATE lead SET created_at = '2026-03-01 10:00:00.1234567' WHERE lead_id = 'L0000001'"))
        session.commit()
    monkeypatch.setattr(repository, "BULK_READ_ROWS", 10**12)
    by_rows = _loaded(seeded_engine)
    monkeypatch.setattr(repository, "BULK_READ_ROWS", 1)
    in_bulk = _loaded(seeded_engine)
    for name, frame in by_rows.items():
        pd.testing.assert_frame_equal(in_bulk[name], frame, check_exact=True)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_bulk_read_says_why(engine):
    with pytest.raises(ValueError, match="the data could not be read: no such table: nowhere"):
        sqlite_bulk.read(engine.url.database, "SELECT 1 FROM nowhere", busy_ms=1000)


real_read = sqlite_bulk.read


def test_bulk_insert_of_nothing_writes_nothing(engine):
    with Session(engine) as session:
        assert bulk_insert(session.connection(), "feedback", _tricky_feedback().iloc[:0]) == 0
    assert counts(engine=engine)["feedback"] == 0


def test_seed_loads_the_sample_data_exactly(seeded_engine):
    leads, touches, feedback, snapshot = read_dataset(sample_dir())
    got = load_leads(engine=seeded_engine).sort_values("lead_id", ignore_index=True)
    assert list(got.columns) == LEAD_COLUMNS
    assert len(got) == len(leads) == 20_000
    same_values(got, leads, LEAD_COLUMNS, ["lead_id"])
    assert got["mql_at"].dtype == "datetime64[ns]"
    assert isinstance(got["channel"].dtype, pd.CategoricalDtype)
    t = load_touches(engine=seeded_engine)
    assert len(t) == len(touches)
    assert t["at"].is_monotonic_increasing
    assert sorted(t["lead_id"].unique()) == sorted(touches["lead_id"].unique())
    f = load_feedback(engine=seeded_engine)
    assert sorted(f["note"].tolist()) == sorted(feedback["note"].tolist())
    assert data_as_of(engine=seeded_engine) == snapshot


def test_seed_runs_once(seeded_engine):
    before = counts(engine=seeded_engine)
    assert seed_if_empty(engine=seeded_engine, slas=sample_slas(), folder=sample_dir()) is False
    assert counts(engine=seeded_engine) == before
    assert before == {"sla_versions": 2, "leads": 20_000, "touches": before["touches"], "feedback": before["feedback"]}
    assert before["touches"] > 90_000


def test_sla_versions_round_trip_and_are_audited(seeded_engine):
    assert versions_of(seeded_engine) == sample_slas()
    with Session(seeded_engine) as session:
        actions = session.exec(select(AuditEntry.action)).all()
        assert sorted(actions) == ["publish_sla", "publish_sla", "seed"]
        assert get_meta(session=session, key=SNAPSHOT_KEY) == "2026-11-18T12:00:00"


def test_adding_a_taken_version_number_is_refused_and_nothing_is_written(seeded_engine):
    v2 = sample_slas()[-1]
    with Session(seeded_engine) as session, pytest.raises(ValueError, match="SLA version 2 already exists"):
        add_sla_version(session=session, sla=v2, actor="manager@example.com")
    assert counts(engine=seeded_engine)["sla_versions"] == 2


def test_a_new_version_is_stored_with_its_document(seeded_engine):
    v2 = sample_slas()[-1]
    v3 = v2.model_copy(
        update={"meta": v2.meta.model_copy(update={"version": 3, "effective_from": dt.date(2026, 12, 1)})}
    )
    with Session(seeded_engine) as session:
        row = add_sla_version(session=session, sla=v3, actor="manager@example.com")
        session.commit()
        assert json.loads(row.document)["meta"]["version"] == 3
        stored = list_sla_versions(session=session)
    assert [s.meta.version for s in stored] == [1, 2, 3]
    assert stored[-1] == v3


def test_empty_database_loads_empty_frames_with_the_right_columns(engine):
    leads = load_leads(engine=engine)
    assert leads.empty and list(leads.columns) == LEAD_COLUMNS
    assert leads["created_at"].dtype == "datetime64[ns]"
    assert load_touches(engine=engine).empty
    assert versions_of(engine) == []


def test_open_mqls_leaves_out_won_lost_and_converted_leads(engine):
    from sla_model.store.repository import open_mqls
    from tests.factories import decided_leads

    sql = decided_leads().iloc[:1].assign(lead_id="S", won_at=pd.NaT, amount=np.nan, sql_at=pd.Timestamp("2026-10-04"))
    leads = pd.concat([decided_leads(), sql], ignore_index=True)  # W, L, O converted without SQL or accepted dates
    with Session(engine) as session:
        bulk_insert(session.connection(), "lead", leads)
        session.commit()
    assert open_mqls(engine=engine)["lead_id"].tolist() == ["P"]
    assert open_mqls(engine=engine, owner="Ana Souza")["lead_id"].tolist() == ["P"]


def test_seeding_never_adds_the_sample_leads_to_imported_ones(engine):
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import OWN_LEADS

    data = b"lead_id,created_at,channel\nMINE-1,2026-03-01,Email\n"
    importer.write(
        engine, importer.prepare(read_csv(data, name="mine.csv"), OWN_LEADS), actor=Actor("test", Role.MANAGER)
    )
    assert seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir()) is False  # no SLA version yet
    assert load_leads(engine=engine)["lead_id"].tolist() == ["MINE-1"]
