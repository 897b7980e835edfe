"""AppTest: the what-if page recomputes on every move, warns, and publishes a version the SLA page shows."""

from __future__ import annotations

import pytest

from sla_model.whatif import Candidate, evaluate
from tests.pages.conftest import metric
from ui import fmt

PAGE = "pages/what_if.py"


def test_starts_at_the_sla_in_force_and_matches_the_engine(sample_app, engine_inputs):
    arrays, base = engine_inputs
    at = sample_app(PAGE)
    assert not at.exception
    assert at.slider(key="wi_score_threshold").value == base.score_threshold
    expected = evaluate(arrays, base, baseline=base)
    assert metric(at, "MQLs").value == fmt.count(expected.mqls)
    assert metric(at, "Revenue").value == fmt.money(expected.revenue.expected)


@pytest.mark.parametrize(
    ("key", "value", "change"),
    [
        ("wi_score_threshold", 40, lambda c: c.replace(score_threshold=40)),
        ("wi_min_company_size", 500, lambda c: c.replace(min_company_size=500)),
        ("wi_demo_request", False, lambda c: c.replace(demo_request=False)),
    ],
)
def test_moving_a_definition_control_changes_the_mqls(sample_app, engine_inputs, key, value, change):
    arrays, base = engine_inputs
    at = sample_app(PAGE)
    before = metric(at, "MQLs").value
    widget = at.slider(key=key) if key == "wi_score_threshold" else (
        at.toggle(key=key) if key == "wi_demo_request" else at.number_input(key=key))  # fmt: skip
    widget.set_value(value).run()
    assert not at.exception
    expected = evaluate(arrays, change(base), baseline=base)
    assert metric(at, "MQLs").value == fmt.count(expected.mqls) != before
    change = expected.mqls - expected.baseline_mqls
    assert (
        metric(at, "MQLs").delta
        == fmt.change(change, fmt.count(abs(change)), f" vs {fmt.count(expected.baseline_mqls)}")[0]
    )


def test_too_little_capacity_warns_and_reset_returns_to_the_sla(sample_app):
    at = sample_app(PAGE)
    at.slider(key="wi_capacity_per_rep_week").set_value(2.0).run()
    assert any("Over capacity" in w.value for w in at.warning)
    at.button(key="wi_reset").click().run()
    assert at.slider(key="wi_capacity_per_rep_week").value == 15.0
    assert not any("Over capacity" in w.value for w in at.warning)


def test_a_manager_publishes_and_the_sla_page_shows_the_new_version(writable_app):
    at = writable_app(PAGE)
    at.slider(key="wi_score_threshold").set_value(60).run()
    at.text_area(key="wi_note").input("Raise the threshold to 60 after the November review")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception
    assert any("Published SLA version 3" in s.value for s in at.success), [s.value for s in at.success]
    sla_page = writable_app("pages/sla.py", sla_version="Version 3")
    assert sla_page.title[0].value == "The SLA · version 3"
    assert "Raise the threshold to 60" in sla_page.caption[0].value
    diff = sla_page.table[-1].value.set_index("Term")  # the diff names terms as people say them
    assert diff.loc["MQL score threshold"].tolist() == ["55", "60"]


def test_a_rep_cannot_publish(writable_app):
    at = writable_app(PAGE)
    at.selectbox(key="identity").set_value("Ana Souza").run()
    at.text_area(key="wi_note").input("sneaky")
    at.get("form_submit_button")[0].click().run()
    assert any("may not publish an SLA version: only managers can" in e.value.replace("\\", "") for e in at.error)


