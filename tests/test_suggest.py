"""A first SLA drafted from history: hand-computed goals, quotas and channel shares."""

from __future__ import annotations

import pandas as pd
import pytest

from sla_model.agreement.sla import parse_sla
from sla_model.whatif.suggest import channel_quota_problem, history_months, split_quota, suggest_sla
from tests.factories import leads_frame, make_lead


def _history() -> pd.DataFrame:
    """Three complete months before the clock's month (Dec 2026): MQLs 10/20/30, SQLs 5/10/15, won 1/2/3 at $1,000.

    Two channels: Email has two MQLs for each Events MQL.
    """
    rows = []
    for month, n in (("2026-09", 10), ("2026-10", 20), ("2026-11", 30)):
        for i in range(n):
            at = f"{month}-{i % 28 + 1:02d} 10:00"
            won = i < n // 10
            rows.append(
                make_lead(
                    f"{month}-{i}", created_at=at, mql_at=at, channel="Email" if i % 3 else "Events", score=40 + i,
                    sql_at=at if i < n // 2 else None, won_at=at if won else None, amount=1000.0 if won else None,
                )
            )  # fmt: skip
    rows.append(make_lead("now", created_at="2026-12-01 10:00", mql_at="2026-12-01 10:00"))  # in progress: not read
    return leads_frame(*rows)


def test_the_median_month_gives_the_goal_and_the_reverse_funnel_gives_the_quotas():
    s = suggest_sla(_history(), as_of=pd.Timestamp("2026-12-02 08:00"), level="median", author="Maya")
    d = s.document
    assert [str(m) for m in s.history.index] == ["2026-09", "2026-10", "2026-11"]
    assert d["goal"]["monthly_revenue"] == 2000  # median of 1,000 / 2,000 / 3,000
    assert d["goal"]["average_deal_size"] == 1000
    # rates over the three months: 30 SQLs of 60 MQLs, 6 won of 30 SQLs
    assert (s.rates.mql_to_sql, s.rates.sql_to_won) == (0.5, 0.2)
    # customers = 2,000 / 1,000 = 2; SQLs = 2 / 0.2 = 10; MQLs = 10 / 0.5 = 20
    assert (d["quotas"]["won"], d["quotas"]["sqls"], d["quotas"]["mqls"]) == (2, 10, 20)
    # 40 of the 60 MQLs are Email: 20 x 2/3 = 13.3 -> 13, Events 6.7 -> 7, adding up to 20
    assert d["quotas"]["mqls_by_channel"] == {"Email": 13, "Events": 7}
    assert d["meta"]["effective_from"] == "2026-09-01" and d["meta"]["author"] == "Maya"
    sla = parse_sla(d)
    assert sla.meta.version == 1 and s.notes == []


def test_the_best_quarter_of_months_is_the_stretch_level():
    d = suggest_sla(_history(), as_of=pd.Timestamp("2026-12-02"), level="best_quartile").document
    assert d["goal"]["monthly_revenue"] == 2500  # 75th percentile of 1,000 / 2,000 / 3,000
    assert (d["quotas"]["won"], d["quotas"]["sqls"], d["quotas"]["mqls"]) == (3, 15, 30)


def test_history_without_amounts_or_scores_says_what_it_could_not_suggest():
    leads = _history().assign(amount=float("nan"), score=0)
    s = suggest_sla(leads, as_of=pd.Timestamp("2026-12-02"))
    assert any("no won deal in these months has an amount" in n for n in s.notes)
    assert any("no lead has a score" in n for n in s.notes)
    assert s.document["mql"]["score_threshold"] == 0
    parse_sla(s.document)  # still a valid document to start from


def test_rejection_reasons_found_in_the_data_join_the_template():
    d = suggest_sla(_history(), as_of=pd.Timestamp("2026-12-02"), reason_codes=["no_budget", "wrong_region"]).document
    codes = [r["code"] for r in d["rejection_reasons"]]
    assert codes.count("no_budget") == 1 and codes[-1] == "wrong_region"


def test_at_most_twelve_complete_months_are_read():
    leads = leads_frame(make_lead("old", created_at="2024-01-05"), make_lead("new", created_at="2026-11-05"))
    months = history_months(leads, pd.Timestamp("2026-12-02"))
    assert (str(months[0]), str(months[-1]), len(months)) == ("2025-12", "2026-11", 12)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (500, {"A": 1, "B": 1, "C": 1}, {"A": 167, "B": 167, "C": 166}),
        (0, {"A": 3, "B": 1}, {"A": 0, "B": 0}),
        (7, {"A": 0.5, "B": 0.25, "C": 0.25}, {"A": 3, "B": 2, "C": 2}),  # 3.5, 1.75, 1.75: largest remainders
        (3, {}, {}),
    ],
)
def test_split_quota_always_adds_up_to_the_total(total, weights, expected):
    parts = split_quota(total, weights)
    assert parts == expected
    assert sum(parts.values()) == (total if weights else 0)


def test_channel_quotas_that_do_not_add_up_are_named():
    assert "add up to 490, not the MQL quota of 500" in channel_quota_problem(500, {"A": 240, "B": 250})
    assert channel_quota_problem(500, {}) is None


def test_a_new_mql_quota_keeps_channel_shares_without_losing_mqls_to_rounding():
    """Before: the what-if page floored each channel (420 -> 500 gave channels adding up to 490, not 494)."""
    from sla_model.generator import sample_slas
    from sla_model.whatif.suggest import rescale_channel_quotas

    v2 = sample_slas()[-1].quotas
    assert sum(v2.mqls_by_channel.values()) == 415 and v2.mqls == 420
    scaled = rescale_channel_quotas(v2.mqls_by_channel, v2.mqls, 500)
    assert sum(scaled.values()) == round(415 * 500 / 420)
    assert list(scaled) == list(v2.mqls_by_channel)
    equal = rescale_channel_quotas({"Email": 250, "Events": 250}, 500, 501)
    assert sum(equal.values()) == 501  # channels that added up to the total still do
