"""Why revenue is off and where the month will land: Goal progress' gap waterfall and forecast, the meeting's gap.

Both are computed once per data version, view and month (``st.cache_data``; the filtered leads frame itself is
not hashed, the key names the view instead); the forecast's backtest once per content of the complete months.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import Sla
from sla_model.charts import waterfall_chart
from sla_model.metrics import forecast as fc
from sla_model.metrics import gap as gp
from sla_model.metrics.progress import Progress, sla_for_period
from sla_model.store.db import database_url
from ui import fmt
from ui.charts import plot, projector, show

P = "ex_"  # widget key prefix
#: The forecast's measures inside a sentence.
NAMES = {"mqls": "MQLs", "won": "won deals", "revenue": "revenue"}


# --- Cached computations ----------------------------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def _gaps(key: tuple, _leads: pd.DataFrame, _sla: Sla, month: str, as_of: dt.datetime, with_goal: bool) -> dict:
    """The month's gaps (against the goal when ``with_goal``, a quarter and a year back) and per-channel splits."""
    period = pd.Period(month, "M")
    start, end = period.start_time, (period + 1).start_time
    out: dict = {"channels": {}}
    times = gp.stage_times(_leads)
    if with_goal:
        out["goal"] = gp.gap_vs_goal(_leads, _sla, start, end, as_of, times)
    for against in gp.COMPARISONS:
        out[against] = gp.gap_vs_period(_leads, start, end, as_of, against, times)
        out["channels"][against] = gp.channel_gaps(_leads, start, end, as_of, against, times=times)
    return out


@st.cache_data(max_entries=16, show_spinner="Forecasting the month…")
def _forecast(key: tuple, _leads: pd.DataFrame, month: str, as_of: dt.datetime) -> fc.Forecast:
    """The month's forecast."""
    return fc.month_forecast(_leads, pd.Period(month, "M"), as_of)


@st.cache_data(max_entries=16, show_spinner=False)
def _closed_months(key: tuple, _leads: pd.DataFrame, as_of: dt.datetime) -> str:
    """The fingerprint of what the backtest reads: the complete months before ``as_of``'s (once per data version)."""
    return fc.fingerprint(fc.closed_months(fc.timeline(_leads), as_of))


@st.cache_data(max_entries=16, show_spinner="Backtesting the forecast…")
def _coverage(closed: str, _leads: pd.DataFrame, as_of: dt.datetime) -> pd.DataFrame:
    """How often the forecast's ranges held over the last 12 complete months (whatever month is shown).

    Keyed by the complete months' fingerprint (``closed``), not the data version: a write that changes nothing
    before this month (a decision, a touch on an open lead) finds the backtest already done; one that changes a
    complete month (an import of older leads) changes the fingerprint and the backtest runs again. ``as_of`` comes
    to the hour (each past month is forecast from as far into it as the hour is into this one): under a live clock,
    a write or a visit minutes later finds the backtest done too.
    """
    return fc.coverage(fc.backtest(_leads, as_of))


def backtest_coverage(view) -> pd.DataFrame:
    """:func:`_coverage` of the view's leads as of the view's moment, to the hour."""
    closed = _closed_months(_key(view), view.leads, view.data.as_of)
    return _coverage(closed, view.leads, pd.Timestamp(view.data.as_of).floor("h"))


def _key(view) -> tuple:
    return (database_url(), view.data.version, view.channels, view.personas, view.owners)


# --- Text -------------------------------------------------------------------------------------------------------


def step_label(kind: str, value: float, currency: str) -> str:
    """A waterfall bar's amount: totals plain, effects signed (``+$20k``, ``−$87k``)."""
    if kind == "total":
        return fmt.money(value, currency)
    return ("+" if value > 0 else "") + fmt.money(value, currency)


def baseline_name(against: str, gap: gp.Gap, closed: bool) -> str:
    """What the gap is measured against, e.g. ``the goal's pace`` or ``the same days of August 2026``."""
    if against == "goal":
        return "the goal" if closed else "the goal's pace"
    back = gap.start - pd.DateOffset(months=gp.COMPARISONS[against])
    return f"{back:%B %Y}" if closed else f"the same days of {back:%B %Y}"


