"""Chart styling shared by the pages (from ``sla_model.charts``) and the guarded way to render a chart."""

from __future__ import annotations

import altair as alt

from sla_model.charts import BAD, GOOD, MAX_ROWS, NEUTRAL, PALETTE, channel_scale, month_axis, projector

__all__ = ["BAD", "GOOD", "MAX_ROWS", "NEUTRAL", "PALETTE", "channel_scale", "month_axis", "projector", "show"]


def show(chart: alt.TopLevelMixin, data_rows: int, *, key: str, select: str | None = None) -> dict:
    """Render a pre-aggregated chart, refusing to ship more than :data:`MAX_ROWS` rows.

    With ``select`` (the name of a selection the chart defines), a click reruns the page and the selection is
    returned: ``{field: value}`` of the clicked mark, or ``{}`` when nothing is selected.
    """
    import streamlit as st

    if data_rows > MAX_ROWS:
        raise ValueError(f"chart {key!r} would send {data_rows} rows; aggregate it first")
    if select is None:
        st.altair_chart(chart, key=key)
        return {}
    event = st.altair_chart(chart, key=key, on_select="rerun", selection_mode=select)
    picked = (event.get("selection") or {}).get(select) or []
    return dict(picked[0]) if picked else {}
