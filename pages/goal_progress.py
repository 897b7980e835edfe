"""Goal progress: the month's MQLs, SQLs, won deals and revenue against quota and pace."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from sla_model.metrics.funnel import TRAILING_MONTHS, funnel_vs_actual, trailing_rates
from sla_model.metrics.progress import attainment_trend, cumulative_by_day, measure_in, progress, quota_for
from ui import fmt
from ui.charts import BAD, GOOD, NEUTRAL, channel_scale, month_axis, projector, show
from ui.controls import View, view_controls

MEASURE_LABELS = {"mqls": "MQLs", "sqls": "SQLs", "won": "Won deals", "revenue": "Revenue"}
STATUS_LOOK = {
    "on track": (":material/trending_up:", "blue", "On track"),
    "met": (":material/check_circle:", "blue", "Quota met"),
    "behind": (":material/trending_down:", "orange", "Behind"),
    "missed": (":material/cancel:", "orange", "Quota missed"),
    "not started": (":material/schedule:", "gray", "Not started"),
    "no quota": (":material/remove:", "gray", "No quota for this filter"),
}


def view_quota(view: View, measure: str) -> float:
    """The quota that applies to the filtered view: per-channel MQL quotas add up; other filters have none."""
    sla = view.sla
    if view.personas or view.owners:
        return 0.0
    if view.channels:
        if measure != "mqls":
            return 0.0
        return float(sum(quota_for(sla, "mqls", channel=c) for c in view.channels))
    return quota_for(sla, measure)


def value_text(measure: str, x: float, currency: str) -> str:
    return fmt.money(x, currency) if measure == "revenue" else fmt.count(x)


def delta(measure: str, p, currency: str) -> tuple[str | None, str, str]:
    """The tile's delta against quota (a closed month) or pace (an open one): text, arrow, colour."""
    if p.quota <= 0:
        return None, "auto", "normal"
    gap = p.actual - p.quota if p.closed else p.delta_vs_pace
    size = fmt.money(abs(gap), currency) if measure == "revenue" else fmt.count(abs(gap))
    if p.closed:
        return fmt.gap(gap, size, "over quota", "under quota", "exactly on quota")
    return fmt.gap(gap, size, "ahead of pace", "behind pace", "on pace")


view = view_controls()
data, sla = view.data, view.sla
currency = sla.goal.currency
st.title(f"Goal progress · {view.period:%B %Y}")
st.caption(
    f"{fmt.md_escape(view.describe())} · judged against SLA version {sla.meta.version} (in force from "
    f"{sla.meta.effective_from:%d %b %Y})"
)

# --- Tiles: actual, delta against pace (open month) or quota (closed month), status -----------------
results = {}
for measure in MEASURE_LABELS:
    actual = measure_in(view.leads, measure, view.start, view.end)
    results[measure] = progress(actual, view_quota(view, measure), view.period, data.as_of)
first = results["mqls"]
if 0 < first.elapsed < 1:
    st.markdown(
        f"**{first.elapsed:.0%} of the month has passed.** Pace = quota × elapsed share; "
        "projection = the run rate so far, carried to month end."
    )
elif first.elapsed <= 0:
    st.markdown("**This month has not started yet.**")

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
    long = daily.melt("day", var_name="series", value_name="value").dropna(subset=["value"])
    long["series"] = long["series"].map({"actual": "Actual", "pace": "Pace (quota)", "projection": "Projection"})
    if p.quota <= 0:
        long = long[long["series"] != "Pace (quota)"]
    unit = "USD" if measure == "revenue" else "count"
    chart = (
        alt.Chart(long)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("day:T", title="Day of month", axis=alt.Axis(format="%d %b")),
            y=alt.Y("value:Q", title=f"{MEASURE_LABELS[measure]} ({unit}), cumulative"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["Actual", "Pace (quota)", "Projection"], range=[GOOD, NEUTRAL, GOOD]),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["Actual", "Pace (quota)", "Projection"], range=[[1, 0], [6, 4], [2, 3]]),
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day", format="%d %b"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title=MEASURE_LABELS[measure], format=",.0f"),
            ],
        )
    )
    show(projector(chart, 340), len(long), key="cumulative_chart")

# --- MQLs by channel against per-channel quotas ------------------------------------------------------
with right:
    st.subheader("MQLs by channel vs quota")
    in_month = view.leads[(view.leads["mql_at"] >= view.start) & (view.leads["mql_at"] < view.end)]
    per = in_month["channel"].astype(str).value_counts()
    chans = list(view.channels) or data.channels
    ch = pd.DataFrame({"channel": chans})
    ch["MQLs"] = ch["channel"].map(per).fillna(0).astype(int)
    ch["Quota"] = [quota_for(sla, "mqls", channel=c) for c in chans]
    ch["Pace"] = ch["Quota"] * first.elapsed
    ch["Attainment"] = [fmt.pct(a / q) if q else "no quota" for a, q in zip(ch["MQLs"], ch["Quota"], strict=True)]
    base = alt.Chart(ch).encode(y=alt.Y("channel:N", title=None, sort=chans))
    bars = base.mark_bar(height=18).encode(
        x=alt.X("MQLs:Q", title="MQLs this month (count)"),
        color=alt.Color("channel:N", scale=channel_scale(data.channels), legend=None),
        tooltip=["channel:N", "MQLs:Q", "Quota:Q", alt.Tooltip("Pace:Q", format=",.0f"), "Attainment:N"],
    )
    ticks = base.mark_tick(color="black", thickness=3, size=28).encode(x="Quota:Q", tooltip=["channel:N", "Quota:Q"])
    show(projector(bars + ticks, 340), len(ch), key="channel_chart")
    st.caption("Bars: MQLs this month. Black ticks: the channel's monthly MQL quota.")

