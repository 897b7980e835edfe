"""AppTest: the What if… advisor lists the Pareto-best definitions, and one click makes one the candidate."""

from __future__ import annotations

from sla_model.whatif import advise, evaluate
from tests.pages.conftest import metric
from ui import fmt
from ui import what_if as wi

PAGE = "pages/what_if.py"


def _cards(at) -> list[str]:
    """The bold first line of each advisor card, unescaped."""
    return [m.value.strip("*").replace("\\", "") for m in at.markdown if m.value.startswith("**Score ≥")]


def test_the_advisor_lists_the_engines_options(sample_app, engine_inputs):
    arrays, base = engine_inputs
    at = sample_app(PAGE)
    assert not at.exception
    assert "Advisor: which definition would get there" in [h.value for h in at.subheader]
    advice = advise(arrays, base)
    assert 1 <= len(advice.options) <= 5
    assert _cards(at) == [wi.definition_text(o.definition) for o in advice.options]
    lines = [c.value for c in at.caption if c.value.startswith("Revenue ")]
    assert lines == [wi.option_text(o, advice, "USD") for o in advice.options]
    assert all(o.load_per_rep_week <= 15 for o in advice.options)
    searched = next(c.value for c in at.caption if c.value.startswith("Searched "))
    assert f"Searched {fmt.count(advice.evaluated)} MQL definitions" in searched
    assert "reps at up to 15 MQLs a week each" in searched


def test_use_as_candidate_sets_the_definition_and_the_replay_follows(sample_app, engine_inputs):
    arrays, base = engine_inputs
    at = sample_app(PAGE)
    options = advise(arrays, base).options
    pick = next(i for i, o in enumerate(options) if o.definition.score_threshold != base.score_threshold)
    chosen = options[pick].definition
    before = metric(at, "MQLs").value
    button = at.button(key=f"wi_advice_{pick}")
    assert button.label == "Use as candidate" and not button.disabled
    button.click().run()
    assert not at.exception
    assert at.slider(key="wi_score_threshold").value == chosen.score_threshold
    assert at.multiselect(key="wi_personas").value == list(chosen.personas)
    assert at.number_input(key="wi_min_company_size").value == chosen.min_company_size
    assert at.toggle(key="wi_demo_request").value == chosen.demo_request
    assert at.number_input(key="wi_min_page_views").value == chosen.min_page_views
    assert at.number_input(key="wi_min_form_submissions").value == chosen.min_form_submissions
    assert at.number_input(key="wi_quota_mqls").value == base.quota_mqls  # only the definition changed
    expected = evaluate(arrays, chosen.apply(base), baseline=base)
    assert metric(at, "MQLs").value == fmt.count(expected.mqls) != before
    assert metric(at, "Revenue").value == fmt.money(options[pick].replay_revenue)  # the card's replay figure
    assert any("The candidate's MQL definition is now: " in s.value.replace("\\", "") for s in at.success)
    used = at.button(key=f"wi_advice_{pick}")
    assert used.label == "In use" and used.disabled


def test_less_capacity_searches_again_within_it(sample_app, engine_inputs):
    arrays, base = engine_inputs
    at = sample_app(PAGE)
    at.slider(key="wi_capacity_per_rep_week").set_value(6.0).run()
    assert not at.exception
    advice = advise(arrays, base.replace(capacity_per_rep_week=6.0))
    assert advice.options and all(o.load_per_rep_week <= 6 for o in advice.options)
    assert _cards(at) == [wi.definition_text(o.definition) for o in advice.options]
