"""The drill-down panel: the leads behind a figure, as a sortable table that links to each lead's history."""

from __future__ import annotations

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
        st.dataframe(frame.head(SHOWN), hide_index=True, width="stretch", column_config=config,
                     height=min(38 + 35 * min(len(frame), SHOWN), 420))  # fmt: skip
        more = f" (the first {fmt.count(SHOWN)} shown)" if len(frame) > SHOWN else ""
        st.download_button(f"Download the {fmt.plural(len(frame), 'lead')} as CSV{more}",
                           safe_csv(frame.drop(columns="History")), file_name=f"{key}.csv", mime="text/csv",
                           icon=":material/download:", key=f"drill_csv_{key}")  # fmt: skip


def measure_drill(view: View) -> None:
    """Goal progress' drill-down: pick a tile's measure and see the leads it counted this month."""
    from sla_model.metrics.drill import explain, measure_leads
    from sla_model.metrics.progress import MEASURE_LABELS

    picked = st.pills("Show the leads behind", list(MEASURE_LABELS), format_func=lambda m: MEASURE_LABELS[m],
                      key="gp_drill")  # fmt: skip
    if picked:
        rows = measure_leads(view.leads, picked, view.start, view.end)
        leads_panel(f"{MEASURE_LABELS[picked]}, {view.period:%B %Y}", explain(rows, picked), key=f"gp_{picked}")


#: Lead quality's tiles, by the decision status they count.
STATUS_LABELS = {"accepted": "Accepted", "rejected": "Rejected", "stale": "Stale", "pending": "Pending"}


def status_drill(view: View, labels: dict[str, str]) -> None:
    """Lead quality's drill-down: the month's MQLs sales accepted, rejected, left unworked or has not decided."""
    from sla_model.metrics.drill import explain, status_leads

    picked = st.pills("Show the leads behind", list(STATUS_LABELS), format_func=STATUS_LABELS.get, key="lq_drill")
    if picked:
        rows = status_leads(view.leads, view.start, view.end, picked)
        title = f"{STATUS_LABELS[picked]} MQLs handed over in {view.period:%B %Y}"
        leads_panel(title, explain(rows, picked), key=f"lq_{picked}", labels=labels)


def reason_pareto(pareto: pd.DataFrame, *, key: str) -> dict:
    """The reasons' Pareto chart, clickable: returns the clicked bar's ``{"reason": code}`` (``{}`` if none)."""
    from sla_model.charts.quality import REASON_PICK, reason_pareto_chart
    from ui.charts import projector, show

    return show(projector(reason_pareto_chart(pareto, selectable=True), 340), len(pareto), key=key, select=REASON_PICK)


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
    names = leads.loc[:, ["lead_id", "first_name", "last_name", "company"]]
    rows = rows.drop(columns=[c for c in ("company",) if c in rows]).merge(names, on="lead_id", how="left")
    columns = ["lead_id", "first_name", "last_name", "company", "owner", "channel", *_TIMING_COLUMNS[picked]]
    scope = "open now, any month" if picked == "breaches" else f"MQLs handed over in {view.period:%B %Y}"
    leads_panel(f"{TIMING_LABELS[picked]} ({scope})", rows.loc[:, columns], key=f"ht_{picked}")
