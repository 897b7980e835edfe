"""Chart styling shared by the pages: one colour per channel, legible when projected."""

from __future__ import annotations

import altair as alt

#: Okabe–Ito, a colour-blind-safe palette; channels take colours in sorted order, then greys.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999999", "#666666", "#BBBBBB", "#333333"]  # fmt: skip
GOOD = "#0072B2"
BAD = "#D55E00"
NEUTRAL = "#999999"
#: Charts never send more rows than this to the browser (they are pre-aggregated).
MAX_ROWS = 5_000


def channel_scale(channels: list[str]) -> alt.Scale:
    """The channel colour scale: the same channel gets the same colour on every page."""
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(channels))]
    return alt.Scale(domain=list(channels), range=colours)


def projector(chart: alt.TopLevelMixin, height: int = 320) -> alt.TopLevelMixin:
    """Large type and a fixed height, so a chart reads from the back of a meeting room."""
    return (
        chart.properties(height=height)
        .configure_axis(labelFontSize=14, titleFontSize=15, labelLimit=260)
        .configure_legend(labelFontSize=14, titleFontSize=14, labelLimit=260, orient="top")
        .configure_header(labelFontSize=14, titleFontSize=14)
        .configure_title(fontSize=17, anchor="start")
    )


def show(chart: alt.TopLevelMixin, data_rows: int, *, key: str) -> None:
    """Render a pre-aggregated chart, refusing to ship more than :data:`MAX_ROWS` rows."""
    import streamlit as st

    if data_rows > MAX_ROWS:
        raise ValueError(f"chart {key!r} would send {data_rows} rows; aggregate it first")
    st.altair_chart(chart, key=key)
