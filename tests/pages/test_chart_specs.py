"""Every chart the pages draw goes to the browser as the spec Streamlit's own Altair conversion makes, and is valid.

``ui.charts.show`` builds the spec without Altair's schema validation (it cost as much as building the chart, on
every run) and keeps it per content of the chart's inputs (``ui.charts.Plot``); this checks, page by page on the
sample data, that nothing is lost by that: the spec sent is the one ``st.altair_chart`` would send, that
conversion (which validates) accepts every chart, and a rerun over the same data builds no chart again.
"""

from __future__ import annotations

import copy

import pytest
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

import ui.charts

PAGES = {
    "pages/goal_progress.py": {},
    "pages/lead_quality.py": {},
    "pages/handoff_timing.py": {},
    "pages/meeting.py": {"month": "2026-10"},
    "pages/what_if.py": {},
}
#: The pages whose every chart is a ``Plot`` (the meeting's and What if…'s are built once per review or result).
PLOTTED = ["pages/goal_progress.py", "pages/lead_quality.py", "pages/handoff_timing.py"]


@pytest.fixture
def recorded(monkeypatch):
    """The charts built while it is in use, each with the spec built for it (as built: Streamlit changes a spec)."""
    built = []
    build = ui.charts.vega_lite_spec

    def record(chart):
        spec = build(chart)
        built.append((chart, copy.deepcopy(spec)))
        return spec

    monkeypatch.setattr(ui.charts, "vega_lite_spec", record)
    ui.charts._plot_spec.clear()
    yield built
    ui.charts._plot_spec.clear()


@pytest.mark.parametrize("page", list(PAGES))
def test_each_chart_is_sent_as_streamlits_own_validated_conversion_gives_it(sample_app, recorded, page):
    at = sample_app(page, **PAGES[page])
    assert not at.exception, at.exception
    assert recorded, f"{page} drew no chart"
    for chart, spec in recorded:
        assert spec == _convert_altair_to_vega_lite_spec(chart)  # the conversion validates: it raises on a bad chart
    sent = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert len(sent) >= len(recorded) and all(sent)  # each went to the page (a chart drawn twice is built once)


@pytest.mark.parametrize("page", PLOTTED)
def test_a_rerun_over_the_same_data_builds_no_chart_and_sends_the_same_specs(sample_app, recorded, monkeypatch, page):
    """Before: every run built and validated every chart again (0.2–1.2 s of a warm page at any size)."""
    unkeyed = []
    digest = ui.charts.Plot.digest
    monkeypatch.setattr(ui.charts.Plot, "digest", lambda p: unkeyed.append(p.build) if (d := digest(p)) is None else d)
    at = sample_app(page)
    first = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert recorded and not unkeyed  # every chart was built, each from inputs a key could be made of
    recorded.clear()
    at.run()
    assert not at.exception
    assert recorded == []  # nothing built
    assert [c.proto.spec for c in at.get("vega_lite_chart")] == first


def test_a_plots_key_is_its_inputs_content_however_the_frames_are_laid_out():
    """Before: the key was the inputs' pickle, and the same rows laid out in other blocks (a frame fresh from an
    aggregate, and its copy out of ``st.cache_data``) built the chart again on the next run."""
    import pickle

    import pandas as pd

    from sla_model.charts.quality import acceptance_trend_chart

    fresh = pd.DataFrame({"month": ["2026-10", "2026-11"], "rate": [0.5, 0.25], "n": [3, 4]})
    laid_out = pd.DataFrame({"n": [3, 4], "month": ["2026-10", "2026-11"], "rate": [0.5, 0.25]})[["month", "rate", "n"]]
    assert laid_out.equals(fresh) and pickle.dumps(laid_out) != pickle.dumps(fresh)
    key = ui.charts.plot(acceptance_trend_chart, fresh, "Nov 2026").digest()
    assert key is not None and key == ui.charts.plot(acceptance_trend_chart, laid_out, "Nov 2026").digest()
    other = fresh.assign(rate=[0.5, 0.3])
    assert ui.charts.plot(acceptance_trend_chart, other, "Nov 2026").digest() != key
    assert ui.charts.plot(acceptance_trend_chart, fresh.rename(columns={"n": "m"}), "Nov 2026").digest() != key
    assert ui.charts.plot(acceptance_trend_chart, fresh, "Dec 2026").digest() != key
    assert ui.charts.projector(ui.charts.plot(acceptance_trend_chart, fresh, "Nov 2026"), 300).digest() != key
