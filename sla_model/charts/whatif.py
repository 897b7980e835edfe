"""The what-if charts: a candidate's MQLs a month beside the SLA in force, and its change per channel."""

from __future__ import annotations

import altair as alt
import pandas as pd

from sla_model.charts.style import GOOD, NEUTRAL, channel_scale, month_axis

#: The colour of the leads the history actually handed to sales.
ACTUAL = "#E69F00"


def monthly_mqls_frame(monthly: pd.DataFrame, version: int) -> pd.DataFrame:
    """:attr:`WhatIfResult.monthly` in long form, one row per month and series, each series named for the legend.

    Args:
        monthly: the result's monthly frame (indexed by month period).
        version: the number of the SLA version in force, named in its series.
    """
    frame = monthly.reset_index()
    frame["month_start"] = frame["month"].dt.start_time
    long = frame.melt("month_start", value_vars=["mqls", "baseline_mqls", "actual_mqls"], var_name="series",
                      value_name="MQLs")  # fmt: skip
    long["series"] = long["series"].map(_series_names(version))
    return long


def _series_names(version: int) -> dict[str, str]:
    return {"mqls": "Candidate", "baseline_mqls": f"SLA v{version}", "actual_mqls": "Actually handed over"}


def monthly_mqls_chart(long: pd.DataFrame, version: int) -> alt.Chart:
    """Lines of MQLs a month: the candidate, the SLA in force and what was actually handed over.

    Args:
        long: from :func:`monthly_mqls_frame`.
        version: the number of the SLA version in force (the legend lists the series in a fixed order).
    """
    names = _series_names(version)
    return alt.Chart(long).mark_line(point=True, strokeWidth=3).encode(
        x=alt.X("yearmonth(month_start):T", title="Month the lead was created", axis=month_axis()),
        y=alt.Y("MQLs:Q", title="MQLs (count)"),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=list(names.values()),
                                                                range=[GOOD, NEUTRAL, ACTUAL])),
        tooltip=[alt.Tooltip("month_start:T", title="Month", format="%B %Y"), "series:N",
                 alt.Tooltip("MQLs:Q", format=",.0f")],
    )  # fmt: skip


def channel_change_chart(by_channel: pd.DataFrame, channels: list[str]) -> alt.Chart:
    """Bars of the candidate's change in MQLs a month per channel against the SLA in force.

    Args:
        by_channel: :attr:`WhatIfResult.by_channel` with ``channel`` as a column (``reset_index()``).
        channels: every channel of the data, so each keeps its colour across pages.
    """
    return alt.Chart(by_channel).mark_bar().encode(
        y=alt.Y("channel:N", title=None, sort="-x"),
        x=alt.X("change:Q", title="MQLs a month vs SLA in force (count)", axis=alt.Axis(format="+,.0f")),
        color=alt.Color("channel:N", scale=channel_scale(channels), legend=None),
        tooltip=["channel:N", alt.Tooltip("mqls:Q", format=",.1f"),
                 alt.Tooltip("baseline_mqls:Q", format=",.1f"),
                 alt.Tooltip("change_share:Q", title="change", format="+.0%")],
    )  # fmt: skip


def channel_change_worth_drawing(by_channel: pd.DataFrame) -> bool:
    """True when some channel changes by half an MQL a month or more (a chart of empty bars says less).

    Examples:
        >>> channel_change_worth_drawing(pd.DataFrame({"change": [0.2, -0.4]}))
        False
        >>> channel_change_worth_drawing(pd.DataFrame({"change": [0.2, -0.5]}))
        True
    """
    return bool((by_channel["change"].abs() >= 0.5).any())
