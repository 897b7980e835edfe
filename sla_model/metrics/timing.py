"""Handoff timing: speed to lead, touch compliance, the breach list and time in stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sla_model.agreement.calendar import clocks_of, lead_clocks, per_clock
from sla_model.agreement.sla import STANDARD, Policy, Sla, in_force_index, ordered
from sla_model.metrics.lifecycle import decided, is_open, sql_reached_at
from sla_model.metrics.stats import SMALL_SAMPLE, safe_rate, wilson_interval

HOUR = pd.Timedelta(hours=1)


def policy_mask(leads: pd.DataFrame, policy: Policy) -> np.ndarray:
    """True where a lead meets every condition of a follow-up policy."""
    mask = np.ones(len(leads), dtype=bool)
    if policy.channels:
        mask &= leads["channel"].astype(object).isin(policy.channels).to_numpy()
    if policy.demo_request is not None:  # a frame without the column holds no demo request
        demo = leads["demo_request"].to_numpy(dtype=bool, na_value=False) if "demo_request" in leads else False
        mask &= demo == policy.demo_request
    if policy.min_company_size:
        mask &= leads["company_size"].to_numpy(dtype=float, na_value=0) >= policy.min_company_size
    if policy.personas:
        mask &= leads["persona"].astype(object).isin(policy.personas).to_numpy()
    return mask


def policy_of(leads: pd.DataFrame, policies: Sequence[Policy]) -> np.ndarray:
    """For each lead, the index of the first policy that covers it (``len(policies)``: none, the standard rules)."""
    which = np.full(len(leads), len(policies), dtype=np.int64)
    for k in reversed(range(len(policies))):  # the earliest policy written last wins
        which[policy_mask(leads, policies[k])] = k
    return which


def follow_up_rules(leads: pd.DataFrame, versions: Sequence[Sla]) -> pd.DataFrame:
    """The follow-up rules in force at each lead's handoff (MQL time), one row per lead, and when each is due.

    The version in force at the handoff judges the lead; within it, the first follow-up policy that covers
    the lead (``policy``; :data:`~sla_model.agreement.sla.STANDARD` when none does). Due times count on that
    version's business-hours calendar, in the rep's time zone (:mod:`sla_model.agreement.calendar`):
    ``first_touch_due`` and ``decision_due`` add working hours to the handoff, ``window_due`` is the close of
    the D-th business day after it (D × 24 hours on a 24/7 calendar). ``clock`` names the clock the lead's
    times count on, for :func:`working_hours_left`.
    """
    by_date = ordered(versions)
    n = len(leads)
    mql_at = leads["mql_at"].to_numpy(dtype="datetime64[ns]")
    version = in_force_index(by_date, mql_at) if n else np.zeros(0, dtype=int)
    names = np.full(n, STANDARD, dtype=object)
    columns = {
        k: np.zeros(n, dtype=float) for k in ("first_touch_hours", "min_touches", "window_days", "decision_hours")
    }
    for i, sla in enumerate(by_date):
        mine = version == i
        if not mine.any():
            continue
        which = policy_of(leads, sla.follow_up.policies)
        for k, policy in enumerate([*sla.follow_up.policies, None]):
            covered = mine & (which == k)
            rules = sla.follow_up.rules(policy)
            names[covered] = policy.name if policy else STANDARD
            columns["first_touch_hours"][covered] = rules["first_touch_hours"]
            columns["min_touches"][covered] = rules["min_touches"]
            columns["window_days"][covered] = rules["touch_window_days"]
            columns["decision_hours"][covered] = rules["decision_hours"]
    codes, clocks = lead_clocks([s.calendar for s in by_date], version, leads["owner"].to_numpy())
    out = pd.DataFrame(
        {
            "sla_version": np.array([s.meta.version for s in by_date])[version] if n else np.zeros(0, dtype=int),
            "policy": names,
            "first_touch_hours": columns["first_touch_hours"],
            "min_touches": columns["min_touches"].astype(np.int64),
            "window_days": columns["window_days"].astype(np.int64),
            "decision_hours": columns["decision_hours"],
            "clock": codes,
            "first_touch_due": per_clock(codes, clocks, "add_hours", mql_at, columns["first_touch_hours"]),
            "window_due": per_clock(codes, clocks, "add_days", mql_at, columns["window_days"].astype(np.int64)),
            "decision_due": per_clock(codes, clocks, "add_hours", mql_at, columns["decision_hours"]),
        },
        index=leads.index,
    )
    return out


def working_hours_left(
    frame: pd.DataFrame, due: str, as_of: dt.datetime | pd.Timestamp, versions: Sequence[Sla]
) -> np.ndarray:
    """Working hours from ``as_of`` until each row's ``due`` column, on the row's own clock (negative once overdue).

    ``frame`` holds the ``clock`` column of :func:`follow_up_rules` (a touch summary does).
    """
    clocks = clocks_of([s.calendar for s in ordered(versions)])
    as_of64 = np.full(len(frame), pd.Timestamp(as_of).to_datetime64(), dtype="datetime64[ns]")
    return per_clock(frame["clock"].to_numpy(), clocks, "hours_between", as_of64, frame[due].to_numpy("datetime64[ns]"))


def touch_summary(leads: pd.DataFrame, touches: pd.DataFrame, versions: Sequence[Sla]) -> pd.DataFrame:
    """Per MQL: its first touch after the handoff, touches inside the SLA window, and the rules.

    Touches logged before the handoff do not count toward its follow-up, and touches on leads
    that are not in ``leads`` are ignored. Columns: lead_id, owner, channel, mql_at,
    first_touch_at, hours_to_first_touch (working hours on the lead's clock), touches_in_window, touches_total,
    ``decided`` (:func:`sla_model.metrics.lifecycle.decided`), and the rules, policy and due times of
    :func:`follow_up_rules`.
    """
    mqls = leads[leads["mql_at"].notna()]
    rules = follow_up_rules(mqls, versions)
    n = len(mqls)
    mql_at = mqls["mql_at"].to_numpy(dtype="datetime64[ns]")
    # Each touch's MQL row (-1: not an MQL here), looked up once per distinct lead (millions of touches, fewer leads).
    codes, touched_ids = pd.factorize(touches["lead_id"])
    pos = np.append(pd.Index(mqls["lead_id"]).get_indexer(touched_ids), -1)[codes]  # a missing ID (-1) gives -1
    at = touches["at"].to_numpy(dtype="datetime64[ns]")
    known = pos >= 0
    pos, at = pos[known], at[known]
    after = at >= mql_at[pos]
    pos, at = pos[after], at[after]
    window_end = rules["window_due"].to_numpy(dtype="datetime64[ns]")
    in_window = at < window_end[pos]
    # each MQL's earliest touch: an unbuffered minimum per row (no sort of the millions of touches)
    never = np.iinfo(np.int64).max
    earliest = np.full(n, never, dtype=np.int64)
    np.minimum.at(earliest, pos, at.view(np.int64))  # (a NaT touch never gets here: it is not after the handoff)
    first_at = np.where(earliest == never, np.datetime64("NaT", "ns").astype(np.int64), earliest).view("datetime64[ns]")
    clocks = clocks_of([v.calendar for v in ordered(versions)])
    hours = per_clock(rules["clock"].to_numpy(), clocks, "hours_between", mql_at, first_at)
    out = pd.DataFrame(
        {
            "lead_id": mqls["lead_id"].to_numpy(),
            "owner": mqls["owner"].to_numpy(),
            "channel": mqls["channel"].to_numpy(),
            "mql_at": mql_at,
            "first_touch_at": first_at,
            "hours_to_first_touch": hours,
            "touches_in_window": np.bincount(pos[in_window], minlength=n),
            "touches_total": np.bincount(pos, minlength=n),
            "decided": decided(mqls).to_numpy(),
        },
        index=mqls.index,
    )
    return pd.concat([out, rules], axis=1)


def speed_to_lead(summary: pd.DataFrame, as_of: dt.datetime | pd.Timestamp) -> pd.DataFrame:
    """Judge each MQL's first touch against the first-touch rule in force at its handoff.

    Adds ``status``: ``within`` (touched in time), ``late`` (touched after the window),
    ``missed`` (window over, never touched), ``open`` (window still running, not touched yet) or
    ``untracked`` (never touched, yet decided: accepted, rejected, closed or converted), and
    ``judged`` (True unless open or untracked).

    A decided lead without a single touch is not judged: sales dealt with it, so its touches were
    simply not recorded (an export of outcomes without activities), and calling it missed would
    blame reps for the data. A summary without the ``decided`` column treats every MQL as undecided.
    """
    as_of = pd.Timestamp(as_of).to_datetime64()
    hours = summary["hours_to_first_touch"].to_numpy()
    deadline = summary["first_touch_due"].to_numpy(dtype="datetime64[ns]")
    first_at = summary["first_touch_at"].to_numpy(dtype="datetime64[ns]")
    touched = ~np.isnan(hours)
    closed = summary["decided"].to_numpy(dtype=bool) if "decided" in summary else np.zeros(len(summary), bool)
    status = np.select(
        [touched & (first_at <= deadline), touched, closed, deadline <= as_of],
        ["within", "late", "untracked", "missed"],
        "open",
    )
    out = summary.copy()
    out["status"] = status
    out["judged"] = (status != "open") & (status != "untracked")
    return out


def speed_summary(judged: pd.DataFrame) -> dict[str, float]:
    """Median and p90 hours to first touch (touched MQLs) and the share within the SLA (judged MQLs).

    Examples:
        >>> f = pd.DataFrame({"hours_to_first_touch": [1.0, 3.0, np.nan, np.nan],
        ...                   "status": ["within", "late", "missed", "open"], "judged": [True] * 3 + [False]})
        >>> s = speed_summary(f)
        >>> s["median_hours"], s["within"], s["judged"], round(s["share_within"], 3)
        (2.0, 1, 3, 0.333)
    """
    hours = judged["hours_to_first_touch"].dropna().to_numpy()
    within = int((judged["status"] == "within").sum())
    n = int(judged["judged"].sum())
    low, high = wilson_interval(within, n)
    return {
        "median_hours": float(np.median(hours)) if len(hours) else float("nan"),
        "p90_hours": float(np.quantile(hours, 0.9)) if len(hours) else float("nan"),
        "touched": int(len(hours)),
        "within": within,
        "judged": n,
        "share_within": float(safe_rate(within, n)),
        "low": float(low),
        "high": float(high),
    }


def speed_by(judged: pd.DataFrame, by: str = "owner") -> pd.DataFrame:
    """:func:`speed_summary` per group (rep by default), one row per group."""
    rows = {key: speed_summary(group) for key, group in judged.groupby(by, observed=True)}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = by
    return frame.reset_index() if len(frame) else pd.DataFrame(columns=[by, *speed_summary(judged.iloc[:0])])


def touch_compliance(summary: pd.DataFrame, leads: pd.DataFrame, as_of: dt.datetime | pd.Timestamp) -> pd.DataFrame:
    """Judge each MQL against "at least K touches within D days" in force at its handoff.

    An MQL complies when it got K touches in the window, or when it was accepted, rejected for a
    reason other than no response, or reached SQL (:func:`sla_model.metrics.lifecycle.sql_reached_at`)
    inside the window (a decision ends the attempts).
    Only MQLs whose window is over, or that already comply, are judged (``judged``).
    """
    rows = leads.loc[summary.index]
    window_end = summary["window_due"]
    accepted_in = rows["accepted_at"] < window_end
    rejected_in = (rows["rejected_at"] < window_end) & (rows["rejection_reason"].astype(object) != "no_response")
    converted_in = sql_reached_at(rows) < window_end
    complies = (summary["touches_in_window"] >= summary["min_touches"]) | accepted_in | rejected_in | converted_in
    out = summary.copy()
    out["complies"] = complies.to_numpy()
    out["judged"] = (complies | (window_end <= pd.Timestamp(as_of))).to_numpy()
    return out


def compliance_by(compliance: pd.DataFrame, by: str = "owner") -> pd.DataFrame:
    """Share of judged MQLs that comply with the touch rule, per group, with 95% intervals."""
    judged = compliance[compliance["judged"]]
    ok = judged["complies"].groupby(judged[by], observed=True).sum()
    n = judged["complies"].groupby(judged[by], observed=True).size()
    low, high = wilson_interval(ok.to_numpy(), n.to_numpy())
    return pd.DataFrame(
        {
            by: ok.index,
            "complies": ok.to_numpy(dtype=np.int64),
            "judged": n.to_numpy(dtype=np.int64),
            "share": safe_rate(ok.to_numpy(), n.to_numpy()),
            "low": low,
            "high": high,
        }
    )


def breach_list(
    summary: pd.DataFrame,
    leads: pd.DataFrame,
    as_of: dt.datetime | pd.Timestamp,
    *,
    touches_recorded: bool = True,
    versions: Sequence[Sla] = (),
) -> pd.DataFrame:
    """Open MQLs (:func:`sla_model.metrics.lifecycle.is_open`: not decided) that break a follow-up rule now.

    Breaches: no touch after the first-touch window; fewer than K touches once the D-day window is
    over; no accept/reject decision after the decision window. Oldest first, with owner and age.
    ``breach`` says which rule, in the units of the version that judged the lead (``versions``; "business h"
    and "business days" on working hours, plain hours and days when the version is not given).
    With ``touches_recorded`` False (the data holds no touch at all,
    :func:`sla_model.metrics.coverage.has_touches`) only the decision rule is judged: a missing touch
    there says nothing about the reps.
    """
    as_of = pd.Timestamp(as_of)
    open_ = is_open(leads).loc[summary.index]  # (the flag alone is looked up: no copy of the leads' columns)
    age_hours = (as_of - summary["mql_at"]) / HOUR
    no_touch = summary["touches_total"].eq(0) & (summary["first_touch_due"] < as_of) & touches_recorded
    too_few = (
        (summary["window_due"] < as_of) & (summary["touches_in_window"] < summary["min_touches"]) & touches_recorded
    )
    no_decision = summary["decision_due"] < as_of
    breach = open_ & (no_touch | too_few | no_decision)
    out = summary.loc[breach, ["lead_id", "owner", "channel", "mql_at", "touches_total"]].copy()
    out.insert(1, "company", leads["company"].loc[out.index].to_numpy())
    out["age_hours"] = age_hours[breach].round(1)
    units = {s.meta.version: (s.calendar.hour_unit, s.calendar.day_unit) for s in versions}
    reasons = []
    for nt, tf, nd, k, h, d, a, t, v in zip(
        no_touch[breach], too_few[breach], no_decision[breach], summary.loc[breach, "min_touches"],
        summary.loc[breach, "first_touch_hours"], summary.loc[breach, "window_days"],
        summary.loc[breach, "decision_hours"], summary.loc[breach, "touches_in_window"],
        summary.loc[breach, "sla_version"], strict=True,
    ):  # fmt: skip
        hours, days = units.get(v, ("h", "days"))
        parts = []
        if nt:
            parts.append(f"no touch after {h:g} {hours}")
        elif tf:
            parts.append(f"{t} of {k} touches in {d} {days}")
        if nd:
            parts.append(f"no decision after {a:g} {hours}")
        reasons.append("; ".join(parts))
    out["breach"] = reasons
    out["policy"] = summary.loc[breach, "policy"].to_numpy()
    return out.sort_values("mql_at", kind="stable").reset_index(drop=True)


def time_in_stage(leads: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Median days from MQL to SQL and from SQL to won, by the month the later stage was reached.

    One row per (month, transition) with ``median_days`` (NaN without data) and ``n``.
    A lead reaches SQL at :func:`sla_model.metrics.lifecycle.sql_reached_at` (a won or lost lead without an
    SQL date at its opportunity, win or loss). SQL→won needs a known SQL or opportunity date: a win
    without one would invent a zero-day stage. Negative durations (timestamps out of order) are left out.
    """
    rows = []
    sql = sql_reached_at(leads)
    sql_stage = leads["sql_at"].fillna(leads["opportunity_at"])
    for name, start, end in (("MQL→SQL", leads["mql_at"], sql), ("SQL→won", sql_stage, leads["won_at"])):
        both = start.notna() & end.notna()
        days = (end[both] - start[both]) / pd.Timedelta(days=1)
        days = days[days >= 0]
        month = end.loc[days.index].dt.to_period("M")
        grouped = days.groupby(month)
        med = grouped.median().reindex(months)
        n = grouped.size().reindex(months).fillna(0).astype(np.int64)
        rows.append(
            pd.DataFrame({"month": months, "transition": name, "median_days": med.to_numpy(), "n": n.to_numpy()})
        )
    return pd.concat(rows, ignore_index=True)


#: Edges (hours) of the speed-to-lead histogram, roughly doubling; the SLA's own limits are added as edges.
HOUR_EDGES = (0.0, 1.0, 2.0, 4.0, 8.0, 24.0, 48.0, 96.0)
NOT_TOUCHED = "Not touched"
#: How each speed-to-lead status (:func:`speed_to_lead`) is named, in the order the histogram stacks them.
STATUS_NAMES = {
    "within": "Within SLA",
    "late": "Late",
    "missed": "Missed",
    "open": "Open",
    "untracked": "Decided, no touch recorded",
}


def speed_bins(judged: pd.DataFrame, limits: Iterable[float]) -> tuple[pd.DataFrame, list[str], list[float]]:
    """Count MQLs per bin of hours to first touch and per status.

    Bins are ``(a, b]`` (0 h falls in the first), so a first touch at exactly the SLA limit is in the
    bin that ends at it; the limits are added as edges. Returns the counts (columns ``bin``, ``status``,
    ``mqls``, ``Hours``, ``Status``, ``share``), the bin labels in order, and the edges.

    Examples:
        >>> f = pd.DataFrame({"hours_to_first_touch": [0.0, 8.0, 9.0, 200.0, np.nan],
        ...                   "status": ["within", "within", "late", "late", "missed"]})
        >>> counts, labels, _ = speed_bins(f, [8])
        >>> counts["Hours"].tolist(), counts["mqls"].tolist()
        (['0–1', '4–8', '8–24', '>96', 'Not touched'], [1, 1, 1, 1, 1])
    """
    idx, labels, edges = speed_bin_of(judged, limits)
    frame = pd.DataFrame({"bin": idx, "status": judged["status"].to_numpy(dtype=object)})
    counts = frame.groupby(["bin", "status"]).size().rename("mqls").reset_index()
    counts["Hours"] = [labels[i] for i in counts["bin"]]
    counts["Status"] = counts["status"].map(STATUS_NAMES)
    counts["share"] = counts["mqls"] / max(len(judged), 1)
    return counts, labels, edges


def speed_bin_of(judged: pd.DataFrame, limits: Iterable[float]) -> tuple[np.ndarray, list[str], list[float]]:
    """Each MQL's bin of :func:`speed_bins` (its position in the labels), with the bin labels and the edges."""
    edges = sorted({float(e) for e in HOUR_EDGES} | {float(h) for h in limits})
    labels = [f"{a:g}–{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)] + [f">{edges[-1]:g}", NOT_TOUCHED]
    hours = judged["hours_to_first_touch"].to_numpy(dtype=float)
    idx = np.clip(np.searchsorted(edges, hours, side="left") - 1, 0, None)
    return np.where(np.isnan(hours), len(labels) - 1, idx), labels, edges


def policy_limits(judged: pd.DataFrame) -> list[tuple[str, float]]:
    """The (policy, first-touch hours) pairs that judged these MQLs, shortest limit first, each pair once."""
    pairs = judged[["policy", "first_touch_hours"]].drop_duplicates().sort_values(["first_touch_hours", "policy"])
    return [(str(p), float(h)) for p, h in pairs.itertuples(index=False)]


def first_touch_limits(judged: pd.DataFrame) -> list[float]:
    """The first-touch limits (hours) that judged these MQLs, smallest first (one per SLA version in force)."""
    return sorted(judged["first_touch_hours"].astype(float).unique())


def filtered_summary(summary: pd.DataFrame, leads: pd.DataFrame, filtered: bool) -> pd.DataFrame:
    """The per-MQL touch summary (:func:`touch_summary`) of the filtered ``leads``, every month."""
    return summary[summary.index.isin(leads.index)] if filtered else summary


def month_mqls(summary: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The MQLs of a touch summary handed over in ``[start, end)``."""
    return summary[(summary["mql_at"] >= start) & (summary["mql_at"] < end)]


def compliance_summary(compliance: pd.DataFrame) -> dict[str, float]:
    """The touch rule over the judged MQLs of :func:`touch_compliance`: complied, judged, share and 95% interval."""
    done = compliance[compliance["judged"]]
    ok, n = int(done["complies"].sum()), len(done)
    low, high = (float(x) for x in wilson_interval(ok, n))
    return {"complies": ok, "judged": n, "share": float(safe_rate(ok, n)), "low": low, "high": high}


def rep_speed(judged: pd.DataFrame) -> pd.DataFrame:
    """:func:`speed_by` rep for the reps with a touched MQL, slowest median first."""
    reps = speed_by(judged).dropna(subset=["median_hours"])
    return reps.sort_values("median_hours", ascending=False, kind="stable") if len(reps) else reps


def rep_compliance(compliance: pd.DataFrame) -> pd.DataFrame:
    """:func:`compliance_by` rep, the lowest share first (the larger sample first among equal shares)."""
    reps = compliance_by(compliance)
    return reps.sort_values(["share", "judged"], ascending=[True, False], kind="stable") if len(reps) else reps


def rep_figures(speed: pd.DataFrame, compliance: pd.DataFrame, month: pd.DataFrame) -> pd.DataFrame:
    """Per rep with an MQL in ``month``: MQLs, :func:`rep_speed` and :func:`rep_compliance`, by name.

    The compliance columns are renamed ``c_judged``, ``c_share``, ``c_low``, ``c_high`` (``complies`` keeps its
    name); a rep without a figure has NaN there. Any ``Rep`` label column of the inputs is dropped.
    """
    mqls = month["owner"].value_counts()
    table = pd.DataFrame({"owner": mqls.index, "mqls": mqls.to_numpy()})
    table = table.merge(speed.drop(columns="Rep", errors="ignore"), on="owner", how="left")
    comp = compliance.drop(columns="Rep", errors="ignore").rename(
        columns={"judged": "c_judged", "share": "c_share", "low": "c_low", "high": "c_high"}
    )
    return table.merge(comp, on="owner", how="left").sort_values("owner", key=lambda s: s.astype(str).str.lower())


def stage_medians(leads: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """:func:`time_in_stage` where there is a median, with ``month_start`` and a ``sample`` note (small or ok)."""
    stages = time_in_stage(leads, months).dropna(subset=["median_days"])
    stages["month_start"] = stages["month"].dt.start_time
    stages["sample"] = np.where(stages["n"] < SMALL_SAMPLE, f"small (n<{SMALL_SAMPLE})", "ok")
    return stages
