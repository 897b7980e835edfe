"""Chart pieces shared by the pages and the report, rendered offline to check what a reader sees."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
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
