"""Altair chart builders and styling, shared by the pages and the report (no Streamlit).

``style`` (palette, axes, projector sizes and the shared chart builders).
"""

from sla_model.charts.style import (
    BAD,
    CHANNEL_ROW,
    GOOD,
    INK,
    MAX_ROWS,
    NEUTRAL,
    PALETTE,
    channel_chart_height,
    channel_quota_chart,
    channel_scale,
    cumulative_chart,
    month_axis,
    projector,
    reasons_chart,
)

__all__ = [
    "BAD",
    "CHANNEL_ROW",
    "GOOD",
    "INK",
    "MAX_ROWS",
    "NEUTRAL",
    "PALETTE",
    "channel_chart_height",
    "channel_quota_chart",
    "channel_scale",
    "cumulative_chart",
    "month_axis",
    "projector",
    "reasons_chart",
]
