"""The SLA: the version in force as a readable contract, the version history, and a diff of two versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import Sla, diff_slas, in_force, term_label
from sla_model.metrics.funnel import customers_needed
from ui import fmt
from ui.controls import no_data_notice
from ui.data import get_dataset
from ui.sla_form import FLASH, draft_sla

e = fmt.md_escape  # every piece of stored text goes through this before st.markdown


def listing(items: list[str], everyone: str) -> str:
    return ", ".join(e(i) for i in items) if items else everyone


def contract(sla: Sla) -> None:
    goal, q, fu = sla.goal, sla.quotas, sla.follow_up
    money = lambda x: e(fmt.money(x, goal.currency))  # noqa: E731
    st.subheader("Our shared goal")
    customers = customers_needed(goal.monthly_revenue, goal.average_deal_size)
    st.markdown(
        f"Together we deliver **{money(goal.monthly_revenue)} of new revenue every month**. At an average deal "
        f"of **{money(goal.average_deal_size)}** that takes **{fmt.plural(int(customers), 'new customer')}** a "
        "month."
    )
    if q.won != customers:
        st.caption(
            f"The won-deal quota below is {q.won:,}: {fmt.plural(abs(int(customers) - q.won), 'deal')} "
            f"{'fewer' if q.won < customers else 'more'} than the goal takes at this deal size (the goal ÷ the deal "
            "size, rounded up, as on Goal progress)."
        )
    left, right = st.columns(2, gap="large")
    with left, st.container(border=True):
        st.subheader(":material/campaign: Marketing commits")
        st.markdown(
            f"- **{q.mqls:,} MQLs** handed to sales every month\n"
            f"- of which sales turns **{q.sqls:,} into SQLs** and closes **{q.won:,} deals**"
        )
        if q.mqls_by_channel:
            per = pd.DataFrame({"Channel": list(q.mqls_by_channel), "MQLs a month": list(q.mqls_by_channel.values())})
            st.dataframe(per, hide_index=True, width="stretch")
    with right, st.container(border=True):
        st.subheader(":material/support_agent: Sales commits")
        st.markdown(
            f"- **First touch within {fu.first_touch_hours:g} hours** of every MQL's handoff\n"
            f"- **At least {fu.min_touches} contact attempts within {fu.touch_window_days} days**\n"
            f"- **Accept or reject within {fu.decision_hours:g} hours**, always with a reason from the list below\n"
            "- Report every closed and rejected lead back to marketing"
        )
    left, right = st.columns(2, gap="large")
    with left, st.container(border=True):
        st.subheader(":material/rule: Definitions")
        fit, trig = sla.mql.fit, sla.mql.triggers
        triggers = [name for on, name in (
            (trig.demo_request, "a demo request"),
            (trig.min_page_views > 0, f"{trig.min_page_views}+ page views"),
            (trig.min_form_submissions > 0, f"{trig.min_form_submissions}+ form submissions"),
        ) if on]  # fmt: skip
        st.markdown(
            "**MQL** — a lead that *fits* and is *engaged*:\n"
            f"- fits: persona {listing(fit.personas, 'any')}; company of at least {fit.min_company_size:,} "
            f"employees; country {listing(fit.countries, 'any')}\n"
            f"- engaged: lead score **≥ {sla.mql.score_threshold}**"
            + (f", or {e(' or '.join(triggers))}" if triggers else "")
        )
        st.markdown(
            f"**SQL** — sales confirms at least **{sla.sql.min_criteria} of {len(sla.sql.criteria)}** "
            f"{e(sla.sql.framework)} criteria: {listing(sla.sql.criteria, '')}"
        )
    with right, st.container(border=True):
        st.subheader(":material/event_repeat: Review cadence")
        st.markdown(
            f"- Monthly review: {e(sla.review.monthly)}\n"
            + (f"- Mid-month check-in: {e(sla.review.mid_month_checkin)}\n" if sla.review.mid_month_checkin else "")
            + (f"- Attendees: {listing(sla.review.attendees, '')}" if sla.review.attendees else "")
        )
    with st.container(border=True):
        st.subheader(":material/recycling: Closing the loop")
        st.markdown(
            f"An MQL nobody decides on within **{sla.recycle.stale_after_days} days** goes back to marketing "
            "for nurturing. A rejection sends the lead where its reason says:"
        )
        reasons = pd.DataFrame(
            {
                "Reason": [r.label for r in sla.rejection_reasons],
                "Then": ["back to nurture" if r.then == "nurture" else "disqualified" for r in sla.rejection_reasons],
                "Note": [r.description for r in sla.rejection_reasons],
            }
        )
        st.table(reasons, border="horizontal", hide_index=True)  # a table wraps its text: every note is read whole


def show_value(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, float):
        return f"{value:,.10g}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "(any)"
    return str(value)


data = get_dataset()
if not data.versions:
    if data.leads.empty:
        st.title("The SLA")
        no_data_notice(data)
    else:
        draft_sla(data)
    st.stop()
if flash := st.session_state.pop(FLASH, None):
    st.success(e(flash), icon=":material/check_circle:")

by_number = {s.meta.version: s for s in data.versions}
current = in_force(data.versions, pd.Timestamp(data.as_of).date())
numbers = sorted(by_number, reverse=True)
with st.sidebar:
    chosen = st.selectbox(
        "SLA version",
        numbers,
        index=numbers.index(current.meta.version),
        key="sla_version",
        format_func=lambda n: f"Version {n}" + (" (in force)" if n == current.meta.version else ""),
        bind="query-params",
    )
sla = by_number[chosen]
status = (
    "in force now"
    if sla is current
    else ("upcoming" if sla.meta.effective_from > pd.Timestamp(data.as_of).date() else "superseded")
)
st.title(f"The SLA · version {sla.meta.version}")
st.markdown(
    f"**{status.capitalize()}** · effective from **{sla.meta.effective_from:%d %B %Y}** · agreed by "
    f"{e(sla.meta.author)}"
)
if sla.meta.change_note:
    st.caption("What changed: " + e(sla.meta.change_note))

contract(sla)

st.header("Version history")
history = pd.DataFrame(
    {
        "Version": [s.meta.version for s in reversed(data.versions)],
        "Effective from": [f"{s.meta.effective_from:%d %b %Y}" for s in reversed(data.versions)],
        "Author": [s.meta.author for s in reversed(data.versions)],
        "Change note": [s.meta.change_note for s in reversed(data.versions)],
    }
)
st.table(history, border="horizontal", hide_index=True)  # a table wraps its text: every change note is read whole

st.header("Compare two versions")
if len(numbers) < 2:
    st.info("Only one version is stored: there is nothing to compare yet.")
else:
    a_col, b_col = st.columns(2)
    old = a_col.selectbox("From version", sorted(numbers), index=len(numbers) - 2, key="diff_from")
    new = b_col.selectbox("To version", sorted(numbers), index=len(numbers) - 1, key="diff_to")
    changes = diff_slas(by_number[old], by_number[new])
    if old == new:
        st.info("Pick two different versions to compare.")
    elif not changes:
        st.success(f"Versions {old} and {new} agree on every term.")
    else:
        st.markdown(f"**{len(changes)} terms differ** between version {old} and version {new}:")
        diff = pd.DataFrame(
            {
                "Term": [term_label(path) for path, _, _ in changes],
                f"Version {old}": [show_value(a) for _, a, _ in changes],
                f"Version {new}": [show_value(b) for _, _, b in changes],
            }
        )
        st.table(diff, border="horizontal", hide_index=True)
