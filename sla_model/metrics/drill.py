"""The leads behind a figure: every count a page shows can be opened as the rows it counted.

Each function selects with the very predicate the figure's own function uses, so the number of rows is the
figure by construction (the tests check it against the figure too).
"""

from __future__ import annotations

import pandas as pd

from sla_model.metrics.lifecycle import is_accepted
from sla_model.metrics.progress import measure_times
from sla_model.metrics.quality import decision_status, mql_cohort
from sla_model.metrics.timing import speed_bin_of
from sla_model.metrics.velocity import reached, stage_times

#: The columns every drill-down shows first: who the lead is and who owns it.
IDENTITY = ("lead_id", "first_name", "last_name", "company", "owner", "channel")
#: The columns that explain each figure, after :data:`IDENTITY`.
EXPLAIN = {
    "mqls": ("persona", "score", "mql_at"),
    "sqls": ("mql_at", "accepted_at", "sql_at"),
    "won": ("sql_at", "won_at", "amount"),
    "revenue": ("sql_at", "won_at", "amount"),
    "accepted": ("mql_at", "accepted_at", "sql_at"),
    "rejected": ("mql_at", "rejected_at", "rejection_reason"),
    "stale": ("mql_at", "recycled_at", "disqualified_at"),
    "pending": ("mql_at", "score", "persona"),
    "leads": ("persona", "created_at", "mql_at"),
    "customers": ("sql_at", "won_at", "amount"),
    "touched": ("mql_at", "first_touch_at", "hours_to_first_touch", "first_touch_hours", "status"),
    "decided": ("mql_at", "accepted_at", "rejected_at", "rejection_reason"),
    "touch_rule": ("mql_at", "touches_in_window", "min_touches", "window_days", "complies"),
    "cohort": ("created_at", "mql_at", "accepted_at", "sql_at", "opportunity_at", "won_at", "lost_at", "amount"),
}
#: The reverse funnel's stages (``funnel.reverse_funnel``), by the Goal progress measure that counts them.
FUNNEL_MEASURES = {"revenue": "revenue", "customers": "won", "sqls": "sqls", "mqls": "mqls"}


def measure_leads(leads: pd.DataFrame, measure: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The leads a Goal progress measure counted over ``[start, end)`` (revenue: the won deals it sums)."""
    times = measure_times(leads, measure)
    return leads[(times >= start) & (times < end)]


def funnel_leads(leads: pd.DataFrame, stage: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The leads behind a reverse-funnel stage's actual over ``[start, end)``: created, MQLs, SQLs or won deals.

    These are the events ``funnel.observed_rates`` counts; revenue and customers are both the won deals.
    """
    if stage == "leads":
        times = leads["created_at"]
        return leads[(times >= start) & (times < end)]
    return measure_leads(leads, FUNNEL_MEASURES[stage], start, end)


def channel_mqls(leads: pd.DataFrame, channel: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """One channel's MQLs over ``[start, end)``: the leads behind its bar on Goal progress and in the meeting."""
    rows = measure_leads(leads, "mqls", start, end)
    return rows[rows["channel"].astype(object) == channel]


def stage_leads(cohort: pd.DataFrame, stage: str) -> pd.DataFrame:
    """The leads of a creation cohort that reached ``stage`` of the whole funnel (``velocity.funnel_stages``)."""
    return cohort[reached(stage_times(cohort))[stage].to_numpy()]


def cohort_leads(leads: pd.DataFrame, month: pd.Period) -> pd.DataFrame:
    """The leads created in ``month``: one row of the cohort table (``velocity.cohort_funnel``)."""
    return leads[(leads["created_at"] >= month.start_time) & (leads["created_at"] < (month + 1).start_time)]


def decided_leads(cohort: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    """The MQLs of ``cohort`` sales accepted or rejected where ``column`` is ``value``.

    They are the sample (n) behind one bar of ``quality.acceptance_by``.
    """
    decided = is_accepted(cohort) | cohort["rejected_at"].notna()
    return cohort[decided & (cohort[column].astype(object) == value)]


def rep_judged(compliance: pd.DataFrame, owner: str) -> pd.DataFrame:
    """A rep's MQLs judged on the touch rule (``timing.touch_compliance``): the sample behind their compliance dot."""
    return compliance[compliance["judged"] & (compliance["owner"].astype(object) == owner)]


def bin_leads(judged: pd.DataFrame, limits: list[float], hours: str, status: str) -> pd.DataFrame:
    """The MQLs behind one stacked bar of the speed-to-lead histogram: its bin of hours and its status."""
    idx, labels, _ = speed_bin_of(judged, limits)
    return judged[(idx == labels.index(hours)) & (judged["status"].to_numpy(dtype=object) == status)]


def rep_touched(judged: pd.DataFrame, owner: str) -> pd.DataFrame:
    """A rep's touched MQLs among ``judged`` (``timing.speed_to_lead``): the sample behind their speed dots."""
    return judged[(judged["owner"].astype(object) == owner) & judged["hours_to_first_touch"].notna()]


def status_leads(leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, status: str) -> pd.DataFrame:
    """The MQLs handed over in ``[start, end)`` with one decision status (accepted, rejected, stale, pending)."""
    cohort = mql_cohort(leads, start, end)
    return cohort[decision_status(cohort) == status]


def reason_leads(
    leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, reason: str, by: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The month's MQLs rejected for ``reason`` (optionally only where column ``by`` is ``value``)."""
    rejected = status_leads(leads, start, end, "rejected")
    rows = rejected[rejected["rejection_reason"].astype(object) == reason]
    return rows if by is None else rows[rows[by].astype(object) == value]


def explain(rows: pd.DataFrame, figure: str) -> pd.DataFrame:
    """``rows`` with the identity columns and those that explain ``figure``, in the data's order."""
    columns = [c for c in (*IDENTITY, *EXPLAIN.get(figure, ())) if c in rows.columns]
    return rows.loc[:, columns].reset_index(drop=True)
