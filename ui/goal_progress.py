"""Goal progress' text helpers and its tiles section (Streamlit side)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import in_force_index, ordered
from sla_model.metrics.periods import daily_quotas, pace_at, span_progress
from sla_model.metrics.progress import MEASURE_LABELS, Progress, channel_progress, gap_to_target, measure_in
from ui import fmt
from ui.controls import View

#: How each status of ``metrics.progress.progress`` is shown on a tile: icon, colour, words.
STATUS_LOOK = {
    "on track": (":material/trending_up:", "blue", "On track"),
    "met": (":material/check_circle:", "blue", "Quota met"),
    "behind": (":material/trending_down:", "orange", "Behind"),
    "missed": (":material/cancel:", "orange", "Quota missed"),
    "not started": (":material/schedule:", "gray", "Not started"),
    "no quota": (":material/remove:", "gray", "No quota for this filter"),
}


def value_text(measure: str, x: float, currency: str) -> str:
    """A measure's figure as text: money for revenue, a count otherwise."""
    return fmt.money(x, currency) if measure == "revenue" else fmt.count(x)


def delta(measure: str, p: Progress, currency: str) -> tuple[str | None, str, str]:
    """The tile's delta against quota (a closed month) or pace (an open one): text, arrow, colour."""
    gap = gap_to_target(p)
    if gap is None:
        return None, "auto", "normal"
    size = value_text(measure, abs(gap), currency)
    if p.closed:
        return fmt.gap(gap, size, "over quota", "under quota", "exactly on quota")
    return fmt.gap(gap, size, "ahead of pace", "behind pace", "on pace")


def with_attainment(channels: pd.DataFrame) -> pd.DataFrame:
    """``progress.channel_progress`` with each channel's attainment as text (``"no quota"`` where none is set)."""
    out = channels.copy()
    out["Attainment"] = [fmt.pct(a / q) if q else "no quota" for a, q in zip(out["MQLs"], out["Quota"], strict=True)]
    return out


