"""The SLA's follow-up rules replayed over the history's touches: how many MQLs each rule would have judged met."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sla_model.agreement.calendar import Calendar, lead_clocks, per_clock
from sla_model.agreement.sla import STANDARD, Policy
from sla_model.metrics.lifecycle import sql_reached_at
from sla_model.metrics.stats import safe_rate
from sla_model.metrics.timing import policy_of

#: The follow-up rules :func:`follow_up_replay` judges, in the order the SLA states them.
FOLLOW_UP_RULES = ("first_touch", "touches", "decision")
#: Columns of :func:`follow_up_replay`.
FOLLOW_UP_COLUMNS = ("judged", "within", "share_within", "breaches_per_month")


def follow_up_replay(
    leads: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    months: pd.PeriodIndex,
    as_of: dt.datetime | pd.Timestamp,
    first_touch_hours: float,
    min_touches: int,
    touch_window_days: int,
    decision_hours: float,
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """How the history's MQLs would have fared under candidate follow-up rules, from their recorded touches.

    The MQLs are the leads handed to sales in one of ``months`` (the history). Per rule:

    - ``first_touch``: the first touch at or after the handoff came within ``first_touch_hours``.
      Late touches and untouched, undecided MQLs whose window is over are breaches; an untouched
      MQL that sales decided anyway is not judged (its touches were not recorded), nor is one
      whose window is still running.
    - ``touches``: at least ``min_touches`` touches within ``touch_window_days`` of the handoff,
      or a decision inside that window (accepted, rejected for a reason other than no response,
      or reached SQL), as :func:`sla_model.metrics.timing.touch_compliance` judges it. Judged once it
      complies or its window is over.
    - ``decision``: accepted, rejected or taken to SQL within ``decision_hours``; judged once
      decided or once the window is over.

    Without a single touch in ``touches`` the two touch rules judge nothing (the data says nothing
    about the reps). ``breaches_per_month`` is the judged MQLs outside the rule ÷ months.

    Hours and days count on ``calendar`` (business hours, in each rep's time zone; 24/7 when None), as the
    pages count them (:func:`sla_model.metrics.timing.follow_up_rules`).

    Returns:
        One row per rule of :data:`FOLLOW_UP_RULES`, columns :data:`FOLLOW_UP_COLUMNS`
        (``share_within`` NaN where nothing is judged).
    """
    as_of64 = pd.Timestamp(as_of).to_datetime64()
    mql_at = leads["mql_at"].to_numpy(dtype="datetime64[ns]")
    month = pd.PeriodIndex(leads["mql_at"].dt.to_period("M"))
    in_history = ~np.isnat(mql_at) & np.asarray(month.isin(months))
    rows = leads[in_history]
    mql_at = mql_at[in_history]
    n = len(rows)

    codes, clocks = lead_clocks([calendar or Calendar()], np.zeros(n, dtype=int), rows["owner"].to_numpy())
    pos = pd.Index(rows["lead_id"]).get_indexer(touches["lead_id"]) if n else np.full(len(touches), -1)
    at = touches["at"].to_numpy(dtype="datetime64[ns]")
    known = pos >= 0
    pos, at = pos[known], at[known]
    after = at >= mql_at[pos]
    pos, at = pos[after], at[after]
    offset = per_clock(codes[pos], clocks, "hours_between", mql_at[pos], at)
    first = np.full(n, np.inf)
    np.minimum.at(first, pos, offset)
    recorded = len(touches) > 0

    decided_at = _decided_at(rows)
    is_decided = ~np.isnat(decided_at)

    # First touch.
    touched = np.isfinite(first)
    first_due = per_clock(codes, clocks, "add_hours", mql_at, np.full(n, float(first_touch_hours)))
    first_at = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_at, pos, at.view("int64"))
    ft_within = touched & (first_at <= first_due.view("int64"))  # by the due moment, as the pages judge it
    ft_judged = (touched | (~is_decided & (first_due <= as_of64))) & recorded

    # K touches within D days, or a decision inside the window.
    window_end = per_clock(codes, clocks, "add_days", mql_at, np.full(n, int(touch_window_days)))
    in_window = np.bincount(pos[at < window_end[pos]], minlength=n)
    accepted_in = rows["accepted_at"].to_numpy(dtype="datetime64[ns]") < window_end
    reason = rows["rejection_reason"].astype(object).to_numpy()
    rejected_in = (rows["rejected_at"].to_numpy(dtype="datetime64[ns]") < window_end) & (reason != "no_response")
    converted_in = sql_reached_at(rows).to_numpy(dtype="datetime64[ns]") < window_end
    t_within = (in_window >= min_touches) | accepted_in | rejected_in | converted_in
    t_judged = (t_within | (window_end <= as_of64)) & recorded

    # Decision within A hours.
    decision_due = per_clock(codes, clocks, "add_hours", mql_at, np.full(n, float(decision_hours)))
    d_within = is_decided & (decided_at <= decision_due)
    d_judged = is_decided | (decision_due <= as_of64)

    div = max(len(months), 1)
    out = []
    for within, judged in ((ft_within, ft_judged), (t_within & t_judged, t_judged), (d_within, d_judged)):
        j, w = int(judged.sum()), int((within & judged).sum())
        out.append((j, w, float(safe_rate(w, j)), (j - w) / div))
    return pd.DataFrame(out, index=pd.Index(FOLLOW_UP_RULES, name="rule"), columns=list(FOLLOW_UP_COLUMNS))


def _decided_at(leads: pd.DataFrame) -> np.ndarray:
    """When sales decided on each lead: the earliest of accepted, rejected and reaching SQL (NaT if never).

    Examples:
        >>> f = pd.DataFrame({"accepted_at": [pd.NaT, pd.Timestamp("2026-01-02")],
        ...                   "rejected_at": [pd.Timestamp("2026-01-05"), pd.NaT],
        ...                   "sql_at": [pd.NaT, pd.Timestamp("2026-01-01")], "opportunity_at": pd.NaT,
        ...                   "won_at": pd.NaT, "lost_at": pd.NaT})
        >>> [str(t)[:10] for t in _decided_at(f)]
        ['2026-01-05', '2026-01-01']
    """
    stack = np.stack(
        [
            leads["accepted_at"].to_numpy(dtype="datetime64[ns]"),
            leads["rejected_at"].to_numpy(dtype="datetime64[ns]"),
            sql_reached_at(leads).to_numpy(dtype="datetime64[ns]"),
        ]
    )
    filled = np.where(np.isnat(stack), np.datetime64("2262-01-01", "ns"), stack)
    low = filled.min(axis=0)
    return np.where(low == np.datetime64("2262-01-01", "ns"), np.datetime64("NaT", "ns"), low)


#: Columns of :func:`policy_replay`.
POLICY_COLUMNS = ("policy", "mqls_per_month", *(f"{r}_{c}" for r in FOLLOW_UP_RULES for c in ("judged", "share")),
                  "breaches_per_month")  # fmt: skip


def policy_replay(
    leads: pd.DataFrame,
    touches: pd.DataFrame,
    *,
    months: pd.PeriodIndex,
    as_of: dt.datetime | pd.Timestamp,
    rules: dict[str, float],
    policies: Sequence[Policy],
    calendar: Calendar | None = None,
) -> pd.DataFrame:
    """:func:`follow_up_replay` per follow-up policy: each MQL under the first policy that covers it, the rest standard.

    ``rules`` are the standard rules (``first_touch_hours``, ``min_touches``, ``touch_window_days``,
    ``decision_hours``); a policy's rule left out is the standard one. One row per policy in order, the standard
    rules last, columns :data:`POLICY_COLUMNS`: MQLs a month in the history, each rule's judged MQLs and share
    within, and the breaches of all three rules a month.
    """
    mqls = leads[leads["mql_at"].notna()]
    names = np.array([*(p.name for p in policies), STANDARD], dtype=object)[policy_of(mqls, policies)]
    in_history = np.asarray(pd.PeriodIndex(mqls["mql_at"].dt.to_period("M")).isin(months))
    out = []
    for policy in [*policies, None]:
        name = policy.name if policy else STANDARD
        own = {k: getattr(policy, k) for k in rules} if policy else {}
        mine = {k: own[k] if own.get(k) is not None else v for k, v in rules.items()}
        replay = follow_up_replay(mqls[names == name], touches, months=months, as_of=as_of, calendar=calendar, **mine)
        row: dict[str, object] = {
            "policy": name,
            "mqls_per_month": int((in_history & (names == name)).sum()) / max(len(months), 1),
        }
        for rule in FOLLOW_UP_RULES:
            row[f"{rule}_judged"] = int(replay.loc[rule, "judged"])
            row[f"{rule}_share"] = float(replay.loc[rule, "share_within"])
        row["breaches_per_month"] = float(replay["breaches_per_month"].sum())
        out.append(row)
    return pd.DataFrame(out, columns=list(POLICY_COLUMNS))
