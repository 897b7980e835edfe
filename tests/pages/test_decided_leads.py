"""AppTest: won, lost and converted leads without accepted or SQL dates are decided on every page."""

from __future__ import annotations

import datetime as dt

import pytest

from sla_model.generator import sample_slas
from tests.factories import decided_leads
from tests.pages.conftest import _runner, metric, use_database

SNAPSHOT = dt.datetime(2026, 11, 10)


@pytest.fixture
def decided_app(tmp_path, monkeypatch):
    """Six October MQLs (won, lost, opportunity-then-won, pending, rejected, disqualified), no touches."""
    use_database(monkeypatch, tmp_path / "decided.db", slas=sample_slas(), leads=decided_leads(), snapshot=SNAPSHOT)
    return _runner


def test_my_leads_lists_only_the_pending_mql(decided_app):
    at = decided_app("pages/my_leads.py")
    assert not at.exception
    assert at.dataframe[0].value["Lead"].tolist() == ["P"]
    summary = next(m.value for m in at.markdown if "open MQL" in m.value)
    assert summary.startswith("**1 open MQL**") and "**1 overdue**" in summary


def test_lead_quality_counts_won_and_lost_leads_as_accepted(decided_app):
    at = decided_app("pages/lead_quality.py")
    assert not at.exception
    assert metric(at, "Accepted").value == "3"
    assert metric(at, "Pending").value == "1"
    assert metric(at, "Acceptance rate").value == "75%"


def test_handoff_timing_has_one_breach_and_a_time_in_stage(decided_app):
    at = decided_app("pages/handoff_timing.py")
    assert not at.exception
    assert any(s.value == "Open breaches now · 1" for s in at.subheader)
    assert not any("No lead reached SQL or won" in i.value for i in at.info)


def test_goal_progress_counts_won_and_lost_leads_as_sqls(decided_app):
    at = decided_app("pages/goal_progress.py", month="2026-10")
    assert not at.exception
    # W (won 11 Oct), L (lost 21 Oct), O (opportunity 31 Oct): three SQLs in October, none with an SQL date
    assert metric(at, "SQLs").value == "3"
    assert metric(at, "Won deals").value == "1"
