"""The drill-down panel: the leads behind a figure, as a sortable table that links to each lead's history."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from sla_model.exports import safe_csv
from ui import fmt
from ui.controls import View

#: How the drill-down names the data's columns.
HEADINGS = {
    "lead_id": "Lead",
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "owner": "Owner",
    "channel": "Channel",
    "persona": "Persona",
    "score": "Score",
    "mql_at": "MQL at",
    "accepted_at": "Accepted at",
    "rejected_at": "Rejected at",
    "rejection_reason": "Reason",
    "recycled_at": "Back to nurture at",
    "disqualified_at": "Disqualified at",
    "sql_at": "SQL at",
    "won_at": "Won at",
    "amount": "Amount",
    "first_touch_at": "First touch at",
    "hours_to_first_touch": "Hours to first touch",
    "first_touch_hours": "Limit (h)",
    "status": "Judged",
    "touches_in_window": "Touches in window",
    "min_touches": "Touches needed",
    "window_days": "Window (days)",
    "age_hours": "Age (h)",
    "touches_total": "Touches",
    "breach": "Breach",
    "created_at": "Created at",
    "opportunity_at": "Opportunity at",
    "lost_at": "Lost at",
}
#: At most this many rows are sent to the browser; the CSV holds every row.
SHOWN = 2_000


def shown_frame(rows: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows with readable headings, reasons by their label and a link to each lead's history."""
    out = rows.copy()
    if "rejection_reason" in out and labels:
        out["rejection_reason"] = out["rejection_reason"].astype(object).map(lambda r: labels.get(r, r))
    for c in out.columns:
        if c.endswith("_at"):
            out[c] = pd.to_datetime(out[c])
        elif out[c].dtype == "category":
            out[c] = out[c].astype(object)
    if {"first_name", "last_name"} <= set(out.columns):  # one column for the name: the table fits 1280 px
        name = (out["first_name"].fillna("").astype(str) + " " + out["last_name"].fillna("").astype(str)).str.strip()
        out.insert(out.columns.get_loc("first_name"), "name", name)
        out = out.drop(columns=["first_name", "last_name"])
    out.insert(0, "history", "lead?lead=" + out["lead_id"].astype(str))
    return out.rename(columns=HEADINGS | {"history": "History", "name": "Name"})


def leads_panel(title: str, rows: pd.DataFrame, *, key: str, labels: dict[str, str] | None = None) -> None:
    """A bordered panel: the title with the count, the first :data:`SHOWN` rows, and a CSV of all of them."""
    with st.container(border=True, key=f"drill_{key}"):
        st.markdown(f"**{fmt.md_escape(title)}: {fmt.plural(len(rows), 'lead')}**")
        if rows.empty:
            st.caption("No lead is behind this figure.")
            return
        frame = shown_frame(rows, labels)
        config = {"History": st.column_config.LinkColumn("History", display_text="open", width=70)}
        for c in frame.columns:
            if c.endswith(" at"):
                config[c] = st.column_config.DatetimeColumn(c, format="D MMM YYYY, HH:mm")
        if "Amount" in frame:
            config["Amount"] = st.column_config.NumberColumn("Amount", format="localized")
        st.dataframe(frame.head(SHOWN), hide_index=True, width="stretch", column_config=config, placeholder="",
                     height=min(38 + 35 * min(len(frame), SHOWN), 420))  # fmt: skip
        more = f" (the first {fmt.count(SHOWN)} shown)" if len(frame) > SHOWN else ""
        st.download_button(f"Download the {fmt.plural(len(frame), 'lead')} as CSV{more}",
                           safe_csv(frame.drop(columns="History")), file_name=f"{key}.csv", mime="text/csv",
                           icon=":material/download:", key=f"drill_csv_{key}")  # fmt: skip


def period_name(view: View) -> str:
    """The period a drill-down's title names: ``November 2026``, ``Q3 2026``, ``Week 45 · 2–8 Nov 2026``."""
    return view.label


def slug(value: object) -> str:
    """``value`` as a widget-key fragment (letters, digits and underscores)."""
    return re.sub(r"\W+", "_", str(value)).strip("_") or "none"


def picked_row(event: object) -> int | None:
    """The position of the row ticked in an ``st.dataframe(on_select=...)`` event, or None."""
    selection = event.get("selection") if isinstance(event, dict) else None
    rows = (selection or {}).get("rows") or []
    return int(rows[0]) if rows else None


def pick(chart: object, data_rows: int, *, key: str, height: int) -> dict:
    """Draw a chart made with ``selectable=True`` in projector style; returns the clicked mark's fields (or ``{}``)."""
    from sla_model.charts.style import PICK
    from ui.charts import projector, show

    return show(projector(chart, height), data_rows, key=key, select=PICK)


