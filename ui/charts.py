"""Chart styling shared by the pages (from ``sla_model.charts``) and the guarded way to render a chart."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import pickle
import threading
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from sla_model.charts import BAD, GOOD, MAX_ROWS, NEUTRAL, PALETTE, channel_scale, month_axis
from sla_model.charts import projector as _projector

__all__ = [
    "BAD", "GOOD", "MAX_ROWS", "NEUTRAL", "PALETTE", "Plot", "channel_scale", "month_axis", "plot", "projector", "show",
]  # fmt: skip

# Altair checks each part of a chart against the Vega-Lite schema as it is made (its "debug mode"): about a fifth of
# the time a chart takes to build (rate bars with their spec: 31 ms with it, 25 ms without). The served app builds
# its charts without that check; the tests check every page's whole specs against the schema instead
# (``tests/pages/test_chart_specs.py``).
alt.utils.schemapi.disable_debug_mode()

try:  # the lock Streamlit takes while it switches Altair's global theme and data transformer
    from streamlit.elements.vega_charts import _altair_globals_lock as _ALTAIR_LOCK
    from streamlit.elements.vega_charts import _to_arrow_dataset

    alt.data_transformers.register("to_arrow_dataset", _to_arrow_dataset)  # the name Streamlit registers it under
except ImportError:  # pragma: no cover - a Streamlit that moved them: the chart goes through st.altair_chart
    _ALTAIR_LOCK, _to_arrow_dataset = threading.Lock(), None


@dataclasses.dataclass(frozen=True)
class Plot:
    """A chart not built yet: ``build(*args, **kwargs)``, in projector style at ``height`` when one is given.

    :func:`show` draws it from a spec cached by the content of its inputs, so a page drawing the same chart as a
    moment ago (a page switch, a filter set back, a write that left this chart's figures alone) builds nothing:
    building an Altair chart costs 0.01–0.1 s a chart, most of what a warm page spends.
    """

    build: Callable[..., alt.TopLevelMixin]
    args: tuple
    kwargs: dict
    height: int | None = None

    def chart(self) -> alt.TopLevelMixin:
        """The chart itself, built now."""
        built = self.build(*self.args, **self.kwargs)
        return built if self.height is None else _projector(built, self.height)

    def digest(self) -> str | None:
        """A hash of what the chart is built from (``None`` for an input that cannot be pickled: not cached).

        A frame counts by its values, index, columns and dtypes, however its memory is laid out (a frame fresh from
        an aggregate and its copy out of ``st.cache_data`` pickle differently); anything else by its pickle.
        """
        what = (self.build.__module__, self.build.__qualname__, self.height, self.args, sorted(self.kwargs.items()))
        try:
            return hashlib.blake2b(pickle.dumps(_content(what), protocol=5), digest_size=20).hexdigest()
        except (pickle.PicklingError, TypeError, AttributeError, ValueError):
            return None


def _content(value: Any) -> Any:
    """``value`` with each frame or series in it as a tuple of its dtypes, labels and a hash of each row."""
    if isinstance(value, pd.DataFrame | pd.Series):
        frame = value.to_frame() if isinstance(value, pd.Series) else value
        rows = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        labels = (tuple(map(str, frame.columns)), tuple(map(str, frame.index.names)))
        return (type(value).__name__, labels, tuple(map(str, frame.dtypes)), rows)
    if isinstance(value, list | tuple):
        return type(value)(map(_content, value))
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items()}
    return value


def plot(build: Callable[..., alt.TopLevelMixin], /, *args: Any, **kwargs: Any) -> Plot:
    """The chart ``build(*args, **kwargs)``, built only when :func:`show` finds no spec drawn from the same inputs."""
    return Plot(build, args, kwargs)


def projector(chart: alt.TopLevelMixin | Plot, height: int = 320) -> alt.TopLevelMixin | Plot:
    """:func:`sla_model.charts.projector` (large type, a fixed height), for a built chart or a :class:`Plot`."""
    if isinstance(chart, Plot):
        return dataclasses.replace(chart, height=height)
    return _projector(chart, height)


@st.cache_data(max_entries=512, show_spinner=False)
def _plot_spec(digest: str, _plot: Plot) -> dict | None:
    return vega_lite_spec(_plot.chart())


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict | None:
    """The Vega-Lite spec ``st.altair_chart`` sends for ``chart``, built without validating it against the schema.

    Streamlit's own conversion validates every chart on every run, which costs as much as building it (0.02–0.2 s a
    chart, most of a warm page's time); the project's charts are validated by the tests instead
    (``tests/pages/test_chart_specs.py`` checks each page's specs against Streamlit's validated conversion). The data go
    as Streamlit sends them: Arrow datasets named by a hash of their bytes. ``None`` where this Streamlit has no such
    conversion.
    """
    if _to_arrow_dataset is None:
        return None
    datasets: dict = {}
    with _ALTAIR_LOCK:  # Altair's theme and data transformer are global to every session's thread
        theme = alt.theme.enable("none") if alt.theme.active == "default" else contextlib.nullcontext()
        with theme, alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
            spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec["datasets"], **datasets} if isinstance(spec.get("datasets"), dict) else datasets
    return spec


def show(chart: alt.TopLevelMixin | Plot, data_rows: int, *, key: str, select: str | None = None) -> dict:
    """Render a pre-aggregated chart, refusing to ship more than :data:`MAX_ROWS` rows.

    With ``select`` (the name of a selection the chart defines), a click reruns the page and the selection is
    returned: ``{field: value}`` of the clicked mark, or ``{}`` when nothing is selected.
    A :class:`Plot` is drawn from the spec cached for its inputs, built only the first time they are seen.
    """
    if data_rows > MAX_ROWS:
        raise ValueError(f"chart {key!r} would send {data_rows} rows; aggregate it first")
    digest = chart.digest() if isinstance(chart, Plot) else None
    spec = _plot_spec(digest, chart) if digest else None
    if spec is None:  # not a Plot, or one whose inputs make no key: built now
        chart = chart.chart() if isinstance(chart, Plot) else chart
        spec = vega_lite_spec(chart)
    draw = st.altair_chart if spec is None else st.vega_lite_chart
    what = chart if spec is None else spec
    if select is None:
        draw(what, key=key)
        return {}
    event = draw(what, key=key, on_select="rerun", selection_mode=select)
    picked = (event.get("selection") or {}).get(select) or []
    return dict(picked[0]) if picked else {}
