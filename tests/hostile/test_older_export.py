"""An export older than a decision made in the app never reverts it (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from sla_model.access import Actor, Role
from sla_model.actions import decide
from sla_model.generator import sample_slas
from sla_model.importing import importer
from sla_model.importing.csvfile import read_csv
from sla_model.importing.mapping import OWN_LEADS
from sla_model.store.models import Feedback, Lead
from sla_model.store.repository import add_sla_version
from tests.hostile.conftest import MANAGER

ANA = Actor("Ana Souza", Role.REP, rep="Ana Souza")
NOW = dt.datetime(2026, 11, 20, 9, 30)
HEADER = "lead_id,created_at,channel,owner,mql_at,accepted_at,rejected_at,rejection_reason,sql_at\n"
OLD_EXPORT = HEADER + "".join(f"L{i},2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,,,,\n" for i in range(1, 5))


def _prepared(text: str, name: str = "export.csv") -> importer.Prepared:
    return importer.prepare(read_csv(text.encode(), name=name), OWN_LEADS)


def _lead(engine, lead_id: str) -> Lead:
    with Session(engine) as session:
        return session.get(Lead, lead_id)


@pytest.fixture
def decided(engine):
    """Four MQLs imported from an export, then L1 accepted and L2 rejected in the app."""
    with Session(engine) as session:
        for sla in sample_slas():
            add_sla_version(session=session, sla=sla, actor="test")
        session.commit()
    importer.write(engine, _prepared(OLD_EXPORT), actor=MANAGER)
    decide(engine=engine, actor=ANA, lead_ids=["L1"], accept=True, now=NOW)
    decide(engine=engine, actor=ANA, lead_ids=["L2"], accept=False, reason="no_budget", now=NOW)
    return engine


def test_an_older_export_keeps_the_app_decisions_and_says_how_many(decided):
    prepared = _prepared(OLD_EXPORT)
    assert importer.kept_decisions(decided, prepared) == 2  # what the preview says, before anything is written
    result = importer.write(decided, prepared, actor=MANAGER)
    assert result.kept == 2 and "2 decisions made in the app since the export were kept" in importer.summary(result)
    assert _lead(decided, "L1").accepted_at == NOW
    rejected = _lead(decided, "L2")
    assert (rejected.rejected_at, rejected.rejection_reason, rejected.recycled_at) == (NOW, "no_budget", NOW)
    assert _lead(decided, "L3").accepted_at is None


def test_no_contradicting_decision_can_follow_an_older_import(decided):
    importer.write(decided, _prepared(OLD_EXPORT), actor=MANAGER)
    [again] = decide(engine=decided, actor=ANA, lead_ids=["L1"], accept=False, reason="no_budget",
                     now=NOW + dt.timedelta(hours=1))  # fmt: skip
    assert not again.ok and "already accepted by Ana Souza" in again.message
    with Session(decided) as session:
        assert session.exec(select(Feedback.decision).where(Feedback.lead_id == "L1")).all() == ["accept"]


def test_a_newer_export_still_wins(decided):
    newer = HEADER + "L1,2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,,2026-11-21 08:00,competitor,\n"
    newer += "L2,2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,2026-11-22 08:00,,,2026-11-23 09:00\n"
    prepared = _prepared(newer, "newer.csv")
    assert importer.kept_decisions(decided, prepared) == 0
    assert importer.write(decided, prepared, actor=MANAGER).kept == 0
    lead = _lead(decided, "L1")
    assert (lead.accepted_at, lead.rejected_at, lead.rejection_reason) == (
        None,
        dt.datetime(2026, 11, 21, 8),
        "competitor",
    )
    assert _lead(decided, "L2").sql_at == dt.datetime(2026, 11, 23, 9)


def test_the_same_export_again_changes_nothing_more(decided):
    importer.write(decided, _prepared(OLD_EXPORT), actor=MANAGER)
    again = importer.write(decided, _prepared(OLD_EXPORT), actor=MANAGER)
    assert (again.updated, again.unchanged, again.kept) == (0, 4, 2)  # L1 and L2 kept, L3 and L4 as filed


def test_a_decision_undone_in_the_app_no_longer_holds_back_an_older_export(decided):
    """Before: an undone decision still counted as made in the app, so the lead kept what a later file had set."""
    from sla_model.actions import undo_last

    undo_last(engine=decided, actor=ANA)  # L2's rejection undone: L2 is open again, its decision gone
    accepted = HEADER + "L2,2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,2026-11-25 08:00,,,\n"
    importer.write(decided, _prepared(accepted, "crm-later.csv"), actor=MANAGER)  # the CRM accepted it later
    assert _lead(decided, "L2").accepted_at == dt.datetime(2026, 11, 25, 8)
    reopened = HEADER + "L2,2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,,,,\n"  # older than that acceptance
    prepared = _prepared(reopened, "crm-older.csv")
    assert importer.kept_decisions(decided, prepared) == 0  # no decision made in the app stands on L2
    result = importer.write(decided, prepared, actor=MANAGER)
    assert (result.kept, result.updated) == (0, 1)
    assert _lead(decided, "L2").accepted_at is None  # the files win: as the file says
    assert _lead(decided, "L1").accepted_at == NOW  # a decision still standing in the app is untouched
