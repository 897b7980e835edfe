"""Lead quality feedback: acceptance, rejection reasons, stage conversions, the loop back to nurture."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sla_model.metrics.lifecycle import is_accepted, reached_sql
from sla_model.metrics.stats import rate_frame, safe_rate, wilson_interval

SCORE_BAND_EDGES = [0, 20, 40, 50, 60, 70, 80, 90, 101]


def mql_cohort(leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The MQLs handed to sales in ``[start, end)``: the cohort the quality metrics judge."""
    return leads[(leads["mql_at"] >= start) & (leads["mql_at"] < end)]


def decision_status(leads: pd.DataFrame) -> pd.Series:
    """Where each MQL stands with sales: accepted, rejected, closed unworked (stale) or pending.

    Accepted is :func:`sla_model.metrics.lifecycle.is_accepted`: a lead that reached SQL, an opportunity,
    a win or a loss was accepted by sales even without an accepted date. Stale: recycled or
    disqualified without a sales decision. Pending is exactly an open MQL
    (:func:`sla_model.metrics.lifecycle.is_open`).
    """
    status = np.select(
        [
            is_accepted(leads).to_numpy(),
            leads["rejected_at"].notna().to_numpy(),
            (leads["recycled_at"].notna() | leads["disqualified_at"].notna()).to_numpy(),
        ],
        ["accepted", "rejected", "stale"],
        "pending",
    )
    return pd.Series(status, index=leads.index, name="status")


def acceptance(leads: pd.DataFrame) -> dict[str, float]:
    """Accepted, rejected, stale and pending counts among MQLs, and the acceptance rate.

    The rate is accepted / (accepted + rejected), with a 95% Wilson interval; stale and pending
    MQLs are reported but not in the rate. Converted leads count as accepted (:func:`decision_status`).

    Examples:
        >>> from sla_model.metrics.lifecycle import DECISION_COLUMNS
        >>> t, no = pd.Timestamp("2026-01-01"), pd.NaT
        >>> leads = pd.DataFrame({c: pd.to_datetime([no] * 4) for c in DECISION_COLUMNS})
        >>> leads["accepted_at"] = [t, t, no, no]  # two said so
        >>> leads["won_at"] = [no, no, t, no]  # one was won without an accepted date
        >>> leads["rejected_at"] = leads["recycled_at"] = [no, no, no, t]
        >>> acceptance(leads)["rate"]
        0.75
    """
    counts = decision_status(leads).value_counts()
    accepted = int(counts.get("accepted", 0))
    rejected = int(counts.get("rejected", 0))
    low, high = wilson_interval(accepted, accepted + rejected)
    return {
        "mqls": int(len(leads)),
        "accepted": accepted,
        "rejected": rejected,
        "stale": int(counts.get("stale", 0)),
        "pending": int(counts.get("pending", 0)),
        "decided": accepted + rejected,
        "rate": float(safe_rate(accepted, accepted + rejected)),
        "low": float(low),
        "high": float(high),
    }


def acceptance_by(leads: pd.DataFrame, by: pd.Series | str) -> pd.DataFrame:
    """Acceptance rate per group (e.g. ``"channel"`` or an MQL-month series), with intervals."""
    keys = leads[by] if isinstance(by, str) else by
    said = is_accepted(leads)
    accepted = said.groupby(keys, observed=True).sum()
    decided = (said | leads["rejected_at"].notna()).groupby(keys, observed=True).sum()
    frame = rate_frame(accepted, decided)
    frame["rejected"] = frame["n"] - frame["successes"]
    return frame.rename(columns={"successes": "accepted", "n": "decided"})