def channel_drill(leads: pd.DataFrame, channel: object, start: pd.Timestamp, end: pd.Timestamp, when: str, *,
                  key: str = "channel") -> None:  # fmt: skip
    """A channel's MQLs over ``[start, end)``: the leads behind its bar (Goal progress, the meeting)."""
    from sla_model.metrics.drill import channel_mqls, explain

    if channel is None:
        return
    rows = channel_mqls(leads, str(channel), start, end)
    leads_panel(f"MQLs from {channel}, {when}", explain(rows, "mqls"), key=f"{key}_{slug(channel)}")


def measure_pills(leads: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, when: str, *, key: str,
                  panel: str) -> None:  # fmt: skip
    """Pills under a page's measure tiles: pick MQLs, SQLs, won deals or revenue and see the leads it counted."""
    from sla_model.metrics.drill import explain, measure_leads
    from sla_model.metrics.progress import MEASURE_LABELS

    picked = st.pills("Show the leads behind", list(MEASURE_LABELS), format_func=lambda m: MEASURE_LABELS[m],
                      key=key)  # fmt: skip
    if picked:
        rows = measure_leads(leads, picked, start, end)
        leads_panel(f"{MEASURE_LABELS[picked]}, {when}", explain(rows, picked), key=f"{panel}_{picked}")


def funnel_drill(view: View, stage: str | None) -> None:
    """The leads behind one stage's actual on the reverse funnel (its bar or its table row)."""
    from sla_model.metrics.drill import explain, funnel_leads
    from sla_model.metrics.progress import FUNNEL_LABELS

    if stage is None:
        return
    rows = funnel_leads(view.leads, stage, view.start, view.end)
    what = {"leads": "Leads created", "revenue": "Won deals (revenue)", "customers": "Won deals (customers)"}
    title = f"{what.get(stage, FUNNEL_LABELS[stage])}, {period_name(view)}"
    leads_panel(title, explain(rows, {"leads": "leads", "mqls": "mqls", "sqls": "sqls"}.get(stage, "won")),
                key=f"gp_funnel_{stage}")  # fmt: skip


def stage_drill(cohort: pd.DataFrame, stage: str | None, month: str) -> None:
    """The leads created in ``month`` that reached ``stage`` of the whole funnel (a click on its bar)."""
    from sla_model.metrics.drill import explain, stage_leads

    if stage is None:
        return
    rows = stage_leads(cohort, stage)
    what = "lost as opportunities" if stage == "Lost" else f"that reached {stage}"
    leads_panel(f"Leads created in {month} {what}", explain(rows, "cohort"), key=f"lq_stage_{stage}")


def cohort_drill(leads: pd.DataFrame, month: pd.Period | None) -> None:
    """The leads of one cohort-table row: those created in ``month``, with every stage date."""
    from sla_model.metrics.drill import cohort_leads, explain

    if month is None:
        return
    rows = cohort_leads(leads, month)
    leads_panel(f"Leads created in {month:%B %Y}", explain(rows, "cohort"), key=f"lq_cohort_{month:%Y_%m}")


def rep_drill(judged: pd.DataFrame, leads: pd.DataFrame, owner: object, view: View) -> None:
    """A rep's touched MQLs this period: the sample behind their median and p90 dots on Handoff timing."""
    from sla_model.metrics.drill import explain, rep_touched

    if owner is None:
        return
    rows = _with_names(rep_touched(judged, str(owner)), leads)
    title = f"MQLs {owner} touched, handed over in {period_name(view)}"
    leads_panel(title, explain(rows, "touched"), key=f"ht_rep_{slug(owner)}")


def decided_drill(cohort: pd.DataFrame, channel: object, when: str, labels: dict[str, str]) -> None:
    """A channel's decided MQLs (accepted or rejected): the sample behind its acceptance bar on Lead quality."""
    from sla_model.metrics.drill import decided_leads, explain

    if channel is None:
        return
    rows = decided_leads(cohort, "channel", str(channel))
    leads_panel(f"Decided MQLs from {channel}, {when}", explain(rows, "decided"), key=f"lq_decided_{slug(channel)}",
                labels=labels)  # fmt: skip


def judged_drill(compliance: pd.DataFrame, leads: pd.DataFrame, owner: object, view: View) -> None:
    """A rep's MQLs judged on the touch rule: the sample behind their compliance dot on Handoff timing."""
    from sla_model.metrics.drill import explain, rep_judged

    if owner is None:
        return
    rows = _with_names(rep_judged(compliance, str(owner)), leads)
    title = f"MQLs of {owner} judged on the touch rule, handed over in {period_name(view)}"
    leads_panel(title, explain(rows, "touch_rule"), key=f"ht_judged_{slug(owner)}")


def bin_drill(judged: pd.DataFrame, leads: pd.DataFrame, limits: list[float], picked: dict, view: View) -> None:
    """The MQLs behind one stacked bar of the speed-to-lead histogram (its hours and its status)."""
    from sla_model.metrics.drill import bin_leads, explain
    from sla_model.metrics.timing import STATUS_NAMES

    if not picked.get("Hours") or not picked.get("status"):
        return
    hours, status = str(picked["Hours"]), str(picked["status"])
    rows = _with_names(bin_leads(judged, limits, hours, status), leads)
    what = "never touched" if hours.startswith("Not") else f"first touched after {hours} h"
    title = f"{STATUS_NAMES.get(status, status)}: MQLs {what}, handed over in {period_name(view)}"
    leads_panel(title, explain(rows, "touched"), key=f"ht_bin_{slug(hours)}_{status}")


