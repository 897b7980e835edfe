"""AppTest: the handoff-timing page shows the domain functions' numbers for the chosen month and filters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit import dataframe_util

from sla_model.generator import AS_OF, SLOW_REP, generate, sample_slas
from sla_model.metrics.filters import filter_leads
from sla_model.metrics.timing import (
    breach_list,
    speed_bins,
    speed_by,
    speed_summary,
    speed_to_lead,
    touch_compliance,
    touch_summary,
)
from tests.factories import wall_clock
from tests.pages.conftest import _runner, metric, use_database
from ui import fmt

PAGE = "pages/handoff_timing.py"


# --- expected values, straight from the generator and the domain functions ---------------------------


@pytest.fixture(scope="module")
def sample():
    data = generate()
    return data, touch_summary(data.leads, data.touches, sample_slas())


def _expected(sample, period: str, **filters):
    data, summary = sample
    leads = filter_leads(data.leads, **filters)
    mine = summary.loc[summary.index.intersection(leads.index)]
    p = pd.Period(period, "M")
    month = mine[(mine["mql_at"] >= p.start_time) & (mine["mql_at"] < (p + 1).start_time)]
    judged = speed_to_lead(month, AS_OF)
    compliance = touch_compliance(month, data.leads, AS_OF)
    done = compliance[compliance["judged"]]
    return {
        "month": month,
        "judged": judged,
        "speed": speed_summary(judged),
        "compliance": (int(done["complies"].sum()), len(done)),
        "breaches": breach_list(mine, data.leads, AS_OF, versions=sample_slas()),
    }


def _assert_tiles(at, want):
    speed = want["speed"]
    ok, n = want["compliance"]
    assert metric(at, "Within SLA").value == fmt.pct(speed["share_within"])
    assert metric(at, "Median wait").value == fmt.hours(speed["median_hours"])
    assert metric(at, "p90 wait").value == fmt.hours(speed["p90_hours"])
    assert metric(at, "Touch rule met").value == fmt.pct(ok / n)
    assert metric(at, "Open breaches").value == fmt.count(len(want["breaches"]))
    captions = [c.value for c in at.caption]
    assert any(f"{speed['within']:,} of {speed['judged']:,} judged" in c for c in captions)
    assert any(f"{ok:,} of {n:,} judged" in c for c in captions)
    interval = f"95% CI {fmt.pct(speed['low'])}–{fmt.pct(speed['high'])}"
    assert any(interval in c for c in captions)


def _frame(at, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def _chart_data(at, column: str) -> pd.DataFrame:
    """The first dataset of the first chart whose data has ``column``."""
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frame = dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data)
            if column in frame.columns:
                return frame
    raise AssertionError(f"no chart with a {column!r} column")


@pytest.fixture
def downloads(monkeypatch):
    """The data handed to every ``st.download_button`` while the page runs."""
    got = []
    original = st.download_button

    def spy(label, data, *args, **kwargs):
        got.append(data)
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return got


def _read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


# --- the sample data ---------------------------------------------------------------------------------


def test_default_month_tiles_match_the_domain(sample_app, sample):
    at = sample_app(PAGE)
    assert not at.exception
    assert at.title[0].value == "Handoff timing · November 2026"
    caption = at.caption[0].value
    assert "version 2" in caption
    assert (
        "first touch within 8 business hours, 3 touches within 7 business days, accept or reject within 24 business "
        "hours (business hours: Mon–Fri 09:00-17:00, America/New_York, 2 holidays); Demo requests: first touch "
        "within 1 business hour" in caption
    )
    want = _expected(sample, "2026-11")
    assert len(want["month"]) > 100 and 0 < want["speed"]["share_within"] < 1  # a month worth testing
    _assert_tiles(at, want)


def test_histogram_counts_every_mql_of_the_month_by_status(sample_app, sample):
    at = sample_app(PAGE)
    want = _expected(sample, "2026-11")
    bins = _chart_data(at, "Hours")
    assert bins["mqls"].sum() == len(want["month"])
    by_status = bins.groupby("status")["mqls"].sum().to_dict()
    assert by_status == want["judged"]["status"].value_counts().to_dict()
    untouched = bins.loc[bins["Hours"] == "Not touched", "mqls"].sum()
    assert untouched == want["month"]["hours_to_first_touch"].isna().sum()
    within = bins[bins["status"] == "within"]
    assert set(within["Hours"]) <= {"0–1", "1–2", "2–4", "4–8"}  # nothing past the 8 h line is within
    assert _chart_data(at, "text")["text"].tolist() == ["SLA 1 business h", "SLA 8 business h"]  # demo requests: 1


def test_rep_table_and_chart_show_each_reps_numbers_and_sample_size(sample_app, sample):
    at = sample_app(PAGE)
    want = speed_by(_expected(sample, "2026-11")["judged"]).set_index("owner")
    table = _frame(at, "Within SLA").set_index("Rep")
    derek = want.loc[SLOW_REP]
    flag = " *" if derek["judged"] < 30 else ""
    assert table.loc[SLOW_REP, "Within SLA"] == (
        f"{fmt.pct(derek['share_within'])} ({int(derek['within'])}/{int(derek['judged'])}){flag}"
    )
    assert table.loc[SLOW_REP, "Median"] == fmt.hours(derek["median_hours"])
    reps = _chart_data(at, "median_hours")
    assert reps["Rep"].iloc[0] == f"{SLOW_REP} (n={int(derek['touched'])})"  # slowest first, n shown


def test_another_month_is_judged_by_the_rules_in_force_then(sample_app, sample):
    at = sample_app(PAGE, month="March 2026")
    assert not at.exception
    assert at.title[0].value == "Handoff timing · March 2026"
    assert "first touch within 24 business hours" in at.caption[0].value  # version 1
    want = _expected(sample, "2026-03")
    _assert_tiles(at, want)
    assert _chart_data(at, "text")["text"].tolist() == ["SLA 1 business h", "SLA 24 business h"]
    # judged against 24 h, not today's 8 h: the share differs from a count of touches within 8 h
    within_8h = (want["month"]["hours_to_first_touch"] <= 8).sum() / want["speed"]["judged"]
    assert metric(at, "Within SLA").value != fmt.pct(within_8h)


def test_the_slow_rep_is_far_below_the_team(sample_app, sample):
    at = sample_app(PAGE, owner=SLOW_REP)
    assert not at.exception
    want = _expected(sample, "2026-11", owners=[SLOW_REP])
    team = _expected(sample, "2026-11")
    _assert_tiles(at, want)
    shown = float(metric(at, "Within SLA").value.rstrip("%")) / 100
    assert shown < team["speed"]["share_within"] - 0.4
    assert set(_chart_data(at, "median_hours")["Rep"].str.split(" \\(").str[0]) == {SLOW_REP}


def test_breach_table_lists_open_breaches_of_any_month_oldest_first(sample_app, sample):
    at = sample_app(PAGE, month="March 2026")
    want = _expected(sample, "2026-03")["breaches"]
    assert len(want) > 0
    table = _frame(at, "Breach")
    assert len(table) == len(want)
    assert table["Lead"].tolist() == want["lead_id"].tolist()
    assert table["Breach"].tolist() == want["breach"].tolist()
    assert table["MQL time"].is_monotonic_increasing
    assert list(table.columns) == [
        "Lead", "Company", "Owner", "Channel", "MQL time", "Age", "Touches", "Breach", "Policy"
    ]  # fmt: skip
    assert table["Policy"].tolist() == want["policy"].tolist()
    assert any(h.value.startswith(f"Open breaches now · {len(want)}") for h in at.subheader)
    assert any("any month" in c.value and "not only March 2026" in c.value for c in at.caption)


def test_breach_table_follows_the_filters(sample_app, sample):
    at = sample_app(PAGE, channel="Content Syndication")
    want = _expected(sample, "2026-11", channels=["Content Syndication"])["breaches"]
    table = _frame(at, "Breach")
    assert len(table) == len(want) > 0
    assert set(table["Channel"]) == {"Content Syndication"}


def test_breach_csv_matches_the_table(sample_app, sample, downloads):
    at = sample_app(PAGE)
    assert not at.exception
    assert at.download_button[0].label == "Download the open breaches as of 18 Nov 2026 (CSV)"
    want = _expected(sample, "2026-11")["breaches"]
    rows = _read_csv(downloads[-1])
    assert [r["Lead"] for r in rows] == want["lead_id"].tolist()
    assert [float(r["Age (hours)"]) for r in rows] == want["age_hours"].tolist()
    assert rows[0]["Company"] == want["company"].iloc[0]


# --- empty and filtered-to-nothing ----------------------------------------------------------------


def test_empty_database_gives_a_clear_message(empty_app):
    at = empty_app(PAGE)
    assert not at.exception
    assert any("no data yet" in i.value for i in at.info)
    assert not at.metric


def test_filters_that_match_nothing_say_so(tiny_app):
    at = tiny_app(PAGE, channel="Email", persona="Developer")
    assert not at.exception
    assert any("No leads match these filters" in i.value for i in at.info)
    assert not at.metric


def test_a_month_without_mqls_names_the_month(tiny_app):
    at = tiny_app(PAGE, channel="Events")  # one lead, never an MQL
    assert not at.exception
    assert at.title[0].value == "Handoff timing · October 2026"
    assert any("No MQLs were handed over to sales in October 2026" in i.value for i in at.info)
    assert not at.metric
    assert any(h.value == "Open breaches now · 0" for h in at.subheader)
    assert not at.download_button


def test_a_single_untouched_mql_in_data_without_touches_says_so(tiny_app):
    at = tiny_app(PAGE)
    assert not at.exception
    assert at.title[0].value == "Handoff timing · October 2026"
    assert any(i.value.startswith("No touches are recorded in this data") for i in at.info)
    assert not at.metric  # no 0% or empty rates for data that cannot have them


# --- a hand-made database: formula-looking text and an SLA change mid-month -------------------------

SNAPSHOT = dt.datetime(2026, 10, 25, 12, 0)
FORMULA = '=HYPERLINK("http://evil.example","Click")'


@pytest.fixture
def handmade_app(tmp_path, monkeypatch):
    """Three October MQLs; version 3 (first touch within 4 h) takes over on 15 October; wall-clock hours."""
    v1, v2 = (wall_clock(v, decision_hours=h) for v, h in zip(sample_slas(), (72.0, 48.0), strict=True))
    v3 = v2.model_copy(
        update={
            "meta": v2.meta.model_copy(update={"version": 3, "effective_from": dt.date(2026, 10, 15)}),
            "follow_up": v2.follow_up.model_copy(update={"first_touch_hours": 4.0}),
        }
    )
    t = pd.Timestamp
    leads = pd.DataFrame(
        {
            "lead_id": ["H1", "H2", "H3"],
            "company": [FORMULA, "+Plus Corp", "Nord Ålesund AS"],
            "created_at": [t("2026-10-05 10:00"), t("2026-10-20 08:00"), t("2026-10-06 08:00")],
            "channel": ["Email", "Events", "Email"],
            "persona": ["IT Director"] * 3,
            "owner": ["Ana Souza", "-Dash", "Ben Carter"],
            # H1 under v2 (8 h), never touched; H2 under v3 (4 h), touched after 1 h; H3 accepted
            "mql_at": [t("2026-10-05 11:00"), t("2026-10-20 09:00"), t("2026-10-06 09:00")],
            "accepted_at": [pd.NaT, pd.NaT, t("2026-10-06 12:00")],
            "score": [70, 70, 70],
        }
    )
    touches = pd.DataFrame(
        {
            "lead_id": ["H2", "H3"],
            "rep": ["-Dash", "Ben Carter"],
            "at": [t("2026-10-20 10:00"), t("2026-10-06 10:00")],
            "kind": ["call", "call"],
            "outcome": ["connected", "connected"],
        }
    )
    use_database(monkeypatch, tmp_path / "handmade.db", slas=(v1, v2, v3), leads=leads, touches=touches,
                 snapshot=SNAPSHOT)  # fmt: skip
    return _runner


def test_each_mql_is_judged_by_the_version_in_force_at_its_handoff(handmade_app):
    at = handmade_app(PAGE)
    assert not at.exception
    assert at.title[0].value == "Handoff timing · October 2026"
    caption = at.caption[0].value
    assert "version 2" in caption and "first touch within 8 h" in caption
    assert "version 3: first touch within 4 h" in caption
    # H1 missed (8 h), H2 within (1 h <= 4 h), H3 within: 2 of 3
    assert metric(at, "Within SLA").value == "67%"
    assert any(c.value.startswith("2 of 3 judged · small sample") for c in at.caption)
    # touch rule: H1 failed (window over), H3 decided in time, H2's window still running: 1 of 2
    assert metric(at, "Touch rule met").value == "50%"
    assert sorted(_chart_data(at, "text")["text"]) == ["SLA 4 h", "SLA 8 h"]


def test_breach_table_shows_text_as_is_and_the_csv_neutralises_formulas(handmade_app, downloads):
    at = handmade_app(PAGE)
    assert not at.exception
    table = _frame(at, "Breach")
    assert table["Lead"].tolist() == ["H1", "H2"]  # oldest first; H3 was accepted
    assert table["Company"].tolist() == [FORMULA, "+Plus Corp"]  # shown verbatim, as data
    assert table["Breach"].tolist() == ["no touch after 8 h; no decision after 48 h", "no decision after 48 h"]
    rows = _read_csv(downloads[-1])
    assert [r["Company"] for r in rows] == ["'" + FORMULA, "'+Plus Corp"]
    assert [r["Owner"] for r in rows] == ["Ana Souza", "'-Dash"]
    assert [r["Lead"] for r in rows] == ["H1", "H2"]
    assert float(rows[0]["Age (hours)"]) == (SNAPSHOT - dt.datetime(2026, 10, 5, 11)).total_seconds() / 3600


# --- the page's helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "label"),
    [
        (0.0, "0–1"),
        (1.0, "0–1"),  # bins are (a, b]: a touch at exactly 1 h is in 0–1
        (1.01, "1–2"),
        (8.0, "4–8"),  # exactly at the 8 h limit: left of the line
        (8.5, "8–24"),
        (96.0, "48–96"),
        (96.5, ">96"),
        (5000.0, ">96"),
        (np.nan, "Not touched"),
    ],
)
def test_speed_bins(hours, label):
    frame = pd.DataFrame({"hours_to_first_touch": [hours], "status": ["late"]})
    counts, labels, _ = speed_bins(frame, [8.0])
    assert counts["Hours"].tolist() == [label]
    assert labels == ["0–1", "1–2", "2–4", "4–8", "8–24", "24–48", "48–96", ">96", "Not touched"]


def test_speed_bins_add_the_sla_limits_as_edges():
    frame = pd.DataFrame({"hours_to_first_touch": [5.0, 6.0, 7.0, 30.0], "status": ["within"] * 3 + ["late"]})
    counts, labels, edges = speed_bins(frame, [6.0, 120.0])
    assert edges == [0, 1, 2, 4, 6, 8, 24, 48, 96, 120]
    assert labels[3:5] == ["4–6", "6–8"] and labels[-2:] == [">120", "Not touched"]
    assert dict(zip(counts["Hours"], counts["mqls"], strict=True)) == {"4–6": 2, "6–8": 1, "24–48": 1}
    assert counts["share"].sum() == pytest.approx(1.0)


def test_speed_bins_of_nothing():
    counts, labels, _ = speed_bins(pd.DataFrame({"hours_to_first_touch": [], "status": []}), [])
    assert counts.empty and labels[-1] == "Not touched"


def test_every_chart_tooltip_names_its_sample_size(sample_app):
    at = sample_app(PAGE)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 6  # four timing charts and the two speed-pays charts
    tooltips = json.dumps(specs)
    assert "Judged MQLs" in tooltips and "n (leads)" in tooltips
    pays = [json.dumps(spec) for spec in specs if "95% low" in json.dumps(spec)]
    assert len(pays) == 2 and all('"title": "MQLs"' in spec for spec in pays)


# --- systems vs human delay, at risk, does speed pay ----------------------------------------------------


def test_delay_table_splits_routing_from_the_reps_first_touch(sample_app, sample):
    from sla_model.metrics.handoff import delay_split, delay_summary

    at = sample_app(PAGE)
    want = delay_summary(delay_split(_expected(sample, "2026-11")["month"], sample[0].leads), "owner")
    table = _frame(at, "Created → handed over").set_index("Rep")
    for row in want.itertuples():
        assert table.loc[row.owner, "MQLs"] == row.mqls
        assert table.loc[row.owner, "Created → handed over"] == fmt.hours(row.systems_median)
        assert table.loc[row.owner, "Handed over → first touch"] == fmt.hours(row.human_median)
    assert metric(at, "Handed over → first touch (median)").value == fmt.hours(
        delay_summary(delay_split(_expected(sample, "2026-11")["month"], sample[0].leads)).iloc[0]["human_median"]
    )


def test_at_risk_lists_open_mqls_due_within_n_hours_soonest_first(sample_app, sample):
    from sla_model.metrics.handoff import at_risk

    data, summary = sample
    at = sample_app(PAGE)
    at.number_input(key="handoff_risk_hours").set_value(24).run()
    want = at_risk(summary, data.leads, AS_OF, 24, versions=sample_slas())
    assert len(want) > 0
    table = _frame(at, "Rule due")
    assert table["Lead"].tolist() == want["lead_id"].tolist()
    assert table["Time left"].tolist() == [fmt.hours(h) for h in want["hours_left"]]
    broken = set(_frame(at, "Breach")["Lead"])
    assert not broken & set(table["Lead"])


def test_speed_pays_table_shows_rates_intervals_and_sample_sizes(sample_app, sample):
    from sla_model.metrics.handoff import speed_pays
    from ui.handoff_speed import rate_text

    data, summary = sample
    at = sample_app(PAGE)
    want = speed_pays(summary, data.leads, AS_OF)
    rule = want[want["kind"] == "rule"]
    table = _frame(at, "Speed to lead")
    assert table["Speed to lead"].tolist() == rule["bucket"].tolist()
    assert table["MQLs"].tolist() == [fmt.count(n) for n in rule["mqls"]]
    assert table["MQL→won"].tolist() == [
        rate_text(r, lo, hi) for r, lo, hi in rule[["won_rate", "won_low", "won_high"]].to_numpy()
    ]
    at.segmented_control(key="pays_kind").set_value("Fixed hours").run()
    hours = want[want["kind"] == "hours"]
    assert _frame(at, "Speed to lead")["MQLs"].tolist() == [fmt.count(n) for n in hours["mqls"]]


def _count(text: str, pattern: str) -> int:
    import re

    found = re.search(pattern, text.replace("\\", ""))
    assert found, f"{pattern!r} not in {text!r}"
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize("what", ["within", "late", "touch_rule", "breaches"])
def test_each_timing_tile_opens_the_leads_behind_it(sample_app, what):
    at = sample_app(PAGE, month="2026-10")
    captions = [c.value for c in at.caption]
    speed = [c for c in captions if " judged" in c]  # the Within SLA tile's, then the Touch rule tile's
    within, judged = _count(speed[0], r"([\d,]+) of"), _count(speed[0], r"of ([\d,]+) judged")
    complies, rule_judged = _count(speed[1], r"([\d,]+) of"), _count(speed[1], r"of ([\d,]+) judged")
    expected = {"within": within, "late": judged - within, "touch_rule": rule_judged - complies,
                "breaches": int(metric(at, "Open breaches").value.replace(",", ""))}[what]  # fmt: skip
    at.pills(key="ht_drill").set_value(what).run()
    assert not at.exception
    if expected == 0:
        assert "No lead is behind this figure." in [c.value for c in at.caption]
        return
    table = next(d.value for d in at.dataframe if "History" in d.value.columns)
    assert len(table) == expected
    if what == "late":
        assert set(table["Judged"]) <= {"late", "missed"}


def test_a_selected_breach_row_opens_that_leads_history(sample_app):
    at = sample_app(PAGE)
    first = _frame(at, "Breach")["Lead"].iloc[0]
    assert "Select a row to open that lead's history." in [c.value for c in at.caption]
    at.session_state["breach_table"] = {"selection": {"rows": [0], "columns": []}}  # as the browser reports a tick
    at.run()
    assert not at.exception
    links = [e.proto for e in at.get("page_link")]
    shown = [link.label for link in links] or [c.value for c in at.caption]  # a page run alone has no navigation
    assert any(text.startswith(f"Open the history of {first}") for text in shown), shown
