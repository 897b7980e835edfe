"""Handoff timing: how fast sales follows up the month's MQLs, touch compliance, open breaches, time in stage."""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from sla_model.agreement.sla import Sla
from sla_model.exports import safe_csv
from sla_model.metrics.stats import SMALL_SAMPLE, safe_rate, wilson_interval
from sla_model.metrics.timing import (
    breach_list,
    compliance_by,
    speed_by,
    speed_summary,
    speed_to_lead,
    time_in_stage,
    touch_compliance,
)
from ui import fmt
from ui.charts import BAD, GOOD, NEUTRAL, month_axis, projector, show
from ui.controls import View, view_controls

#: Edges (hours) of the speed-to-lead histogram, roughly doubling; the SLA's own limits are added as edges.
HOUR_EDGES = (0.0, 1.0, 2.0, 4.0, 8.0, 24.0, 48.0, 96.0)
NOT_TOUCHED = "Not touched"
#: How each speed-to-lead status is named and coloured (Okabe–Ito).
STATUS_LOOK = {
    "within": ("Within SLA", GOOD),
    "late": ("Late", "#E69F00"),
    "missed": ("Missed", BAD),
    "open": ("Open", NEUTRAL),
    "untracked": ("Decided, no touch recorded", "#BBBBBB"),
}
STAGE_COLOURS = {"MQL→SQL": "#009E73", "SQL→won": "#CC79A7"}
TREND_MONTHS = 12
#: Breach-table row height in pixels: above 4rem, so long text wraps onto a second line.
ROW_HEIGHT = 68


# --- pure helpers (imported by the tests) -----------------------------------------------------------


def rules_text(sla: Sla) -> str:
    """The follow-up rules of a version in words."""
    f = sla.follow_up
    return (
        f"first touch within {f.first_touch_hours:g} h, {f.min_touches} touches within {f.touch_window_days} days, "
        f"accept or reject within {f.decision_hours:g} h"
    )


def interval_text(low: float, high: float) -> str:
    """A 95% interval as ``95% CI 81–90%``; empty when unknown."""
    if np.isnan(low) or np.isnan(high):
        return ""
    return f"95% CI {fmt.pct(low)}–{fmt.pct(high)}"


