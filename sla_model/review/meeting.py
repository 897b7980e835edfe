"""The monthly review and the mid-month check-in: each agenda section's figures and sentences, computed once.

Every sentence is plain text (no markup) built from the metric functions of the other modules, so the
meeting page, the printed report and the tests read the same numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from sla_model.actions import ActionError
from sla_model.agreement.sla import Sla
from sla_model.metrics.gap import gap_vs_goal, waterfall_steps
from sla_model.metrics.handoff import at_risk, delay_split, delay_summary, speed_pays
from sla_model.metrics.progress import cumulative_by_day, measure_in, period_bounds, progress, quota_for, sla_for_period
from sla_model.metrics.quality import (
    acceptance,
    acceptance_by,
    latest_notes,
    loop_counts,
    mql_cohort,
    rejection_reasons,
)
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.metrics.timing import breach_list, speed_by, speed_summary, speed_to_lead, touch_compliance
from sla_model.whatif import WhatIfResult

MEASURE_LABELS = {"mqls": "MQLs", "sqls": "SQLs", "won": "Won deals", "revenue": "Revenue"}

#: Metrics a decision can be judged by: label, unit ("count", "money", "share") and whether higher is better.
METRICS: dict[str, tuple[str, str, bool]] = {
    "mqls": ("MQLs", "count", True),
    "sqls": ("SQLs", "count", True),
    "won": ("Won deals", "count", True),
    "revenue": ("Revenue", "money", True),
    "acceptance": ("MQL acceptance rate", "share", True),
    "speed_within": ("MQLs touched within the first-touch SLA", "share", True),
    "touch_compliance": ("MQLs given the minimum touches", "share", True),
    "late_first_touch": ("MQLs touched late or never", "count", False),
}
#: Reps need this many judged MQLs in the month to be ranked on speed to lead.
MIN_REP_MQLS = 10
#: A rejection reason "rose" when its share of rejections grew by this many points (and it has enough cases).
REASON_RISE_PTS = 5.0
MIN_REASON_COUNT = 5
#: Months before the reviewed one that serve as its comparison baseline.
BASELINE_MONTHS = 3
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class MeetingInputs:
    """What the meeting reads: the stored data set as the pages load it."""

    leads: pd.DataFrame
    summary: pd.DataFrame  # sla_model.metrics.timing.touch_summary of every MQL
    feedback: pd.DataFrame
    versions: Sequence[Sla]
    as_of: dt.datetime | pd.Timestamp
    #: False when the data holds no touch at all: follow-up breaches are then judged on decisions only.
    touches_recorded: bool = True


@dataclass(frozen=True)
class Section:
    """One agenda section: a title, plain-text sentences, and the tables behind them."""

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def fmt_value(value: float, unit: str, currency: str = "USD") -> str:
    """A metric value as text.

    Examples:
        >>> fmt_value(1234, "count"), fmt_value(0.456, "share"), fmt_value(1_250_000, "money")
        ('1,234', '46%', '$1.25M')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "share":
        near_one = 0.995 <= value < 1 or 1 < value < 1.005  # 99.8% must not read as 100%
        return f"{value * 100:.{1 if near_one else 0}f}%"
    if unit == "money":
        sign = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
        if abs(value) >= 1_000_000:
            return f"{sign}{value / 1_000_000:.2f}M"
        if abs(value) >= 10_000:
            return f"{sign}{value / 1_000:.0f}k"
        return f"{sign}{value:,.0f}"
    return f"{value:,.0f}"


def _measure_text(measure: str, value: float, currency: str) -> str:
    return fmt_value(value, "money" if measure == "revenue" else "count", currency)


def reason_labels(versions: Sequence[Sla]) -> dict[str, str]:
    """Rejection reason code → label, from every version (later versions win)."""
    labels: dict[str, str] = {}
    for version in sorted(versions, key=lambda s: s.meta.version):
        labels.update(version.reason_labels())
    return labels


