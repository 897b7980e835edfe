"""The first-run form of The SLA page: version 1 drafted from the team's own history, edited, validated, published."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sla_model.access import PermissionDenied, Role
from sla_model.actions import publish_sla
from sla_model.agreement.sla import SlaError, parse_sla
from sla_model.whatif.suggest import LEVEL_LABELS, LEVELS, Suggestion, channel_quota_problem, suggest_sla
from ui import fmt
from ui.data import Dataset, get_dataset, get_engine
from ui.identity import current_actor

FLASH = "sla_flash"


@st.cache_data(max_entries=4, show_spinner="Reading your history…")
def _suggestion(version: int, level: str, author: str) -> Suggestion:
    """The draft for one data version and level (cached: the history is read once)."""
    data = get_dataset()
    codes = data.values_of("rejection_reason")
    return suggest_sla(data.leads, as_of=data.as_of, level=level, author=author, reason_codes=codes)  # type: ignore[arg-type]


def _history_table(s: Suggestion) -> pd.DataFrame:
    h = s.history
    rows = pd.DataFrame(
        {
            "Month": [m.strftime("%b %Y") for m in h.index],
            "MQLs": [fmt.count(v) for v in h["mqls"]],
            "SQLs": [fmt.count(v) for v in h["sqls"]],
            "Won": [fmt.count(v) for v in h["won"]],
            "Revenue": [fmt.money(v) for v in h["revenue"]],
        }
    )
    summary = pd.DataFrame(
        [
            ["Median" if level == "median" else "Best quarter", fmt.count(h["mqls"].quantile(q)),
             fmt.count(h["sqls"].quantile(q)), fmt.count(h["won"].quantile(q)), fmt.money(h["revenue"].quantile(q))]
            for level, q in LEVELS.items()
        ],
        columns=rows.columns,
    )  # fmt: skip
    rows = pd.concat([summary, rows], ignore_index=True)
    return rows


def _reasons_frame(reasons: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(reasons, columns=["code", "label", "then", "description"])


def draft_sla(data: Dataset) -> None:
    """The form that writes the team's first SLA version (managers), suggested from the stored leads."""
    e = fmt.md_escape
    st.title("The SLA")
    actor = current_actor()
    st.info(
        f"{fmt.plural(len(data.leads), 'lead')} stored, and no SLA yet. Draft your first version below: the goal "
        "and quotas start from months your team has already reached, broken down backwards from the revenue goal. "
        "Change anything, then publish it; every page judges the data against it from its effective date on.",
        icon=":material/contract:",
    )
    if actor.role != Role.MANAGER:
        st.warning("Only a manager can publish the SLA. Ask one, or sign in as a manager.", icon=":material/lock:")
        return
    level = st.radio("Start from", list(LEVELS), key="draft_level", horizontal=True,
                     format_func=lambda v: LEVEL_LABELS[v].capitalize())  # fmt: skip
    s = _suggestion(data.version, level, actor.name)
    d = s.document
    with st.expander(f"Your history: {fmt.plural(len(s.history), 'month')} read", expanded=True):
        st.dataframe(_history_table(s), hide_index=True, width="stretch")
        r = s.rates
        st.caption(
            f"Over these months {fmt.pct(r.mql_to_sql)} of MQLs became SQLs and {fmt.pct(r.sql_to_won)} of SQLs were "
            f"won, at an average deal of {fmt.money(r.average_deal_size, d['goal']['currency'])}. The quotas below "
            "are the reverse funnel of the revenue goal at these rates."
        )
        for note in s.notes:
            st.caption(":material/info: " + e(note[:1].upper() + note[1:]))

    k = f"draft_{level}_"  # the form's widgets start again from the other level's values when it changes
    with st.form(k + "form", border=True):
        st.subheader("Our shared goal")
        c1, c2, c3 = st.columns(3)
        revenue = c1.number_input("Monthly revenue goal", min_value=1, step=1_000, format="%d", key=k + "revenue",
                                  value=max(int(d["goal"]["monthly_revenue"]), 1))  # fmt: skip
        deal = c2.number_input("Average deal size", min_value=1, step=100, format="%d", key=k + "deal",
                               value=max(round(d["goal"]["average_deal_size"]), 1))  # fmt: skip
        currency = c3.text_input("Currency (ISO code)", value=d["goal"]["currency"], max_chars=3, key=k + "currency")
        st.subheader("Marketing commits (a month)")
        c1, c2, c3 = st.columns(3)
        mqls = c1.number_input("MQLs", min_value=0, step=1, value=d["quotas"]["mqls"], key=k + "mqls")
        sqls = c2.number_input("SQLs", min_value=0, step=1, value=d["quotas"]["sqls"], key=k + "sqls")
        won = c3.number_input("Won deals", min_value=0, step=1, value=d["quotas"]["won"], key=k + "won")
        channels = pd.DataFrame(
            {"Channel": list(d["quotas"]["mqls_by_channel"]), "MQLs": list(d["quotas"]["mqls_by_channel"].values())}
        )
        st.caption("MQLs per channel: they must add up to the MQL quota (leave the table empty for no channel quotas).")
        per_channel = st.data_editor(
            channels, key=k + "channels", hide_index=True, num_rows="dynamic", width="stretch",
            column_config={"MQLs": st.column_config.NumberColumn(min_value=0, step=1, format="%d")},
        )  # fmt: skip
        st.subheader("Definitions")
        c1, c2, c3 = st.columns(3)
        threshold = c1.number_input("MQL at a lead score of at least", 0, 100, d["mql"]["score_threshold"],
                                    key=k + "threshold")  # fmt: skip
        size = c2.number_input("Company size of at least (employees)", min_value=0, step=10, value=0, key=k + "size")
        demo = c3.checkbox("Demo request = MQL", d["mql"]["triggers"]["demo_request"], key=k + "demo",
                           help="A demo request makes a fitting lead an MQL whatever its score")  # fmt: skip
        c1, c2 = st.columns(2)
        personas = c1.multiselect("Personas that fit (none = any)", data.values_of("persona"), key=k + "personas")
        countries = c2.multiselect("Countries that fit (none = any)", data.values_of("country"), key=k + "countries")
        st.subheader("Sales commits")
        f = d["follow_up"]
        c1, c2, c3, c4 = st.columns(4)
        first = c1.number_input("First touch within (hours)", 0.5, 2160.0, f["first_touch_hours"], 0.5, format="%g",
                                key=k + "first")  # fmt: skip
        touches = c2.number_input("Contact attempts, at least", 1, 50, f["min_touches"], key=k + "touches")
        window = c3.number_input("… within (days)", 1, 90, f["touch_window_days"], key=k + "window")
        decide = c4.number_input("Accept or reject within (hours)", 0.5, 2160.0, f["decision_hours"], 0.5,
                                 format="%g", key=k + "decide")  # fmt: skip
        stale = st.number_input("An MQL nobody decides goes back to nurture after (days)", 1, 365,
                                d["recycle"]["stale_after_days"], key=k + "stale")  # fmt: skip
        st.caption("Rejection reasons sales chooses from, and where each sends the lead:")
        reasons = st.data_editor(
            _reasons_frame(d["rejection_reasons"]), key=k + "reasons", hide_index=True, num_rows="dynamic",
            width="stretch",
            column_config={
                "code": st.column_config.TextColumn("Code", help="lowercase letters, digits and _", required=True),
                "label": st.column_config.TextColumn("Label", required=True),
                "then": st.column_config.SelectboxColumn("Then", options=["nurture", "disqualify"], required=True),
                "description": st.column_config.TextColumn("Note"),
            },
        )  # fmt: skip
        st.subheader("This version")
        c1, c2 = st.columns(2)
        effective = c1.date_input("Effective from", dt.date.fromisoformat(d["meta"]["effective_from"]),
                                  key=k + "effective", format="YYYY-MM-DD")  # fmt: skip
        author = c2.text_input("Agreed by", d["meta"]["author"], key=k + "author")
        review = c1.text_input("Monthly review", d["review"]["monthly"], key=k + "review")
        note = c2.text_input("Change note", d["meta"]["change_note"], key=k + "note")
        submitted = st.form_submit_button("Publish version 1", type="primary", icon=":material/publish:")
    if not submitted:
        return
    by_channel = {}
    for row in per_channel.itertuples(index=False):
        name = str(row.Channel or "").strip()
        if name:
            by_channel[name] = by_channel.get(name, 0) + int(0 if pd.isna(row.MQLs) else row.MQLs)
    problem = channel_quota_problem(int(mqls), by_channel)
    if problem:
        st.error("Not published: " + e(problem) + ".", icon=":material/error:")
        return
    document = {
        "meta": {"version": 1, "effective_from": effective.isoformat(), "author": author.strip(),
                 "change_note": note.strip()},
        "goal": {"monthly_revenue": float(revenue), "average_deal_size": float(deal), "currency": currency.strip()},
        "quotas": {"mqls": int(mqls), "sqls": int(sqls), "won": int(won), "mqls_by_channel": by_channel},
        "mql": {"score_threshold": int(threshold),
                "fit": {"personas": personas, "min_company_size": int(size), "countries": countries},
                "triggers": {"demo_request": bool(demo), "min_page_views": 0, "min_form_submissions": 0}},
        "sql": d["sql"],
        "follow_up": {"first_touch_hours": float(first), "min_touches": int(touches),
                      "touch_window_days": int(window), "decision_hours": float(decide)},
        "rejection_reasons": [
            {key: ("" if pd.isna(value) else str(value).strip()) for key, value in r.items()}
            for r in reasons.to_dict("records") if not all(pd.isna(v) or str(v).strip() == "" for v in r.values())
        ],
        "recycle": {"stale_after_days": int(stale)},
        "review": {"monthly": review.strip() or d["review"]["monthly"], "mid_month_checkin": "", "attendees": []},
    }  # fmt: skip
    try:
        sla = parse_sla(document, source="The SLA form")
        publish_sla(engine=get_engine(), actor=actor, sla=sla)
    except (SlaError, PermissionDenied, ValueError) as exc:
        st.error("Not published: " + e(exc), icon=":material/error:")
        return
    st.session_state[FLASH] = f"Version 1 of the SLA is published, effective from {effective:%d %B %Y}."
    st.rerun()
