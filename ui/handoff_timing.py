"""Handoff timing's text helpers and its tiles, rep table and breach sections (Streamlit side)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sla_model.agreement.sla import STANDARD, Sla
from sla_model.exports import safe_csv
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.metrics.timing import compliance_summary, rep_figures, speed_summary
from ui import fmt
from ui.controls import View
from ui.lead_history import LEAD_PARAM
from ui.links import page_link

#: Breach-table row height in pixels: above 4rem, so long text wraps onto a second line.
ROW_HEIGHT = 68


def rules_text(sla: Sla) -> str:
    """The follow-up rules of a version in words."""
    f = sla.follow_up
    hours = lambda h: f"{h:g} h" if sla.calendar.always else f"{h:g} business hour{'' if h == 1 else 's'}"  # noqa: E731
    days = sla.calendar.day_unit
    text = (
        f"first touch within {hours(f.first_touch_hours)}, {f.min_touches} touches within {f.touch_window_days} "
        f"{days}, accept or reject within {hours(f.decision_hours)}"
    )
    if not sla.calendar.always:
        text += f" (business hours: {sla.calendar.describe()})"
    for policy in f.policies:
        rules = f.rules(policy)
        touch = ""
        if (rules["min_touches"], rules["touch_window_days"]) != (f.min_touches, f.touch_window_days):
            touch = f", {rules['min_touches']} touches within {rules['touch_window_days']} {days}"
        text += (
            f"; {policy.name}: first touch within {hours(rules['first_touch_hours'])}{touch}, accept or reject within "
            f"{hours(rules['decision_hours'])}"
        )
    return text


def interval_text(low: float, high: float) -> str:
    """A 95% interval as ``95% CI 81–90%``; empty when unknown."""
    if np.isnan(low) or np.isnan(high):
        return ""
    return f"95% CI {fmt.pct(low)}–{fmt.pct(high)}"


def rep_label(name: object, n: int) -> str:
    """A rep's name with the sample size, e.g. ``Derek Hale (n=21)``.

    Examples:
        >>> rep_label("Derek Hale", 21)
        'Derek Hale (n=21)'
    """
    return f"{name} (n={n})"


def with_rep_labels(reps: pd.DataFrame, n: str) -> pd.DataFrame:
    """Rep rows with a ``Rep`` label carrying the sample size in column ``n``."""
    out = reps.copy()
    out["Rep"] = [rep_label(o, k) for o, k in zip(out["owner"], out[n], strict=True)]
    return out


def version_notes(view: View, used: list[int]) -> str:
    """The caption under the title: the view and the follow-up rules of every version that judged its MQLs."""
    sla = view.sla
    versions = {s.meta.version: s for s in view.data.versions}
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
    return " · ".join(notes)


def tiles(judged: pd.DataFrame, compliance: pd.DataFrame, breaches: pd.DataFrame, view: View) -> dict:
    """The headline numbers; returns the speed summary."""
    speed = speed_summary(judged)
    rule = compliance_summary(compliance)
    ok, n = rule["complies"], rule["judged"]
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
        unit = view.sla.calendar.hour_unit
        st.caption(f"to first touch · {speed['touched']:,} touched MQLs · SLA {f.first_touch_hours:g} {unit}")
    with cols[3], st.container(border=True):
        st.metric(
            "Touch rule met",
            fmt.pct(rule["share"]),
            help=f"MQLs with at least {f.min_touches} touches within {f.touch_window_days} days, or a decision "
            "(accept, or reject other than for no response) inside that window. Judged once the window is over.",
        )
        st.caption(
            " · ".join(p for p in (f"{ok:,} of {n:,} judged", interval_text(rule["low"], rule["high"])) if p)
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


def rep_table(speed: pd.DataFrame, compliance: pd.DataFrame, month: pd.DataFrame) -> None:
    """The per-rep numbers behind the two charts, with their sample sizes."""
    table = rep_figures(speed, compliance, month)

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
        f"{as_of:%d %b %Y, %H:%M} UTC — from **any month**, not only {view.label}"
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
    if "policy" in breaches and breaches["policy"].ne(STANDARD).any():
        table["Policy"] = breaches["policy"].astype(str).to_numpy()
    # Rows taller than 4rem let long text wrap, so every column fits a 1280-pixel projector.
    picked = st.dataframe(
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
            "Policy": st.column_config.TextColumn(width=104, help="The follow-up policy the lead is judged by"),
        },
        key="breach_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    rows = picked.selection.rows
    if rows:
        lead_id = str(table["Lead"].iloc[rows[0]])
        page_link("pages/lead.py", f"Open the history of {lead_id}", ":material/history:", {LEAD_PARAM: lead_id})
    else:
        st.caption("Select a row to open that lead's history.")
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
