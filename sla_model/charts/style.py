"""Chart style and the charts shared by the meeting page and the printed report: legible when projected.

Fixed and conditional values go into encodings as Altair's typed classes (``alt.ColorValue(**alt.condition(…))``,
``alt.YValue(0)``), never as the plain dicts ``alt.value`` and ``alt.condition`` return: Altair matches such a dict
against every class of its schema and validates it, 5–40 ms an encoding, more than building the rest of a chart.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Okabe–Ito's colour-blind-safe colours, then Paul Tol's muted ones; channels take them in sorted order. No
#: black: quota ticks and error bars are black, and a channel must never look like one.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#882255",
           "#44AA99", "#332288", "#999933", "#AA4499"]  # fmt: skip
#: The colour of quota ticks and error bars (never a channel's).
INK = "black"
GOOD = "#0072B2"
BAD = "#D55E00"
NEUTRAL = "#999999"
#: Charts never send more rows than this to the browser (they are pre-aggregated).
MAX_ROWS = 5_000
#: The name of the click selection a drillable chart defines (:func:`pickable`); a page reads the picked mark's
#: fields from it.
PICK = "pick"


def pickable(chart: alt.Chart, fields: list[str]) -> alt.Chart:
    """``chart`` with a click selection (:data:`PICK`) on ``fields`` and a pointer cursor over its marks.

    A double click clears the selection. Put it on one layer of a layered chart: the one whose marks open leads.
    """
    mark = chart.mark.to_dict() if isinstance(chart.mark, alt.MarkDef) else {"type": chart.mark}
    out = chart.copy()
    out.mark = alt.MarkDef(**{**mark, "cursor": "pointer"})
    return out.add_params(alt.selection_point(name=PICK, fields=list(fields), on="click", clear="dblclick"))


def channel_scale(channels: list[str]) -> alt.Scale:
    """The channel colour scale: the same channel gets the same colour on every page."""
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(channels))]
    return alt.Scale(domain=list(channels), range=colours)


def projector(chart: alt.TopLevelMixin, height: int = 320) -> alt.TopLevelMixin:
    """Large type and a fixed height, so a chart reads from the back of a meeting room.

    The same chart as ``chart.properties(height=...).configure_axis(...).configure_legend(...)...`` gives, built
    with one copy of the chart instead of five (each ``configure_*`` copies a layered chart again, which is most of
    the time a page spends on its charts). ``chart`` is left as it was.
    """
    out = chart.properties(height=height)  # a shallow copy: its config is still the chart's own
    config = alt.Config() if out.config is alt.Undefined else out.config.copy(deep=True)
    config["axis"] = alt.AxisConfig(labelFontSize=14, titleFontSize=15, labelLimit=260)
    config["legend"] = alt.LegendConfig(labelFontSize=14, titleFontSize=14, labelLimit=260, orient="top")
    config["header"] = alt.HeaderConfig(labelFontSize=14, titleFontSize=14)
    config["title"] = alt.TitleConfig(fontSize=17, anchor="start")
    out.config = config
    return out


def cumulative_chart(daily: pd.DataFrame, label: str, *, with_pace: bool = True) -> alt.Chart:
    """Cumulative actual against the quota's pace and the projection, from ``progress.cumulative_by_day``."""
    names = {"actual": "Actual", "pace": "Pace (quota)", "projection": "Projection"}
    long = daily.melt("day", var_name="series", value_name="value").dropna(subset=["value"])
    long = long[long["series"].isin(names) & (with_pace | (long["series"] != "pace"))]
    long["series"] = long["series"].map(names)
    long["day"] = pd.to_datetime(long["day"])
    domain = list(names.values())
    return (
        alt.Chart(long)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("day:T", title="Day of month", axis=alt.Axis(format="%d %b")),
            y=alt.Y("value:Q", title=f"{label}, cumulative"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[GOOD, NEUTRAL, GOOD]),
                legend=alt.Legend(orient="bottom-right"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                legend=alt.Legend(orient="bottom-right"),
                scale=alt.Scale(domain=domain, range=[[1, 0], [6, 4], [2, 3]]),
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format="%d %b"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title=label, format=",.0f"),
            ],
        )
    )


#: Pixels a channel's row takes in :func:`channel_quota_chart` (its bar is 60% of that).
CHANNEL_ROW = 30


def channel_quota_chart(
    channels: pd.DataFrame, all_channels: list[str], height: int | None = None, *, selectable: bool = False
) -> alt.LayerChart:
    """MQLs per channel as bars, each channel's quota as a black tick (``meeting.channel_scorecard``).

    With ``selectable``, a click on a bar picks its channel (:data:`PICK`, field ``channel``).

    Bars and ticks take a share of their row, so any number of channels (the SLA's and the data's) never
    overlap at the ``height`` the chart is drawn (default: :func:`channel_chart_height`, a row per channel).
    """
    row = (height or channel_chart_height(channels)) / max(len(channels), 1)
    frame = channels[["channel", "mqls", "quota"]].copy()
    order = list(frame["channel"])
    colours = list(dict.fromkeys([*all_channels, *order]))  # a channel only the SLA names still gets a colour
    base = alt.Chart(frame).encode(y=alt.Y("channel:N", title=None, sort=order))
    bars = base.mark_bar(height=alt.RelativeBandSize(0.6)).encode(
        x=alt.X("mqls:Q", title="MQLs this month (count)"),
        color=alt.Color("channel:N", scale=channel_scale(colours), legend=None),
        tooltip=[
            alt.Tooltip("channel:N", title="Channel"),
            alt.Tooltip("mqls:Q", title="MQLs"),
            alt.Tooltip("quota:Q", title="Quota"),
        ],  # fmt: skip
    )
    ticks = base.mark_tick(color=INK, thickness=3, size=min(24, row * 0.8)).encode(x="quota:Q")
    return (pickable(bars, ["channel"]) if selectable else bars) + ticks


def channel_chart_height(channels: pd.DataFrame, least: int = 200) -> int:
    """The height that gives every channel of :func:`channel_quota_chart` its row."""
    return max(least, CHANNEL_ROW * len(channels) + 60)


def reasons_chart(reasons: pd.DataFrame, top: int = 8) -> alt.Chart:
    """Rejections by reason, most frequent first (``quality.rejection_reasons``)."""
    frame = reasons.head(top)[["label", "count", "share"]]
    return (
        alt.Chart(frame)
        .mark_bar(color=BAD, height=16)
        .encode(
            y=alt.Y("label:N", title=None, sort=list(frame["label"])),
            x=alt.X("count:Q", title="Rejections (count)"),
            tooltip=[
                alt.Tooltip("label:N", title="Reason"),
                alt.Tooltip("count:Q", title="Rejections"),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],  # fmt: skip
        )
    )


def month_axis(**kwargs: object) -> alt.Axis:
    """A time axis with one tick a month, labelled ``Mar 26``.

    Without the interval, Vega places ticks between months when there are few of them, each labelled with its
    month, so a label repeats ("Jun 25 Jun 25 Jun 25 …").
    """
    return alt.Axis(format="%b %y", labelAngle=0, tickCount={"interval": "month", "step": 1}, **kwargs)
