"""Handoff charts: conversion by speed-to-lead bucket with 95% intervals (does speed pay?)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from sla_model.charts.style import GOOD, NEUTRAL


def speed_pays_chart(pays: pd.DataFrame, rate: str, title: str) -> alt.LayerChart:
    """One bucket kind of ``metrics.handoff.speed_pays``: the ``rate`` (sql or won) per bucket with its interval.

    Hollow points mark small samples; buckets keep their order, empty ones show no point.
    """
    frame = pays.assign(
        Bucket=pays["bucket"],
        rate=pays[f"{rate}_rate"],
        low=pays[f"{rate}_low"],
        high=pays[f"{rate}_high"],
        hits=pays[rate],
        sample=pays["small_sample"].map({True: "small", False: "ok"}),
    ).dropna(subset=["rate"])
    axis = alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=140)
    x = alt.X("Bucket:N", sort=list(pays["bucket"]), title=None, axis=axis)
    bars = (
        alt.Chart(frame)
        .mark_rule(color=NEUTRAL, strokeWidth=6, opacity=0.6)
        .encode(x=x, y=alt.Y("low:Q", title=title, axis=alt.Axis(format="%")), y2="high:Q")
    )
    points = (
        alt.Chart(frame)
        .mark_point(size=140, strokeWidth=3, color=GOOD)
        .encode(
            x=x,
            y="rate:Q",
            fill=alt.Fill("sample:N", scale=alt.Scale(domain=["ok", "small"], range=[GOOD, "white"]), legend=None),
            tooltip=[
                alt.Tooltip("Bucket:N", title="Speed to lead"),
                alt.Tooltip("rate:Q", title=title, format=".1%"),
                alt.Tooltip("low:Q", title="95% low", format=".1%"),
                alt.Tooltip("high:Q", title="95% high", format=".1%"),
                alt.Tooltip("hits:Q", title="Converted", format=",.0f"),
                alt.Tooltip("mqls:Q", title="MQLs", format=",.0f"),
            ],
        )
    )
    return alt.layer(bars, points)