def speed_bins(judged: pd.DataFrame, limits: Iterable[float]) -> tuple[pd.DataFrame, list[str], list[float]]:
    """Count MQLs per bin of hours to first touch and per status.

    Bins are ``(a, b]`` (0 h falls in the first), so a first touch at exactly the SLA limit is in the
    bin that ends at it; the limits are added as edges. Returns the counts (columns ``bin``, ``status``,
    ``mqls``, ``Hours``, ``Status``, ``share``), the bin labels in order, and the edges.

    Examples:
        >>> f = pd.DataFrame({"hours_to_first_touch": [0.0, 8.0, 9.0, 200.0, np.nan],
        ...                   "status": ["within", "within", "late", "late", "missed"]})
        >>> counts, labels, _ = speed_bins(f, [8])
        >>> counts["Hours"].tolist(), counts["mqls"].tolist()
        (['0–1', '4–8', '8–24', '>96', 'Not touched'], [1, 1, 1, 1, 1])
    """
    edges = sorted({float(e) for e in HOUR_EDGES} | {float(h) for h in limits})
    labels = [f"{a:g}–{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)] + [f">{edges[-1]:g}", NOT_TOUCHED]
    hours = judged["hours_to_first_touch"].to_numpy(dtype=float)
    idx = np.clip(np.searchsorted(edges, hours, side="left") - 1, 0, None)
    idx = np.where(np.isnan(hours), len(labels) - 1, idx)
    frame = pd.DataFrame({"bin": idx, "status": judged["status"].to_numpy(dtype=object)})
    counts = frame.groupby(["bin", "status"]).size().rename("mqls").reset_index()
    counts["Hours"] = [labels[i] for i in counts["bin"]]
    counts["Status"] = counts["status"].map(lambda s: STATUS_LOOK[s][0])
    counts["share"] = counts["mqls"] / max(len(judged), 1)
    return counts, labels, edges


def filtered_summary(view: View) -> pd.DataFrame:
    """The per-MQL touch summary of the filtered leads, every month."""
    summary = view.data.summary
    return summary[summary.index.isin(view.leads.index)] if view.filtered else summary


def month_mqls(summary: pd.DataFrame, view: View) -> pd.DataFrame:
    """The MQLs handed over in the chosen month."""
    return summary[(summary["mql_at"] >= view.start) & (summary["mql_at"] < view.end)]


def rep_label(name: object, n: int) -> str:
    """A rep's name with the sample size, e.g. ``Derek Hale (n=21)``."""
    return f"{name} (n={n})"


# --- page sections ----------------------------------------------------------------------------------


def tiles(judged: pd.DataFrame, compliance: pd.DataFrame, breaches: pd.DataFrame, view: View) -> dict:
    """The headline numbers; returns the speed summary."""
    speed = speed_summary(judged)
    comp = compliance[compliance["judged"]]
    ok, n = int(comp["complies"].sum()), len(comp)
    low, high = (float(x) for x in wilson_interval(ok, n))
    share = float(safe_rate(ok, n))
    open_ = int((judged["status"] == "open").sum())
    f = view.sla.follow_up
    small = " · small sample" if 0 < speed["judged"] < SMALL_SAMPLE else ""

    cols = st.columns(5)
    with cols[0], st.container(border=True):
        st.metric(
            "Within SLA",
            fmt.pct(speed["share_within"]),
            help="MQLs first touched within the limit in force at their handoff, of those judged. "
            "Untouched MQLs whose window is still running are not judged yet.",
        )
        st.caption(
            " · ".join(
                part
                for part in (
                    f"{speed['within']:,} of {speed['judged']:,} judged{small}",
                    interval_text(speed["low"], speed["high"]),
                    f"{open_:,} still open" if open_ else "",
                )
                if part
            )
        )
    with cols[1], st.container(border=True):
        st.metric(
            "Median wait",
            fmt.hours(speed["median_hours"]),
            help="Median time from handoff to first touch: half the touched MQLs waited less.",
        )
        st.caption(f"to first touch · {speed['touched']:,} touched MQLs")
    with cols[2], st.container(border=True):
        st.metric(
            "p90 wait",
            fmt.hours(speed["p90_hours"]),
            help="90th percentile of the time from handoff to first touch: nine in ten touched MQLs waited less.",
        )
        st.caption(f"to first touch · {speed['touched']:,} touched MQLs · SLA {f.first_touch_hours:g} h")
    with cols[3], st.container(border=True):
        st.metric(
            "Touch rule met",
            fmt.pct(share),
            help=f"MQLs with at least {f.min_touches} touches within {f.touch_window_days} days, or a decision "
            "(accept, or reject other than for no response) inside that window. Judged once the window is over.",
        )
        st.caption(
            " · ".join(p for p in (f"{ok:,} of {n:,} judged", interval_text(low, high)) if p)
            + f" · ≥{f.min_touches} in {f.touch_window_days} d"
        )
    with cols[4], st.container(border=True):
        st.metric(
            "Open breaches",
            fmt.count(len(breaches)),
            help="Open MQLs of any month (not accepted, rejected, recycled, disqualified or converted) that break "
            "a follow-up "
            "rule at the data's as-of time; see the list below.",
        )
        st.caption(f"now, any month · as of {pd.Timestamp(view.data.as_of):%d %b, %H:%M}")
    return speed


def speed_histogram(judged: pd.DataFrame, speed: dict) -> None:
    """Hours to first touch, binned and stacked by status, with the SLA limit marked."""
    limits = sorted(judged["first_touch_hours"].astype(float).unique())
    counts, labels, edges = speed_bins(judged, limits)
    x_scale = alt.Scale(domain=labels)
    statuses = [STATUS_LOOK[s][0] for s in STATUS_LOOK]
    bars = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("Hours:N", scale=x_scale, title="Hours from handoff to first touch", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("mqls:Q", title="MQLs (count)", stack=True, axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color(
                "Status:N",
                title=None,
                scale=alt.Scale(domain=statuses, range=[c for _, c in STATUS_LOOK.values()]),
            ),
            order=alt.Order("status_rank:Q"),
            tooltip=[
                alt.Tooltip("Hours:N", title="Hours to first touch"),
                alt.Tooltip("Status:N"),
                alt.Tooltip("mqls:Q", title="MQLs", format=",.0f"),
                alt.Tooltip("share:Q", title="Share of the month's MQLs", format=".1%"),
            ],
        )
        .transform_calculate(status_rank=f"indexof({statuses!r}, datum.Status)")
    )
    marks = pd.DataFrame(
        {
            "Hours": [labels[edges.index(h)] for h in limits],
            "text": [f"SLA {h:g} h" for h in limits],
        }
    )
    rule = (
        alt.Chart(marks)
        .mark_rule(color="black", strokeDash=[6, 4], strokeWidth=2)
        .encode(x=alt.X("Hours:N", scale=x_scale, bandPosition=0), tooltip=[alt.Tooltip("text:N", title="Limit")])
    )
    text = (
        alt.Chart(marks)
        .mark_text(align="left", baseline="top", dx=5, dy=4, fontSize=14, fontWeight="bold")
        .encode(x=alt.X("Hours:N", scale=x_scale, bandPosition=0), y=alt.value(0), text="text:N")
    )
    show(projector(bars + rule + text, 330), len(counts) + 2 * len(marks), key="speed_histogram")
    st.caption(
        f"**{fmt.pct(speed['share_within'])}** of {speed['judged']:,} judged MQLs were first touched within the SLA "
        f"({interval_text(speed['low'], speed['high']) or 'no interval'}). Bars are stacked by how each MQL is judged "
        "against the limit in force at its handoff (missed: never touched, limit passed; open: untouched, clock "
        "still running; decided without any touch recorded: not judged); the dashed line marks the limit."
    )


def speed_by_rep(judged: pd.DataFrame, view: View) -> pd.DataFrame:
    """Median and p90 hours to first touch per rep, slowest first, with the SLA line."""
    reps = speed_by(judged).dropna(subset=["median_hours"])
    if reps.empty:
        st.info("No MQL of this month has been touched yet.", icon=":material/schedule:")
        return reps
    reps = reps.sort_values("median_hours", ascending=False, kind="stable")
    reps["Rep"] = [rep_label(o, n) for o, n in zip(reps["owner"], reps["touched"], strict=True)]
    order = reps["Rep"].tolist()
    long = reps.melt(
        id_vars=["Rep", "touched", "judged", "share_within"],
        value_vars=["median_hours", "p90_hours"],
        var_name="stat",
        value_name="hours",
    )
    long["Statistic"] = long["stat"].map({"median_hours": "Median", "p90_hours": "90th percentile"})
    y = alt.Y("Rep:N", sort=order, title=None, axis=alt.Axis(labelFlush=False))
    span = (
        alt.Chart(reps).mark_rule(strokeWidth=3, color=NEUTRAL).encode(y=y, x=alt.X("median_hours:Q"), x2="p90_hours:Q")
    )
    points = (
        alt.Chart(long)
        .mark_point(filled=True, size=140, opacity=1)
        .encode(
            y=y,
            x=alt.X("hours:Q", title="Hours from handoff to first touch"),
            color=alt.Color(
                "Statistic:N",
                title=None,
                scale=alt.Scale(domain=["Median", "90th percentile"], range=[GOOD, "#56B4E9"]),
            ),
            shape=alt.Shape(
                "Statistic:N",
                title=None,
                scale=alt.Scale(domain=["Median", "90th percentile"], range=["circle", "diamond"]),
            ),
            tooltip=[
                alt.Tooltip("Rep:N"),
                alt.Tooltip("Statistic:N"),
                alt.Tooltip("hours:Q", title="Hours", format=".1f"),
                alt.Tooltip("touched:Q", title="Touched MQLs"),
                alt.Tooltip("judged:Q", title="Judged MQLs"),
                alt.Tooltip("share_within:Q", title="Within SLA", format=".0%"),
            ],
        )
    )
    h = view.sla.follow_up.first_touch_hours
    rule = (
        alt.Chart(pd.DataFrame({"hours": [h], "text": [f"SLA {h:g} h"]}))
        .mark_rule(color=BAD, strokeDash=[6, 4], strokeWidth=2)
        .encode(x="hours:Q", tooltip=[alt.Tooltip("text:N", title="Limit")])
    )
    height = max(220, 34 * len(reps) + 40)
    show(projector(span + points + rule, height), len(reps) + len(long) + 1, key="speed_by_rep")
    st.caption(
        f"Dots: median and 90th percentile per rep; n = touched MQLs. Dashed line: the {h:g} h first-touch limit."
    )
    return reps


def compliance_by_rep(compliance: pd.DataFrame, view: View) -> pd.DataFrame:
    """Share of judged MQLs meeting the touch rule per rep, with 95% intervals; worst first."""
    reps = compliance_by(compliance)
    if reps.empty:
        st.info("No MQL of this month has been judged on the touch rule yet.", icon=":material/schedule:")
        return reps
    reps = reps.sort_values(["share", "judged"], ascending=[True, False], kind="stable")
    reps["Rep"] = [rep_label(o, n) for o, n in zip(reps["owner"], reps["judged"], strict=True)]
    lo = float(np.clip(np.floor(np.nanmin(reps["low"]) * 10) / 10, 0, 0.9))
    x_scale = alt.Scale(domain=[lo, 1])
    x = alt.X(
        "share:Q",
        title=f"MQLs with ≥{view.sla.follow_up.min_touches} touches in {view.sla.follow_up.touch_window_days} days (%)",
        scale=x_scale,
        axis=alt.Axis(format="%"),
    )
    y = alt.Y("Rep:N", sort=reps["Rep"].tolist(), title=None, axis=alt.Axis(labelFlush=False))
    base = alt.Chart(reps)
    bars = base.mark_rule(strokeWidth=3, color=NEUTRAL).encode(y=y, x=alt.X("low:Q", scale=x_scale), x2="high:Q")
    points = base.mark_point(filled=True, size=140, color=GOOD, opacity=1).encode(
        y=y,
        x=x,
        tooltip=[
            alt.Tooltip("Rep:N"),
            alt.Tooltip("share:Q", title="Compliance", format=".1%"),
            alt.Tooltip("low:Q", title="95% CI low", format=".1%"),
            alt.Tooltip("high:Q", title="95% CI high", format=".1%"),
            alt.Tooltip("complies:Q", title="Complied"),
            alt.Tooltip("judged:Q", title="Judged MQLs"),
        ],
    )
    height = max(220, 34 * len(reps) + 40)
    show(projector(bars + points, height), len(reps), key="compliance_by_rep")
    st.caption("Dots: share complying; grey bars: 95% (Wilson) interval; n = judged MQLs.")
    return reps


def rep_table(speed: pd.DataFrame, compliance: pd.DataFrame, month: pd.DataFrame) -> None:
    """The per-rep numbers behind the two charts, with their sample sizes."""
    mqls = month["owner"].value_counts()
    table = pd.DataFrame({"owner": mqls.index, "mqls": mqls.to_numpy()})
    table = table.merge(speed.drop(columns="Rep", errors="ignore"), on="owner", how="left")
    comp = compliance.drop(columns="Rep", errors="ignore").rename(
        columns={"judged": "c_judged", "share": "c_share", "low": "c_low", "high": "c_high"}
    )
    table = table.merge(comp, on="owner", how="left").sort_values("owner", key=lambda s: s.astype(str).str.lower())

    def rate(share: float, k: float, n: float) -> str:
        if n != n or not n:
            return "—"
        return f"{fmt.pct(share)} ({int(k)}/{int(n)})" + (" *" if n < SMALL_SAMPLE else "")

    st.dataframe(
        pd.DataFrame(
            {
                "Rep": table["owner"].astype(str),
                "MQLs": table["mqls"].astype(int),
                "Within SLA": list(map(rate, table["share_within"], table["within"], table["judged"])),
                "Median": [fmt.hours(h) for h in table["median_hours"]],
                "p90": [fmt.hours(h) for h in table["p90_hours"]],
                "Touch rule met": list(map(rate, table["c_share"], table["complies"], table["c_judged"])),
            }
        ),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 440),
        key="rep_table",
    )
    st.caption(f"(k/n) = MQLs meeting the rule / MQLs judged. * fewer than {SMALL_SAMPLE} judged: a small sample.")


