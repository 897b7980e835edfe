"""Goal progress: the period's MQLs, SQLs, won deals and revenue against quota and pace."""

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
from sla_model.metrics.periods import COMPARISONS, cumulative_by_span, daily_quotas, span_quota
from sla_model.metrics.progress import (
    FUNNEL_LABELS,
    MEASURE_LABELS,
    attainment_trend,
    funnel_progress,
    trend_values,
)
from ui import drill, fmt
from ui.cached import compute, data_scope, view_scope
from ui.charts import plot, projector, show
from ui.controls import view_controls
from ui.explain import forecast_section, gap_section
from ui.goal_progress import (
    NOUNS,
    channel_quotas,
    elapsed_text,
    funnel_table,
    span_results,
    tiles,
    versions_text,
    with_attainment,
)

view = view_controls()
data, sla = view.data, view.sla
currency = sla.goal.currency
st.title(f"Goal progress · {view.label}")
st.caption(f"{fmt.md_escape(view.describe())} · {versions_text(view)}")

# --- Tiles: actual, delta against pace (open period) or quota (closed), status, the comparison ------------
results, before = span_results(view)
first = results["mqls"]
said = elapsed_text(view, first)
if said:
    st.markdown(said)
compared = view.comparison
tiles(results, currency, before, "" if compared is None else compared.label())
if compared is not None and not first.closed:
    st.caption(f"Compared with {compared.label()} up to the same point ({fmt.pct(first.elapsed)} of the way in).")
note = view.comparison_note()
if note:
    st.caption(note)
drill.measure_drill(view)
if view.monthly:
    forecast_section(view, results)  # where the month will land, beside the run-rate projection

if view.filtered:
    st.caption(
        "Quotas are team-wide: with a channel filter the MQL quota is the sum of the chosen channels' "
        "quotas; persona or rep filters, and SQLs, won deals and revenue under any filter, have no quota."
    )

# --- Cumulative actual vs pace, and the comparison as a ghost line ------------------------------------
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(f"Cumulative through {NOUNS[view.span.kind]}")
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
    filters = {"channels": view.channels, "personas": view.personas, "owners": view.owners}
    daily_quota = daily_quotas(data.versions, measure, view.span, **filters)
    daily = compute(view_scope(view), cumulative_by_span, view.leads, view.span, daily_quota, data.as_of, measure,
                    compared)  # fmt: skip
    ghost = None if compared is None else COMPARISONS[view.compare]
    long = cumulative_series(daily, with_pace=p.quota > 0, ghost=ghost)
    unit = "USD" if measure == "revenue" else "count"
    x_title = "Day of month" if view.monthly else "Day"
    chart = plot(cumulative_progress_chart, long, MEASURE_LABELS[measure], unit, ghost=ghost, x_title=x_title)
    show(projector(chart, 340), len(long), key="cumulative_chart")
    if ghost:
        st.caption(f"Grey line: {compared.label()}, day by day, drawn on the same day number of {view.label}.")

# --- MQLs by channel against per-channel quotas ------------------------------------------------------
with right:
    st.subheader("MQLs by channel vs quota")
    chans = list(view.channels) or data.channels
    ch = with_attainment(channel_quotas(view, chans, first.elapsed))
    period = "this month" if view.monthly else f"in {view.label}"
    axis = "this month" if view.monthly else f"in {NOUNS[view.span.kind]}"  # the axis title stays short
    chart = plot(channel_progress_chart, ch, data.channels, axis, selectable=True)
    clicked = drill.pick(chart, len(ch), key="channel_chart", height=340)
    st.caption(
        f"Bars: MQLs {period}. Black ticks: the channel's MQL quota for {NOUNS[view.span.kind]}. "
        "Click a bar for its MQLs."
    )
drill.channel_drill(view.leads, clicked.get("channel"), view.start, view.end, drill.period_name(view))

if view.monthly:
    gap_section(view, first)  # why revenue is where it is: the gap split by factor
else:
    st.caption(
        f"The forecast and the revenue gap split are monthly: choose Month in the sidebar to see them for "
        f"{view.period:%B %Y}."
    )

# --- Reverse funnel ------------------------------------------------------------------------------------
st.subheader("Reverse funnel: what the revenue goal takes")
before_span = view.span.start.to_period("M")  # the rates come from the months before the period
rates = compute(view_scope(view), trailing_rates, view.leads, before_span)
target = 1.0 if first.closed else first.elapsed  # an open period is judged against its pace
goal = span_quota(data.versions, "revenue", view.span)
funnel = funnel_progress(
    funnel_vs_actual(goal, sla.goal.average_deal_size, rates, view.leads, view.start, view.end), target
)
fcol, tcol = st.columns([2, 3], gap="large")
with fcol:
    bars = funnel.dropna(subset=["share"])
    chart = plot(funnel_chart, bars, target, list(FUNNEL_LABELS.values()), selectable=True)
    stage_bar = drill.pick(chart, len(bars) + 1, key="funnel_chart", height=260).get("stage")
with tcol:
    event = st.dataframe(funnel_table(funnel, currency), hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="funnel_rows")  # fmt: skip
    row = drill.picked_row(event)
drill.funnel_drill(view, funnel["stage"].iloc[row] if row is not None else stage_bar)
if not first.closed:
    st.caption(
        f"To date: the dashed line is the pace ({fmt.pct(target)} of {NOUNS[view.span.kind]} has passed); "
        "blue stages are on pace, orange ones behind."
    )
st.caption(
    f"Goal {fmt.money(goal, currency)}{'' if view.monthly else f' for {view.label}'} ÷ average deal "
    f"{fmt.money(sla.goal.average_deal_size, currency)} = customers; each stage above divided by the "
    f"conversion into it, observed over the {TRAILING_MONTHS} months before {before_span:%B %Y} "
    f"({fmt.count(rates.mqls)} MQLs, {fmt.count(rates.sqls)} SQLs, {fmt.count(rates.won)} wins). Click a stage's "
    "bar or row for the leads behind its actual."
)

# --- 12-month attainment trend ------------------------------------------------------------------------
st.subheader("Attainment over the last 12 months")
months = data.months[data.months <= view.period][-12:]
if view.filtered:
    st.caption("Shown for the whole team: quotas are team-wide.")
trend = trend_values(compute(data_scope(data), attainment_trend, data.leads, data.versions, months, data.as_of))
chart = plot(attainment_trend_chart, trend, list(MEASURE_LABELS.values()))
show(projector(chart, 320), len(trend) + 1, key="trend_chart")
st.caption("100% = quota of the SLA version in force that month. The current month shows its projection.")
