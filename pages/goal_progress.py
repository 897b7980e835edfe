"""Goal progress: the month's MQLs, SQLs, won deals and revenue against quota and pace."""

from __future__ import annotations

import streamlit as st

from sla_model.charts.progress import (
    attainment_trend_chart,
    channel_progress_chart,
    cumulative_progress_chart,
    cumulative_series,
    funnel_chart,
)
from sla_model.metrics.funnel import TRAILING_MONTHS, funnel_vs_actual, trailing_rates
from sla_model.metrics.progress import (
    FUNNEL_LABELS,
    MEASURE_LABELS,
    attainment_trend,
    channel_progress,
    cumulative_by_day,
    funnel_progress,
    measure_in,
    progress,
    trend_values,
    view_quota,
)
from ui import drill, fmt
from ui.charts import projector, show
from ui.controls import view_controls
from ui.explain import forecast_section, gap_section
from ui.goal_progress import funnel_table, tiles, with_attainment

view = view_controls()
data, sla = view.data, view.sla
currency = sla.goal.currency
st.title(f"Goal progress · {view.period:%B %Y}")
st.caption(
    f"{fmt.md_escape(view.describe())} · judged against SLA version {sla.meta.version} (in force from "
    f"{sla.meta.effective_from:%d %b %Y})"
)

# --- Tiles: actual, delta against pace (open month) or quota (closed month), status -----------------
filters = {"channels": view.channels, "personas": view.personas, "owners": view.owners}
results = {
    measure: progress(
        measure_in(view.leads, measure, view.start, view.end),
        view_quota(sla, measure, **filters),
        view.period,
        data.as_of,
    )
    for measure in MEASURE_LABELS
}
first = results["mqls"]
if 0 < first.elapsed < 1:
    st.markdown(
        f"**{first.elapsed:.0%} of the month has passed.** Pace = quota × elapsed share; "
        "projection = the run rate so far, carried to month end."
    )
elif first.elapsed <= 0:
    st.markdown("**This month has not started yet.**")

tiles(results, currency)
drill.measure_drill(view)
forecast_section(view, results)  # where the month will land, beside the run-rate projection

if view.filtered:
    st.caption(
        "Quotas are team-wide: with a channel filter the MQL quota is the sum of the chosen channels' "
        "quotas; persona or rep filters, and SQLs, won deals and revenue under any filter, have no quota."
    )

# --- Cumulative actual vs pace ------------------------------------------------------------------------
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Cumulative through the month")
    measure = (
        st.segmented_control(
            "Measure",
            list(MEASURE_LABELS),
            default="mqls",
            format_func=MEASURE_LABELS.get,
            key="cum_measure",
            label_visibility="collapsed",
        )
        or "mqls"
    )
    p = results[measure]
    daily = cumulative_by_day(view.leads, view.period, p.quota, data.as_of, measure)
    long = cumulative_series(daily, with_pace=p.quota > 0)
    unit = "USD" if measure == "revenue" else "count"
    chart = cumulative_progress_chart(long, MEASURE_LABELS[measure], unit)
    show(projector(chart, 340), len(long), key="cumulative_chart")

# --- MQLs by channel against per-channel quotas ------------------------------------------------------
with right:
    st.subheader("MQLs by channel vs quota")
    chans = list(view.channels) or data.channels
    ch = with_attainment(channel_progress(view.leads, sla, chans, view.start, view.end, first.elapsed))
    clicked = drill.pick(channel_progress_chart(ch, data.channels, selectable=True), len(ch), key="channel_chart",
                         height=340)  # fmt: skip
    st.caption("Bars: MQLs this month. Black ticks: the channel's monthly MQL quota. Click a bar for its MQLs.")
drill.channel_drill(view.leads, clicked.get("channel"), view.start, view.end, drill.period_name(view))

gap_section(view, first)  # why revenue is where it is: the gap split by factor

# --- Reverse funnel ------------------------------------------------------------------------------------
st.subheader("Reverse funnel: what the revenue goal takes")
rates = trailing_rates(view.leads, view.period)
target = 1.0 if first.closed else first.elapsed  # an open month is judged against its pace
funnel = funnel_progress(
    funnel_vs_actual(sla.goal.monthly_revenue, sla.goal.average_deal_size, rates, view.leads, view.start, view.end),
    target,
)
fcol, tcol = st.columns([2, 3], gap="large")
with fcol:
    bars = funnel.dropna(subset=["share"])
    chart = funnel_chart(bars, target, FUNNEL_LABELS.values(), selectable=True)
    stage_bar = drill.pick(chart, len(bars) + 1, key="funnel_chart", height=260).get("stage")
with tcol:
    event = st.dataframe(funnel_table(funnel, currency), hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="funnel_rows")  # fmt: skip
    row = drill.picked_row(event)
drill.funnel_drill(view, funnel["stage"].iloc[row] if row is not None else stage_bar)
if not first.closed:
    st.caption(
        f"Month to date: the dashed line is the pace ({fmt.pct(target)} of the month has passed); "
        "blue stages are on pace, orange ones behind."
    )
st.caption(
    f"Goal {fmt.money(sla.goal.monthly_revenue, currency)} ÷ average deal "
    f"{fmt.money(sla.goal.average_deal_size, currency)} = customers; each stage above divided by the "
    f"conversion into it, observed over the {TRAILING_MONTHS} months before {view.period:%B} "
    f"({fmt.count(rates.mqls)} MQLs, {fmt.count(rates.sqls)} SQLs, {fmt.count(rates.won)} wins). Click a stage's "
    "bar or row for the leads behind its actual."
)

# --- 12-month attainment trend ------------------------------------------------------------------------
st.subheader("Attainment over the last 12 months")
months = data.months[data.months <= view.period][-12:]
if view.filtered:
    st.caption("Shown for the whole team: quotas are team-wide.")
trend = trend_values(attainment_trend(data.leads, data.versions, months, data.as_of))
chart = attainment_trend_chart(trend, MEASURE_LABELS.values())
show(projector(chart, 320), len(trend) + 1, key="trend_chart")
st.caption("100% = quota of the SLA version in force that month. The current month shows its projection.")
