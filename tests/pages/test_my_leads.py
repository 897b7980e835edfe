"""AppTest: a rep decides, rejects with a reason, logs a touch and undoes; the lead-quality page follows."""

from __future__ import annotations

import pandas as pd

from sla_model.generator import AS_OF, SLOW_REP, generate
from sla_model.lifecycle import is_open
from tests.pages.conftest import metric

PAGE = "pages/my_leads.py"
QUALITY = "pages/lead_quality.py"


def _as(at, who: str):
    at.selectbox(key="identity").set_value(who).run()
    assert not at.exception
    return at


def _select(at, rows: list[int]):
    at.session_state[f"queue_{at.session_state['queue_gen'] if 'queue_gen' in at.session_state else 0}"] = {
        "selection": {"rows": rows, "columns": []}
    }
    return at.run()


def _expected_queue(owner: str) -> pd.DataFrame:
    leads = generate().leads
    open_ = leads[is_open(leads)]
    return open_[open_["owner"] == owner].sort_values(["mql_at", "lead_id"])


def test_a_rep_sees_only_their_open_mqls_oldest_first(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    assert at.title[0].value == "My leads"
    table = at.dataframe[0].value
    assert table["Lead"].tolist() == _expected_queue(SLOW_REP)["lead_id"].tolist()
    assert "Owner" not in table.columns
    # The slow rep's planted untouched leads are overdue on their first touch.
    untouched = table[table["Touches"] == 0]
    overdue = untouched[untouched["First touch"].str.startswith("overdue by")]
    assert len(overdue) >= 6
    assert overdue["Status"].str.contains("Overdue").all()
    assert (
        untouched["First touch"].str.startswith("overdue by") | untouched["First touch"].str.startswith("in ")
    ).all()


def test_search_by_company_or_id(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    first = at.dataframe[0].value.iloc[0]
    at.text_input(key="search").input(first["Company"].split()[0].lower()).run()
    assert first["Lead"] in at.dataframe[0].value["Lead"].tolist()
    at.text_input(key="search").input(first["Lead"]).run()
    assert at.dataframe[0].value["Lead"].tolist() == [first["Lead"]]


def test_accept_reject_undo_and_the_lead_quality_page_follows(writable_app):
    quality = writable_app(QUALITY)
    accepted_before = int(metric(quality, "Accepted").value)
    rejected_before = int(metric(quality, "Rejected").value)

    at = _as(writable_app(PAGE), SLOW_REP)
    queue = at.dataframe[0].value
    november = [i for i, d in enumerate(queue["Handed over"]) if d.split()[1] == "Nov"][:2]
    lead_a, lead_b = queue["Lead"][november[0]], queue["Lead"][november[1]]

    _select(at, [november[0]])
    at.button(key="accept").click().run()
    assert [s.value for s in at.success] == [f"lead {lead_a} accepted"]
    assert lead_a not in at.dataframe[0].value["Lead"].tolist()

    rows = at.dataframe[0].value["Lead"].tolist()
    _select(at, [rows.index(lead_b)])
    at.selectbox(key="reason").set_value("competitor")
    at.text_area(key="note").input("Works for a rival — 🚫 <b>not</b> a buyer")
    at.button(key="reject").click().run()
    assert [s.value for s in at.success] == [f"lead {lead_b} rejected \\(Competitor or partner\\)\\: disqualified"]

    quality.run()
    assert int(metric(quality, "Accepted").value) == accepted_before + 1
    assert int(metric(quality, "Rejected").value) == rejected_before + 1
    notes = quality.dataframe[-1].value
    assert "Works for a rival — 🚫 <b>not</b> a buyer" in notes["Note"].tolist()

    at.button(key="undo").click().run()
    assert any(f"decision on lead {lead_b} undone" in s.value for s in at.success)
    assert lead_b in at.dataframe[0].value["Lead"].tolist()
    quality.run()
    assert int(metric(quality, "Rejected").value) == rejected_before


def test_logging_a_touch_clears_the_first_touch_breach(writable_app):
    at = _as(writable_app(PAGE), SLOW_REP)
    table = at.dataframe[0].value
    row = int(table.index[table["Touches"] == 0][0])
    lead = table["Lead"][row]
    _select(at, [row])
    at.button(key="log_touch").click().run()
    assert any(f"call logged on lead {lead}" in s.value for s in at.success)
    after = at.dataframe[0].value.set_index("Lead").loc[lead]
    assert after["Touches"] == 1 and after["First touch"] == "done"


def test_a_viewer_gets_the_read_only_screen(writable_app):
    at = _as(writable_app(PAGE), "Viewer (meeting screen)")
    assert any("read-only" in i.value for i in at.info)
    assert not at.button and not at.dataframe


def test_a_manager_sees_every_rep_and_can_narrow_to_one(writable_app):
    at = writable_app(PAGE)
    assert at.title[0].value == "Open MQLs"
    table = at.dataframe[0].value
    assert "Owner" in table.columns and table["Owner"].nunique() > 3
    at.selectbox(key="whose").set_value(SLOW_REP).run()
    assert at.dataframe[0].value["Lead"].tolist() == _expected_queue(SLOW_REP)["lead_id"].tolist()
    assert f"times as of {pd.Timestamp(AS_OF):%d %b %H:%M} UTC" in at.markdown[0].value
