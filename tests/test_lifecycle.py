"""Where each lead stands: decided or open, accepted (said or implied), reached SQL and when."""

from __future__ import annotations

import pandas as pd
import pytest

from sla_model.metrics.lifecycle import (
    DECISION_COLUMNS,
    SQL_COLUMNS,
    decided,
    is_accepted,
    is_open,
    reached_sql,
    sql_reached_at,
)
from tests.factories import DECIDED_MQL_AT as MQL
from tests.factories import decided_leads, leads_frame, make_lead


def _by_id(series: pd.Series, leads: pd.DataFrame) -> dict:
    return dict(zip(leads["lead_id"], series.tolist(), strict=True))


def test_a_won_lost_converted_rejected_or_closed_lead_is_decided_and_never_open():
    leads = decided_leads()
    assert _by_id(decided(leads), leads) == {"W": True, "L": True, "O": True, "P": False, "R": True, "D": True}
    assert leads.loc[is_open(leads), "lead_id"].tolist() == ["P"]


@pytest.mark.parametrize("column", DECISION_COLUMNS)
def test_any_one_decision_timestamp_closes_an_mql(column):
    leads = leads_frame(make_lead("x", mql_at=MQL, **{column: "2026-10-05"}))
    assert decided(leads).tolist() == [True]
    assert is_open(leads).tolist() == [False]


def test_a_lead_that_is_not_an_mql_is_not_open():
    assert is_open(leads_frame(make_lead("x"))).tolist() == [False]


def test_won_and_lost_leads_reached_sql_at_their_earliest_known_date():
    leads = decided_leads()
    got = _by_id(sql_reached_at(leads), leads)
    assert got["W"] == pd.Timestamp("2026-10-11 10:00")  # won without an SQL date: the won date
    assert got["L"] == pd.Timestamp("2026-10-21 10:00")
    assert got["O"] == pd.Timestamp("2026-10-31 10:00")  # the opportunity came before the win
    assert all(pd.isna(got[k]) for k in "PRD")
    assert _by_id(reached_sql(leads), leads) == {"W": True, "L": True, "O": True, "P": False, "R": False, "D": False}


def test_a_recorded_sql_date_is_the_sql_date_even_out_of_order():
    leads = leads_frame(
        make_lead("a", mql_at=MQL, sql_at="2026-10-05", won_at="2026-10-20"),
        make_lead("b", mql_at=MQL, sql_at="2026-10-25", opportunity_at="2026-10-09"),  # out of order: kept
        make_lead("c", mql_at=MQL, won_at="2026-10-20", lost_at="2026-10-12"),  # no SQL date: the earliest
    )
    assert sql_reached_at(leads).tolist() == [pd.Timestamp(d) for d in ("2026-10-05", "2026-10-25", "2026-10-12")]
    assert SQL_COLUMNS == ("sql_at", "opportunity_at", "won_at", "lost_at")


def test_a_converted_lead_counts_as_accepted_unless_sales_rejected_it():
    leads = leads_frame(
        make_lead("W", mql_at=MQL, won_at="2026-10-11"),
        make_lead("A", mql_at=MQL, accepted_at="2026-10-02"),
        make_lead("RW", mql_at=MQL, rejected_at="2026-10-02", rejection_reason="bad_fit", won_at="2026-12-01"),
        make_lead("P", mql_at=MQL),
    )
    assert _by_id(is_accepted(leads), leads) == {"W": True, "A": True, "RW": False, "P": False}


def test_an_empty_frame_gives_empty_masks():
    leads = leads_frame()
    assert is_open(leads).tolist() == [] and reached_sql(leads).tolist() == [] and is_accepted(leads).tolist() == []
