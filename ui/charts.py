"""Chart styling shared by the pages (from ``sla_model.charts``) and the guarded way to render a chart."""

from __future__ import annotations

import contextlib
import threading

import altair as alt

from sla_model.charts import BAD, GOOD, MAX_ROWS, NEUTRAL, PALETTE, channel_scale, month_axis, projector

__all__ = ["BAD", "GOOD", "MAX_ROWS", "NEUTRAL", "PALETTE", "channel_scale", "month_axis", "projector", "show"]


try:  # the lock Streamlit takes while it switches Altair's global theme and data transformer
    from streamlit.elements.vega_charts import _altair_globals_lock as _ALTAIR_LOCK
    from streamlit.elements.vega_charts import _to_arrow_dataset
except ImportError:  # pragma: no cover - a Streamlit that moved them: the chart goes through st.altair_chart
    _ALTAIR_LOCK, _to_arrow_dataset = threading.Lock(), None


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict | None:
    """The Vega-Lite spec ``st.altair_chart`` sends for ``chart``, built without validating it against the schema.

    Streamlit's own conversion validates every chart on every run, which costs as much as building it (0.02–0.2 s a
    chart, most of a warm page's time); the project's charts are validated by the tests instead
    (``tests/test_charts.py`` checks this spec is Streamlit's, and the charts' tests validate each chart). The data go
    as Streamlit sends them: Arrow datasets named by a hash of their bytes. ``None`` where this Streamlit has no such
    conversion.
    """
    if _to_arrow_dataset is None:
        return None
    datasets: dict = {}
    alt.data_transformers.register("to_arrow_dataset", _to_arrow_dataset)
    with _ALTAIR_LOCK:  # Altair's theme and data transformer are global to every session's thread
        theme = alt.theme.enable("none") if alt.theme.active == "default" else contextlib.nullcontext()
        with theme, alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
            spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec["datasets"], **datasets} if isinstance(spec.get("datasets"), dict) else datasets
    return spec


def show(chart: alt.TopLevelMixin, data_rows: int, *, key: str, select: str | None = None) -> dict:
    """Render a pre-aggregated chart, refusing to ship more than :data:`MAX_ROWS` rows.

    With ``select`` (the name of a selection the chart defines), a click reruns the page and the selection is
    returned: ``{field: value}`` of the clicked mark, or ``{}`` when nothing is selected.
    """
    import streamlit as st

    if data_rows > MAX_ROWS:
        raise ValueError(f"chart {key!r} would send {data_rows} rows; aggregate it first")
    spec = vega_lite_spec(chart)
    draw = st.altair_chart if spec is None else st.vega_lite_chart
    what = chart if spec is None else spec
    if select is None:
        draw(what, key=key)
        return {}
    event = draw(what, key=key, on_select="rerun", selection_mode=select)
    picked = (event.get("selection") or {}).get(select) or []
    return dict(picked[0]) if picked else {}