def test_a_scenario_is_proposed_for_the_next_review(writable_app):
    import os

    from sla_model.review.decisions import candidate_of, list_proposals
    from sla_model.store.db import make_engine

    at = writable_app(PAGE)
    at.slider(key="wi_score_threshold").set_value(65).run()
    at.text_input(key="wi_proposal_title").input("Score 65: fewer, better MQLs")
    next(b for b in at.button if b.label == "Propose").click().run()
    assert not at.exception
    assert any(
        "Proposed “Score 65: fewer, better MQLs” for the next review" in s.value.replace("\\", "") for s in at.success
    )
    stored = list_proposals(engine=make_engine(os.environ["DATABASE_URL"]))
    assert [(p.title, p.proposed_by, candidate_of(p).score_threshold) for p in stored] == [
        ("Score 65: fewer, better MQLs", "Manager (local)", 65)
    ]


def test_an_adopted_change_from_the_meeting_loads_ready_to_publish(writable_app):
    """Before: the meeting's link to What if… did not load the adopted scenario."""
    import os

    from sqlmodel import Session

    from sla_model.access import Actor, Role
    from sla_model.review import decisions
    from sla_model.store.db import make_engine
    from sla_model.store.repository import list_sla_versions

    engine = make_engine(os.environ["DATABASE_URL"])
    with Session(engine) as session:
        sla = list_sla_versions(session=session)[-1]
    candidate = Candidate.from_sla(sla, team_size=10, capacity_per_rep_week=15).replace(score_threshold=70)
    maya = Actor("Maya Chen", Role.MANAGER)
    row = decisions.propose(engine=engine, actor=maya, title="Score 70", candidate=candidate)
    decisions.decide_proposal(engine=engine, actor=maya, proposal_id=row.id, status="adopted", row_version=1)
    at = writable_app(PAGE, proposal=str(row.id))
    assert not at.exception
    assert at.slider(key="wi_score_threshold").value == 70
    assert any("Loaded the adopted change “Score 70”" in s.value.replace("\\\\", "") for s in at.success)
    assert "proposal" not in at.query_params


def test_mqls_needed_that_differ_from_goal_progress_say_why(sample_app):
    """Before: 566 MQLs needed on Goal progress, 674 on What if…, and neither page said why."""
    at = sample_app(PAGE)
    assert not at.exception
    why = [c.value for c in at.caption if "Goal progress shows" in c.value]
    assert why and "MQLs needed for this goal" in why[0] and "whole history" in why[0]
    goal = sample_app("pages/goal_progress.py")
    funnel = next(d.value for d in goal.dataframe if "Needed" in d.value.columns).set_index("Stage")
    assert f"Goal progress shows {funnel.loc['MQLs', 'Needed']} MQLs needed" in why[0]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"quota_mqls": 2_000_000},
         ["quotas.mqls is 2,000,000; the allowed range on this page is 0 to 1,000,000"]),
        ({"average_deal_size": 12_000.5},
         ["goal.average_deal_size is 12,000.5; the allowed values on this page are whole amounts"]),
    ],
)  # fmt: skip
def test_a_scenario_outside_the_controls_is_named_field_by_field(engine_inputs, changes, expected):
    from ui.what_if import outside_controls

    assert outside_controls(engine_inputs[1].replace(**changes)) == expected


@pytest.mark.parametrize(
    ("items", "expected"), [(["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")]
)
def test_and_list(items, expected):
    from ui.what_if import and_list

    assert and_list(items) == expected


def test_the_follow_up_table_says_when_a_rule_had_no_mql_to_judge(engine_inputs):
    import pandas as pd

    from ui.what_if import follow_up_table

    replay = pd.DataFrame({"judged": [10, 0, 4], "within": [9, 0, 1], "share_within": [0.9, float("nan"), 0.25],
                           "breaches_per_month": [1.0, 0.0, 3.0]})  # fmt: skip
    table = follow_up_table(replay, replay, engine_inputs[1], 2)
    assert table["Within the rule"].tolist() == ["90% of 10", "no MQL to judge", "25% of 4"]
    assert table["Breaches a month"].tolist() == ["1.0", "—", "3.0"]
    assert list(table.columns[-2:]) == ["v2: within", "v2: breaches"]