def breach_section(breaches: pd.DataFrame, view: View) -> None:
    """The open MQLs breaking a follow-up rule now, oldest first, with a CSV download."""
    as_of = pd.Timestamp(view.data.as_of)
    st.subheader(f"Open breaches now · {fmt.count(len(breaches))}")
    st.caption(
        f"Open MQLs (not accepted, rejected, recycled, disqualified or converted) that break a follow-up rule as of "
        f"{as_of:%d %b %Y, %H:%M} UTC — from **any month**, not only {view.period:%B %Y}"
        + (" (the sidebar filters apply)" if view.filtered else "")
        + ". Oldest first; each is judged by the rules in force at its handoff"
        + ("" if view.data.touches_recorded else "; without touch data, on the decision rule only")
        + "."
    )
    if breaches.empty:
        st.success("No open MQL breaks a follow-up rule right now.", icon=":material/check_circle:")
        return
    table = pd.DataFrame(
        {
            "Lead": breaches["lead_id"].astype(str),
            "Company": breaches["company"].astype(object),
            "Owner": breaches["owner"].astype(object).where(breaches["owner"].notna(), "(no owner)"),
            "Channel": breaches["channel"].astype(str),
            "MQL time": breaches["mql_at"],
            "Age": [fmt.hours(h) for h in breaches["age_hours"]],
            "Touches": breaches["touches_total"].astype(int),
            "Breach": breaches["breach"].astype(str),
        }
    )
    # Rows taller than 4rem let long text wrap, so every column fits a 1280-pixel projector.
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        row_height=ROW_HEIGHT,
        height=min(38 + ROW_HEIGHT * len(table), 38 + ROW_HEIGHT * 8),
        column_config={
            "Lead": st.column_config.TextColumn(width=80),
            "Company": st.column_config.TextColumn(width=112),
            "Owner": st.column_config.TextColumn(width=96),
            "Channel": st.column_config.TextColumn(width=104),
            "MQL time": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm", width=124),
            "Age": st.column_config.TextColumn(width=60, help="Time since the handoff"),
            "Touches": st.column_config.NumberColumn(width=66, help="Touches since the handoff"),
            "Breach": st.column_config.TextColumn(width=160),
        },
        key="breach_table",
    )
    export = table.drop(columns="Age").assign(**{"Age (hours)": breaches["age_hours"].to_numpy()})
    export["MQL time"] = export["MQL time"].dt.strftime("%Y-%m-%d %H:%M")
    st.download_button(
        f"Download the open breaches as of {as_of:%d %b %Y} (CSV)",
        data=safe_csv(export),
        file_name=f"open-breaches-{as_of:%Y-%m-%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="breach_csv",
    )


