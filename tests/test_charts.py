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
