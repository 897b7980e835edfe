"""Lead quality's text helpers, rate rows and its tile and notes sections (Streamlit side)."""

from __future__ import annotations

import textwrap

import pandas as pd
import streamlit as st

from sla_model.charts.velocity import funnel_chart
from sla_model.metrics.quality import (
    acceptance_trend,
    conversions,
    monthly_acceptance,
    mql_cohort,
    score_band,
    trend_of,
)
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.metrics.velocity import cohort_funnel, cycle_days, funnel_stages
from ui import drill, fmt
from ui.cached import compute, view_scope
from ui.charts import plot
from ui.controls import View

SMALL_TEXT = f"small sample (n < {SMALL_SAMPLE})"


def wrap(text: str, width: int) -> str:
    """Break a label into lines (axis labels split on newlines, see ``sla_model.charts.quality.LINES``).

    Examples:
        >>> wrap("Not our customer", 11).splitlines()
        ['Not our', 'customer']
    """
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def intervals(low: pd.Series, high: pd.Series) -> list[str]:
    """95% intervals as text, ``"68%–79%"``; an em dash where there is no sample."""
    return [f"{fmt.pct(lo)}–{fmt.pct(hi)}" if lo == lo else "—" for lo, hi in zip(low, high, strict=True)]


def share(x: int, mqls: int) -> str:
    """A count as a share of the month's MQLs, ``"63% of 280 MQLs"``."""
    return f"{fmt.pct(x / mqls)} of {fmt.count(mqls)} MQLs"


def rate_rows(frame: pd.DataFrame, *, successes: str, n: str) -> pd.DataFrame:
    """Rate rows for ``charts.quality.rate_bars``: the group, an axis label carrying n and the small-sample flag."""
    out = frame.rename(columns={successes: "successes", n: "n"}).copy()
    out["group"] = out["group"].astype(str)
    out["sample"] = [SMALL_TEXT if s else "" for s in out["small_sample"]]
    out["axis"] = [
        f"{g}\nn = {k:,}" + (" · small sample" if s else "")
        for g, k, s in zip(out["group"], out["n"], out["small_sample"], strict=True)
    ]
    out["interval"] = intervals(out["low"], out["high"])
    return out[["group", "axis", "successes", "n", "rate", "low", "high", "small_sample", "sample", "interval"]]


def pareto_rows(pareto: pd.DataFrame) -> pd.DataFrame:
    """``quality.top_reasons`` for ``reason_pareto_chart``: wrapped axis labels, and whether a count fits in its bar.

    A count fits inside a bar at least a fifth as tall as the tallest.
    """
    out = pareto.copy()
    out["axis"] = [wrap(x, 11) for x in out["label"]]
    out["inside"] = out["count"] >= 0.2 * out["count"].max()
    return out


def trend_rows(trend: pd.DataFrame) -> pd.DataFrame:
    """``quality.acceptance_trend`` with its interval and sample note as text, for ``acceptance_trend_chart``."""
    out = trend.copy()
    out["interval"] = intervals(out["low"], out["high"])
    out["sample"] = [SMALL_TEXT if s else "" for s in out["small_sample"]]
    return out[
        ["month_start", "rate", "low", "high", "accepted", "decided", "mqls", "interval", "sample", "small_sample"]
    ]


