"""AppTest: a rep decides, rejects with a reason, logs a touch and undoes; the lead-quality page follows."""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from sla_model.access import Actor, Role
from sla_model.actions import decide
from sla_model.generator import AS_OF, SLOW_REP, generate, sample_slas
from sla_model.metrics.lifecycle import is_open
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.models import Feedback
from sla_model.store.repository import CLOCK_KEY, LIVE, open_mqls, set_meta
from tests.pages.conftest import metric, use_database
from ui.fmt import md_escape

OTHER_SESSION = Actor("Maya Chen", Role.MANAGER)

PAGE = "pages/my_leads.py"
QUALITY = "pages/lead_quality.py"


def _as(at, who: str):
    at.selectbox(key="identity").set_value(who).run()
    assert not at.exception
    return at


def _table_key(at) -> str:
    """The widget key of the queue table drawn last."""
    if "queue_key" in at.session_state:
        return at.session_state["queue_key"]
    return f"queue_{at.session_state['queue_gen'] if 'queue_gen' in at.session_state else 0}"


def _select(at, rows: list[int]):
    """Tick ``rows`` (positions in the table the user sees), as the browser reports it."""
    at.session_state[_table_key(at)] = {"selection": {"rows": rows, "columns": []}}
    return at.run()


def _page() -> AppTest:
    return AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=120).run()


def _engine():
    return make_engine(os.environ["DATABASE_URL"])


def _caption(at, start: str, *, raw: bool = False) -> str:
    """The caption that reads ``start``…, as the user reads it (markdown escapes removed) unless ``raw``."""
    found = [c.value if raw else re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]
    found = [c for c in found if re.sub(r"\\(.)", r"\1", c).startswith(start)]
    assert found, f"no caption starting {start!r}; have {[c.value for c in at.caption]}"
    return found[0]


def _stored(engine, lead_id: str) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Feedback).where(Feedback.lead_id == lead_id).order_by(Feedback.id)).all()
        return [(f.decision, f.note, f.by) for f in rows]


def _expected_queue(owner: str) -> pd.DataFrame:
    leads = generate().leads
    open_ = leads[is_open(leads)]
    return open_[open_["owner"] == owner].sort_values(["mql_at", "lead_id"])


