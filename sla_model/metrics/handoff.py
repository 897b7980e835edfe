"""Handoff delays split by who owns them, MQLs about to breach, and whether speed to lead pays.

* :func:`delay_split`: created → handed over (marketing and routing, "systems") and handed over → first touch
  (sales, "human"), so a rep is not blamed for routing lag.
* :func:`at_risk`: open MQLs that will break a follow-up rule within the next N hours, soonest first.
* :func:`speed_pays`: MQL→SQL and MQL→won by speed-to-lead bucket, with 95% intervals and sample sizes.

"Within the next N hours" counts working hours on each lead's own clock (its SLA version's business-hours
calendar, :func:`sla_model.metrics.timing.working_hours_left`) when the versions are given, wall-clock hours
(:func:`hours_left`) otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sla_model.agreement.sla import Sla
from sla_model.metrics.lifecycle import DECISION_COLUMNS, is_open, sql_reached_at
from sla_model.metrics.stats import rate_frame
from sla_model.metrics.timing import working_hours_left

HOUR = np.timedelta64(1, "h")
#: Fixed speed-to-lead buckets (upper edges in hours, ``(a, b]``), the last one open-ended.
HOUR_BUCKETS = (1.0, 4.0, 24.0, 72.0)
NEVER = "Never touched"
#: An MQL's conversion is judged only once it is this many days old, so young MQLs do not read as lost.
MATURE_DAYS = 30


def hours_left(due: pd.Series | np.ndarray, as_of: dt.datetime | pd.Timestamp) -> np.ndarray:
    """Hours from ``as_of`` until each due time (negative once overdue, NaN without a due time).

    Examples:
        >>> due = pd.Series(pd.to_datetime(["2026-01-01 12:00", "2026-01-01 06:00", None]))
        >>> hours_left(due, pd.Timestamp("2026-01-01 08:00")).tolist()
        [4.0, -2.0, nan]
    """
    due = np.asarray(due, dtype="datetime64[ns]")
    return (due - pd.Timestamp(as_of).to_datetime64()) / HOUR


def delay_split(summary: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """Per MQL of a touch summary: ``systems_hours`` (created → handed over) and ``human_hours`` (→ first touch).

    ``systems_hours`` is NaN where the lead has no creation time or it is after the handoff (timestamps out of
    order); ``human_hours`` is NaN for an MQL not touched yet. Keeps lead_id, owner and channel.
    """
    created = leads.loc[summary.index, "created_at"].to_numpy(dtype="datetime64[ns]")
    systems = (summary["mql_at"].to_numpy(dtype="datetime64[ns]") - created) / HOUR
    systems = np.where(systems >= 0, systems, np.nan)
    return pd.DataFrame(
        {
            "lead_id": summary["lead_id"].to_numpy(),
            "owner": summary["owner"].to_numpy(),
            "channel": summary["channel"].to_numpy(),
            "systems_hours": systems,
            # Wall-clock hours, like the systems delay, so the two add up to the whole wait.
            "human_hours": (summary["first_touch_at"] - summary["mql_at"]).to_numpy() / HOUR,
        },
        index=summary.index,
    )


def delay_summary(split: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Median and p90 of both delays (and how many MQLs each is known for), overall or per group.

    One row per group (a single row with ``by`` None): ``mqls``, ``systems_n``, ``systems_median``,
    ``systems_p90``, ``human_n``, ``human_median``, ``human_p90``, ``systems_share`` (systems median over
    the sum of both medians, NaN when either is unknown).

    Examples:
        >>> s = pd.DataFrame({"owner": ["a", "a", "b"], "systems_hours": [2.0, 4.0, np.nan],
        ...                   "human_hours": [1.0, np.nan, 5.0]})
        >>> row = delay_summary(s).iloc[0]
        >>> [round(float(row[c]), 3) for c in ("systems_median", "systems_n", "human_median", "systems_share")]
        [3.0, 2.0, 3.0, 0.5]
    """

    def one(group: pd.DataFrame) -> dict[str, float]:
        out: dict[str, float] = {"mqls": len(group)}
        for part in ("systems", "human"):
            hours = group[f"{part}_hours"].dropna().to_numpy()
            out[f"{part}_n"] = len(hours)
            out[f"{part}_median"] = float(np.median(hours)) if len(hours) else np.nan
            out[f"{part}_p90"] = float(np.quantile(hours, 0.9)) if len(hours) else np.nan
        total = out["systems_median"] + out["human_median"]
        out["systems_share"] = out["systems_median"] / total if total > 0 else np.nan
        return out

    if by is None:
        return pd.DataFrame([one(split)])
    rows = [{by: key, **one(group)} for key, group in split.groupby(by, observed=True)]
    return pd.DataFrame(rows, columns=[by, *one(split.iloc[:0])])