def _with_names(rows: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (per-lead summaries) with each lead's name and company from ``leads``."""
    names = leads.loc[:, ["lead_id", "first_name", "last_name", "company"]]
    return rows.drop(columns=[c for c in ("first_name", "last_name", "company") if c in rows]).merge(
        names, on="lead_id", how="left"
    )


def measure_drill(view: View) -> None:
    """Goal progress' drill-down: pick a tile's measure and see the leads it counted this period."""
    measure_pills(view.leads, view.start, view.end, period_name(view), key="gp_drill", panel="gp")


#: Lead quality's tiles, by the decision status they count.
STATUS_LABELS = {"accepted": "Accepted", "rejected": "Rejected", "stale": "Stale", "pending": "Pending"}


def status_drill(view: View, labels: dict[str, str]) -> None:
    """Lead quality's drill-down: the month's MQLs sales accepted, rejected, left unworked or has not decided."""
    from sla_model.metrics.drill import explain, status_leads

    picked = st.pills("Show the leads behind", list(STATUS_LABELS), format_func=STATUS_LABELS.get, key="lq_drill")
    if picked:
        rows = status_leads(view.leads, view.start, view.end, picked)
        title = f"{STATUS_LABELS[picked]} MQLs handed over in {period_name(view)}"
        leads_panel(title, explain(rows, picked), key=f"lq_{picked}", labels=labels)


def reason_pareto(pareto: pd.DataFrame, *, key: str) -> dict:
    """The reasons' Pareto chart, clickable: returns the clicked bar's ``{"reason": code}`` (``{}`` if none)."""
    from sla_model.charts.quality import REASON_PICK, reason_pareto_chart
    from ui.charts import plot, projector, show

    chart = plot(reason_pareto_chart, pareto, selectable=True)
    return show(projector(chart, 340), len(pareto), key=key, select=REASON_PICK)


def reason_drill(rejected: pd.DataFrame, pareto: pd.DataFrame, reason: str | None, labels: dict[str, str],
                 month: str) -> None:  # fmt: skip
    """The rejected MQLs behind one bar of the reasons' Pareto (its reason, the folded rest, or no reason)."""
    from sla_model.metrics.drill import explain

    if reason is None:
        return
    codes = rejected["rejection_reason"].astype(object)
    if reason == "(other)":
        rows, title = rejected[~codes.isin(pareto["reason"]) & codes.notna()], "Rejected for the other reasons"
    elif reason == "(no reason)":
        rows, title = rejected[codes.isna()], "Rejected without a reason"
    else:
        rows, title = rejected[codes == reason], f"Rejected: {labels.get(reason, reason)}"
    leads_panel(f"{title}, {month}", explain(rows, "rejected"), key=f"lq_reason_{reason}", labels=labels)


#: Handoff timing's drill-downs, by what they count.
TIMING_LABELS = {"within": "First touch within the SLA", "late": "First touch late or missed",
                 "touch_rule": "Touch rule missed", "breaches": "Open breaches"}  # fmt: skip
_TIMING_COLUMNS = {
    "within": ("mql_at", "first_touch_at", "hours_to_first_touch", "first_touch_hours"),
    "late": ("mql_at", "first_touch_at", "hours_to_first_touch", "first_touch_hours", "status"),
    "touch_rule": ("mql_at", "touches_in_window", "min_touches", "window_days"),
    "breaches": ("mql_at", "age_hours", "touches_total", "breach"),
}


def timing_drill(judged: pd.DataFrame, compliance: pd.DataFrame, breaches: pd.DataFrame, leads: pd.DataFrame,
                 view: View) -> None:  # fmt: skip
    """Handoff timing's drill-down: the month's MQLs behind the speed and touch-rule tiles, and the open breaches."""
    picked = st.pills("Show the leads behind", list(TIMING_LABELS), format_func=TIMING_LABELS.get, key="ht_drill")
    if not picked:
        return
    rows = {
        "within": judged[judged["status"] == "within"],
        "late": judged[judged["status"].isin(["late", "missed"])],
        "touch_rule": compliance[compliance["judged"] & ~compliance["complies"]],
        "breaches": breaches,
    }[picked]
    rows = _with_names(rows, leads)
    columns = ["lead_id", "first_name", "last_name", "company", "owner", "channel", *_TIMING_COLUMNS[picked]]
    scope = "open now, any month" if picked == "breaches" else f"MQLs handed over in {period_name(view)}"
    leads_panel(f"{TIMING_LABELS[picked]} ({scope})", rows.loc[:, columns], key=f"ht_{picked}")
