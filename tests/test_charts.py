"""Chart pieces shared by the pages and the report, rendered offline to check what a reader sees."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc

from sla_model.charts import month_axis


def _month_labels(axis: alt.Axis, months: int) -> list[str]:
    frame = pd.DataFrame({"month": pd.date_range("2025-06-01", periods=months, freq="MS"), "value": range(months)})
    chart = alt.Chart(frame).mark_line().encode(x=alt.X("month:T", axis=axis), y="value:Q").properties(width=900)
    svg = vlc.vegalite_to_svg(chart.to_json())
    return re.findall(r">([A-Z][a-z]{2} \d\d)</text>", svg)


def test_a_month_axis_labels_each_month_once_however_few_months_there_are():
    """Before: three months drew 'Jun 25' fifteen times (a tick every few days, each labelled with its month)."""
    assert _month_labels(alt.Axis(format="%b %y"), 3).count("Jun 25") > 1  # the plain axis repeats
    assert _month_labels(month_axis(), 3) == ["Jun 25", "Jul 25", "Aug 25"]
    assert _month_labels(month_axis(), 12) == [f"{m:%b %y}" for m in pd.date_range("2025-06", periods=12, freq="MS")]


def test_no_channel_is_drawn_in_the_colour_of_quota_ticks():
    """Before: the eighth channel (Webinar in the sample) was black, like the quota ticks beside it."""
    from sla_model.charts import INK, PALETTE, channel_scale

    colours = channel_scale([f"channel {i}" for i in range(len(PALETTE))]).to_dict()["range"]
    assert INK == "black" and not {"#000000", "black"} & {c.lower() for c in colours}
    assert len(set(colours)) == len(PALETTE)  # every channel of a full palette has its own colour


def test_channel_bars_never_overlap_when_the_data_and_the_sla_name_different_channels():
    """Before: 16-pixel bars in a fixed 300-pixel chart overlapped once the SLA's and the data's channels added up."""
    from sla_model.charts import channel_chart_height, channel_quota_chart, projector
    from sla_model.review.report import CHART_HEIGHT

    sla_channels = [f"Quota channel {i}" for i in range(8)]
    data_only = [f"CRM source {i}" for i in range(6)]
    frame = pd.DataFrame({"channel": sla_channels + data_only, "mqls": range(14), "quota": [10] * 8 + [0] * 6})
    for height in (channel_chart_height(frame), CHART_HEIGHT):  # the page's and the printed report's
        _assert_rows_apart(projector(channel_quota_chart(frame, data_only, height=height), height))


def _assert_rows_apart(chart) -> None:
    svg = vlc.vegalite_to_svg(chart.properties(width=500).to_json())
    bars = [
        (float(y), float(h))
        for y, h in re.findall(r'aria-roledescription="bar"[^>]*d="M[-\d.]+,([-\d.]+)h[-\d.]+v([-\d.]+)', svg)
    ]
    assert len(bars) == 14  # one bar a channel (a channel with no MQL draws a zero-width one)
    spans = sorted((y, y + h) for y, h in bars)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), spans
    ticks = re.findall(r'aria-roledescription="tick"[^>]*height="([\d.]+)"', svg) or re.findall(
        r'aria-roledescription="tick"[^>]*d="M[-\d.]+,[-\d.]+h[-\d.]+v([-\d.]+)', svg
    )
    row = spans[1][0] - spans[0][0]
    assert ticks and all(float(t) <= row for t in ticks), (ticks, row)


def test_the_speed_histogram_marks_every_first_touch_limit_at_the_start_of_its_bin():
    from sla_model.charts.timing import speed_histogram_chart
    from sla_model.metrics.timing import speed_bins

    judged = pd.DataFrame({"hours_to_first_touch": [0.5, 5.0, 7.0, 30.0], "status": ["within"] * 3 + ["late"]})
    limits = [6.0, 8.0]  # two SLA versions judged this month's MQLs
    counts, labels, edges = speed_bins(judged, limits)
    svg = vlc.vegalite_to_svg(speed_histogram_chart(counts, labels, edges, limits).properties(width=600).to_json())
    assert ">SLA 6 h</text>" in svg and ">SLA 8 h</text>" in svg
    rules = speed_histogram_chart(counts, labels, edges, limits).to_dict()["layer"][1]
    assert rules["encoding"]["x"]["bandPosition"] == 0  # the line sits where the bin ending at the limit stops


@pytest.mark.parametrize(("overall", "layers"), [(0.6, 3), (float("nan"), 2)])
def test_rate_bars_draw_the_overall_line_only_when_there_is_an_overall_rate(overall, layers):
    from sla_model.charts.quality import rate_bars

    rows = pd.DataFrame(
        {"group": ["Email"], "axis": ["Email\nn = 40"], "successes": [24], "n": [40], "rate": [0.6], "low": [0.45],
         "high": [0.73], "small_sample": [False], "sample": [""], "interval": ["45%–73%"]}
    )  # fmt: skip
    chart = rate_bars(rows, x_title="Acceptance", what="Accepted", colour=alt.value("blue"), overall=overall)
    assert len(chart.to_dict()["layer"]) == layers


@pytest.mark.parametrize(
    ("lows", "start"),
    [([0.83, 0.91], 0.8), ([0.0, 0.5], 0.0), ([0.97, 0.99], 0.9), ([float("nan"), 0.42], 0.4)],
)
def test_rep_compliance_axis_starts_at_the_tenth_below_the_lowest_interval(lows, start):
    from sla_model.charts.timing import rep_compliance_chart

    reps = pd.DataFrame(
        {"Rep": ["A (n=30)", "B (n=30)"], "share": [0.9, 0.95], "low": lows, "high": [0.97, 0.99],
         "complies": [27, 28], "judged": [30, 30]}
    )  # fmt: skip
    spec = rep_compliance_chart(reps, 3, 7).to_dict()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [pytest.approx(start), 1]


def test_the_heatmap_grows_with_its_reasons_and_its_column_labels_lines():
    from sla_model.charts.quality import heatmap_height

    assert heatmap_height(["Email", "Events"], 4) == 38 * 4 + 18 + 20
    assert heatmap_height(["Content\nSyndication", "Email"], 4) == heatmap_height(["Email"], 4) + 18


def test_the_cumulative_chart_leaves_out_the_pace_line_where_no_quota_applies():
    from sla_model.charts.progress import cumulative_series

    daily = pd.DataFrame(
        {"day": pd.date_range("2026-11-01", periods=3).date, "actual": [1.0, 2.0, float("nan")],
         "pace": [1.0, 2.0, 3.0], "projection": [float("nan"), 2.0, 3.5]}
    )  # fmt: skip
    assert set(cumulative_series(daily)["series"]) == {"Actual", "Pace (quota)", "Projection"}
    without = cumulative_series(daily, with_pace=False)
    assert set(without["series"]) == {"Actual", "Projection"} and without["value"].notna().all()


def _configured_one_by_one(chart, height: int):
    """The projector style as a chain of Altair's own calls (what :func:`projector` must give)."""
    return (
        chart.properties(height=height)
        .configure_axis(labelFontSize=14, titleFontSize=15, labelLimit=260)
        .configure_legend(labelFontSize=14, titleFontSize=14, labelLimit=260, orient="top")
        .configure_header(labelFontSize=14, titleFontSize=14)
        .configure_title(fontSize=17, anchor="start")
    )


