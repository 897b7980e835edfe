"""Pages' cached aggregates: keyed by the data version, so a write shows at once; reused while nothing changed."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass

import pandas as pd
import pytest
from sqlmodel import Session, text
from streamlit.testing.v1 import AppTest

from sla_model.access import Actor, Role
from sla_model.actions import decide
from sla_model.generator import AS_OF
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.repository import bump_data_version, open_mqls
from ui import cached

MANAGER = Actor("Maya Chen", Role.MANAGER, id="maya@example.com")


@pytest.fixture
def own_sample(sample_db_url, tmp_path, monkeypatch):
    """A copy of the sample database this test may write to; returns its engine."""
    path = tmp_path / "sample.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SMARKETING_SNAPSHOT_DIR", str(tmp_path / "copies"))
    return make_engine(f"sqlite:///{path}")


def run(page: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / page), default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def test_a_rejection_note_shows_in_voice_of_sales_on_the_next_run(own_sample):
    at = run("pages/lead_quality.py")
    notes = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    queue = open_mqls(engine=own_sample)
    month = queue[(queue["mql_at"] >= "2026-11-01") & (queue["mql_at"] < "2026-12-01")]
    note = "Budget frozen until Q3, asked us to come back then"
    assert note not in notes["Note"].tolist()
    done = decide(engine=own_sample, actor=MANAGER, lead_ids=[month["lead_id"].iloc[0]], accept=False,
                  reason="no_budget", note=note, now=AS_OF)  # fmt: skip
    assert done[0].ok
    at.run()
    assert not at.exception, at.exception
    notes = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    assert notes["Note"].iloc[0] == note


def test_an_accepted_mql_leaves_the_at_risk_list_on_the_next_run(own_sample):
    at = run("pages/handoff_timing.py")
    before = next(d.value for d in at.dataframe if "Time left" in d.value.columns)
    lead = before["Lead"].iloc[0]
    assert decide(engine=own_sample, actor=MANAGER, lead_ids=[lead], accept=True, now=AS_OF)[0].ok
    at.run()
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe if "Time left" in d.value.columns]
    after = tables[0]["Lead"].tolist() if tables else []
    assert lead not in after
    assert tables or len(before) == 1  # the others are still at risk


@dataclass(frozen=True)
class _Data:
    version: int


@dataclass(frozen=True)
class _View:
    data: _Data
    channels: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()


def test_the_key_holds_the_data_version_and_the_filters(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    calls = []

    def total(frame: pd.DataFrame, column: str, month: pd.Period) -> int:
        calls.append(column)
        return int(frame[column].sum())

    frame = pd.DataFrame({"n": [1, 2, 3]})
    first, later = _View(_Data(7)), _View(_Data(8))
    assert 7 in cached.view_scope(first) and 8 in cached.view_scope(later)
    assert cached.compute(cached.view_scope(first), total, frame, "n", pd.Period("2026-11", "M")) == 6
    assert cached.compute(cached.view_scope(first), total, frame, "n", pd.Period("2026-11", "M")) == 6
    assert len(calls) == 1  # nothing changed: the aggregate is reused
    frame = pd.DataFrame({"n": [1, 2, 3, 4]})  # a write: the data version moves with it
    assert cached.compute(cached.view_scope(later), total, frame, "n", pd.Period("2026-11", "M")) == 10
    filtered = _View(_Data(8), channels=("Email",))
    assert cached.compute(cached.view_scope(filtered), total, frame.head(1), "n", pd.Period("2026-11", "M")) == 1
    assert cached.compute(cached.view_scope(later), total, frame, "n", pd.Period("2026-10", "M")) == 10
    assert len(calls) == 4  # a new version, a filter, another month: computed again


def test_an_argument_with_no_key_is_refused():
    with pytest.raises(TypeError, match="no cache key"):
        cached.compute(("db", 1), len, object())


def test_a_decision_on_an_open_lead_does_not_run_the_forecast_backtest_again(own_sample, monkeypatch):
    """The backtest reads only the complete months: a decision this month reuses it; one dated in a complete month
    (what a later import of history would do) runs it again."""
    import streamlit as st

    from sla_model.metrics import forecast

    runs = []
    real = forecast.backtest

    def counted(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(forecast, "backtest", counted)
    st.cache_data.clear()
    at = run("pages/goal_progress.py")
    line = next(c.value for c in at.caption if c.value.startswith("Backtest"))
    assert len(runs) == 1
    queue = open_mqls(engine=own_sample)
    november = queue[queue["mql_at"] >= "2026-11-01"]["lead_id"]
    assert decide(engine=own_sample, actor=MANAGER, lead_ids=[november.iloc[0]], accept=True, now=AS_OF)[0].ok
    assert decide(engine=own_sample, actor=MANAGER, lead_ids=[november.iloc[1]], accept=False, reason="no_budget",
                  now=AS_OF)[0].ok  # fmt: skip
    at.run()
    assert not at.exception, at.exception
    assert next(c.value for c in at.caption if c.value.startswith("Backtest")) == line
    assert len(runs) == 1  # the forecast itself is computed afresh; its backtest is reused
    with Session(own_sample) as session:  # a deal won in October is worth more: what re-importing it would do
        won = session.exec(text("SELECT lead_id FROM lead WHERE won_at >= '2026-10-01' AND won_at < '2026-11-01'"))
        lead = won.first()[0]
        session.exec(text("UPDATE lead SET amount = amount + 1000 WHERE lead_id = :id").bindparams(id=lead))
        bump_data_version(session=session, leads=[lead])
        session.commit()
    at.run()
    assert not at.exception, at.exception
    assert len(runs) == 2  # a complete month changed: the backtest runs again


def test_under_a_live_clock_a_decision_minutes_later_does_not_run_the_forecast_backtest_again(own_sample, monkeypatch):
    """Before: the backtest was keyed by the exact moment, so under a live clock every write (each new moment) ran it
    again (1.1 s of Goal progress at a million leads). It is judged to the hour: a new hour runs it again."""
    import streamlit as st

    from sla_model.metrics import forecast
    from sla_model.store import repository
    from sla_model.store.repository import CLOCK_KEY, LIVE

    runs, now = [], [AS_OF + dt.timedelta(minutes=3)]
    real = forecast.backtest
    monkeypatch.setattr(forecast, "backtest", lambda *a, **k: runs.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(repository, "utcnow", lambda: now[0])
    with Session(own_sample) as session:
        session.exec(text("INSERT INTO meta (key, value) VALUES (:k, :v)").bindparams(k=CLOCK_KEY, v=LIVE))
        bump_data_version(session=session, leads=[])
        session.commit()
    st.cache_data.clear()
    at = run("pages/goal_progress.py")
    assert len(runs) == 1 and any(c.value.startswith("Backtest") for c in at.caption)
    queue = open_mqls(engine=own_sample)
    now[0] = AS_OF + dt.timedelta(minutes=41)
    assert decide(engine=own_sample, actor=MANAGER, lead_ids=[queue["lead_id"].iloc[-1]], accept=True, now=now[0])[0].ok
    at.run()
    assert not at.exception, at.exception
    assert len(runs) == 1  # 38 minutes later, another data version: the backtest is the hour's
    now[0] = AS_OF + dt.timedelta(hours=1, minutes=2)
    assert decide(engine=own_sample, actor=MANAGER, lead_ids=[queue["lead_id"].iloc[-2]], accept=True, now=now[0])[0].ok
    at.run()
    assert not at.exception, at.exception
    assert len(runs) == 2 and runs[-1] == pd.Timestamp(AS_OF + dt.timedelta(hours=1))  # the next hour: again
