"""AppTest: the lead-quality page shows the domain functions' numbers for the chosen month and filters."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sla_model.generator import generate, sample_slas
from sla_model.metrics.quality import acceptance, conversions, latest_notes, loop_counts, mql_cohort
from sla_model.store.db import PROJECT_ROOT
from tests.pages.conftest import metric, use_database
from ui import fmt

PAGE = "pages/lead_quality.py"


@pytest.fixture(scope="module")
def sample():
    return generate()


def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for sla in sample_slas():
        labels.update(sla.reason_labels())
    return labels


def _cohort(leads: pd.DataFrame, period: str, channel: str | None = None) -> pd.DataFrame:
    if channel:
        leads = leads[leads["channel"] == channel]
    p = pd.Period(period, "M")
    return mql_cohort(leads, p.start_time, (p + 1).start_time)


@pytest.mark.parametrize(
    ("query", "period", "channel"),
    [
        ({}, "2026-11", None),  # the default: the latest month with data
        ({"month": "March 2026"}, "2026-03", None),
        ({"channel": "Content Syndication"}, "2026-11", "Content Syndication"),
        ({"month": "March 2026", "channel": "Content Syndication"}, "2026-03", "Content Syndication"),
    ],
)
def test_tiles_match_the_domain(sample_app, sample, query, period, channel):
    at = sample_app(PAGE, **query)
    assert not at.exception
    assert f"{pd.Period(period, 'M'):%B %Y}" in at.title[0].value
    cohort = _cohort(sample.leads, period, channel)
    acc, loop = acceptance(cohort), loop_counts(cohort)
    assert acc["decided"] > 0  # the case is about real numbers

    tile = metric(at, "Acceptance rate")
    assert tile.value == fmt.pct(acc["rate"])
    interval = f"{fmt.pct(acc['low'])}–{fmt.pct(acc['high'])}"
    assert f"n = {fmt.count(acc['decided'])} decided" in tile.proto.help
    assert interval in tile.proto.help
    assert any(f"n = {fmt.count(acc['decided'])} decided · 95% interval {interval}" in c.value for c in at.caption)
    expected = {
        "Accepted": acc["accepted"],
        "Rejected": acc["rejected"],
        "Pending": acc["pending"],
        "Stale": acc["stale"],
        "Recycled to nurture": loop["recycled"],
        "Disqualified": loop["disqualified"],
    }
    assert {label: metric(at, label).value for label in expected} == {k: fmt.count(v) for k, v in expected.items()}


def test_the_filter_changes_the_numbers(sample_app, sample):
    """Guards the parametrized test above: the cases it compares really differ."""
    everyone = acceptance(_cohort(sample.leads, "2026-11"))
    syndication = acceptance(_cohort(sample.leads, "2026-11", "Content Syndication"))
    march = acceptance(_cohort(sample.leads, "2026-03"))
    assert len({fmt.pct(everyone["rate"]), fmt.pct(syndication["rate"]), fmt.pct(march["rate"])}) == 3
    at = sample_app(PAGE, channel="Content Syndication")
    assert metric(at, "Acceptance rate").value != fmt.pct(everyone["rate"])


def test_notes_are_the_latest_rejection_notes_verbatim(sample_app, sample):
    at = sample_app(PAGE)
    assert not at.exception
    expected = latest_notes(sample.feedback, _cohort(sample.leads, "2026-11"), _labels(), n=10)
    assert len(expected) == 10
    table = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    assert table["Note"].tolist() == expected["note"].tolist()
    assert table["Reason"].tolist() == expected["reason"].tolist()
    assert table["Channel"].tolist() == expected["channel"].astype(str).tolist()


def test_rejection_reasons_drill_down_by_campaign(sample_app, sample):
    at = sample_app(PAGE)
    cohort = _cohort(sample.leads, "2026-11")
    rejected = cohort[cohort["rejected_at"].notna()]
    assert any(f"{len(rejected)} rejections (all channels)" in c.value for c in at.caption)

    at.button_group(key="reason_by").set_value("campaign").run()
    assert not at.exception
    top = rejected["campaign"].value_counts().index[0]
    at.selectbox(key="reason_value_campaign").set_value(top).run()
    assert not at.exception
    n = int((rejected["campaign"] == top).sum())
    assert any(f"{n} rejections (the chosen campaign)" in c.value for c in at.caption)


def test_conversion_stage_uses_the_trailing_six_months(sample_app, sample):
    at = sample_app(PAGE)
    at.button_group(key="conv_stage").set_value("SQL→won").run()
    assert not at.exception
    leads = sample.leads
    recent = leads[(leads["mql_at"] >= pd.Timestamp("2026-06-01")) & (leads["mql_at"] < pd.Timestamp("2026-12-01"))]
    overall = conversions(recent, pd.Series("all", index=recent.index)).set_index("stage").loc["SQL→won"]
    text = f"n = {fmt.count(overall['n'])} for SQL→won; {fmt.pct(overall['rate'], 1)} overall"
    assert any(text in c.value for c in at.caption), text


def test_a_month_without_mqls_says_so_and_still_runs(tiny_app):
    at = tiny_app(PAGE, persona="Developer")  # the Events lead that never became an MQL
    assert not at.exception
    assert any("No MQLs were handed to sales in October 2026" in i.value for i in at.info)
    assert not at.metric


def test_a_month_with_only_a_pending_mql(tiny_app):
    at = tiny_app(PAGE)
    assert not at.exception
    assert metric(at, "Pending").value == "1"
    assert metric(at, "Acceptance rate").value == "—"
    assert "no decisions yet" in metric(at, "Acceptance rate").proto.help


def test_filters_that_match_nothing_say_so(tiny_app):
    at = tiny_app(PAGE, channel="Email", persona="Developer")
    assert not at.exception
    assert any("No leads match these filters" in i.value for i in at.info)
    assert not at.metric


def test_empty_database_gives_a_clear_message(empty_app):
    at = empty_app(PAGE)
    assert not at.exception
    assert any("no data yet" in i.value for i in at.info)


MARKUP_NOTE = "**Not** a <b>fit</b> — $5k :red[budget] <script>alert(1)</script> 🎪"


@pytest.fixture
def markup_app(tmp_path, monkeypatch):
    """A database whose one rejection note looks like markdown and HTML."""
    t = pd.Timestamp("2026-10-05 10:00")
    leads = pd.DataFrame(
        {
            "lead_id": ["A"],
            "created_at": [t],
            "channel": ["Email"],
            "campaign": ["Newsletter"],
            "persona": ["IT Director"],
            "owner": ["Ana Souza"],
            "mql_at": [t + pd.Timedelta(hours=1)],
            "rejected_at": [t + pd.Timedelta(hours=5)],
            "rejection_reason": ["no_budget"],
            "recycled_at": [t + pd.Timedelta(hours=5)],
            "score": [70],
        }
    )
    feedback = pd.DataFrame(
        {
            "lead_id": ["A"],
            "decision": ["reject"],
            "reason": ["no_budget"],
            "note": [MARKUP_NOTE],
            "by": ["Ana Souza"],
            "at": [t + pd.Timedelta(hours=5)],
        }
    )
    use_database(monkeypatch, tmp_path / "markup.db", slas=sample_slas(), leads=leads, feedback=feedback)
    return AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=120)


def test_a_note_that_looks_like_markup_is_shown_as_plain_text(markup_app):
    at = markup_app.run()
    assert not at.exception
    assert metric(at, "Rejected").value == "1"
    assert next(d.value for d in at.dataframe if "Note" in d.value.columns)["Note"].tolist() == [MARKUP_NOTE]
    texts = [e.value for e in [*at.markdown, *at.caption, *at.info, *at.title, *at.subheader]]
    assert not any("fit" in t or "script" in t for t in texts)
    assert not any(m.proto.allow_html for m in [*at.markdown, *at.caption])


def test_the_whole_funnel_counts_each_cohort_as_the_data_says(sample_app, sample):
    leads = sample.leads
    at = sample_app(PAGE, month="2026-09", channel="Webinar")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Opportunity" in d.value.columns)
    row = table[table["Cohort"].str.startswith("Sep 2026")].iloc[0]
    sep = leads[(leads["channel"] == "Webinar") & (leads["created_at"].dt.to_period("M") == pd.Period("2026-09", "M"))]
    # counted straight from the stage columns: a won or lost deal was an opportunity, an SQL and an MQL
    closed = sep["won_at"].notna() | sep["lost_at"].notna()
    expected = {
        "Lead": len(sep),
        "MQL": int((sep["mql_at"].notna() | sep["accepted_at"].notna() | sep["sql_at"].notna() | closed
                    | sep["opportunity_at"].notna()).sum()),
        "Opportunity": int((sep["opportunity_at"].notna() | closed).sum()),
        "Won": int(sep["won_at"].notna().sum()),
        "Lost": int(sep["lost_at"].notna().sum()),
    }  # fmt: skip
    assert {k: int(row[k].replace(",", "")) for k in expected} == expected
    first = leads["created_at"].min().to_period("M")  # twelve months back, or as far as the data goes
    assert len(table) == min(12, (pd.Period("2026-09", "M") - first).n + 1)
    assert table["Cohort"].iloc[-1] == f"{max(first, pd.Period('2026-09', 'M') - 11):%b %Y}"
    at.segmented_control(key="funnel_view").set_value("Conversion").run()
    table = next(d.value for d in at.dataframe if "Opportunity" in d.value.columns)
    row = table[table["Cohort"].str.startswith("Sep 2026")].iloc[0]
    assert row["Won"] == fmt.pct(expected["Won"] / expected["Opportunity"])


@pytest.mark.parametrize(("status", "label", "month"), [("accepted", "Accepted", "2026-09"),
    ("rejected", "Rejected", "2026-09"), ("pending", "Pending", "2026-11"), ("stale", "Stale", "2026-07")])  # fmt: skip
def test_each_decision_tile_opens_the_leads_behind_it(sample_app, status, label, month):
    at = sample_app(PAGE, month=month, channel="Content Syndication")
    n = int(metric(at, label).value.replace(",", ""))
    assert n > 0  # every status has leads here, so the panel is a table
    at.pills(key="lq_drill").set_value(status).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "History" in d.value.columns)
    assert len(table) == n
    assert set(table["Channel"]) == {"Content Syndication"}
    if status == "rejected":  # the reasons read as the SLA names them, not as codes
        assert set(table["Reason"]) <= set(_labels().values())


def test_a_clicked_reason_bar_opens_the_rejected_leads_behind_it(sample_app, sample):
    at = sample_app(PAGE, month="2026-09")
    key = "reason_pareto_channel___all__"
    assert key in at.session_state  # the Pareto chart listens for clicks
    at.session_state[key] = {"selection": {"reason_pick": [{"reason": "no_budget"}]}}  # as the browser reports it
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "History" in d.value.columns)
    cohort = _cohort(sample.leads, "2026-09")
    expected = cohort[cohort["rejected_at"].notna() & (cohort["rejection_reason"].astype(object) == "no_budget")]
    assert sorted(table["Lead"]) == sorted(expected["lead_id"])
    assert set(table["Reason"]) == {"No budget"}
    titles = [m.value.replace("\\", "") for m in at.markdown]  # as read: markdown escapes removed
    assert f"**Rejected: No budget, September 2026: {len(expected)} leads**" in titles