def test_a_rep_sees_only_their_open_mqls_oldest_first(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    assert at.title[0].value == "My leads"
    table = at.dataframe[0].value
    assert table["Lead"].tolist() == _expected_queue(SLOW_REP)["lead_id"].tolist()
    assert "Owner" not in table.columns
    # The slow rep's planted untouched leads are overdue on their first touch.
    untouched = table[table["Touches"] == 0]
    overdue = untouched[untouched["First touch"].str.startswith("overdue by")]
    assert len(overdue) >= 6
    assert overdue["Status"].str.contains("Overdue").all()
    assert (
        untouched["First touch"].str.startswith("overdue by") | untouched["First touch"].str.startswith("in ")
    ).all()


def test_search_by_company_or_id(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    first = at.dataframe[0].value.iloc[0]
    at.text_input(key="search").input(first["Company"].split()[0].lower()).run()
    assert first["Lead"] in at.dataframe[0].value["Lead"].tolist()
    at.text_input(key="search").input(first["Lead"]).run()
    assert at.dataframe[0].value["Lead"].tolist() == [first["Lead"]]


def test_accept_reject_undo_and_the_lead_quality_page_follows(writable_app):
    quality = writable_app(QUALITY)
    accepted_before = int(metric(quality, "Accepted").value)
    rejected_before = int(metric(quality, "Rejected").value)

    at = _as(writable_app(PAGE), SLOW_REP)
    queue = at.dataframe[0].value
    november = [i for i, d in enumerate(queue["Handed over"]) if d.split()[1] == "Nov"][:2]
    lead_a, lead_b = queue["Lead"][november[0]], queue["Lead"][november[1]]

    _select(at, [november[0]])
    at.button(key="accept").click().run()
    assert [s.value for s in at.success] == [f"lead {lead_a} accepted"]
    assert lead_a not in at.dataframe[0].value["Lead"].tolist()

    rows = at.dataframe[0].value["Lead"].tolist()
    _select(at, [rows.index(lead_b)])
    at.selectbox(key="reason").set_value("competitor")
    at.text_area(key="note").input("Works for a rival — 🚫 <b>not</b> a buyer")
    at.button(key="reject").click().run()
    assert [s.value for s in at.success] == [f"lead {lead_b} rejected \\(Competitor or partner\\)\\: disqualified"]

    quality.run()
    assert int(metric(quality, "Accepted").value) == accepted_before + 1
    assert int(metric(quality, "Rejected").value) == rejected_before + 1
    notes = quality.dataframe[-1].value
    assert "Works for a rival — 🚫 <b>not</b> a buyer" in notes["Note"].tolist()

    at.button(key="undo").click().run()
    assert any(f"decision on lead {lead_b} undone" in s.value for s in at.success)
    assert lead_b in at.dataframe[0].value["Lead"].tolist()
    quality.run()
    assert int(metric(quality, "Rejected").value) == rejected_before


def test_logging_a_touch_clears_the_first_touch_breach(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    table = at.dataframe[0].value
    row = int(table.index[table["Touches"] == 0][0])
    lead = table["Lead"][row]
    _select(at, [row])
    at.button(key="log_touch").click().run()
    assert any(f"call logged on lead {lead}" in s.value for s in at.success)
    after = at.dataframe[0].value.set_index("Lead").loc[lead]
    assert after["Touches"] == 1 and after["First touch"] == "done"


def test_a_viewer_gets_the_read_only_screen(writable_app):
    at = _as(writable_app(PAGE), "Viewer (meeting screen)")
    assert any("read-only" in i.value for i in at.info)
    assert not at.button and not at.dataframe


def test_a_manager_sees_every_rep_and_can_narrow_to_one(writable_app):
    at = writable_app(PAGE)
    assert at.title[0].value == "Open MQLs"
    table = at.dataframe[0].value
    assert "Owner" in table.columns and table["Owner"].nunique() > 3
    at.selectbox(key="whose").set_value(SLOW_REP).run()
    assert at.dataframe[0].value["Lead"].tolist() == _expected_queue(SLOW_REP)["lead_id"].tolist()
    assert f"times as of {pd.Timestamp(AS_OF):%d %b %H:%M} UTC" in at.markdown[0].value


@pytest.mark.parametrize("live", [False, True], ids=["snapshot", "live clock"])
def test_the_queue_is_read_once_per_data_version_and_a_decision_elsewhere_shows_at_the_next_run(
    writable_app, monkeypatch, live
):
    import ui.my_leads

    if live:  # judged as of now: the table is worked out again at every run, the queue still read once
        with Session(_engine()) as session:
            set_meta(session=session, key=CLOCK_KEY, value=LIVE)
            session.commit()
    reads = []

    def counted(*, engine, owner=None):
        reads.append(owner)
        return open_mqls(engine=engine, owner=owner)

    monkeypatch.setattr(ui.my_leads, "open_mqls", counted)
    at = _as(writable_app(PAGE), SLOW_REP)
    queue = at.dataframe[0].value["Lead"].tolist()
    at.run()
    at.text_input(key="search").input(queue[1]).run()
    assert at.dataframe[0].value["Lead"].tolist() == [queue[1]]
    at.text_input(key="search").input("").run()
    assert reads == [None, SLOW_REP]  # the manager's first run, then the rep's: every rerun after reuses it
    decide(engine=_engine(), actor=OTHER_SESSION, lead_ids=[queue[0]], accept=True)
    at.run()
    assert at.dataframe[0].value["Lead"].tolist() == queue[1:]
    assert reads == [None, SLOW_REP, SLOW_REP]


# --- the lead ticked is the lead decided -------------------------------------------------------------------


def test_a_lead_decided_in_another_session_never_shifts_the_tick_to_the_next_row(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    first, second, third = at.dataframe[0].value["Lead"].tolist()[:3]
    engine = _engine()
    decide(engine=engine, actor=OTHER_SESSION, lead_ids=[first], accept=True)  # the rep's table is stale now

    _select(at, [1])  # the rep ticks the row that showed `second`
    assert _caption(at, "1 selected").startswith(f"1 selected: {second} ")
    table = at.dataframe[0].value
    assert first not in table["Lead"].tolist()
    assert at.session_state[_table_key(at)]["selection"]["rows"] == [table["Lead"].tolist().index(second)]

    at.selectbox(key="reason").set_value("competitor")
    at.button(key="reject").click().run()
    assert [s.value for s in at.success] == [f"lead {second} rejected \\(Competitor or partner\\)\\: disqualified"]
    assert [d for d, _, _ in _stored(engine, second)] == ["reject"]
    assert _stored(engine, third) == []
    assert third in at.dataframe[0].value["Lead"].tolist()


def test_the_ticks_follow_their_leads_when_a_search_narrows_the_table(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    leads = at.dataframe[0].value["Lead"].tolist()
    _select(at, [0, 2])
    at.text_input(key="search").input(leads[2]).run()
    assert at.dataframe[0].value["Lead"].tolist() == [leads[2]]
    assert _caption(at, "1 selected").startswith(f"1 selected: {leads[2]} ")
    assert any(f"lead {leads[0]} is no longer selected" in w.value and "search hides it" in w.value for w in at.warning)


def test_a_ticked_lead_decided_elsewhere_is_unticked_and_said_so_and_nothing_else_is_decided(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    first, second = at.dataframe[0].value["Lead"].tolist()[:2]
    _select(at, [0])
    engine = _engine()
    decide(engine=engine, actor=OTHER_SESSION, lead_ids=[first], accept=True)

    # The rep clicks Reject on the table they saw: it refuses, and does not reject the lead now in that row.
    at.button(key="reject").click().run()
    assert any(f"lead {first} was already accepted by Maya Chen" in e.value for e in at.error)
    assert _stored(engine, second) == []
    assert _caption(at, "0 selected") == "0 selected"

    # A rerun that finds a ticked lead decided elsewhere unticks it and says so.
    _select(at, [0])  # ticks `second`, now the first row
    decide(engine=engine, actor=OTHER_SESSION, lead_ids=[second], accept=True)
    at.text_input(key="search").input("").run()
    assert any(f"lead {second} is no longer selected" in w.value for w in at.warning)
    assert _caption(at, "0 selected") == "0 selected"
    assert at.button(key="reject").disabled


# --- every submit stored once, and confirmed --------------------------------------------------------------


def test_a_second_click_right_after_a_stored_reject_changes_nothing_and_keeps_its_confirmation(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    lead = at.dataframe[0].value["Lead"].iloc[0]
    _select(at, [0])
    at.selectbox(key="reason").set_value("competitor")
    at.text_area(key="note").input("Works for a rival")
    at.button(key="reject").click().run()
    confirmation = f"lead {lead} rejected \\(Competitor or partner\\)\\: disqualified"
    assert [s.value for s in at.success] == [confirmation]
    assert at.text_area(key="note").value == ""

    # The second click of a double click: the browser still holds the note it showed when it was made.
    at.text_area(key="note").input("Works for a rival")
    second_click = at.button(key="reject")
    assert second_click.proto.disabled  # once the page has refreshed; the second click landed before that
    second_click.proto.disabled = False  # as the browser still showed it
    second_click.click().run()
    assert [s.value for s in at.success] == [confirmation]
    assert not at.warning and not at.error
    assert at.text_area(key="note").value == ""
    assert _stored(_engine(), lead) == [("reject", "Works for a rival", SLOW_REP)]


def test_a_refused_reject_keeps_the_note(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    lead = at.dataframe[0].value["Lead"].iloc[0]
    _select(at, [0])
    decide(engine=_engine(), actor=OTHER_SESSION, lead_ids=[lead], accept=True)
    at.text_area(key="note").input("Call back in Q3")
    at.button(key="reject").click().run()
    assert any("already accepted" in e.value for e in at.error)
    assert at.text_area(key="note").value == "Call back in Q3"


# --- wording ----------------------------------------------------------------------------------------------


def _small_queue(tmp_path, monkeypatch, n: int, *, first_name: str = "Ada", lead_id: str = "L1"):
    t = pd.Timestamp("2026-11-20 10:00")
    ids = [lead_id, *[f"L{i}" for i in range(2, n + 1)]][:n]
    leads = pd.DataFrame(
        {
            "lead_id": [*ids, "OTHER"],
            "created_at": [t] * (n + 1),
            "channel": ["Email"] * (n + 1),
            "owner": ["Ana Souza"] * n + ["Ben Carter"],
            "mql_at": [t + pd.Timedelta(hours=1)] * (n + 1),
            "score": [70] * (n + 1),
            "first_name": [first_name] * (n + 1),
            "last_name": ["Lovelace"] * (n + 1),
            "company": ["Analytical Engines"] * (n + 1),
        }
    )
    use_database(monkeypatch, tmp_path / "small.db", slas=sample_slas(), leads=leads, snapshot=t + pd.Timedelta(days=1))


def test_one_open_mql_is_singular(tmp_path, monkeypatch):
    _small_queue(tmp_path, monkeypatch, 1)
    at = _as(_page(), "Ana Souza")
    assert at.markdown[0].value.startswith("**1 open MQL**, oldest first · ")


def test_an_empty_queue_is_described_for_whoever_is_looking(tmp_path, monkeypatch):
    _small_queue(tmp_path, monkeypatch, 1)
    decide(engine=_engine(), actor=OTHER_SESSION, lead_ids=["L1"], accept=True)
    at = _as(_page(), "Ana Souza")
    assert [s.value for s in at.success] == ["Nothing waiting: every MQL of yours has a decision."]
    at = _page()
    at.selectbox(key="whose").set_value("Ana Souza").run()
    assert [s.value for s in at.success] == ["Nothing waiting: every MQL owned by Ana Souza has a decision."]


def test_lead_ids_and_names_in_the_selection_are_literal_text(tmp_path, monkeypatch):
    _small_queue(tmp_path, monkeypatch, 2, lead_id="L_1_**x**", first_name="[Ada](http://evil)")
    at = _as(_page(), "Ana Souza")
    _select(at, [at.dataframe[0].value["Lead"].tolist().index("L_1_**x**")])
    expected = "1 selected: L_1_**x** ([Ada](http://evil) Lovelace)"
    assert _caption(at, "1 selected", raw=True) == md_escape(expected)


def test_the_columns_a_rep_acts_on_come_first_so_they_fit_at_1280(sample_app):
    """Before: at 1280×720 the Decide column was the last and was cut off the right of the table."""
    at = sample_app(PAGE)
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Decide" in d.value.columns)
    assert list(table.columns[:4]) == ["Status", "Lead", "Decide", "First touch"]


def test_a_rep_sees_their_mqls_at_risk_within_the_hours_they_choose_soonest_first(writable_app):
    from sla_model.metrics.handoff import at_risk
    from sla_model.metrics.timing import touch_summary

    data = generate()
    summary = touch_summary(data.leads, data.touches, sample_slas())
    at = _as(writable_app(PAGE), "Jonas Weber")
    at.number_input(key="my_risk_hours").set_value(48).run()
    want = at_risk(summary[summary["owner"] == "Jonas Weber"], data.leads, AS_OF, 48, versions=sample_slas())
    assert len(want) > 0
    table = next(d.value for d in at.dataframe if "Rule due" in d.value.columns)
    assert table["Lead"].tolist() == want["lead_id"].tolist()
    assert set(table["Owner"]) == {"Jonas Weber"}
    assert want["hours_left"].is_monotonic_increasing


def test_a_database_that_gives_up_on_a_write_says_nothing_was_stored(writable_app, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import ui.my_leads

    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO feedback ...", {}, sqlite3.OperationalError("database is locked"))

    at = _as(writable_app(PAGE), SLOW_REP)
    lead = at.dataframe[0].value["Lead"][0]
    before = len(pd.read_sql("SELECT * FROM feedback", _engine()))
    monkeypatch.setattr(ui.my_leads, "decide", locked)
    _select(at, [0])
    at.button(key="accept").click().run()
    assert not at.exception
    assert [re.sub(r"\\(.)", r"\1", e.value) for e in at.error] == [ui.my_leads.DB_BUSY]
    assert not at.success
    assert lead in at.dataframe[0].value["Lead"].tolist()  # still open, still listed
    assert len(pd.read_sql("SELECT * FROM feedback", _engine())) == before