def funnel_table(funnel: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The reverse funnel (``progress.funnel_progress``) as the table beside its chart."""

    def text(stage: str, x: float) -> str:
        return value_text("revenue" if stage == "revenue" else "mqls", x, currency)

    return pd.DataFrame(
        {
            "Stage": funnel["Stage"],
            "Needed": [text(s, v) for s, v in zip(funnel["stage"], funnel["needed"], strict=True)],
            "Actual": [text(s, v) for s, v in zip(funnel["stage"], funnel["actual"], strict=True)],
            "% of need": [fmt.pct(x) for x in funnel["share"]],
            "Conversion": [fmt.pct(r, 1) if r == r else "" for r in funnel["rate_in"]],
        }
    )


#: How a sentence names the chosen kind of period.
NOUNS = {"month": "the month", "week": "the week", "quarter": "the quarter", "custom": "the range", "ytd": "the year"}


def span_results(view: View) -> tuple[dict[str, Progress], dict[str, float] | None]:
    """Each measure's progress over the chosen span (quotas day by day) and its value in the comparison.

    The comparison is cut as far into it as the clock is into the span; None without one.
    """
    filters = {"channels": view.channels, "personas": view.personas, "owners": view.owners}
    span, as_of = view.span, view.data.as_of
    results = {
        measure: span_progress(
            measure_in(view.leads, measure, view.start, view.end),
            daily_quotas(view.data.versions, measure, span, **filters),
            span,
            as_of,
        )
        for measure in MEASURE_LABELS
    }
    other = view.comparison_to_date
    before = None if other is None else {m: measure_in(view.leads, m, other.start, other.end) for m in MEASURE_LABELS}
    return results, before


def channel_quotas(view: View, channels: list[str], elapsed: float) -> pd.DataFrame:
    """``progress.channel_progress`` over the span: each channel's quota and pace summed day by day."""
    out = channel_progress(view.leads, view.sla, channels, view.start, view.end, elapsed)
    daily = [daily_quotas(view.data.versions, "mqls", view.span, channels=(c,)) for c in channels]
    out["Quota"] = [round(float(d.sum()), 9) for d in daily]
    out["Pace"] = [pace_at(d, view.span, view.data.as_of) for d in daily]
    return out


def comparison_text(measure: str, now: float, before: float, what: str, currency: str) -> str:
    """A tile's line against the comparison, e.g. ``+12 (+3%) vs Q3 2026 (420)``; never a double negative.

    Examples:
        >>> comparison_text("mqls", 432, 420, "Q3 2026", "USD")
        '**+12** (+3%) vs Q3 2026 (420)'
        >>> comparison_text("revenue", 0, 0, "Q3 2026", "USD")
        'Same as Q3 2026 ($0)'
    """
    change, _, _ = fmt.change(now - before, value_text(measure, abs(now - before), currency))
    was = value_text(measure, before, currency)
    if change == "no change":
        return f"Same as {what} ({was})"
    share = f" ({fmt.relative_change(now / before - 1)})" if before > 0 else ""
    return f"**{change}**{share} vs {what} ({was})"


def versions_text(view: View) -> str:
    """Which SLA versions judge the span: one, or each on the days it was in force."""
    by_date = ordered(view.data.versions)
    days = pd.date_range(view.start, view.end - pd.Timedelta(days=1), freq="D")
    used = [by_date[i] for i in sorted(set(in_force_index(by_date, days.to_numpy())))] or [view.sla]
    if len(used) == 1:
        s = used[0]
        return f"judged against SLA version {s.meta.version} (in force from {s.meta.effective_from:%d %b %Y})"
    names = ", ".join(str(s.meta.version) for s in used[:-1]) + f" and {used[-1].meta.version}"
    return f"quotas of SLA versions {names}, each on the days it was in force"


def elapsed_text(view: View, p: Progress) -> str | None:
    """The sentence above the tiles on how far the period has run, or None once it is over."""
    if view.span.kind == "ytd" and not p.closed:
        return (
            f"**{view.label}, through {pd.Timestamp(view.data.as_of):%d %b}.** Quotas add up day by day; "
            "pace = the quota due so far."
        )
    noun = NOUNS[view.span.kind]
    if 0 < p.elapsed < 1:
        return (
            f"**{fmt.pct(p.elapsed)} of {noun} has passed.** Pace = the quota due so far; "
            f"projection = the run rate so far, carried to the end of {noun}."
        )
    if p.elapsed <= 0:
        return f"**{noun.capitalize()} has not started yet.**"
    return None


def tiles(
    results: dict[str, Progress],
    currency: str,
    before: dict[str, float] | None = None,
    compared: str = "",
) -> None:
    """One tile per measure: the actual, its delta against pace or quota, the status and the attainment.

    With ``before`` (each measure in the comparison period, named ``compared``) a line compares with it.
    """
    cols = st.columns(4)
    for col, (measure, p) in zip(cols, results.items(), strict=True):
        with col, st.container(border=True):
            text, arrow, colour = delta(measure, p, currency)
            st.metric(
                MEASURE_LABELS[measure],
                value_text(measure, p.actual, currency),
                delta=text,
                delta_arrow=arrow,
                delta_color=colour,
                help=(
                    f"Quota {value_text(measure, p.quota, currency)}"
                    + (
                        ""
                        if p.closed
                        else f" · pace now {value_text(measure, p.pace, currency)}"
                        f" · projected {value_text(measure, p.projection, currency)}"
                    )
                ),
            )
            icon, colour, label = STATUS_LOOK[p.status]
            st.markdown(f"#### :{colour}-background[{icon} {label}]")
            if p.quota > 0:
                share = p.attainment if p.closed else p.projected_attainment
                what = "Reached" if p.closed else "Projected"
                st.markdown(f"{what} **{fmt.attainment(share)}** of {value_text(measure, p.quota, currency)}")
            else:
                st.markdown("No quota applies")
            if before is not None:
                st.markdown(comparison_text(measure, p.actual, before[measure], compared, currency))