def at_risk(
    summary: pd.DataFrame,
    leads: pd.DataFrame,
    as_of: dt.datetime | pd.Timestamp,
    within_hours: float,
    *,
    touches_recorded: bool = True,
    versions: Sequence[Sla] | None = None,
) -> pd.DataFrame:
    """Open MQLs not in breach yet that will break a follow-up rule within the next ``within_hours``.

    Hours are working hours on each lead's clock when ``versions`` are given (the ones the summary was built
    with), wall-clock hours otherwise. Rules (due times from the summary's ``first_touch_due``,
    ``window_due`` and ``decision_due``): first touch (no touch yet), the touch rule (fewer than K touches in the
    window) and the decision (no accept/reject). An MQL already breaking any rule is "broken"
    (:func:`sla_model.metrics.timing.breach_list`), not at risk. Each row names the soonest rule due:
    lead_id, company, owner, channel, mql_at, due, ``rule``, ``hours_left``; soonest first.
    """
    summary = summary[is_open(leads.loc[summary.index, ["mql_at", *DECISION_COLUMNS]]).to_numpy()]
    rows = leads.loc[summary.index, ["company"]]
    window_due = summary["window_due"]
    if versions is None:
        until = lambda column: hours_left(summary[column], as_of)  # noqa: E731
    else:
        until = lambda column: working_hours_left(summary, column, as_of, versions)  # noqa: E731
    left = {
        "first touch": np.where(summary["touches_total"].eq(0) & touches_recorded, until("first_touch_due"), np.nan),
        "touch rule": np.where((summary["touches_in_window"] < summary["min_touches"]) & touches_recorded,
                               until("window_due"), np.nan),
        "decision": until("decision_due"),
    }  # fmt: skip
    due = {"first touch": summary["first_touch_due"], "touch rule": window_due, "decision": summary["decision_due"]}
    table = np.column_stack(list(left.values()))
    names = np.array(list(left))
    due_at = np.column_stack([d.to_numpy(dtype="datetime64[ns]") for d in due.values()])
    # Broken once the due moment has passed on the wall clock, as breach_list judges it: a rule due at Friday's
    # close is broken on Saturday although no working hour has gone by since.
    applies = ~np.isnan(table)
    broken = applies & (due_at < pd.Timestamp(as_of).to_datetime64())
    pending = np.where(applies & ~broken, np.maximum(np.nan_to_num(table, nan=0.0), 0.0), np.inf)
    soonest = pending.min(axis=1)
    pick = pending.argmin(axis=1)
    risk = ~broken.any(axis=1) & (soonest <= within_hours)
    out = pd.DataFrame(
        {
            "lead_id": summary["lead_id"].to_numpy()[risk],
            "company": rows["company"].to_numpy()[risk],
            "owner": summary["owner"].to_numpy()[risk],
            "channel": summary["channel"].to_numpy()[risk],
            "mql_at": summary["mql_at"].to_numpy()[risk],
            "due": due_at[risk, pick[risk]],
            "rule": names[pick[risk]],
            "policy": summary["policy"].to_numpy()[risk] if "policy" in summary else "",
            "hours_left": soonest[risk],
        }
    )
    return out.sort_values(["hours_left", "lead_id"], kind="stable").reset_index(drop=True)