def conversion_tables(leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, by_band: bool) -> tuple[
        pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:  # fmt: skip
    """Stage conversions of the MQLs handed over in ``[start, end)``: overall, by channel and by score band.

    The band table only with ``by_band`` (``None`` where no lead has a score).
    """
    recent = mql_cohort(leads, start, end)
    overall = conversions(recent, pd.Series("all", index=recent.index))
    bands = conversions(recent, score_band(recent["score"])) if by_band else None
    return overall, conversions(recent, "channel"), bands


#: The months counted once for every window inside them: the data's latest two years (an older window is counted on
#: its own), so a write or a new filter costs the same on a long history as on a short one.
EVERY_MONTHS = 24


def _recent_months(view, months: pd.PeriodIndex) -> pd.PeriodIndex | None:
    """The data's latest :data:`EVERY_MONTHS` months when they hold all of ``months`` (not empty), else ``None``."""
    every = view.data.months[-EVERY_MONTHS:]
    return every if len(months) and months.isin(every).all() else None


def trend_window(view, months: pd.PeriodIndex) -> pd.DataFrame:
    """``quality.acceptance_trend`` of the view's leads for ``months`` (consecutive), to the end of the last one.

    Taken out of the months counted once per data version and filters (:func:`_recent_months`): the same frame as
    the window's own call.
    """
    every = _recent_months(view, months)
    if every is None:
        end = (months[-1] + 1).start_time if len(months) else pd.NaT  # no month: an empty trend
        return compute(view_scope(view), acceptance_trend, view.leads, months, end)
    return trend_of(
        compute(view_scope(view), monthly_acceptance, view.leads, every, (every[-1] + 1).start_time), months
    )


def cohort_window(view, months: pd.PeriodIndex) -> pd.DataFrame:
    """``velocity.cohort_funnel`` of the view's leads for ``months``, cut from that of the recent months."""
    every = _recent_months(view, months)
    if every is None:
        return compute(view_scope(view), cohort_funnel, view.leads, months)
    table = compute(view_scope(view), cohort_funnel, view.leads, every)
    return table[table["month"].isin(months)].reset_index(drop=True)


def overall_text(rate: float) -> str:
    """The tooltip of a rate chart's dashed overall line, ``"all: 63%"``."""
    return f"all: {fmt.pct(rate)}"


def tiles(acc: dict[str, float], loop: dict[str, int]) -> None:
    """Sales' decisions on the month's MQLs (``quality.acceptance``) and where the rejected ones went."""
    mqls = acc["mqls"]
    small = acc["decided"] < SMALL_SAMPLE
    interval = f"95% interval {fmt.pct(acc['low'])}–{fmt.pct(acc['high'])}" if acc["decided"] else "no decisions yet"
    cards = [
        (
            "Acceptance rate",
            fmt.pct(acc["rate"]),
            f"Accepted ÷ decided: {fmt.count(acc['accepted'])} ÷ {fmt.count(acc['decided'])} "
            f"(n = {fmt.count(acc['decided'])} decided) · {interval}. Pending and stale MQLs are not in the rate.",
            f"n = {fmt.count(acc['decided'])} decided · {interval}" + (" · small sample" if small else ""),
        ),
        (
            "Accepted",
            fmt.count(acc["accepted"]),
            "MQLs sales accepted (SAL), including those that reached SQL, a deal, a win or a loss without an "
            "accepted date",
            share(acc["accepted"], mqls),
        ),
        ("Rejected", fmt.count(acc["rejected"]), "MQLs sales rejected, with a reason", share(acc["rejected"], mqls)),
        (
            "Pending",
            fmt.count(acc["pending"]),
            "MQLs still waiting for sales to accept or reject them",
            share(acc["pending"], mqls),
        ),
        (
            "Recycled to nurture",
            fmt.count(loop["recycled"]),
            "Rejected MQLs sent back to marketing to nurture",
            share(loop["recycled"], mqls),
        ),
        (
            "Disqualified",
            fmt.count(loop["disqualified"]),
            "Rejected MQLs taken out for good (not our customer, bad data, …)",
            share(loop["disqualified"], mqls),
        ),
        (
            "Stale",
            fmt.count(acc["stale"]),
            "MQLs nobody accepted or rejected in time, recycled to nurture or disqualified unworked",
            share(acc["stale"], mqls),
        ),
    ]
    for row in (cards[:4], cards[4:]):
        cols = st.columns(4)
        for col, (label, value, help_text, note) in zip(cols, row, strict=False):
            with col, st.container(border=True, height="stretch"):
                st.metric(label, value, help=help_text)
                st.caption(note)
    with cols[3]:
        st.caption(
            f"{fmt.count(mqls)} MQLs handed over. Rate = accepted ÷ (accepted + rejected). Rejected MQLs are "
            "recycled to nurture or disqualified, by reason; stale ones were recycled undecided."
        )


def notes_table(notes: pd.DataFrame, month: str) -> None:
    """The latest rejection notes (``quality.latest_notes``), verbatim, newest first."""
    # Narrow columns first and the note last, so the table fits a projected 1280-px screen without scrolling.
    table = pd.DataFrame(
        {
            "When": [f"{t:%d %b, %H:%M}" for t in notes["at"]],
            "Channel": notes["channel"].astype(str),
            "Reason": notes["reason"].astype(str),
            "Note": notes["note"].astype(str),
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=35 * (len(table) + 1) + 3,
        key="notes_table",
        column_config={
            "When": st.column_config.TextColumn("When", width=100),
            "Channel": st.column_config.TextColumn("Channel", width=145),
            "Reason": st.column_config.TextColumn("Reason", width=215),
            "Note": st.column_config.TextColumn("Note", help="As the rep wrote it"),
        },
    )
    st.caption(f"The {len(table)} latest rejection notes on {month}'s MQLs, newest first, as the reps wrote them.")


# --- The whole funnel, by cohort ---------------------------------------------------------------------------------

FUNNEL_VIEWS = ("Counts", "Conversion", "Days per stage")


def cohort_rows(table: pd.DataFrame, view: str, maturing_after: pd.Period | None) -> pd.DataFrame:
    """The cohort table as shown: counts, step conversions or median days per stage, newest cohort first."""
    shown = pd.DataFrame({"Cohort": [f"{m:%b %Y}" + (" (maturing)" if maturing_after is not None and m > maturing_after
                                                       else "") for m in table["month"]]})  # fmt: skip
    for stage in ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Won", "Lost"):
        if view == "Counts":
            shown[stage] = table[stage].map(lambda n: fmt.count(float(n)))
        elif stage != "Lead":
            column = table[f"{stage} %" if view == "Conversion" else f"{stage} days"]
            shown[stage] = column.map(fmt.pct if view == "Conversion" else lambda d: fmt.number(d, 1))
    return shown.iloc[::-1].reset_index(drop=True)


def funnel_caption(view: str, cycle_days: float) -> str:
    """What the cohort table's figures are, and which cohorts are still maturing."""
    what = {
        "Counts": "Leads created in each month that reached each stage (at any time since).",
        "Conversion": "Each stage as a share of the stage before (Lost: of the opportunities).",
        "Days per stage": "Median days from the stage before, among the leads with both dates.",
    }[view]
    cycle = (
        f" Nine in ten wins arrive within {fmt.number(cycle_days, 0)} days of the lead's creation, so cohorts younger "
        "than that are still maturing: their later stages will fill in."
        if cycle_days == cycle_days
        else ""
    )  # fmt: skip
    return (f"{what} A closed deal exported without its earlier stages counts at each stage it implies; a lead "
            f"sales rejected stays rejected even if it converted later.{cycle}")  # fmt: skip


def funnel_section(view: View, months: int = 12) -> None:
    """The whole funnel of the period's lead cohort as bars, and the last ``months`` cohorts as a table."""
    st.subheader(f"The whole funnel: leads created in {view.label}")
    leads = view.leads
    cohort = leads[(leads["created_at"] >= view.start) & (leads["created_at"] < view.end)]
    cycle = compute(view_scope(view), cycle_days, leads)
    if cohort.empty:
        st.caption(f"No lead was created in {view.label}.")
    else:
        stages = compute(view_scope(view, view.span), funnel_stages, cohort)
        stage = drill.pick(plot(funnel_chart, stages, selectable=True), len(stages), key="funnel_chart", height=300)
        drill.stage_drill(cohort, stage.get("stage"), view.label)
    first = max(view.period - (months - 1), view.data.months[0]) if len(view.data.months) else view.period
    table = cohort_window(view, pd.period_range(first, view.period, freq="M"))
    shown = st.segmented_control("Cohort table", FUNNEL_VIEWS, default=FUNNEL_VIEWS[0], key="funnel_view",
                                 label_visibility="collapsed") or FUNNEL_VIEWS[0]  # fmt: skip
    maturing = None if cycle != cycle else (pd.Timestamp(view.data.as_of) - pd.Timedelta(days=cycle)).to_period("M")
    event = st.dataframe(cohort_rows(table, shown, maturing), hide_index=True, width="stretch", height="content",
                         on_select="rerun", selection_mode="single-row", key="cohort_rows")  # fmt: skip
    st.caption(funnel_caption(shown, cycle) + " Tick a cohort's row, or click a bar, for its leads.")
    row = drill.picked_row(event)
    drill.cohort_drill(leads, table["month"].iloc[len(table) - 1 - row] if row is not None else None)
