"""Goal-progress charts: the month's cumulative actual against pace, MQLs by channel, the funnel and the trend."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from sla_model.charts.style import BAD, GOOD, NEUTRAL, channel_scale, month_axis, pickable

#: The measures' colours on the attainment trend, in the order of ``metrics.progress.MEASURE_LABELS``.
MEASURE_COLOURS = [GOOD, "#E69F00", "#009E73", "#CC79A7"]
_SERIES = {"actual": "Actual", "pace": "Pace (quota)", "projection": "Projection"}
GHOST = "#BDBDBD"  # the comparison period's line, behind the others


def cumulative_series(daily: pd.DataFrame, *, with_pace: bool = True, ghost: str | None = None) -> pd.DataFrame:
    """``progress.cumulative_by_day`` in long form (``day``, ``series``, ``value``), as the chart draws it.

    Without ``with_pace`` (no quota applies) the pace line is left out. A ``comparison`` column
    (``periods.cumulative_by_span``) becomes the series named ``ghost``; without ``ghost`` it is left out.
    """
    long = daily.melt("day", var_name="series", value_name="value").dropna(subset=["value"])
    names = {**_SERIES, "comparison": ghost}
    long["series"] = long["series"].map(names)
    long = long.dropna(subset=["series"])
    return long if with_pace else long[long["series"] != _SERIES["pace"]]


def cumulative_progress_chart(
    long: pd.DataFrame, label: str, unit: str, *, ghost: str | None = None, x_title: str = "Day of month"
) -> alt.Chart:
    """Cumulative actual, pace and projection through the period (from :func:`cumulative_series`).

    ``label`` names the measure (``"MQLs"``), ``unit`` its unit on the axis (``"count"``, ``"USD"``); ``ghost``
    names the comparison period's series, drawn as a pale line on the same day numbers.
    """
    looks = [(_SERIES["actual"], GOOD, [1, 0]), (_SERIES["pace"], NEUTRAL, [6, 4])]
    looks.append((_SERIES["projection"], GOOD, [2, 3]))
    if ghost is not None and (long["series"] == ghost).any():
        looks.append((ghost, GHOST, [1, 0]))
    domain = [name for name, _, _ in looks]
    # A week's few days: one tick a day (left alone, the axis ticks every 12 hours and repeats each date).
    ticks = {"tickCount": {"interval": "day", "step": 1}} if long["day"].nunique() <= 14 else {}
    return (
        alt.Chart(long)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("day:T", title=x_title, axis=alt.Axis(format="%d %b", **ticks)),
            y=alt.Y("value:Q", title=f"{label} ({unit}), cumulative"),
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=domain, range=[c for _, c, _ in looks])),
            strokeDash=alt.StrokeDash(
                "series:N", title=None, scale=alt.Scale(domain=domain, range=[d for _, _, d in looks])
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format="%d %b"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title=label, format=",.0f"),
            ],
        )
    )


def channel_progress_chart(
    rows: pd.DataFrame, all_channels: list[str], period: str = "this month", *, selectable: bool = False
) -> alt.LayerChart:
    """MQLs per channel as bars and each channel's quota as a black tick (``progress.channel_progress``).

    ``rows`` also carries an ``Attainment`` text column for the tooltip; ``all_channels`` fixes the colours. With
    ``selectable``, a click on a bar picks its channel (:data:`~sla_model.charts.style.PICK`, field ``channel``).
    """
    base = alt.Chart(rows).encode(y=alt.Y("channel:N", title=None, sort=list(rows["channel"])))
    bars = base.mark_bar(height=18).encode(
        x=alt.X("MQLs:Q", title=f"MQLs {period} (count)"),
        color=alt.Color("channel:N", scale=channel_scale(all_channels), legend=None),
        tooltip=["channel:N", "MQLs:Q", "Quota:Q", alt.Tooltip("Pace:Q", format=",.0f"), "Attainment:N"],
    )
    ticks = base.mark_tick(color="black", thickness=3, size=28).encode(x="Quota:Q", tooltip=["channel:N", "Quota:Q"])
    return (pickable(bars, ["channel"]) if selectable else bars) + ticks


def funnel_chart(
    stages: pd.DataFrame, target: float, order: Sequence[str], *, selectable: bool = False
) -> alt.LayerChart:
    """Each funnel stage's actual as a share of what the goal needs, with the target share as a dashed line.

    ``stages`` comes from ``progress.funnel_progress`` (rows with a share); blue stages are on pace, orange behind.
    With ``selectable``, a click on a bar picks its stage (:data:`~sla_model.charts.style.PICK`, field ``stage``).
    """
    chart = (
        alt.Chart(stages)
        .mark_bar(height=26)
        .encode(
            y=alt.Y("Stage:N", sort=list(order), title=None),
            x=alt.X("share:Q", title="Actual as % of what the goal needs", axis=alt.Axis(format="%")),
            color=alt.ColorValue(**alt.condition(alt.datum.on_pace, alt.value(GOOD), alt.value(BAD))),
            tooltip=[
                "Stage:N",
                alt.Tooltip("needed:Q", title="Needed", format=",.0f"),
                alt.Tooltip("actual:Q", title="Actual", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of need", format=".0%"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [target]})).mark_rule(strokeDash=[4, 4], strokeWidth=2).encode(x="x:Q")
    return (pickable(chart, ["stage"]) if selectable else chart) + rule


def attainment_trend_chart(trend: pd.DataFrame, measures: Sequence[str]) -> alt.LayerChart:
    """Attainment per month and measure (``progress.trend_values``), with 100% of quota as a dashed red line."""
    line = (
        alt.Chart(trend)
        .mark_line(point=alt.OverlayMarkDef(size=80, filled=True), strokeWidth=3)
        .encode(
            x=alt.X("month_start:T", title="Month", axis=month_axis()),
            y=alt.Y("value:Q", title="Attainment (% of quota)", axis=alt.Axis(format="%")),
            color=alt.Color("Measure:N", scale=alt.Scale(domain=list(measures), range=MEASURE_COLOURS)),
            tooltip=[
                alt.Tooltip("month_start:T", title="Month", format="%B %Y"),
                "Measure:N",
                alt.Tooltip("actual:Q", title="Actual", format=",.0f"),
                alt.Tooltip("quota:Q", title="Quota", format=",.0f"),
                alt.Tooltip("value:Q", title="Attainment", format=".0%"),
                "Status:N",
                alt.Tooltip("sla_version:Q", title="SLA version"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color=BAD, strokeDash=[4, 4], strokeWidth=2).encode(y="y:Q")
    return line + rule
