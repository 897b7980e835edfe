"""Lead quality: how sales judged the period's MQLs, why they rejected them, and what converts."""

from __future__ import annotations

import streamlit as st

from sla_model.charts.quality import (
    acceptance_trend_chart,
    channel_colours,
    heatmap_height,
    one_colour,
    rate_bars,
    rate_bars_height,
    reason_heatmap_chart,
)
from sla_model.metrics.quality import (
    acceptance,
    acceptance_by,
    as_text,
    latest_notes,
    loop_counts,
    mql_cohort,
    reason_grid,
    reason_values,
    rejection_reasons,
    stage_rate,
    top_reasons,
    top_values,
)
from sla_model.metrics.stats import SMALL_SAMPLE
from ui import cached, drill, fmt, lead_quality
from ui.charts import plot, projector, show
from ui.controls import view_controls
from ui.lead_quality import notes_table, overall_text, pareto_rows, rate_rows, tiles, trend_rows, wrap

TREND_MONTHS = 12
TRAILING_MONTHS = 6  # conversion window: young cohorts have not converted yet
NOTES = 10
MAX_COLUMNS = 8  # heatmap columns legible at 1280 px; beyond that the top 6 and "Other"
DIMENSIONS = {"channel": "Channel", "campaign": "Campaign", "persona": "Persona"}
PLURALS = {"channel": "channels", "campaign": "campaigns", "persona": "personas"}
STAGES = ["MQL→SQL", "SQL→won", "MQL→won"]
ALL = "__all__"

view = view_controls()
data, sla = view.data, view.sla
labels: dict[str, str] = {}
for version in data.versions:  # older codes keep their old label; the version in force wins
    labels.update(version.reason_labels())
labels.update(sla.reason_labels())
month, short = view.label, f"{view.period:%b}" if view.monthly else view.label  # the chosen period
month_end = (view.period + 1).start_time  # the monthly sections run to the end of the month it stands for
cohort = mql_cohort(view.leads, view.start, view.end)

st.title(f"Lead quality · {month}")
st.caption(
    f"{fmt.md_escape(view.describe())} · the MQLs handed to sales in {month}, judged against SLA version "
    f"{sla.meta.version} (in force from {sla.meta.effective_from:%d %b %Y})"
)

# --- Tiles: sales' decisions on the period's MQLs, and where the rest went ------------------------------
acc = acceptance(cohort)
if cohort.empty:
    st.info(
        f"No MQLs were handed to sales in {month}{' with these filters' if view.filtered else ''}, so there is "
        "nothing to judge in this period. Pick another period or filter in the sidebar; the trend below covers the "
        "last 12 months.",
        icon=":material/inbox:",
    )
else:
    tiles(acc, loop_counts(cohort))
    drill.status_drill(view, labels)

# --- Acceptance trend and acceptance by channel ----------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Acceptance, last 12 months")
    months = data.months[data.months <= view.period][-TREND_MONTHS:]
    trend = trend_rows(lead_quality.trend_window(view, months))
    if trend.empty:
        st.caption("No MQL was accepted or rejected in these 12 months.")
    else:
        chart = plot(acceptance_trend_chart, trend, view.period.start_time, f"{view.period:%B %Y}")
        show(projector(chart, 320), len(trend) + 1, key="acceptance_trend_chart")
        st.caption(
            "Line: accepted ÷ decided, by the month the MQL was handed over; band: 95% Wilson interval; "
            f"hollow points: fewer than {SMALL_SAMPLE} decisions. Recent months still have pending MQLs."
        )

with right:
    st.subheader(f"Acceptance by channel, {short}")
    per_channel = acceptance_by(cohort, "channel").rename_axis("group").reset_index()
    if per_channel.empty:
        st.caption(f"No MQLs in {month}.")
    elif per_channel["decided"].sum() == 0:
        st.caption(f"No MQL handed over in {month} has been accepted or rejected yet.")
    else:
        rows = rate_rows(per_channel, successes="accepted", n="decided")
        chart = plot(rate_bars, rows, x_title="Acceptance (% of decided)", what="Accepted", overall=acc["rate"],
                     colour=channel_colours(data.channels), overall_text=overall_text(acc["rate"]),
                     selectable=True)  # fmt: skip
        picked = drill.pick(chart, len(rows) + 1, key="acceptance_channel_chart", height=rate_bars_height(rows))
        st.caption("n = decided MQLs; whiskers: 95% interval; dashed line: all channels. Pale bars are small samples "
                   f"(n < {SMALL_SAMPLE}): read them with care. Click a bar for its MQLs.")  # fmt: skip
        drill.decided_drill(cohort, picked.get("group"), drill.period_name(view), labels)

# --- Rejection reasons: Pareto, drillable by channel, campaign or persona -------------------------------
st.subheader(f"Why sales rejected {view.period:%B}'s MQLs" if view.monthly else f"Why sales rejected {month}'s MQLs")
rejected = cohort[cohort["rejected_at"].notna()]
if rejected.empty:
    st.caption(f"No MQL handed over in {month} has been rejected.")
