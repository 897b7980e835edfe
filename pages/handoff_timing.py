"""Handoff timing: how fast sales follows up the period's MQLs, touch compliance, open breaches, time in stage."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.charts.timing import (
    limit_rules,
    rep_chart_height,
    rep_compliance_chart,
    rep_speed_chart,
    speed_histogram_chart,
    stage_trend_chart,
)
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.metrics.timing import (
    breach_list,
    filtered_summary,
    first_touch_limits,
    month_mqls,
    policy_limits,
    rep_compliance,
    rep_speed,
    speed_bins,
    speed_to_lead,
    stage_medians,
    touch_compliance,
)
from ui import drill, fmt
from ui.cached import compute, view_scope
from ui.charts import plot, projector, show
from ui.controls import View, view_controls
from ui.handoff_speed import at_risk_section, delay_section, policy_section, speed_pays_section
from ui.handoff_timing import breach_section, interval_text, rep_table, tiles, version_notes, with_rep_labels

TREND_MONTHS = 12


def speed_histogram(judged: pd.DataFrame, speed: dict, view: View) -> None:
    """Hours to first touch, binned and stacked by status, with the SLA limit marked; a bar opens its MQLs."""
    limits = first_touch_limits(judged)
    counts, labels, edges = speed_bins(judged, limits)
    chart = plot(
        speed_histogram_chart, counts, labels, edges, limits, unit=view.sla.calendar.hour_unit, selectable=True
    )
    picked = drill.pick(chart, len(counts) + 2 * len(limits), key="speed_histogram", height=330)
    st.caption(
        f"**{fmt.pct(speed['share_within'])}** of {speed['judged']:,} judged MQLs were first touched within the SLA "
        f"({interval_text(speed['low'], speed['high']) or 'no interval'}). Bars are stacked by how each MQL is judged "
        "against the limit in force at its handoff (missed: never touched, limit passed; open: untouched, clock "
        "still running; decided without any touch recorded: not judged); the dashed line marks the limit. "
        "Click a bar for its MQLs."
    )
    drill.bin_drill(judged, view.data.leads, limits, picked, view)


def speed_by_rep(judged: pd.DataFrame, view: View) -> tuple[pd.DataFrame, object]:
    """Median and p90 hours to first touch per rep, slowest first, with the SLA line; and the rep clicked."""
    reps = rep_speed(judged)
    if reps.empty:
        st.info("No MQL of this period has been touched yet.", icon=":material/schedule:")
        return reps, None
    reps = with_rep_labels(reps, "touched")
    limits = policy_limits(judged)
    unit = view.sla.calendar.hour_unit
    chart = plot(rep_speed_chart, reps, limits, unit=unit, selectable=True)
    lines = limit_rules(limits, unit)
    clicked = drill.pick(chart, 3 * len(reps) + 2 * len(lines), key="speed_by_rep", height=rep_chart_height(reps))
    st.caption(
        "Dots: median and 90th percentile per rep; n = touched MQLs. Dashed lines: the first-touch limits in force "
        f"({fmt.md_escape('; '.join(lines['text']))}). Click a rep's dot for their MQLs."
    )
    return reps, clicked.get("owner")


def compliance_by_rep(compliance: pd.DataFrame, view: View) -> tuple[pd.DataFrame, object]:
    """Share of judged MQLs meeting the touch rule per rep, with 95% intervals; worst first; and the rep clicked."""
    reps = rep_compliance(compliance)
    if reps.empty:
        st.info("No MQL of this period has been judged on the touch rule yet.", icon=":material/schedule:")
        return reps, None
    reps = with_rep_labels(reps, "judged")
    f = view.sla.follow_up
    chart = plot(rep_compliance_chart, reps, f.min_touches, f.touch_window_days, days=view.sla.calendar.day_unit,
                 selectable=True)  # fmt: skip
    clicked = drill.pick(chart, len(reps), key="compliance_by_rep", height=rep_chart_height(reps))
    st.caption("Dots: share complying; grey bars: 95% (Wilson) interval; n = judged MQLs. Click a dot for them.")
    return reps, clicked.get("owner")


def stage_trend(view: View) -> None:
    """Median days from MQL to SQL and from SQL to won, by month, over the last 12 months."""
    st.subheader(f"Median time in stage · last {TREND_MONTHS} months")
    months = view.data.months[view.data.months <= view.period][-TREND_MONTHS:]
    stages = compute(view_scope(view), stage_medians, view.leads, months)
    if stages.empty:
        st.info(
            f"No lead reached SQL or won in the {TREND_MONTHS} months to {view.period:%B %Y}.",
            icon=":material/inbox:",
        )
        return
    show(projector(plot(stage_trend_chart, stages), 300), len(stages), key="stage_trend")
    st.caption(
        f"Each point is the median over the leads that reached the later stage that month (n in the tooltip); "
        f"hollow points: fewer than {SMALL_SAMPLE} leads." + (" Filters apply." if view.filtered else "")
    )


def main() -> None:
    """Draw the page."""
    view = view_controls()
    data, sla = view.data, view.sla
    st.title(f"Handoff timing · {view.label}")

    everything = filtered_summary(data.summary, view.leads, view.filtered)
    month = month_mqls(everything, view.start, view.end)
    used = sorted(int(v) for v in month["sla_version"].unique()) if len(month) else [sla.meta.version]
    st.caption(version_notes(view, used))

    breaches = compute(view_scope(view), breach_list, everything, data.leads, data.as_of,
                       touches_recorded=data.touches_recorded, versions=list(data.versions))  # fmt: skip
    if month.empty:
        st.info(
            f"No MQLs were handed over to sales in {view.label} ({fmt.md_escape(view.describe())}), so "
            "there is no speed to lead or touch compliance to show. Pick another period in the sidebar.",
            icon=":material/event_busy:",
        )
    elif not data.touches_recorded:
        st.info(
            "No touches are recorded in this data (import a touches/activities file to see speed to lead). "
            "Speed to lead and the touch rule are not shown; open MQLs are judged on the decision rule only.",
            icon=":material/call_end:",
        )
    else:
        judged = speed_to_lead(month, data.as_of)
        compliance = touch_compliance(month, data.leads, data.as_of)
        speed = tiles(judged, compliance, breaches, view)
        drill.timing_drill(judged, compliance, breaches, data.leads, view)

        st.subheader("Speed to lead")
        handed = f"{len(month):,} MQL{'' if len(month) == 1 else 's'}"
        st.markdown(f"**Hours from handoff to first touch** · {handed} handed over in {view.label}")
        speed_histogram(judged, speed, view)

        f = sla.follow_up
        st.subheader(f"By rep · {view.label}")
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown("**Hours to first touch: median and p90** · slowest first")
            rep_speed_rows, rep = speed_by_rep(judged, view)
        with right:
            days = sla.calendar.day_unit
            st.markdown(f"**Touch rule: {f.min_touches} touches within {f.touch_window_days} {days}** · lowest first")
            rep_comp_rows, judged_rep = compliance_by_rep(compliance, view)
        drill.rep_drill(judged, data.leads, rep, view)
        drill.judged_drill(compliance, data.leads, judged_rep, view)
        rep_table(rep_speed_rows, rep_comp_rows, month)
        policy_section(judged, compliance, view)
        delay_section(month, view)

    breach_section(breaches, view)
    st.subheader("At risk: breaking a rule soon")
    at_risk_section(everything, data, "handoff_risk", within=view_scope(view))
    if data.touches_recorded:
        speed_pays_section(everything, view)
    stage_trend(view)


main()
