"""AppTest: the SLA page renders the version in force as a contract, its history, and a diff."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sla_model.agreement.sla import diff_slas, term_label
from sla_model.generator import sample_slas
from sla_model.store.db import PROJECT_ROOT
from ui.fmt import md_escape

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
    assert f"First touch within {v2.follow_up.first_touch_hours:g} business hours" in text
    assert f"lead score **≥ {v2.mql.score_threshold}**" in text
    reasons = at.table[0].value
    assert reasons["Reason"].tolist() == [md_escape(r.label) for r in v2.rejection_reasons]  # cells are markdown
    history = at.table[1].value
    assert history["Version"].tolist() == [2, 1]
    assert history["Change note"].iloc[0] == md_escape(v2.meta.change_note)  # whole, never cut


def test_an_older_version_is_shown_as_superseded(sample_app):
    at = sample_app(PAGE, sla_version="Version 1")
    assert not at.exception
    assert at.title[0].value == "The SLA · version 1"
    assert "Superseded" in _text(at)


def test_the_diff_lists_every_changed_term(sample_app):
    at = sample_app(PAGE)
    v1, v2 = sample_slas()
    expected = diff_slas(v1, v2)
    diff = at.table[-1].value
    assert diff["Term"].tolist() == [term_label(path) for path, _, _ in expected]
    assert "MQL quota · Content Syndication" in diff["Term"].tolist()  # before: quotas.mqls_by_channel.Content …
    assert not any(term.startswith(("quotas.", "mql.", "follow_up.")) for term in diff["Term"])
    row = diff.set_index("Term").loc["MQL score threshold"]
    assert (row["Version 1"], row["Version 2"]) == ("50", "55")
    at.selectbox(key="diff_to").set_value(1).run()
    assert any("Pick two different versions" in i.value for i in at.info)


def test_without_any_version_or_lead_the_page_says_to_import_first(empty_app):
    at = empty_app(PAGE)
    assert not at.exception
    assert any("There is no data yet. Import your leads" in i.value for i in at.info)


def _history_db(monkeypatch, tmp_path) -> str:
    """Leads imported without an SLA: two complete months (Email and Events), won deals with amounts."""
    from tests.factories import leads_frame, make_lead
    from tests.pages.conftest import use_database

    rows = []
    for month, n in (("2026-09", 12), ("2026-10", 24)):
        for i in range(n):
            at = f"{month}-{i % 28 + 1:02d} 10:00"
            won = i % 6 == 0
            rows.append(make_lead(f"{month}-{i}", created_at=at, mql_at=at, channel="Email" if i % 3 else "Events",
                                  sql_at=at if i % 2 == 0 else None, won_at=at if won else None,
                                  amount=5000.0 if won else None))  # fmt: skip
    import datetime as dt

    return use_database(monkeypatch, tmp_path / "history.db", slas=[], leads=leads_frame(*rows),
                        snapshot=dt.datetime(2026, 11, 3, 12))  # fmt: skip


def test_without_an_sla_the_page_drafts_one_from_history_and_publishes_it(monkeypatch, tmp_path):
    """Before: 'No SLA version is stored yet. Publish one' with no way to publish."""
    from tests.pages.conftest import _runner

    _history_db(monkeypatch, tmp_path)
    at = _runner(PAGE)
    assert not at.exception
    assert "36 leads stored, and no SLA yet" in at.info[0].value
    k = "draft_median_"
    # median month revenue: Sep 2 wins, Oct 4 wins at $5,000 -> $15,000; SQL->won 6/18, MQL->SQL 18/36
    assert at.number_input(key=k + "revenue").value == 15_000
    assert at.number_input(key=k + "won").value == 3  # 15,000 / 5,000
    assert at.number_input(key=k + "sqls").value == 9  # 3 / (6/18)
    assert at.number_input(key=k + "mqls").value == 18  # 9 / (18/36)
    at.button(key="FormSubmitter:" + k + "form-Publish version 1").click().run()
    assert not at.exception
    assert at.title[0].value == "The SLA · version 1"
    assert "Version 1 of the SLA is published" in at.success[0].value
    from sqlmodel import Session

    from sla_model.store.db import make_engine
    from sla_model.store.repository import list_sla_versions

    engine = make_engine()
    with Session(engine) as session:
        [sla] = list_sla_versions(session=session)
    assert (sla.quotas.mqls, sla.quotas.sqls, sla.quotas.won) == (18, 9, 3)
    assert sla.quotas.mqls_by_channel == {"Email": 12, "Events": 6}  # 24 of 36 MQLs are Email
    assert str(sla.meta.effective_from) == "2026-09-01"


def test_channel_quotas_that_do_not_add_up_are_refused_by_the_form(monkeypatch, tmp_path):
    from tests.pages.conftest import _runner

    _history_db(monkeypatch, tmp_path)
    at = _runner(PAGE)
    k = "draft_median_"
    at.number_input(key=k + "mqls").set_value(20)
    at.button(key="FormSubmitter:" + k + "form-Publish version 1").click().run()
    assert not at.exception
    assert "the channel MQL quotas add up to 18, not the MQL quota of 20" in at.error[0].value
    assert at.title[0].value == "The SLA"  # nothing was published


def test_a_rep_sees_the_draft_but_cannot_publish_it(monkeypatch, tmp_path):

    _history_db(monkeypatch, tmp_path)
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=120)
    at.session_state["identity"] = "Viewer (meeting screen)"
    at.run()
    assert not at.exception
    assert "Only a manager can publish the SLA" in at.warning[0].value


@pytest.mark.parametrize("page", ["pages/goal_progress.py", "pages/lead_quality.py", "pages/handoff_timing.py"])
def test_pages_with_leads_and_no_sla_point_to_the_sla_page(monkeypatch, tmp_path, page):
    """Before: 'There is no data yet. Import your leads…' although the leads were there."""
    from tests.pages.conftest import _runner

    _history_db(monkeypatch, tmp_path)
    at = _runner(page)
    assert not at.exception
    assert "36 leads stored, but there is no SLA yet" in at.info[0].value


def test_customers_the_goal_takes_is_one_figure_on_the_sla_page_and_goal_progress(sample_app):
    """Before: The SLA page said 'about 54' (650k / 12k), Goal progress 55, the won quota 52 unexplained."""
    v2 = sample_slas()[-1]
    at = sample_app(PAGE)
    assert "takes **55 new customers** a month" in _text(at)
    assert any("The won-deal quota below is 52: 3 deals fewer than the goal takes" in c.value for c in at.caption)
    goal = sample_app("pages/goal_progress.py")
    funnel = next(d.value for d in goal.dataframe if "Needed" in d.value.columns)
    customers = funnel.set_index("Stage").loc["Customers", "Needed"]
    assert str(customers) == "55" == f"{-(-v2.goal.monthly_revenue // v2.goal.average_deal_size):.0f}"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "(not set)"), (0.5, "0.5"), (1_234_567.0, "1,234,567"), ([], "(any)"), (["DE", "FR"], "DE, FR"),
     (55, "55"), ("Ünïcode", "Ünïcode")],
)  # fmt: skip
def test_a_changed_term_reads_as_people_write_it(value, shown):
    from ui.sla_page import show_value

    assert show_value(value) == shown


def test_a_version_is_in_force_upcoming_or_superseded():
    import datetime as dt

    from ui.sla_page import status

    v1, v2 = sample_slas()
    today = v2.meta.effective_from
    assert [status(s, v2, today) for s in (v2, v1)] == ["in force now", "superseded"]
    assert status(v2, v1, today - dt.timedelta(days=1)) == "upcoming"
