"""Lead-quality charts: rates with their intervals, the acceptance trend, and the rejection reasons."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from sla_model.charts.style import BAD, GOOD, NEUTRAL, channel_scale, month_axis, pickable

#: Vega expression that draws a label containing newlines on several lines.
LINES = "split(datum.value, '\\n')"


def rate_bars(
    rows: pd.DataFrame,
    *,
    x_title: str,
    what: str,
    colour: alt.Color | alt.ColorValue,
    overall: float,
    overall_text: str = "",
    by_rate: bool = True,
    selectable: bool = False,
) -> alt.LayerChart:
    """Horizontal rate bars with 95% Wilson error bars; small samples are pale and labelled.

    ``rows`` has the columns of ``ui.lead_quality.rate_rows``. Rows are sorted by rate (highest first), or kept
    in their order when ``by_rate`` is false. ``overall`` (skipped when NaN) is drawn as a dashed line whose
    tooltip reads ``overall_text``. With ``selectable``, a click on a bar picks its group
    (:data:`~sla_model.charts.style.PICK`, field ``group``).
    """
    order = list(rows.sort_values("rate", ascending=False, na_position="last")["axis"] if by_rate else rows["axis"])
    tooltip = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("rate:Q", title="Rate", format=".1%"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("successes:Q", title=what, format=","),
        alt.Tooltip("n:Q", title="Sample size (n)", format=","),
        alt.Tooltip("sample:N", title="Note"),
    ]
    y = alt.Y("axis:N", sort=order, title=None, axis=alt.Axis(labelExpr=LINES, labelLimit=200, labelOverlap=False))
    base = alt.Chart(rows).encode(y=y, tooltip=tooltip)
    bars = base.mark_bar(height=alt.RelativeBandSize(0.6)).encode(
        # rates live in 0–100%: a fixed domain keeps an axis of only empty rates from reading "0.000000%"
        x=alt.X("rate:Q", title=x_title, axis=alt.Axis(format="%", tickCount=5), scale=alt.Scale(domain=[0, 1])),
        color=colour,
        opacity=alt.OpacityValue(**alt.condition(alt.datum.small_sample, alt.value(0.35), alt.value(1.0))),
    )
    errors = base.mark_errorbar(ticks=alt.TickConfig(size=12, thickness=2), thickness=2, color="black").encode(
        x=alt.X("low:Q", title=x_title), x2="high:Q"
    )
    layers = [pickable(bars, ["group"]) if selectable else bars, errors]
    if overall == overall:  # not NaN
        ref = pd.DataFrame({"overall": [overall], "label": [overall_text]})
        layers.append(
            alt.Chart(ref)
            .mark_rule(color=NEUTRAL, strokeDash=[6, 4], strokeWidth=2)
            .encode(x="overall:Q", tooltip=[alt.Tooltip("label:N", title="Overall")])
        )
    return alt.layer(*layers)


def channel_colours(channels: Sequence[str]) -> alt.Color:
    """Bars coloured by channel in the app's fixed channel colours, without a legend (the axis names them)."""
    return alt.Color("group:N", scale=channel_scale(list(channels)), legend=None)


def one_colour(colour: str = GOOD) -> alt.ColorValue:
    """Every bar in one colour (groups that are not channels, such as score bands; typed: see ``style``)."""
    return alt.ColorValue(colour)


def rate_bars_height(rows: pd.DataFrame) -> int:
    """The height that gives each bar of :func:`rate_bars` room for its two-line label."""
    return max(260, 48 * len(rows))


