"""Handoff-timing charts: hours to first touch, the reps' speed and touch compliance, and time in stage."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from sla_model.charts.style import BAD, GOOD, NEUTRAL, month_axis, pickable
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.metrics.timing import STATUS_NAMES

#: Each speed-to-lead status' colour (Okabe–Ito), in the order of ``metrics.timing.STATUS_NAMES``.
STATUS_COLOURS = {"within": GOOD, "late": "#E69F00", "missed": BAD, "open": NEUTRAL, "untracked": "#BBBBBB"}
STAGE_COLOURS = {"MQL→SQL": "#009E73", "SQL→won": "#CC79A7"}


def rep_chart_height(reps: pd.DataFrame) -> int:
    """The height that gives each rep of :func:`rep_speed_chart` and :func:`rep_compliance_chart` a row."""
    return max(220, 34 * len(reps) + 40)


def speed_histogram_chart(
    counts: pd.DataFrame,
    labels: list[str],
    edges: list[float],
    limits: list[float],
    *,
    unit: str = "h",
    selectable: bool = False,
) -> alt.LayerChart:
    """MQLs per bin of hours to first touch, stacked by status, with each SLA limit as a labelled dashed line.

    ``counts``, ``labels`` and ``edges`` come from ``timing.speed_bins`` called with ``limits``. With
    ``selectable``, a click on a bar picks its bin and status (:data:`~sla_model.charts.style.PICK`, fields
    ``Hours`` and ``status``).
    """
    x_scale = alt.Scale(domain=labels)
    statuses = [STATUS_NAMES[s] for s in STATUS_COLOURS]
    bars = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("Hours:N", scale=x_scale, title=_hours_title(unit), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("mqls:Q", title="MQLs (count)", stack=True, axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color(
                "Status:N", title=None, scale=alt.Scale(domain=statuses, range=list(STATUS_COLOURS.values()))
            ),
            order=alt.Order("status_rank:Q"),
            tooltip=[
                alt.Tooltip("Hours:N", title="Hours to first touch"),
                alt.Tooltip("Status:N"),
                alt.Tooltip("mqls:Q", title="MQLs", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of the month's MQLs", format=".1%"),
            ],
        )
        .transform_calculate(status_rank=f"indexof({statuses!r}, datum.Status)")
    )
    marks = pd.DataFrame(
        {"Hours": [labels[edges.index(h)] for h in limits], "text": [f"SLA {h:g} {unit}" for h in limits]}
    )
    rule = (
        alt.Chart(marks)
        .mark_rule(color="black", strokeDash=[6, 4], strokeWidth=2)
        .encode(x=alt.X("Hours:N", scale=x_scale, bandPosition=0), tooltip=[alt.Tooltip("text:N", title="Limit")])
    )
    text = (
        alt.Chart(marks)
        .mark_text(align="left", baseline="top", dx=5, dy=4, fontSize=14, fontWeight="bold")
        .encode(x=alt.X("Hours:N", scale=x_scale, bandPosition=0), y=alt.YValue(0), text="text:N")
    )
    return (pickable(bars, ["Hours", "status"]) if selectable else bars) + rule + text


def _hours_title(unit: str) -> str:
    """The axis title of hours to first touch: working hours when the rules count them."""
    return "Hours from handoff to first touch" if unit == "h" else "Business hours from handoff to first touch"


def rep_speed_chart(
    reps: pd.DataFrame,
    limits: float | dict[str, float] | list[tuple[str, float]],
    *,
    unit: str = "h",
    selectable: bool = False,
) -> alt.LayerChart:
    """Median and p90 hours to first touch per rep (``timing.rep_speed`` with a ``Rep`` label), in their order.

    A grey span joins each rep's two dots; each first-touch limit is a dashed red line, named at its top when
    ``limits`` maps follow-up policies to their hours, as a dict or (policy, hours) pairs (one line per distinct
    limit; policies with the same limit share it). ``unit`` is how the hours are written (``h``, ``business h``).
    With ``selectable``, a click on a dot picks its rep (:data:`~sla_model.charts.style.PICK`, field ``owner``).
    """
    long = reps.melt(
        id_vars=["Rep", "owner", "touched", "judged", "share_within"],
        value_vars=["median_hours", "p90_hours"],
        var_name="stat",
        value_name="hours",
    )
    long["Statistic"] = long["stat"].map({"median_hours": "Median", "p90_hours": "90th percentile"})
    y = alt.Y("Rep:N", sort=reps["Rep"].tolist(), title=None, axis=alt.Axis(labelFlush=False))
    span = (
        alt.Chart(reps).mark_rule(strokeWidth=3, color=NEUTRAL).encode(y=y, x=alt.X("median_hours:Q"), x2="p90_hours:Q")
    )
    points = (
        alt.Chart(long)
        .mark_point(filled=True, size=140, opacity=1)
        .encode(
            y=y,
            x=alt.X("hours:Q", title=_hours_title(unit)),
            color=alt.Color(
                "Statistic:N",
                title=None,
                scale=alt.Scale(domain=["Median", "90th percentile"], range=[GOOD, "#56B4E9"]),
            ),
            shape=alt.Shape(
                "Statistic:N",
                title=None,
                scale=alt.Scale(domain=["Median", "90th percentile"], range=["circle", "diamond"]),
            ),
            tooltip=[
                alt.Tooltip("Rep:N"),
                alt.Tooltip("Statistic:N"),
                alt.Tooltip("hours:Q", title="Hours", format=".1f"),
                alt.Tooltip("touched:Q", title="Touched MQLs"),
                alt.Tooltip("judged:Q", title="Judged MQLs"),
                alt.Tooltip("share_within:Q", title="Within SLA", format=".0%"),
            ],
        )
    )
    rules = limit_rules(limits, unit)
    rule = (
        alt.Chart(rules)
        .mark_rule(color=BAD, strokeDash=[6, 4], strokeWidth=2)
        .encode(x="hours:Q", tooltip=[alt.Tooltip("text:N", title="Limit")])
    )
    layers = span + (pickable(points, ["owner"]) if selectable else points) + rule
    if isinstance(limits, (int, float)):
        return layers
    names = (
        alt.Chart(rules)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=BAD, fontSize=13)
        .encode(x="hours:Q", y=alt.YValue(0), text="name:N")
    )
    return layers + names


def limit_rules(limits: float | dict[str, float] | list[tuple[str, float]], unit: str = "h") -> pd.DataFrame:
    """One row per distinct first-touch limit: ``hours``, the policies it belongs to (``name``) and a tooltip.

    >>> limit_rules({"Standard": 8, "Demo requests": 1, "Enterprise": 8}, "business h")["text"].tolist()
    ['Demo requests: 1 business h', 'Standard, Enterprise: 8 business h']
    >>> limit_rules(24)["text"].tolist()
    ['SLA 24 h']
    """
    if isinstance(limits, (int, float)):
        hours = float(limits)
        return pd.DataFrame({"hours": [hours], "name": ["SLA"], "text": [f"SLA {hours:g} {unit}"]})
    by_hours: dict[float, list[str]] = {}
    for name, hours in limits.items() if isinstance(limits, dict) else limits:
        names = by_hours.setdefault(float(hours), [])
        if name not in names:
            names.append(name)
    rows = [(h, ", ".join(names)) for h, names in sorted(by_hours.items())]
    return pd.DataFrame(
        {
            "hours": [h for h, _ in rows],
            "name": [n for _, n in rows],
            "text": [f"{n}: {h:g} {unit}" for h, n in rows],
        }
    )


def rep_compliance_chart(
    reps: pd.DataFrame, min_touches: int, window_days: int, *, days: str = "days", selectable: bool = False
) -> alt.LayerChart:
    """Share of judged MQLs meeting the touch rule per rep (``timing.rep_compliance`` with a ``Rep`` label).

    ``days`` is how the window's days are written (``days``, ``business days``).

    With ``selectable``, a click on a dot picks its rep (:data:`~sla_model.charts.style.PICK`, field ``owner``).

    Dots are the shares, grey bars their 95% intervals; the axis starts at the tenth below the lowest bound.
    """
    lo = float(np.clip(np.floor(np.nanmin(reps["low"]) * 10) / 10, 0, 0.9))
    x_scale = alt.Scale(domain=[lo, 1])
    x = alt.X(
        "share:Q",
        title=f"MQLs with ≥{min_touches} touches in {window_days} {days} (%)",
        scale=x_scale,
        axis=alt.Axis(format="%"),
    )
    y = alt.Y("Rep:N", sort=reps["Rep"].tolist(), title=None, axis=alt.Axis(labelFlush=False))
    base = alt.Chart(reps)
    bars = base.mark_rule(strokeWidth=3, color=NEUTRAL).encode(y=y, x=alt.X("low:Q", scale=x_scale), x2="high:Q")
    points = base.mark_point(filled=True, size=140, color=GOOD, opacity=1).encode(
        y=y,
        x=x,
        tooltip=[
            alt.Tooltip("Rep:N"),
            alt.Tooltip("share:Q", title="Compliance", format=".1%"),
            alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
            alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
            alt.Tooltip("complies:Q", title="Complied"),
            alt.Tooltip("judged:Q", title="Judged MQLs"),
        ],
    )
    return bars + (pickable(points, ["owner"]) if selectable else points)


def stage_trend_chart(stages: pd.DataFrame) -> alt.LayerChart:
    """Median days in stage per month and transition (``timing.stage_medians``); hollow points are small samples."""
    colour = alt.Color(
        "transition:N",
        title=None,
        scale=alt.Scale(domain=list(STAGE_COLOURS), range=list(STAGE_COLOURS.values())),
    )
    base = alt.Chart(stages).encode(
        x=alt.X("month_start:T", title="Month the later stage was reached", axis=month_axis()),
        y=alt.Y("median_days:Q", title="Median time in stage (days)"),
        color=colour,
        tooltip=[
            alt.Tooltip("month_start:T", title="Month", format="%B %Y"),
            alt.Tooltip("transition:N", title="Stage"),
            alt.Tooltip("median_days:Q", title="Median days", format=".1f"),
            alt.Tooltip("n:Q", title="n (leads)", format=",.0f"),
            alt.Tooltip("sample:N", title="Sample"),
        ],
    )
    line = base.mark_line(strokeWidth=3)
    full = base.transform_filter(alt.datum.n >= SMALL_SAMPLE).mark_point(filled=True, size=90, opacity=1)
    small = base.transform_filter(alt.datum.n < SMALL_SAMPLE).mark_point(filled=False, size=90, strokeWidth=2)
    return line + full + small