@pytest.mark.parametrize("kind", ["chart", "layered", "layered with a config of its own"])
def test_projector_gives_the_chart_altairs_configure_calls_give_and_leaves_the_chart_alone(kind):
    from sla_model.charts import projector

    frame = pd.DataFrame({"month": ["2026-10", "2026-11"], "value": [3, 5]})
    base = alt.Chart(frame).mark_bar().encode(x="month:N", y="value:Q")
    chart = base if kind == "chart" else alt.layer(base, base.mark_rule().encode(y="mean(value):Q"))
    if kind.endswith("of its own"):
        chart = chart.configure_view(strokeWidth=0).configure_axis(grid=False)
    before = chart.to_dict()
    assert projector(chart, 280).to_dict() == _configured_one_by_one(chart, 280).to_dict()
    assert chart.to_dict() == before


def test_speed_by_rep_draws_one_named_dashed_line_per_policy_limit():
    from sla_model.charts.timing import rep_speed_chart

    reps = pd.DataFrame(
        {
            "Rep": ["Ann (n = 4)", "Bo (n = 2)"],
            "owner": ["Ann", "Bo"],
            "touched": [4, 2],
            "judged": [4, 2],
            "share_within": [0.75, 0.5],
            "median_hours": [0.5, 3.0],
            "p90_hours": [2.0, 12.0],
        }
    )
    limits = [("Demo requests", 1.0), ("Enterprise", 8.0), ("Standard", 8.0)]
    svg = vlc.vegalite_to_svg(rep_speed_chart(reps, limits, unit="business h").properties(width=600).to_json())
    assert svg.count('aria-roledescription="rule mark"') == 2 + 2  # two reps' spans, two distinct limits
    assert ">Demo requests</text>" in svg and ">Enterprise, Standard</text>" in svg
    assert "Limit: Enterprise, Standard: 8 business h" in svg
    one = vlc.vegalite_to_svg(rep_speed_chart(reps, 24).properties(width=600).to_json())
    assert one.count('aria-roledescription="rule mark"') == 2 + 1 and "Limit: SLA 24 h" in one