def _month_summary(summary: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    start, end = period_bounds(period)
    return summary[(summary["mql_at"] >= start) & (summary["mql_at"] < end)]


def _judged_as_of(period: pd.Period, as_of: dt.datetime | pd.Timestamp) -> pd.Timestamp:
    """The moment a month is judged at: its end once over (later events do not rewrite it), else now."""
    return min(pd.Timestamp(as_of), period_bounds(period)[1])


# --- Metrics ------------------------------------------------------------------------------------------------


def metric_value(metric: str, inputs: MeetingInputs, period: pd.Period) -> float:
    """The value of a decision metric (see :data:`METRICS`) for one month.

    Counts and revenue are events in the month; rates are over the month's MQL cohort, judged at the
    data snapshot (so a month's acceptance rate can still rise while its MQLs are being decided).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    start, end = period_bounds(period)
    if metric in MEASURE_LABELS:
        return measure_in(inputs.leads, metric, start, end)
    if metric == "acceptance":
        return acceptance(mql_cohort(inputs.leads, start, end))["rate"]
    month = _month_summary(inputs.summary, period)
    if metric == "touch_compliance":
        judged = touch_compliance(month, inputs.leads, inputs.as_of)
        n = int(judged["judged"].sum())
        return float(judged.loc[judged["judged"], "complies"].sum() / n) if n else float("nan")
    judged = speed_to_lead(month, inputs.as_of)
    if metric == "speed_within":
        return speed_summary(judged)["share_within"]
    return float(judged["status"].isin(["late", "missed"]).sum())


# --- 1. Scorecard ---------------------------------------------------------------------------------------------


def scorecard(inputs: MeetingInputs, period: pd.Period) -> pd.DataFrame:
    """The shared goal in one table: MQLs, SQLs, won deals and revenue against quota and pace.

    One row per measure with ``actual``, ``quota``, ``pace``, ``projection``, ``attainment``,
    ``projected_attainment``, ``status`` (see :class:`sla_model.metrics.progress.Progress`), ``days_left``,
    ``run_rate_per_day`` (so far) and ``needed_per_day`` (to reach the quota in the days left; NaN once
    the month is over, 0 when the quota is reached).
    """
    sla = sla_for_period(inputs.versions, period)
    start, end = period_bounds(period)
    now = pd.Timestamp(inputs.as_of)
    days_left = max((end - max(now, start)) / DAY, 0.0)
    days_gone = max((min(now, end) - start) / DAY, 0.0)
    rows = []
    for measure, label in MEASURE_LABELS.items():
        p = progress(measure_in(inputs.leads, measure, start, end), quota_for(sla, measure), period, now)
        short = max(p.quota - p.actual, 0.0)
        rows.append(
            {
                "measure": measure,
                "label": label,
                "actual": p.actual,
                "quota": p.quota,
                "pace": p.pace,
                "projection": p.projection,
                "attainment": p.attainment,
                "projected_attainment": p.projected_attainment,
                "status": p.status,
                "elapsed": p.elapsed,
                "days_left": days_left,
                "run_rate_per_day": p.actual / days_gone if days_gone else float("nan"),
                "needed_per_day": (short / days_left if days_left else float("nan")) if not p.closed else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def channel_scorecard(inputs: MeetingInputs, period: pd.Period) -> pd.DataFrame:
    """MQLs per channel against the channel's quota, with pace and the daily need for the rest of the month.

    Channels with a quota or with MQLs this month, largest quota first.
    """
    sla = sla_for_period(inputs.versions, period)
    start, end = period_bounds(period)
    now = pd.Timestamp(inputs.as_of)
    leads = inputs.leads
    in_month = leads.loc[(leads["mql_at"] >= start) & (leads["mql_at"] < end), "channel"].astype(str)
    counts = in_month.value_counts()
    channels = list(dict.fromkeys([*sla.quotas.mqls_by_channel, *counts.index]))
    days_left = max((end - max(now, start)) / DAY, 0.0)
    rows = []
    for channel in channels:
        p = progress(float(counts.get(channel, 0)), quota_for(sla, "mqls", channel=channel), period, now)
        rows.append(
            {
                "channel": channel,
                "mqls": p.actual,
                "quota": p.quota,
                "pace": p.pace,
                "attainment": p.attainment,
                "projected_attainment": p.projected_attainment,
                "status": p.status,
                "needed_per_day": max(p.quota - p.actual, 0) / days_left if days_left and not p.closed else math.nan,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=["channel", "mqls", "quota", "pace", "attainment", "projected_attainment", "status", "needed_per_day"],
    )
    return frame.sort_values(["quota", "mqls"], ascending=False, kind="stable").reset_index(drop=True)


def scorecard_lines(card: pd.DataFrame, currency: str) -> list[str]:
    """One sentence per measure: where it stands against quota (closed month) or pace (open month)."""
    lines = []
    for row in card.itertuples():
        actual, quota = (
            _measure_text(row.measure, row.actual, currency),
            _measure_text(row.measure, row.quota, currency),
        )
        if row.status == "no quota":
            lines.append(f"{row.label}: {actual} (no quota set).")
        elif row.status in ("met", "missed"):
            lines.append(
                f"{row.label}: {actual} of {quota} quota ({fmt_value(row.attainment, 'share')}) — {row.status}."
            )
        elif row.status == "not started":
            lines.append(f"{row.label}: the month has not started; quota {quota}.")
        else:
            projected = _measure_text(row.measure, row.projection, currency)
            lines.append(
                f"{row.label}: {actual} so far against a pace of {_measure_text(row.measure, row.pace, currency)}; "
                f"projected {projected} of {quota} ({fmt_value(row.projected_attainment, 'share')}) — {row.status}."
            )
    return lines


# --- 2. Wins -----------------------------------------------------------------------------------------------------


def _rep_speed(inputs: MeetingInputs, period: pd.Period) -> pd.DataFrame:
    judged = speed_to_lead(_month_summary(inputs.summary, period), _judged_as_of(period, inputs.as_of))
    reps = speed_by(judged[judged["judged"]])
    return reps[reps["judged"] >= MIN_REP_MQLS].reset_index(drop=True)


def _channel_acceptance(cohort: pd.DataFrame) -> pd.DataFrame:
    by = acceptance_by(cohort, "channel").rename_axis("channel").reset_index()
    by["channel"] = by["channel"].astype(str)
    return by[by["decided"] >= SMALL_SAMPLE].reset_index(drop=True)


def _channel_shares(inputs: MeetingInputs, period: pd.Period) -> pd.DataFrame:
    """The channel scorecard with ``share``: attainment once the month is over, else the projected one."""
    channels = channel_scorecard(inputs, period)
    closed = channels["status"].isin(["met", "missed"])
    channels["share"] = channels["attainment"].where(closed, channels["projected_attainment"])
    return channels


def _per_day(measure: str, value: float, other: float, currency: str) -> str:
    """A daily rate as text; two decimals where one would make two different rates look the same."""
    if measure == "revenue":
        return _measure_text(measure, value, currency)
    return f"{value:,.{2 if round(value, 1) == round(other, 1) and value != other else 1}f}"


def wins(inputs: MeetingInputs, period: pd.Period, currency: str = "USD") -> Section:
    """Wins to celebrate: quotas beaten or on track, channels over quota, the fastest reps, the best channels.

    Reps are ranked on speed to lead with at least :data:`MIN_REP_MQLS` judged MQLs; channels on acceptance
    with at least ``SMALL_SAMPLE`` decided MQLs, and only those at or above the team's rate.
    """
    card = scorecard(inputs, period)
    lines = []
    for row in card.itertuples():
        if row.status == "met":
            lines.append(
                f"{row.label} quota beaten: {_measure_text(row.measure, row.actual, currency)} of "
                f"{_measure_text(row.measure, row.quota, currency)} ({fmt_value(row.attainment, 'share')})."
            )
        elif row.status == "on track":
            lines.append(f"{row.label} on track: projected {fmt_value(row.projected_attainment, 'share')} of quota.")
    channels = _channel_shares(inputs, period)
    beaten = channels[(channels["quota"] > 0) & (channels["share"] >= 1)].sort_values("share", ascending=False)
    for row in beaten.head(4).itertuples():
        if row.status == "met":
            lines.append(
                f"{row.channel}: {row.mqls:,.0f} MQLs against a quota of {row.quota:,.0f} "
                f"({fmt_value(row.share, 'share')})."
            )
        else:
            lines.append(
                f"{row.channel}: on track for {fmt_value(row.share, 'share')} of its MQL quota "
                f"({row.mqls:,.0f} of {row.quota:,.0f} so far)."
            )
    reps = _rep_speed(inputs, period)
    best = reps.sort_values(["share_within", "median_hours"], ascending=[False, True], kind="stable").head(3)
    for row in best.itertuples():
        lines.append(
            f"Fast follow-up: {row.owner} touched {fmt_value(row.share_within, 'share')} of {row.judged} "
            f"MQLs within the SLA (median {row.median_hours:.1f} h)."
        )
    start, end = period_bounds(period)
    cohort = mql_cohort(inputs.leads, start, end)
    by_channel = _channel_acceptance(cohort)
    team = acceptance(cohort)["rate"]
    top = by_channel[by_channel["rate"] >= team].sort_values("rate", ascending=False, kind="stable").head(3)
    for row in top.itertuples():
        lines.append(
            f"Leads sales wants: {row.channel} MQLs accepted {fmt_value(row.rate, 'share')} of the time "
            f"({row.decided} decided)."
        )
    return Section("wins", "Wins to celebrate", lines, {"fastest_reps": best, "best_channels": top})


# --- 3. Misses and likely causes -------------------------------------------------------------------------------


def _baseline_cohort(leads: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    start = period_bounds(period - BASELINE_MONTHS)[0]
    return mql_cohort(leads, start, period_bounds(period)[0])


def reason_shift(inputs: MeetingInputs, period: pd.Period) -> pd.DataFrame:
    """Each rejection reason's share of the month's rejections beside its share in the months before.

    Columns ``reason``, ``label``, ``count``, ``share``, ``before_share`` and ``change_pts``, largest rise first.
    """
    labels = reason_labels(inputs.versions)
    start, end = period_bounds(period)
    now = rejection_reasons(mql_cohort(inputs.leads, start, end), labels)
    before = rejection_reasons(_baseline_cohort(inputs.leads, period), labels).set_index("reason")["share"]
    now["before_share"] = now["reason"].map(before).fillna(0.0).astype(float)
    now["change_pts"] = (now["share"] - now["before_share"]) * 100
    return now.sort_values("change_pts", ascending=False, kind="stable").reset_index(drop=True)


def misses(inputs: MeetingInputs, period: pd.Period, currency: str = "USD") -> Section:
    """Misses and their likely causes: measures and channels short of quota, then what the data points at.

    Causes: rejection reasons that rose against the :data:`BASELINE_MONTHS` before, acceptance that fell,
    channels sales rejects most, MQLs touched late or never, and reps behind on speed to lead.
    """
    card = scorecard(inputs, period)
    lines = []
    for row in card.itertuples():
        if row.status == "missed":
            short = _measure_text(row.measure, row.quota - row.actual, currency)
            lines.append(
                f"{row.label} missed: {_measure_text(row.measure, row.actual, currency)} of "
                f"{_measure_text(row.measure, row.quota, currency)}, {short} short."
            )
        elif row.status == "behind":
            need = _per_day(row.measure, row.needed_per_day, row.run_rate_per_day, currency)
            rate = _per_day(row.measure, row.run_rate_per_day, row.needed_per_day, currency)
            lines.append(
                f"{row.label} behind pace: projected {fmt_value(row.projected_attainment, 'share')} of "
                f"quota; needs {need} a day for the {row.days_left:.0f} days left (run rate {rate})."
            )
    channels = _channel_shares(inputs, period)
    short = channels[(channels["quota"] > 0) & (channels["share"] < 1)].sort_values("share")
    for row in short.head(4).itertuples():
        lines.append(
            f"{row.channel} under its MQL quota: {row.mqls:,.0f} of {row.quota:,.0f} "
            f"({fmt_value(row.share, 'share')}{'' if row.status == 'missed' else ' projected'})."
        )

    causes = []
    start, end = period_bounds(period)
    cohort = mql_cohort(inputs.leads, start, end)
    shift = reason_shift(inputs, period)
    for row in (
        shift[(shift["change_pts"] >= REASON_RISE_PTS) & (shift["count"] >= MIN_REASON_COUNT)].head(3).itertuples()
    ):
        causes.append(
            f"Rejections for “{row.label}” rose to {fmt_value(row.share, 'share')} of rejections "
            f"(from {fmt_value(row.before_share, 'share')} in the {BASELINE_MONTHS} months before)."
        )
    now, before = acceptance(cohort), acceptance(_baseline_cohort(inputs.leads, period))
    if now["decided"] >= SMALL_SAMPLE and before["decided"] >= SMALL_SAMPLE and now["rate"] < before["rate"] - 0.02:
        causes.append(
            f"Sales accepted {fmt_value(now['rate'], 'share')} of decided MQLs, down from "
            f"{fmt_value(before['rate'], 'share')} in the {BASELINE_MONTHS} months before."
        )
    by_channel = _channel_acceptance(cohort)
    if now["decided"] and len(by_channel):
        weak = by_channel[by_channel["rate"] < now["rate"] - 0.10].sort_values("rate").head(2)
        for row in weak.itertuples():
            causes.append(
                f"{row.channel} MQLs are accepted only {fmt_value(row.rate, 'share')} of the time "
                f"({row.decided} decided; team {fmt_value(now['rate'], 'share')})."
            )
    judged = speed_to_lead(_month_summary(inputs.summary, period), _judged_as_of(period, inputs.as_of))
    speed = speed_summary(judged)
    late = int(judged["status"].isin(["late", "missed"]).sum())
    if late:
        causes.append(
            f"{late:,} MQLs were touched late or never ({fmt_value(1 - speed['share_within'], 'share')} "
            f"of {speed['judged']:,} judged)."
        )
    delay = delay_summary(delay_split(_month_summary(inputs.summary, period), inputs.leads)).iloc[0]
    if delay["systems_n"] and delay["human_n"]:
        causes.append(
            f"Systems vs human delay: created → handed over (marketing, routing) took a median "
            f"{delay['systems_median']:.1f} h, handed over → first touch (sales) {delay['human_median']:.1f} h."
        )
    reps = _rep_speed(inputs, period)
    slow = reps[reps["share_within"] < 0.8].sort_values("share_within", kind="stable").head(3)
    for row in slow.itertuples():
        causes.append(
            f"{row.owner} touched {fmt_value(row.share_within, 'share')} of {row.judged} MQLs within the "
            f"SLA (median {row.median_hours:.1f} h)."
        )
    lines += [f"Likely cause: {cause}" for cause in causes]
    return Section(
        "misses",
        "Misses and likely causes",
        lines,
        {
            "causes": pd.DataFrame({"cause": causes}),
            "reason_shift": shift,
            "short_channels": short,
            # The evidence for the first-touch rule (metrics.handoff.speed_pays), for the report.
            "speed_pays": speed_pays(inputs.summary, inputs.leads, inputs.as_of),
            # Revenue against the goal split by factor (metrics.gap), for the report.
            "gap": gap_steps(inputs, period, currency),
        },
    )


def gap_steps(inputs: MeetingInputs, period: pd.Period, currency: str = "USD") -> pd.DataFrame:
    """The month's revenue against its goal (its pace while open) as waterfall steps (``metrics.gap``).

    Adds ``label``: the amount as text, effects signed (``+$20k``, ``−$87k``).
    """
    start, end = period_bounds(period)
    gap = gap_vs_goal(inputs.leads, sla_for_period(inputs.versions, period), start, end, inputs.as_of)
    closed = gap.end >= end
    steps = waterfall_steps(gap, "Goal" if closed else "Goal's pace", "Actual")
    steps["label"] = [
        fmt_value(v, "money", currency)
        if k == "total"
        else ("+" if v > 0 else "−" if v < 0 else "") + fmt_value(abs(v), "money", currency)
        for k, v in zip(steps["kind"], steps["value"], strict=True)
    ]
    return steps


# --- 4. Voice of sales -----------------------------------------------------------------------------------------


def voice_of_sales(inputs: MeetingInputs, period: pd.Period, notes: int = 8) -> Section:
    """What sales says about the month's MQLs: rejection reasons, where rejected leads went, the latest notes."""
    labels = reason_labels(inputs.versions)
    start, end = period_bounds(period)
    cohort = mql_cohort(inputs.leads, start, end)
    reasons = rejection_reasons(cohort, labels)
    stats = acceptance(cohort)
    loop = loop_counts(cohort)
    lines = [
        f"{stats['mqls']:,} MQLs handed over: {stats['accepted']:,} accepted, {stats['rejected']:,} rejected, "
        f"{stats['pending']:,} waiting for a decision, {stats['stale']:,} recycled unworked."
    ]
    if stats["decided"]:
        lines.append(
            f"Acceptance {fmt_value(stats['rate'], 'share')} (95% interval "
            f"{fmt_value(stats['low'], 'share')}–{fmt_value(stats['high'], 'share')}, {stats['decided']:,} "
            "decided)."
        )
    for row in reasons.head(3).itertuples():
        lines.append(f"“{row.label}”: {row.count:,} rejections ({fmt_value(row.share, 'share')}).")
    if stats["rejected"]:
        lines.append(
            f"Rejected leads went back to nurture {loop['recycled']:,} times; {loop['disqualified']:,} "
            "were disqualified."
        )
    return Section(
        "voice",
        "Voice of sales",
        lines,
        {"reasons": reasons, "notes": latest_notes(inputs.feedback, cohort, labels, n=notes)},
    )


# --- 5. Follow-up breaches ------------------------------------------------------------------------------------


#: The meeting's "at risk" horizon: open MQLs that will break a rule within this many hours.
RISK_HOURS = 8
#: How the breach tables name the owner of a lead nobody owns.
NO_OWNER = "(no owner)"


def _at_risk_line(risk: pd.DataFrame) -> str:
    """The at-risk sentence of the breaches section."""
    if risk.empty:
        return f"At risk: no open MQL falls due in the next {RISK_HOURS} hours."
    reps = risk["owner"].astype(object).where(risk["owner"].notna(), "(no owner)").value_counts()
    return (
        f"At risk: {len(risk):,} more break a rule within the next {RISK_HOURS} hours "
        f"({', '.join(f'{r} ({n:,})' for r, n in reps.head(3).items())})."
    )


def breaches(inputs: MeetingInputs) -> Section:
    """Open MQLs breaking a follow-up rule now ("broken", from any month), per rep, and those about to ("at risk")."""
    found = breach_list(
        inputs.summary, inputs.leads, inputs.as_of, touches_recorded=inputs.touches_recorded, versions=inputs.versions
    )
    risk = at_risk(
        inputs.summary,
        inputs.leads,
        inputs.as_of,
        RISK_HOURS,
        touches_recorded=inputs.touches_recorded,
        versions=inputs.versions,
    )
    if found.empty:
        return Section(
            "breaches",
            "Follow-up breaches to act on",
            ["No open MQL breaks a follow-up rule.", _at_risk_line(risk)],
            {
                "breaches": found,
                "by_rep": pd.DataFrame(columns=["owner", "breaches", "oldest_hours"]),
                "at_risk": risk,
            },
        )
    by_rep = (
        found.assign(owner=owner_names(found["owner"]))
        .groupby("owner")
        .agg(breaches=("lead_id", "size"), oldest_hours=("age_hours", "max"))
        .sort_values(["breaches", "oldest_hours"], ascending=False)
        .reset_index()
    )
    no_touch = int(found["breach"].str.contains("no touch").sum())
    no_decision = int(found["breach"].str.contains("no decision").sum())
    lines = [
        f"Broken: {len(found):,} open MQLs break a follow-up rule: {no_touch:,} never touched, {no_decision:,} without "
        f"a decision past the deadline.",
        f"Most: {', '.join(f'{r.owner} ({r.breaches:,})' for r in by_rep.head(3).itertuples())}.",
        f"Oldest: {found['lead_id'].iloc[0]} ({found['company'].iloc[0]}), {found['age_hours'].iloc[0] / 24:.0f} "
        f"days since handoff.",
        _at_risk_line(risk),
    ]
    data = {"breaches": found, "by_rep": by_rep, "at_risk": risk}
    return Section("breaches", "Follow-up breaches to act on", lines, data)


# --- Decisions carried from earlier meetings -----------------------------------------------------------------


def decision_result(
    inputs: MeetingInputs,
    *,
    metric: str | None,
    target: float | None,
    decided_in: pd.Period,
    judged_in: pd.Period,
    currency: str = "USD",
) -> str:
    """How a decision's metric moved from the month it was decided in to the month under review, as a sentence.

    Examples: ``"MQL acceptance rate: 61% in October 2026 → 68% in November 2026 (target 65%): target met."``
    """
    if not metric:
        return "No metric was named."
    label, unit, higher = METRICS[metric]
    before, after = metric_value(metric, inputs, decided_in), metric_value(metric, inputs, judged_in)
    text = (
        f"{label}: {fmt_value(before, unit, currency)} in {decided_in:%B %Y} → {fmt_value(after, unit, currency)} "
        f"in {judged_in:%B %Y}"
    )
    if target is not None and not math.isnan(target):
        met = after >= target if higher else after <= target
        return text + f" (target {fmt_value(target, unit, currency)}): target {'met' if met else 'not met yet'}."
    if math.isnan(before) or math.isnan(after) or before == after:
        return text + "."
    better = (after > before) == higher
    return text + f": {'better' if better else 'worse'}."


def metric_progress(
    inputs: MeetingInputs, *, metric: str | None, target: float | None, period: pd.Period, currency: str = "USD"
) -> str:
    """Where a decision's metric stands in ``period`` so far, against its target, as a sentence.

    Examples: ``"MQL acceptance rate so far in November 2026: 58% (target 65%): target not met yet."``
    """
    if not metric:
        return "No metric was named."
    label, unit, higher = METRICS[metric]
    now = metric_value(metric, inputs, period)
    text = f"{label} so far in {period:%B %Y}: {fmt_value(now, unit, currency)}"
    if target is None or math.isnan(target):
        return text + "."
    if math.isnan(now):
        return text + f" (target {fmt_value(target, unit, currency)})."
    met = now >= target if higher else now <= target
    return text + f" (target {fmt_value(target, unit, currency)}): target {'met' if met else 'not met yet'}."


def target_text(metric: str | None, target: float | None, currency: str = "USD") -> tuple[str, str]:
    """A decision's metric label and target as text (empty when none was named).

    Examples:
        >>> target_text("acceptance", 0.5), target_text(None, None)
        (('MQL acceptance rate', '50%'), ('', ''))
    """
    if not metric or metric not in METRICS:
        return "", ""
    label, unit, _ = METRICS[metric]
    missing = target is None or (isinstance(target, float) and math.isnan(target))
    return label, "" if missing else fmt_value(float(target), unit, currency)


# --- Mid-month check-in ------------------------------------------------------------------------------------------


def pace_lines(inputs: MeetingInputs, period: pd.Period, currency: str = "USD") -> list[str]:
    """The check-in in sentences: for each measure with a quota, what the remaining days must bring."""
    card = scorecard(inputs, period)
    lines = []
    for row in card.itertuples():
        if row.quota <= 0:
            continue
        if row.status in ("met", "missed"):
            lines.append(f"{row.label}: the month is over — {row.status} ({fmt_value(row.attainment, 'share')}).")
        elif row.actual >= row.quota:
            lines.append(f"{row.label}: quota already reached ({_measure_text(row.measure, row.actual, currency)}).")
        elif row.days_left:
            need = _measure_text(row.measure, row.quota - row.actual, currency)
            per_day = _per_day(row.measure, row.needed_per_day, row.run_rate_per_day, currency)
            rate = _per_day(row.measure, row.run_rate_per_day, row.needed_per_day, currency)
            verdict = "keep the pace" if row.run_rate_per_day >= row.needed_per_day else "speed up"
            lines.append(
                f"{row.label}: {need} to go in {row.days_left:.0f} days — {per_day} a day against "
                f"{rate} a day so far: {verdict}."
            )
    return lines


# --- 6. Proposed SLA changes and the decision log ----------------------------------------------------------------


def proposal_summary(result: WhatIfResult, currency: str = "USD") -> str:
    """A proposal's replayed consequences in one sentence (``whatif.evaluate`` against the SLA in force)."""
    change = "" if math.isnan(result.mql_change) else f" ({result.mql_change:+.0%})"
    return (
        f"{result.mqls:,.0f} MQLs a month{change} against {result.baseline_mqls:,.0f}; expected "
        f"{result.sqls.expected:,.0f} SQLs, {fmt_value(result.revenue.expected, 'money', currency)} revenue "
        f"({result.revenue_gap:+.0%} vs goal); acceptance {result.acceptance_change_pts:+.1f} pts; "
        f"{result.load_per_rep_week:,.1f} MQLs per rep a week — {result.verdict}."
    )


def carried_results(
    inputs: MeetingInputs, carried: pd.DataFrame, period: pd.Period, currency: str = "USD"
) -> pd.DataFrame:
    """The decisions carried into the review of ``period``, each with a ``result`` sentence for its metric."""
    out = carried.copy()
    out["result"] = [
        decision_result(
            inputs,
            metric=row.metric,
            target=None if pd.isna(row.target) else float(row.target),
            decided_in=pd.Period(row.month, "M"),
            judged_in=period,
            currency=currency,
        )
        for row in carried.itertuples()
    ]
    return out


def decision_line(row: object, *, carried: bool) -> str:
    """A decision as a sentence: text, owner, due date, status; carried ones with their month and result."""
    status = {"open": "open", "done": "done", "dropped": "dropped"}.get(row.status, row.status)
    who = f"{row.owner}, due {pd.Timestamp(row.due):%d %b %Y}"
    head = f"Agreed in {pd.Period(row.month, 'M'):%B}: " if carried else ""
    text = f"{head}{row.text} ({who}; {status})"
    if carried:
        text += f" — {row.result}"
    if row.outcome:
        text += f" Outcome: {row.outcome}"
    return text


def changes(
    proposals: pd.DataFrame, decisions: pd.DataFrame, carried: pd.DataFrame, period: pd.Period | None = None
) -> Section:
    """Proposed SLA changes to decide on, the ones adopted since the period began, and the decision log.

    An adopted change stays in the review (and its report) with who adopted it, until it is published from What
    if…; ``proposals`` may carry ``decided_by`` and ``decided_at``.
    """
    lines = []
    waiting = proposals[proposals["status"] == "proposed"] if len(proposals) else proposals
    if len(waiting):
        for row in waiting.itertuples():
            lines.append(f"Proposal “{row.title}” by {row.proposed_by}: {row.summary}")
    else:
        lines.append("No SLA change is proposed (save one from the What if… page).")
    if len(proposals) and "decided_at" in proposals:
        since = period.start_time if period is not None else pd.Timestamp.min
        adopted = proposals[(proposals["status"] == "adopted") & (pd.to_datetime(proposals["decided_at"]) >= since)]
        for row in adopted.itertuples():
            lines.append(f"Adopted: “{row.title}” ({row.summary}), adopted by {row.decided_by}.")
    for row in carried.itertuples():
        lines.append(decision_line(row, carried=True))
    for row in decisions.itertuples():
        lines.append("Agreed today: " + decision_line(row, carried=False))
    return Section(
        "changes",
        "SLA changes and decisions",
        lines,
        {"proposals": proposals, "carried": carried, "decisions": decisions},
    )


def split_decisions(decisions: pd.DataFrame, period: pd.Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decision log split for the review of ``period``: (agreed in this meeting, carried from earlier ones).

    Carried: everything agreed the month before (to report its result, whatever its status) and anything
    older that is still open.
    """
    key, previous = str(period), str(period - 1)
    month = decisions["month"]
    carried = decisions[(month == previous) | ((month < previous) & (decisions["status"] == "open"))]
    return decisions[month == key].reset_index(drop=True), carried.reset_index(drop=True)


# --- The whole review ----------------------------------------------------------------------------------------

VARIANTS = {"monthly": "Monthly review", "checkin": "Mid-month check-in"}


@dataclass(frozen=True)
class Review:
    """One meeting's content, in agenda order: what the page shows and the report prints."""

    period: pd.Period
    variant: str
    sla: Sla
    as_of: pd.Timestamp
    scorecard: pd.DataFrame
    channels: pd.DataFrame
    cumulative: pd.DataFrame  # MQLs by day: actual, pace, projection (progress.cumulative_by_day)
    sections: list[Section]

    @property
    def title(self) -> str:
        """E.g. ``Monthly review · October 2026``."""
        return f"{VARIANTS[self.variant]} · {self.period:%B %Y}"

    def section(self, key: str) -> Section:
        """The section with this key."""
        return next(s for s in self.sections if s.key == key)


def owner_names(owners: pd.Series) -> pd.Series:
    """Owners as the breach tables name them: ``(no owner)`` for a lead nobody owns."""
    return owners.astype(object).where(owners.notna(), NO_OWNER).astype(str)


def review(
    inputs: MeetingInputs,
    period: pd.Period,
    *,
    variant: str = "monthly",
    decisions: pd.DataFrame,
    proposals: pd.DataFrame,
) -> Review:
    """Compute a whole meeting: the monthly review (six sections) or the mid-month check-in (pace first).

    Args:
        inputs: the data set.
        period: the month under review.
        variant: ``"monthly"`` or ``"checkin"``.
        decisions: the decision log (``decisions.list_decisions``); this month's and carried ones are picked.
        proposals: proposed SLA changes with ``title``, ``status``, ``proposed_by`` and a ``summary`` sentence.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown meeting variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    sla = sla_for_period(inputs.versions, period)
    currency = sla.goal.currency
    card = scorecard(inputs, period)
    mql_quota = float(card.loc[card["measure"] == "mqls", "quota"].iloc[0])
    daily = cumulative_by_day(inputs.leads, period, mql_quota, inputs.as_of, "mqls")
    now, old = split_decisions(decisions, period)
    carried = carried_results(inputs, old, period, currency)
    if variant == "monthly":
        sections = [
            Section("scorecard", "Scorecard", scorecard_lines(card, currency), {"scorecard": card}),
            wins(inputs, period, currency),
            misses(inputs, period, currency),
            voice_of_sales(inputs, period),
            breaches(inputs),
            changes(proposals, now, carried, period),
        ]
    else:
        open_items = pd.concat([carried[carried["status"] == "open"], now]).sort_values("due", kind="stable")
        open_items = open_items.reset_index(drop=True)
        open_items["progress"] = [
            metric_progress(inputs, metric=None if pd.isna(r.metric) else r.metric, period=period, currency=currency,
                            target=None if pd.isna(r.target) else float(r.target))
            for r in open_items.itertuples()
        ]  # fmt: skip
        items = [
            decision_line(r, carried=False) + ("" if pd.isna(r.metric) or not r.metric else f" — {r.progress}")
            for r in open_items.itertuples()
        ] or ["No open action items."]
        voice = voice_of_sales(inputs, period, notes=5)
        sections = [
            Section(
                "pace",
                "Pace: what the rest of the month must bring",
                pace_lines(inputs, period, currency),
                {"scorecard": card},
            ),
            breaches(inputs),
            Section("actions", "Action items due", items, {"items": open_items}),
            Section("voice", "Voice of sales so far", voice.lines[:4], voice.tables),
        ]
    return Review(
        period=period,
        variant=variant,
        sla=sla,
        as_of=pd.Timestamp(inputs.as_of),
        scorecard=card,
        channels=channel_scorecard(inputs, period),
        cumulative=daily,
        sections=sections,
    )


# --- What the meeting page reads from its forms and sections ----------------------------------------------------


def parse_target(text: str, metric: str | None) -> float | None:
    """A target as typed (``65%``, ``0.65``, ``1,200``, ``$50k``) in the metric's unit; None when empty.

    Raises:
        ActionError: a target without a metric, not a number, a share outside 0–100%, or a negative count.

    Examples:
        >>> parse_target("65%", "acceptance"), parse_target("$50k", "revenue"), parse_target(" ", None)
        (0.65, 50000.0, None)
    """
    text = (text or "").strip()
    if not text:
        return None
    if metric is None:
        raise ActionError("a target needs a metric to be measured by")
    unit = METRICS[metric][1]
    cleaned = text.replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip()
    scale = 1.0
    if cleaned.lower().endswith("k"):
        cleaned, scale = cleaned[:-1], 1_000.0
    elif cleaned.lower().endswith("m"):
        cleaned, scale = cleaned[:-1], 1_000_000.0
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%")) * scale
    except ValueError as exc:
        raise ActionError(f"target {text!r} is not a number") from exc
    if unit == "share":
        value = value / 100 if percent or value > 1 else value
        if not 0 <= value <= 1:
            raise ActionError(f"target {text!r} is not a share between 0% and 100%")
    elif value < 0:
        raise ActionError(f"target {text!r} is negative")
    return value


CAUSE = "Likely cause: "


def split_misses(lines: Sequence[str]) -> tuple[list[str], list[str]]:
    """The misses section's sentences as (misses, likely causes), the causes without their prefix.

    Examples:
        >>> split_misses(["MQLs missed", "Likely cause: slow follow-up"])
        (['MQLs missed'], ['slow follow-up'])
    """
    misses_ = [x for x in lines if not x.startswith(CAUSE)]
    causes = [x.removeprefix(CAUSE) for x in lines if x.startswith(CAUSE)]
    return misses_, causes