def channel_table(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The per-channel split (``gap.channel_gaps``) as text, biggest gap first."""
    frame = frame.reindex(frame["gap"].abs().sort_values(ascending=False).index)
    out = pd.DataFrame({"Channel": frame["channel"].astype(str)})
    out["Revenue"] = [fmt.money(v, currency) for v in frame["revenue"]]
    out["Compared with"] = [fmt.money(v, currency) for v in frame["baseline"]]
    out["Gap"] = [step_label("effect", v, currency) for v in frame["gap"]]
    for factor in gp.FACTORS:
        out[gp.FACTOR_LABELS[factor]] = [step_label("effect", v, currency) for v in frame[factor]]
    return out


def forecast_table(forecast: fc.Forecast, results: dict[str, Progress], currency: str) -> pd.DataFrame:
    """Forecast beside the run-rate projection, per measure: so far, projection, forecast, ranges, quota."""

    def text(measure: str, x: float) -> str:
        return fmt.money(x, currency) if measure == "revenue" else fmt.count(x)

    rows = []
    for measure, band in forecast.bands.items():
        p = results[measure]
        rows.append(
            {
                "Measure": fc.FORECAST_LABELS[measure],
                "So far": text(measure, band.actual),
                "Run-rate projection": text(measure, p.projection),
                "Forecast": text(measure, band.median),
                "80% range": f"{text(measure, band.lo80)} – {text(measure, band.hi80)}",
                "95% range": f"{text(measure, band.lo95)} – {text(measure, band.hi95)}",
                "Quota": text(measure, p.quota) if p.quota > 0 else "no quota",
            }
        )
    return pd.DataFrame(rows)


def coverage_sentence(cover: pd.DataFrame) -> str:
    """The backtest's result, e.g. ``… the 80% range held in 7 of 10 months for MQLs, …``."""
    if cover.empty or int(cover["months"].max()) == 0:
        return "Backtest: there is not enough history yet to test the forecast on past months."
    rows = list(cover.itertuples())
    held = ", ".join(f"{r.held80} of {r.months} for {NAMES[r.measure]}" for r in rows)
    wide = ", ".join(f"{r.held95} of {r.months}" for r in rows)
    return (
        f"Backtest over the last {int(cover['months'].max())} complete months, each forecast from only what was "
        f"known as far into that month as today is into this one: the 80% range held in {held} "
        f"(the 95% range: {wide})."
    )


# --- Sections ---------------------------------------------------------------------------------------------------


def waterfall(gap: gp.Gap, currency: str, baseline: str, *, key: str, height: int = 320, large: bool = False) -> None:
    """The gap's waterfall and its sentence (in large type with ``large``, as the meeting says things)."""
    steps = gp.waterfall_steps(gap, baseline_label=baseline[:1].upper() + baseline[1:], actual_label="Actual")
    steps["label"] = [step_label(k, v, currency) for k, v in zip(steps["kind"], steps["value"], strict=True)]
    sentence = fmt.md_escape(gp.gap_sentence(gap, lambda x: fmt.money(x, currency), baseline))
    st.markdown(f"#### {sentence}" if large else sentence)
    show(projector(plot(waterfall_chart, steps, currency), height), len(steps) * 2, key=key)


def gap_section(view, first: Progress) -> None:
    """Goal progress' "why": the revenue gap against the goal or a past month, split by factor, by channel on demand."""
    sla, currency = view.sla, view.sla.goal.currency
    if first.elapsed <= 0:
        return
    st.subheader("Why revenue is where it is: the gap by factor")
    with_goal = not view.filtered  # quotas are team-wide: a filtered view has no revenue goal
    gaps = _gaps(_key(view), view.leads, sla, str(view.period), view.data.as_of, with_goal)
    options = [*(["goal"] if with_goal else []), *gp.COMPARISONS]
    names = {"goal": "Goal", "quarter": "Last quarter", "year": "Last year"}
    against = st.segmented_control("Compare with", options, default=options[0], format_func=names.get,
                                   key=P + "against") or options[0]  # fmt: skip
    gap = gaps[against]
    if against != "goal" and gap.start - pd.DateOffset(months=gp.COMPARISONS[against]) < view.data.months[0].start_time:
        back = gap.start - pd.DateOffset(months=gp.COMPARISONS[against])
        st.info(f"The data starts after {back:%B %Y}: there is nothing to compare with yet.", icon=":material/info:")
        return
    waterfall(gap, currency, baseline_name(against, gap, first.closed), key=P + "waterfall")
    st.caption(
        "Revenue = MQLs × MQL→SQL rate × SQL→won rate × deal size, each counted by the month of its own event. "
        "The bars split the gap exactly (log-mean Divisia, LMDI-I: no residual, the same whatever the order of "
        "the factors)."
        + (
            " The goal's rates are the SLA's quotas: SQL quota ÷ MQL quota, won quota ÷ SQL quota, revenue goal ÷ "
            "won quota."
            if against == "goal"
            else ""
        )
        + ("" if first.closed else " This month so far, against the same share of the goal or of the month compared.")
    )
    if against != "goal" and st.toggle("By channel", key=P + "by_channel"):
        st.dataframe(channel_table(gaps["channels"][against], currency), hide_index=True, width="stretch")
        st.caption("Each channel split by its own four factors; the channels' gaps add up to the total gap.")


def forecast_section(view, results: dict[str, Progress]) -> None:
    """Goal progress' forecast for an open month, beside the run-rate projection, with the backtest's coverage."""
    if not 0 < results["mqls"].elapsed < 1:
        return
    st.subheader("Where the month will land")
    forecast = _forecast(_key(view), view.leads, str(view.period), view.data.as_of)
    cover = backtest_coverage(view)
    st.dataframe(forecast_table(forecast, results, view.sla.goal.currency), hide_index=True, width="stretch")
    st.caption(
        f"Run-rate projection: the month so far carried to month end. Forecast: the middle of {fc.N_SIMS:,} "
        f"simulated months; the rest of the month's MQLs from weekday rates and this month's level so far "
        f"({forecast.noise} noise), wins from the open SQLs and MQLs by how often leads of their age have won, and "
        "from the MQLs still to come."
    )
    st.caption(coverage_sentence(cover))


def meeting_gap(leads: pd.DataFrame, versions: list[Sla], period: pd.Period, as_of: dt.datetime,
                version: int) -> None:  # fmt: skip
    """The meeting's misses: the month's revenue gap to its goal as a waterfall (whole team)."""
    sla = sla_for_period(versions, period)
    gaps = _gaps((database_url(), version, (), (), ()), leads, sla, str(period), as_of, True)
    gap = gaps["goal"]
    if gap.end <= gap.start:
        return
    st.markdown("### Revenue against the goal, by factor")
    closed = gap.end >= (period + 1).start_time
    waterfall(gap, sla.goal.currency, baseline_name("goal", gap, closed), key=P + "meeting_waterfall", height=300,
              large=True)  # fmt: skip
