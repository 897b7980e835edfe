"""Every chart the pages draw goes to the browser as the spec Streamlit's own Altair conversion makes, and is valid.

``ui.charts.show`` builds the spec without Altair's schema validation (it cost as much as building the chart, on
every run); this checks, page by page on the sample data, that nothing is lost by that: the spec sent is the one
``st.altair_chart`` would send, and that conversion (which validates) accepts every chart.
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


@pytest.mark.parametrize("page", list(PAGES))
def test_each_chart_is_sent_as_streamlits_own_validated_conversion_gives_it(sample_app, monkeypatch, page):
    drawn = []
    build = ui.charts.vega_lite_spec

    def recorded(chart):
        spec = build(chart)
        drawn.append((chart, copy.deepcopy(spec)))  # as built: Streamlit changes the spec it is given
        return spec

    monkeypatch.setattr(ui.charts, "vega_lite_spec", recorded)
    at = sample_app(page, **PAGES[page])
    assert not at.exception, at.exception
    assert drawn, f"{page} drew no chart"
    for chart, spec in drawn:
        assert spec == _convert_altair_to_vega_lite_spec(chart)  # the conversion validates: it raises on a bad chart
    sent = at.get("vega_lite_chart")
    assert len(sent) == len(drawn)  # each went to the page