def stage_trend(view: View) -> None:
    """Median days from MQL to SQL and from SQL to won, by month, over the last 12 months."""
    st.subheader(f"Median time in stage · last {TREND_MONTHS} months")
    months = view.data.months[view.data.months <= view.period][-TREND_MONTHS:]
    stages = time_in_stage(view.leads, months).dropna(subset=["median_days"])
    if stages.empty:
        st.info(
            f"No lead reached SQL or won in the {TREND_MONTHS} months to {view.period:%B %Y}.",
            icon=":material/inbox:",
        )
        return
    stages["month_start"] = stages["month"].dt.start_time
    stages["sample"] = np.where(stages["n"] < SMALL_SAMPLE, f"small (n<{SMALL_SAMPLE})", "ok")
    colour = alt.Color(
        "transition:N",
        title=None,
        scale=alt.Scale(domain=list(STAGE_COLOURS), range=list(STAGE_COLOURS.values())),
    )
    base = alt.Chart(stages).encode(
        x=alt.X("month_start:T", title="Month the later stage was reached", axis=month_axis()),
        y=alt.Y("median_days:Q", title="Median time in stage (days)"),
        color=colour,
        tooltip=[
            alt.Tooltip("month_start:T", title="Month", format="%B %Y"),
            alt.Tooltip("transition:N", title="Stage"),
            alt.Tooltip("median_days:Q", title="Median days", format=".1f"),
            alt.Tooltip("n:Q", title="n (leads)", format=",.0f"),
            alt.Tooltip("sample:N", title="Sample"),
        ],
    )
    line = base.mark_line(strokeWidth=3)
    full = base.transform_filter(alt.datum.n >= SMALL_SAMPLE).mark_point(filled=True, size=90, opacity=1)
    small = base.transform_filter(alt.datum.n < SMALL_SAMPLE).mark_point(filled=False, size=90, strokeWidth=2)
    show(projector(line + full + small, 300), len(stages), key="stage_trend")
    st.caption(
        f"Each point is the median over the leads that reached the later stage that month (n in the tooltip); "
        f"hollow points: fewer than {SMALL_SAMPLE} leads." + (" Filters apply." if view.filtered else "")
    )


