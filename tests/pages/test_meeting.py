"""AppTest: the meeting page walks the agenda with the domain's numbers; decisions persist and come back next month."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from sqlmodel import Session

from sla_model.access import Actor, Role
from sla_model.metrics.timing import touch_summary
from sla_model.review import decisions, meeting
from sla_model.store.db import make_engine
from sla_model.store.repository import data_as_of, list_sla_versions, load_feedback, load_leads, load_touches
from sla_model.whatif import Candidate
from tests.pages.conftest import metric
from ui import fmt

PAGE = "pages/meeting.py"
OCT, NOV = pd.Period("2026-10", "M"), pd.Period("2026-11", "M")
MONTHLY = ["scorecard", "wins", "misses", "voice", "breaches", "changes"]


def inputs_of(url: str) -> meeting.MeetingInputs:
    engine = make_engine(url)
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    leads, touches = load_leads(engine=engine), load_touches(engine=engine)
    summary = touch_summary(leads, touches, versions)
    return meeting.MeetingInputs(leads, summary, load_feedback(engine=engine), versions, data_as_of(engine=engine))


@pytest.fixture(scope="module")
def sample_inputs(sample_db_url):
    return inputs_of(sample_db_url)


def shown(at) -> list[str]:
    """Every sentence the page says in large type (the icon stripped)."""
    return [m.value.split(" ", 2)[2].replace("\\", "") for m in at.markdown if m.value.startswith("#### :material/")]


def open_section(runner, key: str, *, month: str = "2026-10", variant: str = "monthly"):
    at = runner(PAGE, month=month)
    at.session_state["mt_variant"] = variant
    at.session_state[f"mt_step_{variant}"] = key
    return at.run()


def test_presentation_mode_shows_one_slide_and_its_buttons(sample_app):
    at = sample_app(PAGE, month="2026-10", present="1")
    at.session_state["mt_variant"] = "monthly"
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["1a. Scorecard"]  # one slide, the tiles first
    assert [b.label for b in at.button] == ["Next: 1b · MQLs vs pace and quota"]
    at.button(key="mt_next").click().run()
    assert [h.value for h in at.header] == ["1b. Scorecard: MQLs vs pace and quota"]
    assert [b.label for b in at.button] == ["Back: 1a · Scorecard", "Next: 1c · In sentences"]
    at.toggle(key="mt_present").set_value(False).run()  # leaving it shows the agenda again
    assert [h.value for h in at.header] == ["1. Scorecard"]
    assert "present" not in at.query_params


@pytest.mark.parametrize("key", MONTHLY)
def test_every_section_of_the_monthly_review_renders_the_domain_sentences(sample_app, sample_inputs, key):
    at = open_section(sample_app, key)
    assert not at.exception
    log = decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"]))
    none = pd.DataFrame(columns=["title", "status", "proposed_by", "summary"])
    review = meeting.review(sample_inputs, OCT, decisions=log, proposals=none)
    section = review.section(key)
    number = MONTHLY.index(key) + 1
    assert [h.value for h in at.header] == [f"{number}. {section.title}"]
    if key in ("scorecard", "wins", "voice", "breaches"):
        assert shown(at) == section.lines
    if key == "misses":
        assert shown(at) == [line.removeprefix("Likely cause: ") for line in section.lines]


def test_the_scorecard_tiles_equal_the_domain_functions(sample_app, sample_inputs):
    at = open_section(sample_app, "scorecard")
    card = meeting.scorecard(sample_inputs, OCT).set_index("measure")
    assert metric(at, "MQLs").value == fmt.count(card.loc["mqls", "actual"])
    assert metric(at, "Won deals").value == fmt.count(card.loc["won", "actual"])
    assert metric(at, "Revenue").value == fmt.money(card.loc["revenue", "actual"])
    assert at.title[0].value == "Monthly review · October 2026"


def test_an_open_month_opens_on_the_check_in_and_says_what_each_day_needs(sample_app, sample_inputs):
    at = sample_app(PAGE, month="2026-11")
    assert not at.exception
    assert at.title[0].value == "Mid-month check-in · November 2026"
    assert at.header[0].value == "1. Pace: what the rest of the month must bring"
    assert shown(at) == meeting.pace_lines(sample_inputs, NOV)
    for key in ("breaches", "actions", "voice"):
        assert not open_section(sample_app, key, month="2026-11", variant="checkin").exception


def test_back_and_next_walk_the_agenda(sample_app):
    at = sample_app(PAGE, month="2026-10")
    for number, key in enumerate(MONTHLY[1:], start=2):
        at.button(key="mt_next").click().run()
        assert at.session_state["mt_step_monthly"] == key
        assert at.header[0].value.startswith(f"{number}. ")
    assert not [b for b in at.button if b.key == "mt_next"]  # the last section has no Next
    at.button(key="mt_prev").click().run()
    assert at.session_state["mt_step_monthly"] == "breaches"


def test_a_decision_recorded_in_october_is_carried_to_november_with_its_result(writable_app):
    at = open_section(writable_app, "changes")
    at.text_area(key="mt_text").input("Pause Content Syndication until acceptance is above 50%")
    at.text_input(key="mt_owner").input("Maya Chen")
    at.selectbox(key="mt_metric").select("acceptance")
    at.text_input(key="mt_target").input("50%")
    next(b for b in at.button if b.label == "Record").click().run()
    assert not at.exception
    assert [s.value.replace("\\", "") for s in at.success] == [
        "Recorded: Pause Content Syndication until acceptance is above 50% (Maya Chen, due 30 Nov 2026)."
    ]
    stored = decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"]))
    assert stored[["month", "owner", "metric", "target", "status"]].values.tolist() == [
        ["2026-10", "Maya Chen", "acceptance", 0.5, "open"]
    ]
    table = next(d.value for d in at.dataframe if "Metric" in d.value.columns)  # agreed in this review
    assert table[["Decision or action", "Metric", "Target"]].values.tolist() == [
        ["Pause Content Syndication until acceptance is above 50%", "MQL acceptance rate", "50%"]
    ]

    later = open_section(writable_app, "changes", month="2026-11")
    inputs = inputs_of(os.environ["DATABASE_URL"])
    expected = meeting.decision_result(inputs, metric="acceptance", target=0.5, decided_in=OCT, judged_in=NOV)
    assert shown(later) == [
        f"Agreed in October: Pause Content Syndication until acceptance is above 50% (Maya Chen, due 30 Nov 2026; "
        f"open) — {expected}"
    ]

    later.selectbox(key="mt_close_pick").select(int(stored["id"].iloc[0]))
    later.radio(key="mt_close_status").set_value("done")
    later.text_input(key="mt_close_outcome").input("Paused on 3 Nov")
    next(b for b in later.button if b.label == "Update").click().run()
    assert not later.exception
    after = decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"]))
    assert after[["status", "outcome", "row_version"]].values.tolist() == [["done", "Paused on 3 Nov", 2]]


def test_a_bad_target_is_refused_with_the_reason_and_nothing_is_stored(writable_app):
    at = open_section(writable_app, "changes")
    at.text_area(key="mt_text").input("Something")
    at.text_input(key="mt_owner").input("Luis")
    at.selectbox(key="mt_metric").select("acceptance")
    at.text_input(key="mt_target").input("150%")
    next(b for b in at.button if b.label == "Record").click().run()
    assert [e.value for e in at.error] == ["target '150%' is not a share between 0% and 100%"]
    assert decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"])).empty


def test_a_proposal_from_the_what_if_page_is_shown_with_its_replay_and_adopted(writable_app):
    engine = make_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        sla = list_sla_versions(session=session)[-1]
    candidate = Candidate.from_sla(sla, team_size=10, capacity_per_rep_week=15).replace(score_threshold=70)
    row = decisions.propose(
        engine=engine, actor=Actor("Maya Chen", Role.MANAGER), title="Score 70", candidate=candidate
    )
    at = open_section(writable_app, "changes")
    assert "#### Score 70" in [m.value for m in at.markdown]
    assert any("MQLs a month" in m.value and "MQLs per rep a week" in m.value for m in at.markdown)
    at.button(key=f"mt_adopted_{row.id}").click().run()
    assert not at.exception
    assert [p.status for p in decisions.list_proposals(engine=engine)] == ["adopted"]
    # before: once adopted it vanished from the review and the report, and no link loaded it on What if…
    # (a page run on its own has no navigation: the link is a caption naming the page; the browser test follows it)
    assert any("Load “Score 70” on What if… to publish it" in c.value for c in at.caption)
    review_lines = [m.value.replace("\\", "") for m in at.markdown]
    assert not any("#### Score 70" == line for line in review_lines)  # no longer waiting for a decision


def test_an_adopted_change_stays_in_the_review_and_its_report(sample_inputs):
    from sla_model.review import report

    adopted = pd.DataFrame({"id": [7], "title": ["Score 70"], "status": ["adopted"], "proposed_by": ["Maya"],
                            "summary": ["412 MQLs a month"], "decided_by": ["Luis"],
                            "decided_at": [pd.Timestamp("2026-10-20")]})  # fmt: skip
    log = pd.DataFrame(columns=["id", "month", "text", "owner", "due", "metric", "target", "status", "result",
                                "row_version"])  # fmt: skip
    review = meeting.review(sample_inputs, OCT, decisions=log, proposals=adopted)
    line = "Adopted: “Score 70” (412 MQLs a month), adopted by Luis."
    assert line in review.section("changes").lines
    assert line.replace("“", "&ldquo;")[:0] + "Adopted: " in report.to_html(review)


def test_viewers_see_the_meeting_but_cannot_record(writable_app):
    at = writable_app(PAGE, month="2026-10")
    at.selectbox(key="identity").select("Viewer (meeting screen)")
    at.session_state["mt_step_monthly"] = "changes"
    at.run()
    assert not at.exception
    assert not [t for t in at.text_area if t.key == "mt_text"]
    assert any("Managers record decisions" in c.value for c in at.caption)


def test_a_past_months_breach_list_says_it_is_todays(sample_app):
    """Before: March's 'breaches_2026-03.csv' held today's list (identical to November's) and did not say so."""
    at = sample_app("pages/meeting.py", month="March 2026")
    assert not at.exception
    labels = {b.label for b in at.get("download_button")}
    assert "Open breaches as of 18 Nov 2026 (CSV)" in labels
    assert not any("Breach list" in label for label in labels)


def test_a_month_with_nothing_missed_shows_no_likely_causes(sample_app, sample_inputs):
    """Before: March 2026 showed 'Nothing missed.' and, under it, a 'Likely causes' heading."""
    march = pd.Period("2026-03", "M")
    log = decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"]))
    none = pd.DataFrame(columns=["title", "status", "proposed_by", "summary"])
    review = meeting.review(sample_inputs, march, decisions=log, proposals=none)
    lines = review.section("misses").lines
    assert not [x for x in lines if not x.startswith("Likely cause: ")]  # the planted month beats every quota
    at = open_section(sample_app, "misses", month="2026-03")
    assert not at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert "### Likely causes" not in headings
    assert shown(at)[0] == "Nothing missed."
    if any(x.startswith("Likely cause: ") for x in lines):
        assert "### Worth watching" in headings


# --- a double click, a reload: every submit is idempotent and keeps the form's text until it is stored ---------


def _fill_decision(at, text: str = "Pause Content Syndication") -> None:
    at.text_area(key="mt_text").input(text)
    at.text_input(key="mt_owner").input("Maya Chen")


def _record(at):
    return next(b for b in at.button if b.label == "Record").click().run()


def _stored_texts() -> list[str]:
    return decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"]))["text"].tolist()


def test_a_double_clicked_record_stores_the_decision_once_and_confirms_it(writable_app):
    """Before: the second submit of a double click stored the decision again, or said 'the decision is empty'."""
    at = open_section(writable_app, "changes")
    confirmation = ["Recorded: Pause Content Syndication (Maya Chen, due 30 Nov 2026)."]
    _fill_decision(at)
    _record(at)
    _fill_decision(at)  # the second click, sent before the page refreshed: the browser still holds the text
    _record(at)
    assert not at.exception and not at.error
    assert [s.value.replace("\\", "") for s in at.success] == confirmation
    assert _stored_texts() == ["Pause Content Syndication"]
    assert (at.text_area(key="mt_text").value, at.text_input(key="mt_owner").value) == ("", "")  # cleared once stored
    _record(at)  # the second click, sent after the page refreshed: the form is empty by then
    assert not at.error
    assert [s.value.replace("\\", "") for s in at.success] == confirmation
    assert _stored_texts() == ["Pause Content Syndication"]


def test_a_refused_decision_keeps_its_text_and_a_second_try_stores_it(writable_app):
    at = open_section(writable_app, "changes")
    at.text_area(key="mt_text").input("Pause Content Syndication")
    _record(at)
    assert [e.value.replace("\\", "") for e in at.error] == ["the owner is empty: write it out"]
    assert at.text_area(key="mt_text").value == "Pause Content Syndication"  # kept, not dropped
    at.text_input(key="mt_owner").input("Maya Chen")
    _record(at)
    assert not at.error
    assert _stored_texts() == ["Pause Content Syndication"]


def test_a_decision_submitted_while_the_page_reloads_is_stored(writable_app, monkeypatch):
    """The run a click starts may be cut short (by the second click of a double click): the decision is kept."""
    import streamlit as st

    from sla_model.review import report

    at = open_section(writable_app, "changes")
    _fill_decision(at)
    real = report.charts
    monkeypatch.setattr(report, "charts", lambda *args: st.stop())  # the run ends before the sections are drawn
    _record(at)
    monkeypatch.setattr(report, "charts", real)
    at.run()
    assert _stored_texts() == ["Pause Content Syndication"]
    assert not at.error


def test_a_double_clicked_update_is_stored_once_and_keeps_its_outcome(writable_app):
    """Before: the second submit was refused as changed 'since you opened it', or stored an empty outcome."""
    at = open_section(writable_app, "changes")
    _fill_decision(at)
    _record(at)
    for outcome in ("Paused on 3 Nov", "Paused on 3 Nov", ""):  # before the refresh, then after it (emptied)
        at.radio(key="mt_close_status").set_value("done")
        at.text_input(key="mt_close_outcome").input(outcome)
        next(b for b in at.button if b.label == "Update").click().run()
        assert not at.exception and not at.error
        assert [s.value.replace("\\", "") for s in at.success] == ["Decision updated: done."]
    after = decisions.list_decisions(engine=make_engine(os.environ["DATABASE_URL"]))
    assert after[["status", "outcome", "row_version"]].values.tolist() == [["done", "Paused on 3 Nov", 2]]
    assert at.text_input(key="mt_close_outcome").value == ""


def test_a_double_clicked_adopt_is_stored_once(writable_app):
    engine = make_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        sla = list_sla_versions(session=session)[-1]
    candidate = Candidate.from_sla(sla, team_size=10, capacity_per_rep_week=15).replace(score_threshold=70)
    row = decisions.propose(
        engine=engine, actor=Actor("Maya Chen", Role.MANAGER), title="Score 70", candidate=candidate
    )
    at = open_section(writable_app, "changes")
    adopt = at.button(key=f"mt_adopted_{row.id}")
    adopt.click()
    at.run()
    assert [s.value.replace("\\", "") for s in at.success] == ["“Score 70” adopted."]
    adopt.click()  # the second click, on the button drawn before the refresh
    at.run()
    assert not at.exception and not at.error
    assert [(p.status, p.row_version) for p in decisions.list_proposals(engine=engine)] == [("adopted", 2)]


def test_the_breaches_section_shows_the_at_risk_mqls_apart_from_the_broken(sample_app, sample_inputs):
    at = open_section(sample_app, "breaches")
    section = meeting.breaches(sample_inputs)
    risk = section.tables["at_risk"]
    assert len(risk) > 0 and section.lines[0].startswith("Broken: ") and section.lines[-1].startswith("At risk: ")
    table = next(d.value for d in at.dataframe if "Rule due" in d.value.columns)
    assert table["Lead"].tolist() == risk["lead_id"].tolist()
    assert not set(table["Lead"]) & set(section.tables["breaches"]["lead_id"])


def test_a_selected_breach_in_the_meeting_opens_that_leads_history(sample_app, sample_inputs):
    at = open_section(sample_app, "breaches")
    first = meeting.breaches(sample_inputs).tables["breaches"]["lead_id"].iloc[0]
    at.session_state["mt_breach_rows"] = {"selection": {"rows": [0], "columns": []}}  # as the browser reports a tick
    at.run()
    assert not at.exception
    shown = [e.proto.label for e in at.get("page_link")] or [c.value for c in at.caption]
    assert any(text.startswith(f"Open the history of {first}") for text in shown), shown


def test_the_misses_show_the_revenue_gap_to_goal_split_by_factor(sample_app, sample_inputs):
    from sla_model.agreement.sla import in_force
    from sla_model.metrics.gap import gap_sentence, gap_vs_goal

    at = open_section(sample_app, "misses")
    assert not at.exception
    said = [m.value for m in at.markdown]
    assert "### Revenue against the goal, by factor" in said
    sla = in_force(sample_inputs.versions, OCT.start_time.date())
    g = gap_vs_goal(sample_inputs.leads, sla, OCT.start_time, NOV.start_time, sample_inputs.as_of)
    assert "#### " + fmt.md_escape(gap_sentence(g, fmt.money, "the goal")) in said