else:
    dim_col, value_col = st.columns([2, 3], gap="medium")
    with dim_col:
        dim = (
            st.segmented_control(
                "Break down by", list(DIMENSIONS), default="channel", format_func=DIMENSIONS.get, key="reason_by"
            )
            or "channel"
        )
    values = reason_values(rejected, dim)
    with value_col:
        chosen_value = st.selectbox(
            f"Show the rejections of one {DIMENSIONS[dim].lower()}",
            [ALL, *values.index],
            format_func=lambda v: f"All {PLURALS[dim]} ({values.sum():,})" if v == ALL else f"{v} ({values[v]:,})",
            key=f"reason_value_{dim}",
        )
    picked = rejected if chosen_value == ALL else rejected[as_text(rejected[dim]) == chosen_value]
    pareto = pareto_rows(top_reasons(rejection_reasons(picked, labels)))
    # The caption is markdown: it names the dimension, never the (imported) value.
    scope = f"all {PLURALS[dim]}" if chosen_value == ALL else f"the chosen {DIMENSIONS[dim].lower()}"
    clicked = drill.reason_pareto(pareto, key=f"reason_pareto_{dim}_{chosen_value}")
    st.caption(
        f"{fmt.count(pareto['count'].sum())} rejections ({scope}), most frequent reason first; the line adds up "
        "their share. Fix the first two or three reasons and most rejections go away. Click a bar for its leads."
    )
    drill.reason_drill(picked, pareto, clicked.get("reason"), labels, month)

    # The reasons across the chosen dimension: a heatmap of counts (top values; the rest as "Other").
    st.markdown(f"**Rejection reasons by {DIMENSIONS[dim].lower()}**, {month}")
    top = top_values(values, MAX_COLUMNS)
    other = f"Other {PLURALS[dim]}"
    grid = reason_grid(rejected, dim, labels, top, other)
    reason_order = list(rejection_reasons(rejected, labels)["label"])
    value_order = top + ([other] if (grid["value"] == other).any() else [])
    grid["column"] = [wrap(v, 11) for v in grid["value"]]
    column_order = [wrap(v, 11) for v in value_order]
    chart = plot(reason_heatmap_chart, grid, column_order, reason_order, DIMENSIONS[dim])
    show(projector(chart, heatmap_height(column_order, len(reason_order))), len(grid), key="reason_heatmap_chart")
    shown = "" if len(top) == len(values) else f" The {len(top)} {PLURALS[dim]} with most rejections are shown."
    st.caption(f"Each cell counts the rejections in {short} for one reason and {DIMENSIONS[dim].lower()}.{shown}")

# --- Conversion by channel and by score band over a trailing window -------------------------------------
first_month = view.period - (TRAILING_MONTHS - 1)
st.subheader(f"What converts: MQLs handed over {first_month:%b %Y} – {view.period:%b %Y}")
mql_at = view.leads["mql_at"]  # the window's MQLs are counted here, and taken only inside the cached aggregate
recent = int(((mql_at >= first_month.start_time) & (mql_at < month_end)).sum())
if not recent:
    st.caption(f"No MQLs were handed over in the {TRAILING_MONTHS} months up to {view.period:%B %Y}.")
else:
    stage = (
        st.segmented_control("Stage", STAGES, default=STAGES[0], key="conv_stage", label_visibility="collapsed")
        or STAGES[0]
    )
    what = {"MQL→SQL": "Became SQL", "SQL→won": "Won", "MQL→won": "Won"}[stage]
    with_bands = "score" not in data.empty_fields
    tables = cached.compute(cached.view_scope(view, view.span), lead_quality.conversion_tables, view.leads,
                            first_month.start_time, month_end, with_bands)  # fmt: skip
    overall, by_channel, by_band = tables
    overall_rate = stage_rate(overall, stage)
    bars = {"what": what, "x_title": f"{stage} conversion (%)", "overall": overall_rate}
    bars["overall_text"] = overall_text(overall_rate)
    ch_col, band_col = st.columns(2, gap="large")
    with ch_col:
        st.markdown(f"**{stage} by channel**")
        rows = rate_rows(by_channel[by_channel["stage"] == stage], successes="successes", n="n")
        colour = channel_colours(data.channels)
        chart = plot(rate_bars, rows, colour=colour, **bars)
        show(projector(chart, rate_bars_height(rows)), len(rows) + 1, key="conversion_channel_chart")
    with band_col:
        if not with_bands:
            st.info(
                "No lead has a score in this data (the import had no score column), so conversion by score band "
                "is not shown.",
                icon=":material/info:",
            )
        else:
            st.markdown(f"**{stage} by lead score band**")
            rows = rate_rows(by_band[by_band["stage"] == stage], successes="successes", n="n").iloc[::-1]
            rows["axis"] = "Score " + rows["axis"]
            rows["group"] = "Score " + rows["group"]
            chart = plot(rate_bars, rows, colour=one_colour(), by_rate=False, **bars)
            show(projector(chart, rate_bars_height(rows)), len(rows) + 1, key="conversion_band_chart")
    n_total = int(stage_rate(overall, stage, "n"))
    st.caption(
        f"Cohort: the {fmt.count(recent)} MQLs handed over in the {TRAILING_MONTHS} months up to and including "
        f"{view.period:%B %Y} (n = {fmt.count(n_total)} for {stage}; {fmt.pct(overall_rate, 1)} overall, the "
        "dashed line). "
        "Whiskers: 95% Wilson intervals; pale bars: small samples. Young MQLs have not had time to convert, so "
        "the latest months pull these rates down."
    )

lead_quality.funnel_section(view)

# --- Voice of sales: the latest rejection notes, verbatim -------------------------------------------------
st.subheader("Voice of sales")
notes = cached.compute(cached.view_scope(view, view.span), latest_notes, data.feedback, cohort, labels, n=NOTES)
if notes.empty:
    st.caption(f"No rejection notes on the MQLs handed over in {month}.")
else:
    notes_table(notes, month)