def main() -> None:
    """Draw the page."""
    view = view_controls()
    data, sla = view.data, view.sla
    st.title(f"Handoff timing · {view.period:%B %Y}")

    everything = filtered_summary(view)
    month = month_mqls(everything, view)
    versions = {s.meta.version: s for s in data.versions}
    used = sorted(int(v) for v in month["sla_version"].unique()) if len(month) else [sla.meta.version]
    notes = [
        f"{fmt.md_escape(view.describe())} · follow-up rules of SLA version {sla.meta.version} (in force from "
        f"{sla.meta.effective_from:%d %b %Y}): {rules_text(sla)}"
    ]
    for v in used:
        if v != sla.meta.version and v in versions:
            other = versions[v]
            notes.append(
                f"from {other.meta.effective_from:%d %b %Y}, version {v}: {rules_text(other)}; "
                "each MQL is judged by the version in force at its handoff"
            )
    st.caption(" · ".join(notes))

    breaches = breach_list(everything, data.leads, data.as_of, touches_recorded=data.touches_recorded)
    if month.empty:
        st.info(
            f"No MQLs were handed over to sales in {view.period:%B %Y} ({fmt.md_escape(view.describe())}), so "
            "there is no speed to lead or touch compliance to show. Pick another month in the sidebar.",
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

        st.subheader("Speed to lead")
        handed = f"{len(month):,} MQL{'' if len(month) == 1 else 's'}"
        st.markdown(f"**Hours from handoff to first touch** · {handed} handed over in {view.period:%B %Y}")
        speed_histogram(judged, speed)

        f = sla.follow_up
        st.subheader(f"By rep · {view.period:%B %Y}")
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown("**Hours to first touch: median and p90** · slowest first")
            rep_speed = speed_by_rep(judged, view)
        with right:
            st.markdown(f"**Touch rule: {f.min_touches} touches within {f.touch_window_days} days** · lowest first")
            rep_comp = compliance_by_rep(compliance, view)
        rep_table(rep_speed, rep_comp, month)

    breach_section(breaches, view)
    stage_trend(view)


if __name__ == "__main__":  # Streamlit runs every page as __main__; the tests import the helpers above
    main()
