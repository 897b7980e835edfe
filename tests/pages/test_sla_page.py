"""AppTest: the SLA page renders the version in force as a contract, its history, and a diff."""

from __future__ import annotations

from sla_model.generator import sample_slas
from sla_model.sla import diff_slas

PAGE = "pages/sla.py"


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_version_in_force_reads_as_a_contract(sample_app):
    at = sample_app(PAGE)
    assert not at.exception
    assert at.title[0].value == "The SLA · version 2"
    text = _text(at)
    v2 = sample_slas()[-1]
    assert "In force now" in text
    assert f"**{v2.quotas.mqls:,} MQLs**" in text
    assert f"First touch within {v2.follow_up.first_touch_hours:g} hours" in text
    assert f"lead score **≥ {v2.mql.score_threshold}**" in text
    reasons = at.dataframe[1].value
    assert reasons["Reason"].tolist() == [r.label for r in v2.rejection_reasons]
    history = at.dataframe[2].value
    assert history["Version"].tolist() == [2, 1]


def test_an_older_version_is_shown_as_superseded(sample_app):
    at = sample_app(PAGE, sla_version="Version 1")
    assert not at.exception
    assert at.title[0].value == "The SLA · version 1"
    assert "Superseded" in _text(at)


def test_the_diff_lists_every_changed_term(sample_app):
    at = sample_app(PAGE)
    v1, v2 = sample_slas()
    expected = diff_slas(v1, v2)
    diff = at.dataframe[-1].value
    assert diff["Term"].tolist() == [path for path, _, _ in expected]
    row = diff.set_index("Term").loc["mql.score_threshold"]
    assert (row["Version 1"], row["Version 2"]) == ("50", "55")
    at.selectbox(key="diff_to").set_value(1).run()
    assert any("Pick two different versions" in i.value for i in at.info)


def test_without_any_version_the_page_says_so(empty_app):
    at = empty_app(PAGE)
    assert not at.exception
    assert any("No SLA version is stored yet" in i.value for i in at.info)
