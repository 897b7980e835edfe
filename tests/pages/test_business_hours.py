"""AppTest: an SLA with business hours and tiered follow-up policies, as the pages show it.

Five October MQLs, judged as of Monday 26 Oct 2026 17:30 UTC (13:30 in New York, on daylight saving time until
1 November, so 09:00–17:00 there is 13:00–21:00 UTC). Hand-worked:

- D1, demo request, handed over Friday 16:00 EDT, touched 30 minutes later: within its 1 h (Demo requests).
- D2, demo request, handed over Friday 16:00 EDT, never touched: due Friday 17:00 EDT → missed, an open breach.
- E1, 2,000 employees, Friday 16:00 EDT, touched Monday 11:00 EDT: 1 h Friday + 2 h Monday = 3 h ≤ 4 (Enterprise).
- S1, 20 employees, Friday 16:00 EDT, never touched: 8 business hours are due Monday 16:00 EDT, so at 13:30 it is
  still running — on the wall clock it would be 45.5 h old and long in breach.
- S2, 20 employees, Monday 19 Oct 09:00 EDT, touched an hour later and accepted: within.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sla_model.agreement.calendar import WEEKDAYS
from sla_model.agreement.sla import parse_sla, sla_to_dict
from sla_model.generator import sample_slas
from tests.pages.conftest import _runner, use_database
from ui import fmt

SNAPSHOT = dt.datetime(2026, 10, 26, 17, 30)
FRIDAY_4PM = pd.Timestamp("2026-10-23 20:00")


def _tiered_sla():
    doc = sla_to_dict(sample_slas()[1])
    doc["calendar"] = {"timezone": "America/New_York", "hours": dict.fromkeys(WEEKDAYS[:5], "09:00-17:00"),
                       "holidays": ["2026-11-26"]}  # fmt: skip
    doc["follow_up"] |= {"first_touch_hours": 8, "min_touches": 3, "touch_window_days": 7, "decision_hours": 48}
    doc["follow_up"]["policies"] = [
        {"name": "Demo requests", "demo_request": True, "first_touch_hours": 1},
        {"name": "Enterprise", "min_company_size": 1000, "first_touch_hours": 4},
    ]
    return parse_sla(doc)


@pytest.fixture
def tiered_app(tmp_path, monkeypatch):
    v1 = sample_slas()[0]
    t = pd.Timestamp
    leads = pd.DataFrame(
        {
            "lead_id": ["D1", "D2", "E1", "S1", "S2"],
            "company": ["Demo One", "Demo Two", "Enterprise Inc", "Small One", "Small Two"],
            "created_at": [FRIDAY_4PM] * 4 + [t("2026-10-19 12:00")],
            "channel": ["Email"] * 5,
            "persona": ["IT Director"] * 5,
            "owner": ["Ana Souza"] * 5,
            "demo_request": [True, True, False, False, False],
            "company_size": [50, 50, 2000, 20, 20],
            "mql_at": [FRIDAY_4PM] * 4 + [t("2026-10-19 13:00")],
            "accepted_at": [pd.NaT] * 4 + [t("2026-10-19 15:00")],
            "score": [70] * 5,
        }
    )
    touches = pd.DataFrame(
        {
            "lead_id": ["D1", "E1", "S2"],
            "rep": ["Ana Souza"] * 3,
            "at": [t("2026-10-23 20:30"), t("2026-10-26 15:00"), t("2026-10-19 14:00")],
            "kind": ["call"] * 3,
            "outcome": ["connected"] * 3,
        }
    )
    use_database(monkeypatch, tmp_path / "tiered.db", slas=(v1, _tiered_sla()), leads=leads, touches=touches,
                 snapshot=SNAPSHOT)  # fmt: skip
    return _runner


def _table(at, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def test_handoff_timing_counts_business_hours_and_shows_each_policy(tiered_app):
    at = tiered_app("pages/handoff_timing.py")
    assert not at.exception
    assert at.title[0].value == "Handoff timing · October 2026"
    caption = at.caption[0].value
    assert "first touch within 8 business hours" in caption
    assert "Mon–Fri 09:00-17:00, America/New_York, 1 holiday" in caption
    assert "Demo requests: first touch within 1 business hour," in caption
    policies = _table(at, "Policy").set_index("Policy")
    assert policies["MQLs"].to_dict() == {"Standard": 2, "Demo requests": 2, "Enterprise": 1}
    assert policies.loc["Demo requests", "In time"] == "50% (1/2) *"
    assert policies.loc["Enterprise", "In time"] == "100% (1/1) *"
    assert policies.loc["Standard", "In time"] == "100% (1/1) *"  # S1's clock is still running
    assert policies.loc["Enterprise", "First touch within"] == "4 business h"
    breaches = _table(at, "Breach")
    assert breaches["Lead"].tolist() == ["D2"]  # S1 is not in breach on business hours
    assert breaches["Policy"].tolist() == ["Demo requests"]
    assert breaches["Breach"].tolist() == ["no touch after 1 business h"]


def test_the_sla_page_lists_the_calendar_and_the_policies(tiered_app):
    at = tiered_app("pages/sla.py")
    assert not at.exception
    shown = [c.value.replace("\\", "") for c in at.caption]  # the markdown source escapes punctuation
    assert "Clocks count business hours: Mon–Fri 09:00-17:00, America/New_York, 1 holiday." in shown
    policies = next(m.value for m in at.markdown if m.value.startswith("**Follow-up policies**"))
    assert policies.replace("\\", "").splitlines()[1:] == [
        "- **Demo requests** (a demo request): first touch within 1 business h, 3 touches within 7 business days, "
        "decide within 48 business h",
        "- **Enterprise** (1,000+ employees): first touch within 4 business h, 3 touches within 7 business days, "
        "decide within 48 business h",
        "- **Standard** (every other MQL): first touch within 8 business h, 3 touches within 7 business days, "
        "decide within 48 business h",
    ]
    assert any("First touch within 8 business hours" in m.value for m in at.markdown)


def test_my_leads_time_left_counts_business_hours_of_each_policy(tiered_app):
    at = tiered_app("pages/my_leads.py")
    assert not at.exception
    queue = _table(at, "First touch").set_index("Lead")
    # Monday 13:30 EDT. S1 (standard, 8 business hours from Friday 16:00): 1 h Friday + 4.5 h today = 5.5 h gone.
    assert queue.loc["S1", "First touch"] == "in 2.5 business h"
    # D2 (Demo requests, 1 h) has been overdue since Friday 17:00 EDT (21:00 UTC): 68.5 hours on the wall clock.
    assert queue.loc["D2", "First touch"] == "overdue by 2.9 d" and queue.loc["D2", "Status"].endswith("Overdue")
    # E1 (Enterprise) was touched; its policy keeps the standard 48 business hours to decide: 5.5 gone.
    assert queue.loc["E1", "First touch"] == "done" and queue.loc["E1", "Decide"] == "in 42.5 business h"


@pytest.fixture
def tiered_sample_app(sample_db_url, tmp_path, monkeypatch):
    """The sample data with a version 3 from 1 Nov 2026 that has business hours and the two policies."""
    import shutil

    from sqlmodel import Session

    from sla_model.store.db import make_engine
    from sla_model.store.repository import add_sla_version

    copy = tmp_path / "tiered-sample.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), copy)
    doc = sla_to_dict(_tiered_sla())
    doc["meta"] |= {"version": 3, "effective_from": "2026-11-01"}
    engine = make_engine(f"sqlite:///{copy}")
    with Session(engine) as session:
        add_sla_version(session=session, sla=parse_sla(doc), actor="test")
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    return _runner


def test_what_if_replays_each_policy_over_the_history(tiered_sample_app):
    from sla_model.generator import AS_OF, generate

    at = tiered_sample_app("pages/what_if.py")
    assert not at.exception
    tables = [d.value for d in at.dataframe if {"Policy", "Touch rule", "Decision"} <= set(d.value.columns)]
    assert tables, "no per-policy replay table"
    replay = tables[0].set_index("Policy")
    assert replay.index.tolist() == ["Demo requests", "Enterprise", "Standard"]
    # MQLs a month per policy, counted here from the generated file: first match wins.
    leads = generate().leads
    months = pd.period_range(leads["created_at"].min().to_period("M"), pd.Timestamp(AS_OF).to_period("M"))[:-1]
    mqls = leads[leads["mql_at"].notna() & leads["mql_at"].dt.to_period("M").isin(months)]
    policy = np.select([mqls["demo_request"].astype(bool), mqls["company_size"] >= 1000],
                       ["Demo requests", "Enterprise"], "Standard")  # fmt: skip
    want = pd.Series(policy).value_counts() / len(months)
    for name in replay.index:
        assert replay.loc[name, "MQLs/mo"] == fmt.number(want[name], 1), name
