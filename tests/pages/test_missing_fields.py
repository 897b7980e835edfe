"""AppTest: when the data lacks a field or table a page needs, the page says which, instead of a zero."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sla_model.generator import sample_slas
from tests.factories import leads_frame, make_mql
from tests.pages.conftest import _runner, use_database

SNAPSHOT = dt.datetime(2026, 11, 10)


def _bare_leads() -> pd.DataFrame:
    """An export with outcomes only: no score, company size or demo requests; owners set; no touches anywhere.

    Twelve October MQLs (four won, four SQL, four accepted) and six September ones (accepted).
    """
    rows = [
        make_mql(f"O{i}", f"2026-10-{i + 1:02d} 09:00", outcome=("won", "sql", "accepted")[i % 3],
                 owner="Ana Souza", company_size=0)
        for i in range(12)
    ] + [make_mql(f"S{i}", f"2026-09-{i + 1:02d} 09:00", outcome="accepted", owner="Ana Souza", company_size=0)
         for i in range(6)]  # fmt: skip
    return leads_frame(*rows)


@pytest.fixture
def bare_app(tmp_path, monkeypatch):
    use_database(monkeypatch, tmp_path / "bare.db", slas=sample_slas(), leads=_bare_leads(), snapshot=SNAPSHOT)
    return _runner


def test_lead_quality_says_there_are_no_scores_instead_of_one_band(bare_app):
    at = bare_app("pages/lead_quality.py", month="2026-10")
    assert not at.exception
    texts = [i.value for i in at.info]
    assert (
        "No lead has a score in this data (the import had no score column), so conversion by score band is "
        "not shown." in texts
    )
    assert not any("by lead score band" in m.value for m in at.markdown)


def test_handoff_timing_says_no_touches_are_recorded_and_shows_no_rates(bare_app):
    at = bare_app("pages/handoff_timing.py", month="2026-10")
    assert not at.exception
    assert any(
        "No touches are recorded in this data (import a touches/activities file to see speed to lead)" in i.value
        for i in at.info
    )
    labels = [m.label for m in at.metric]
    assert "Within SLA" not in labels and "Touch rule met" not in labels
    assert not any("0%" in c.value for c in at.caption)


def test_what_if_names_the_criteria_no_lead_can_meet(bare_app):
    at = bare_app("pages/what_if.py")
    assert not at.exception
    warning = next(w.value for w in at.warning if "empty in this data" in w.value)
    # SLA v2 in force: score ≥ threshold, company size ≥ minimum, a demo request triggers
    assert "score" in warning and "company size" in warning and "demo request" in warning
    assert "0 MQLs" in warning