def acceptance_trend_chart(trend: pd.DataFrame, chosen: pd.Timestamp, chosen_text: str) -> alt.LayerChart:
    """Acceptance by MQL month: the rate as a line over its 95% band, hollow points for small samples.

    ``trend`` has ``month_start``, ``rate``, ``low``, ``high``, ``accepted``, ``decided``, ``mqls``,
    ``interval``, ``sample`` and ``small_sample``; a dashed line marks the ``chosen`` month.
    """
    x = alt.X("month_start:T", title="MQL month", axis=month_axis())
    tooltip = [
        alt.Tooltip("month_start:T", title="MQL month", format="%B %Y"),
        alt.Tooltip("rate:Q", title="Acceptance rate", format=".1%"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("accepted:Q", title="Accepted", format=","),
        alt.Tooltip("decided:Q", title="Decided (n)", format=","),
        alt.Tooltip("mqls:Q", title="MQLs", format=","),
        alt.Tooltip("sample:N", title="Note"),
    ]
    base = alt.Chart(trend).encode(x=x, tooltip=tooltip)
    band = base.mark_area(opacity=0.25, color=GOOD).encode(
        y=alt.Y(
            "low:Q",
            title="Acceptance rate (%)",
            axis=alt.Axis(format="%", tickCount=6),
            scale=alt.Scale(zero=False),
        ),
        y2="high:Q",
    )
    line = base.mark_line(strokeWidth=3, color=GOOD).encode(y="rate:Q")
    points = base.mark_point(size=90, strokeWidth=2, color=GOOD).encode(
        y="rate:Q",
        fill=alt.FillValue(**alt.condition(alt.datum.small_sample, alt.value("white"), alt.value(GOOD))),
    )
    rule = (
        alt.Chart(pd.DataFrame({"month_start": [chosen], "label": [chosen_text]}))
        .mark_rule(color=NEUTRAL, strokeDash=[4, 4], strokeWidth=2)
        .encode(x="month_start:T", tooltip=[alt.Tooltip("label:N", title="Chosen month")])
    )
    return band + line + points + rule


#: The name of the Pareto chart's click selection (a clicked bar selects its ``reason`` code).
REASON_PICK = "reason_pick"


def reason_pareto_chart(pareto: pd.DataFrame, *, selectable: bool = False) -> alt.LayerChart:
    """Rejections by reason as bars, most frequent first, with their cumulative share as a line.

    With ``selectable``, clicking a bar selects its reason (the :data:`REASON_PICK` selection, field ``reason``).

    ``pareto`` comes from ``quality.top_reasons`` with an ``axis`` label (newlines break it) and ``inside``
    (the count fits inside its bar, drawn in white; otherwise above it).
    """
    tooltip = [
        alt.Tooltip("label:N", title="Reason"),
        alt.Tooltip("count:Q", title="Rejections", format=","),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
        alt.Tooltip("cumulative_share:Q", title="Cumulative share", format=".0%"),
    ]
    x = alt.X(
        "axis:N", sort=list(pareto["axis"]), title=None, axis=alt.Axis(labelAngle=0, labelExpr=LINES, labelLimit=120)
    )
    base = alt.Chart(pareto).encode(x=x, tooltip=tooltip)
    look = {"color": BAD, "width": alt.RelativeBandSize(0.7), "cursor": "pointer" if selectable else "default"}
    bars = base.mark_bar(**look).encode(y=alt.Y("count:Q", title="Rejections (count)", axis=alt.Axis(tickMinStep=1)))
    if selectable:
        bars = bars.add_params(alt.selection_point(name=REASON_PICK, fields=["reason"], on="click", clear="dblclick"))
    # Counts sit inside tall bars (white) and above short ones, clear of the cumulative line.
    count_text = alt.Text("count:Q", format=",")
    inside = base.transform_filter(alt.datum.inside).mark_text(fontSize=14, baseline="top", dy=5, color="white")
    above = base.transform_filter(~alt.datum.inside).mark_text(fontSize=14, baseline="bottom", dy=-4)
    counts = inside.encode(y="count:Q", text=count_text) + above.encode(y="count:Q", text=count_text)
    cum = base.mark_line(color="#333333", strokeWidth=2, point=alt.OverlayMarkDef(size=60, color="#333333")).encode(
        y=alt.Y(
            "cumulative_share:Q",
            title="Cumulative share (%)",
            axis=alt.Axis(format="%", orient="right"),
            scale=alt.Scale(domain=[0, 1]),
        )
    )
    return alt.layer(bars + counts, cum).resolve_scale(y="independent")


def reason_heatmap_chart(
    grid: pd.DataFrame, columns: Sequence[str], reasons: Sequence[str], dimension: str
) -> alt.LayerChart:
    """Rejections per reason (rows, in ``reasons`` order) and value of a dimension (columns), each cell counted.

    ``grid`` comes from ``quality.reason_grid`` with a ``column`` label per value (newlines break it), drawn
    in ``columns`` order; ``dimension`` names the columns' dimension (``"Channel"``).
    """
    tooltip = [
        alt.Tooltip("label:N", title="Reason"),
        alt.Tooltip("value:N", title=dimension),
        alt.Tooltip("count:Q", title="Rejections", format=","),
        alt.Tooltip("share:Q", title=f"Share of the {dimension.lower()}'s rejections", format=".0%"),
    ]
    base = alt.Chart(grid).encode(
        x=alt.X(
            "column:N",
            sort=list(columns),
            title=None,
            axis=alt.Axis(
                orient="bottom", labelAngle=0, labelExpr=LINES, labelLimit=100, labelOverlap=False, labelFlush=False
            ),
        ),
        y=alt.Y("label:N", sort=list(reasons), title=None, axis=alt.Axis(labelOverlap=False)),
        tooltip=tooltip,
    )
    top_count = int(grid["count"].max())
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "count:Q",
            title="Rejections (count)",
            scale=alt.Scale(scheme="blues", domain=[0, top_count]),
            legend=None,  # every cell carries its count
        )
    )
    text = base.mark_text(fontSize=14).encode(
        text=alt.Text("count:Q", format=","),
        color=alt.ColorValue(
            **alt.condition(alt.datum.count > top_count * 0.55, alt.value("white"), alt.value("black"))
        ),
    )
    return cells + text


def heatmap_height(columns: Sequence[str], reasons: int) -> int:
    """The height of :func:`reason_heatmap_chart`: a row per reason, plus its column labels' lines."""
    lines = max(c.count("\n") for c in columns) + 1
    return 38 * reasons + 18 * lines + 20