# --- Reverse funnel ------------------------------------------------------------------------------------
st.subheader("Reverse funnel: what the revenue goal takes")
rates = trailing_rates(view.leads, view.period)
funnel = funnel_vs_actual(sla.goal.monthly_revenue, sla.goal.average_deal_size, rates, view.leads, view.start, view.end)
labels = {"revenue": "Revenue", "customers": "Customers", "sqls": "SQLs", "mqls": "MQLs", "leads": "Leads"}
funnel["Stage"] = funnel["stage"].map(labels)
needed_text = [
    value_text("revenue" if s == "revenue" else "mqls", v, currency)
    for s, v in zip(funnel["stage"], funnel["needed"], strict=True)
]
actual_text = [
    value_text("revenue" if s == "revenue" else "mqls", v, currency)
    for s, v in zip(funnel["stage"], funnel["actual"], strict=True)
]
funnel["share"] = [
    a / n if n and n == n else float("nan") for a, n in zip(funnel["actual"], funnel["needed"], strict=True)
]
target = 1.0 if first.closed else first.elapsed  # an open month is judged against its pace
funnel["on_pace"] = funnel["share"] >= target
fcol, tcol = st.columns([2, 3], gap="large")
with fcol:
    bars = funnel.dropna(subset=["share"])
    chart = (
        alt.Chart(bars)
        .mark_bar(height=26)
        .encode(
            y=alt.Y("Stage:N", sort=list(labels.values()), title=None),
            x=alt.X("share:Q", title="Actual as % of what the goal needs", axis=alt.Axis(format="%")),
            color=alt.condition(alt.datum.on_pace, alt.value(GOOD), alt.value(BAD)),
            tooltip=[
                "Stage:N",
                alt.Tooltip("needed:Q", title="Needed", format=",.0f"),
                alt.Tooltip("actual:Q", title="Actual", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of need", format=".0%"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [target]})).mark_rule(strokeDash=[4, 4], strokeWidth=2).encode(x="x:Q")
    show(projector(chart + rule, 260), len(bars) + 1, key="funnel_chart")
with tcol:
    table = pd.DataFrame(
        {
            "Stage": funnel["Stage"],
            "Needed": needed_text,
            "Actual": actual_text,
            "% of need": [fmt.pct(x) for x in funnel["share"]],
            "Conversion": [fmt.pct(r, 1) if r == r else "" for r in funnel["rate_in"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
if not first.closed:
    st.caption(
        f"Month to date: the dashed line is the pace ({fmt.pct(target)} of the month has passed); "
        "blue stages are on pace, orange ones behind."
    )
st.caption(
    f"Goal {fmt.money(sla.goal.monthly_revenue, currency)} ÷ average deal "
    f"{fmt.money(sla.goal.average_deal_size, currency)} = customers; each stage above divided by the "
    f"conversion into it, observed over the {TRAILING_MONTHS} months before {view.period:%B} "
    f"({fmt.count(rates.mqls)} MQLs, {fmt.count(rates.sqls)} SQLs, {fmt.count(rates.won)} wins)."
)

# --- 12-month attainment trend ------------------------------------------------------------------------
st.subheader("Attainment over the last 12 months")
months = data.months[data.months <= view.period][-12:]
if view.filtered:
    st.caption("Shown for the whole team: quotas are team-wide.")
trend = attainment_trend(data.leads, data.versions, months, data.as_of)
trend["Measure"] = trend["measure"].map(MEASURE_LABELS)
trend["month_start"] = trend["month"].dt.start_time
trend["Status"] = trend["status"]
trend["value"] = trend["attainment"].where(trend["status"] != "on track", trend["projected_attainment"])
trend["value"] = trend["value"].where(trend["status"] != "behind", trend["projected_attainment"])
line = (
    alt.Chart(trend)
    .mark_line(point=alt.OverlayMarkDef(size=80, filled=True), strokeWidth=3)
    .encode(
        x=alt.X("month_start:T", title="Month", axis=month_axis()),
        y=alt.Y("value:Q", title="Attainment (% of quota)", axis=alt.Axis(format="%")),
        color=alt.Color(
            "Measure:N",
            scale=alt.Scale(domain=list(MEASURE_LABELS.values()), range=[GOOD, "#E69F00", "#009E73", "#CC79A7"]),
        ),
        tooltip=[
            alt.Tooltip("month_start:T", title="Month", format="%B %Y"),
            "Measure:N",
            alt.Tooltip("actual:Q", title="Actual", format=",.0f"),
            alt.Tooltip("quota:Q", title="Quota", format=",.0f"),
            alt.Tooltip("value:Q", title="Attainment", format=".0%"),
            "Status:N",
            alt.Tooltip("sla_version:Q", title="SLA version"),
        ],
    )
)
rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color=BAD, strokeDash=[4, 4], strokeWidth=2).encode(y="y:Q")
show(projector(line + rule, 320), len(trend) + 1, key="trend_chart")
st.caption("100% = quota of the SLA version in force that month. The current month shows its projection.")