def speed_bucket(hours: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two bucket labels per MQL: against its own first-touch ``limit`` and by fixed hours (NaN: never touched).

    Examples:
        >>> rule, fixed = speed_bucket(np.array([0.5, 6.0, 20.0, np.nan]), np.array([4.0, 4.0, 4.0, 4.0]))
        >>> rule.tolist(), fixed.tolist()
        (['Within rule', 'Up to 2× rule', 'Later', 'Never touched'], ['≤1 h', '4–24 h', '4–24 h', 'Never touched'])
    """
    never = np.isnan(hours)
    rule = np.select([never, hours <= limit, hours <= 2 * limit], [NEVER, "Within rule", "Up to 2× rule"], "Later")
    labels = fixed_labels()
    idx = np.searchsorted(np.array(HOUR_BUCKETS), np.nan_to_num(hours), side="left")
    fixed = np.where(never, NEVER, np.array(labels[:-1], dtype=object)[idx])
    return rule.astype(object), fixed


def fixed_labels() -> list[str]:
    """The fixed-hour bucket labels in order, "never touched" last."""
    edges = (0.0, *HOUR_BUCKETS)
    inner = [f"{a:g}–{b:g} h" for a, b in zip(edges[1:-1], edges[2:], strict=True)]
    return [f"≤{edges[1]:g} h", *inner, f">{edges[-1]:g} h", NEVER]


RULE_LABELS = ["Within rule", "Up to 2× rule", "Later", NEVER]


def speed_pays(
    summary: pd.DataFrame,
    leads: pd.DataFrame,
    as_of: dt.datetime | pd.Timestamp,
    *,
    mature_days: int = MATURE_DAYS,
) -> pd.DataFrame:
    """MQL→SQL and MQL→won by speed-to-lead bucket, for MQLs handed over at least ``mature_days`` before as-of.

    Only reached stages up to ``as_of`` count. One row per (``kind``, ``bucket``), kind "rule" (against the
    first-touch rule in force at the handoff) then "hours" (fixed buckets), buckets in order and empty ones
    kept: ``mqls``, ``sql``, ``sql_rate``, ``sql_low``, ``sql_high``, ``won``, ``won_rate``, ``won_low``,
    ``won_high``, ``small_sample``.
    """
    as_of = pd.Timestamp(as_of)
    mature = summary[summary["mql_at"] <= as_of - pd.Timedelta(days=mature_days)]
    sql = (sql_reached_at(leads).loc[mature.index] <= as_of).to_numpy()  # (no copy of the leads' other columns)
    won = (leads["won_at"].loc[mature.index] <= as_of).to_numpy()
    rule, fixed = speed_bucket(
        mature["hours_to_first_touch"].to_numpy(dtype=float), mature["first_touch_hours"].to_numpy(dtype=float)
    )
    parts = []
    for kind, labels, bucket in (("rule", RULE_LABELS, rule), ("hours", fixed_labels(), fixed)):
        frame = pd.DataFrame({"bucket": bucket, "sql": sql, "won": won})
        grouped = frame.groupby("bucket")
        n = grouped.size().reindex(labels, fill_value=0)
        s = rate_frame(grouped["sql"].sum().reindex(labels, fill_value=0), n)
        w = rate_frame(grouped["won"].sum().reindex(labels, fill_value=0), n)
        parts.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "bucket": labels,
                    "mqls": n.to_numpy(dtype=np.int64),
                    "sql": s["successes"].to_numpy(),
                    "sql_rate": s["rate"].to_numpy(),
                    "sql_low": s["low"].to_numpy(),
                    "sql_high": s["high"].to_numpy(),
                    "won": w["successes"].to_numpy(),
                    "won_rate": w["rate"].to_numpy(),
                    "won_low": w["low"].to_numpy(),
                    "won_high": w["high"].to_numpy(),
                    "small_sample": s["small_sample"].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