def rejection_reasons(leads: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Rejections by reason, most frequent first, with share and cumulative share (a Pareto table).

    Reasons not in ``labels`` keep their code as label.
    """
    labels = labels or {}
    rejected = leads.loc[leads["rejected_at"].notna(), "rejection_reason"]
    codes = rejected.astype(object).fillna("(no reason)")
    counts = codes.value_counts()
    counts = counts.reindex(sorted(counts.index, key=lambda c: (-counts[c], c)))
    total = counts.sum()
    frame = pd.DataFrame(
        {
            "reason": counts.index.astype(str),
            "label": [labels.get(c, c) for c in counts.index],
            "count": counts.to_numpy(dtype=np.int64),
        }
    )
    frame["share"] = safe_rate(frame["count"].to_numpy(), total) if len(frame) else []
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame.reset_index(drop=True)


def top_reasons(pareto: pd.DataFrame, top: int = 8) -> pd.DataFrame:
    """A Pareto table (:func:`rejection_reasons`) cut to its ``top`` reasons, the rest folded into one last row.

    The folded row is labelled "Other reasons (N)" and keeps the counts adding up; the cumulative share still
    ends at 100%. A chart of many reasons would otherwise squeeze its labels until they are cut.

    Examples:
        >>> t = pd.DataFrame({"reason": list("abcd"), "label": list("ABCD"), "count": [5, 3, 1, 1]})
        >>> t["share"] = t["count"] / 10
        >>> t["cumulative_share"] = t["share"].cumsum()
        >>> top_reasons(t, top=2)[["label", "count", "cumulative_share"]].values.tolist()
        [['A', 5, 0.5], ['B', 3, 0.8], ['Other reasons (2)', 2, 1.0]]
    """
    if len(pareto) <= top + 1:  # folding a single reason would only rename it
        return pareto
    head, tail = pareto.iloc[:top], pareto.iloc[top:]
    other = {
        "reason": "(other)",
        "label": f"Other reasons ({len(tail)})",
        "count": int(tail["count"].sum()),
        "share": float(tail["share"].sum()),
        "cumulative_share": float(pareto["cumulative_share"].iloc[-1]),
    }
    return pd.concat([head, pd.DataFrame([other])], ignore_index=True)


def score_band(score: pd.Series) -> pd.Series:
    """Lead score bands (``"0–19"``, ..., ``"90–100"``) as an ordered categorical."""
    edges = SCORE_BAND_EDGES
    names = [f"{lo}–{hi - 1}" if hi < 101 else f"{lo}–100" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    return pd.cut(score, bins=edges, right=False, labels=names)


def conversions(leads: pd.DataFrame, by: pd.Series | str) -> pd.DataFrame:
    """Stage conversions per group among MQLs: MQL→SQL, SQL→won and MQL→won with 95% intervals.

    One row per (group, stage) with columns ``group``, ``stage``, ``successes``, ``n``, ``rate``,
    ``low``, ``high``, ``small_sample``. Rates use every MQL in ``leads`` as the cohort; recent
    cohorts may still convert. An SQL is :func:`sla_model.metrics.lifecycle.reached_sql` (won and lost leads
    reached SQL even without an SQL date).
    """
    mqls = leads[leads["mql_at"].notna()]
    keys = mqls[by] if isinstance(by, str) else by.loc[mqls.index]
    is_sql = reached_sql(mqls)
    is_won = mqls["won_at"].notna()
    n_mql = pd.Series(1, index=mqls.index).groupby(keys, observed=True).sum()
    n_sql = is_sql.groupby(keys, observed=True).sum()
    n_won = is_won.groupby(keys, observed=True).sum()
    n_won_of_sql = (is_sql & is_won).groupby(keys, observed=True).sum()
    parts = []
    for stage, s, n in (
        ("MQL→SQL", n_sql, n_mql),
        ("SQL→won", n_won_of_sql, n_sql),
        ("MQL→won", n_won, n_mql),
    ):
        frame = rate_frame(s, n)
        frame.insert(0, "stage", stage)
        parts.append(frame)
    out = pd.concat(parts) if parts else pd.DataFrame()
    out.index.name = "group"
    return out.reset_index()


def loop_counts(leads: pd.DataFrame) -> dict[str, int]:
    """Where rejected and unworked MQLs went: recycled to nurture, disqualified, or recycled stale."""
    rejected = leads["rejected_at"].notna()
    recycled = leads["recycled_at"].notna()
    return {
        "recycled": int((recycled & rejected).sum()),
        "disqualified": int(leads["disqualified_at"].notna().sum()),
        "stale": int((recycled & ~rejected).sum()),
    }


def latest_notes(feedback: pd.DataFrame, leads: pd.DataFrame, labels: dict[str, str], n: int = 10) -> pd.DataFrame:
    """The ``n`` latest rejection notes for the given leads: the voice of sales, verbatim."""
    notes = feedback[(feedback["decision"] == "reject") & (feedback["note"].fillna("").str.strip() != "")]
    at = pd.Index(leads["lead_id"]).get_indexer(notes["lead_id"])  # each note's lead among ``leads`` (-1: none)
    notes = notes.assign(_at=at)[at >= 0].sort_values("at", ascending=False, kind="stable").head(n)
    extra = leads[["company", "channel"]].iloc[notes["_at"].to_numpy()].reset_index(drop=True)
    out = notes[["at", "by", "lead_id", "reason", "note"]].reset_index(drop=True)
    out["reason"] = out["reason"].map(lambda c: labels.get(c, c) if isinstance(c, str) else "")
    return pd.concat([out, extra.astype(object)], axis=1)


def as_text(values: pd.Series) -> pd.Series:
    """Category values as text, ``"(none)"`` where missing.

    Examples:
        >>> as_text(pd.Series(["Email", None])).tolist()
        ['Email', '(none)']
    """
    return values.astype(object).fillna("(none)").astype(str)


def acceptance_trend(leads: pd.DataFrame, months: pd.PeriodIndex, end: pd.Timestamp) -> pd.DataFrame:
    """Acceptance by the month the MQL went out, for ``months`` up to ``end``; months without a decision left out.

    Columns of :func:`acceptance_by` plus ``month``, ``month_start`` and ``mqls`` (MQLs handed over that month).
    """
    return trend_of(monthly_acceptance(leads, months, end), months)


def monthly_acceptance(leads: pd.DataFrame, months: pd.PeriodIndex, end: pd.Timestamp) -> tuple[
        pd.DataFrame, pd.Series]:  # fmt: skip
    """What :func:`acceptance_trend` counts: the MQLs handed over from ``months[0]`` up to ``end``, per month.

    :func:`acceptance_by` of them by MQL month, and the MQLs per month, for the months that have any.
    """
    start = months[0].start_time if len(months) else end  # no month: an empty window
    window = leads[(leads["mql_at"] >= start) & (leads["mql_at"] < end)]
    by_month = window["mql_at"].dt.to_period("M")
    return acceptance_by(window, by_month), by_month.value_counts()


def trend_of(monthly: tuple[pd.DataFrame, pd.Series], months: pd.PeriodIndex) -> pd.DataFrame:
    """:func:`acceptance_trend` for ``months`` from the :func:`monthly_acceptance` of any span that holds them.

    Each month's row counts that month's MQLs alone, so a page can count every month once and take any window of
    it: the same frame as counting the window itself, its types and index included.
    """
    per_month, mqls = monthly
    trend = per_month.reindex(months)
    trend["mqls"] = mqls.reindex(months).fillna(0).astype(int).to_numpy()
    trend = trend.rename_axis("month").reset_index()
    trend["month_start"] = trend["month"].dt.start_time
    return trend.dropna(subset=["rate"])


def reason_values(rejected: pd.DataFrame, dimension: str) -> pd.Series:
    """Rejections per value of a dimension (``channel``, ``campaign``, ``persona``), most first."""
    values = as_text(rejected[dimension]).value_counts()
    return values[values > 0]


def reason_grid(
    rejected: pd.DataFrame, dimension: str, labels: dict[str, str], top: list[str], other: str
) -> pd.DataFrame:
    """Rejections per reason and value of a dimension; values outside ``top`` are folded into ``other``.

    Columns ``reason``, ``value``, ``count``, ``label`` (the reason's label, else its code) and ``share`` (of the
    value's rejections).
    """
    text = as_text(rejected[dimension])
    grid = rejected.assign(
        value=text.where(text.isin(top), other),
        reason=rejected["rejection_reason"].astype(object).fillna("(no reason)"),
    )
    grid = grid.groupby(["reason", "value"]).size().rename("count").reset_index()
    grid["label"] = grid["reason"].map(lambda c: labels.get(c, c))
    grid["share"] = grid["count"] / grid.groupby("value")["count"].transform("sum")
    return grid


def stage_rate(conversions_frame: pd.DataFrame, stage: str, column: str = "rate") -> float:
    """One stage's figure (``rate``, ``n``, …) in a single-group :func:`conversions` table."""
    return float(conversions_frame.loc[conversions_frame["stage"] == stage, column].iloc[0])


def top_values(values: pd.Series, most: int) -> list[str]:
    """The values a heatmap shows as columns: all of them up to ``most``, else the ``most - 2`` with most rejections.

    ``values`` is :func:`reason_values`; the rest are folded into one "Other" column, so ``most - 1`` columns at
    most are drawn.

    Examples:
        >>> values = pd.Series([9, 5, 3, 1], index=["Email", "Events", "Webinar", "Ads"])
        >>> top_values(values, 4), top_values(values, 3)
        (['Email', 'Events', 'Webinar', 'Ads'], ['Email'])
    """
    return list(values.index if len(values) <= most else values.index[: most - 2])
