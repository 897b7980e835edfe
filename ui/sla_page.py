"""The SLA page's Streamlit side: a version read as a contract, and the words and tables of its history and diff."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import STANDARD, Sla, term_label
from sla_model.metrics.funnel import customers_needed
from ui import fmt

e = fmt.md_escape  # every piece of stored text goes through this before st.markdown


def listing(items: list[str], everyone: str) -> str:
    """The items escaped and joined with commas, or ``everyone`` when there are none."""
    return ", ".join(e(i) for i in items) if items else everyone


def contract(sla: Sla) -> None:
    """One SLA version as the contract both teams signed: goal, commitments, definitions, cadence, the loop."""
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
        hours, days = ("hours", "days") if sla.calendar.always else ("business hours", "business days")
        st.markdown(
            f"- **First touch within {fu.first_touch_hours:g} {hours}** of every MQL's handoff\n"
            f"- **At least {fu.min_touches} contact attempts within {fu.touch_window_days} {days}**\n"
            f"- **Accept or reject within {fu.decision_hours:g} {hours}**, always with a reason from the list below\n"
            "- Report every closed and rejected lead back to marketing"
        )
        if not sla.calendar.always:
            st.caption("Clocks count business hours: " + fmt.md_escape(sla.calendar.describe()) + ".")
        if fu.policies:
            st.markdown("**Follow-up policies**, tried in this order; the first that covers an MQL sets its rules:\n"
                        + "\n".join(f"- {line}" for line in policy_lines(sla)))  # fmt: skip
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
                "Reason": [e(r.label) for r in sla.rejection_reasons],  # (a table's cells are markdown)
                "Then": ["back to nurture" if r.then == "nurture" else "disqualified" for r in sla.rejection_reasons],
                "Note": [e(r.description) for r in sla.rejection_reasons],
            }
        )
        st.table(reasons, border="horizontal", hide_index=True)  # a table wraps its text: every note is read whole


def show_value(value: object) -> str:
    """One term's value as the diff shows it.

    Examples:
        >>> [show_value(v) for v in (None, 0.5, 1234567.0, [], ["DE", "FR"], 55)]
        ['(not set)', '0.5', '1,234,567', '(any)', 'DE, FR', '55']
    """
    if value is None:
        return "(not set)"
    if isinstance(value, float):
        return f"{value:,.10g}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "(any)"
    return str(value)


def status(sla: Sla, current: Sla, today: dt.date) -> str:
    """``in force now``, ``upcoming`` or ``superseded``: one version beside the version in force on ``today``."""
    if sla is current:
        return "in force now"
    return "upcoming" if sla.meta.effective_from > today else "superseded"


def history_table(versions: list[Sla]) -> pd.DataFrame:
    """Every stored version, the newest first, with its effective date, author and change note (whole)."""
    return pd.DataFrame(
        {
            "Version": [s.meta.version for s in reversed(versions)],
            "Effective from": [f"{s.meta.effective_from:%d %b %Y}" for s in reversed(versions)],
            # a table's cells are markdown: the stored text is escaped, as everywhere else
            "Author": [e(s.meta.author) for s in reversed(versions)],
            "Change note": [e(s.meta.change_note) for s in reversed(versions)],
        }
    )


def diff_table(changes: list[tuple[str, object, object]], old: int, new: int) -> pd.DataFrame:
    """The terms two versions disagree on (:func:`sla_model.agreement.sla.diff_slas`), named as people say them."""
    return pd.DataFrame(
        {
            "Term": [term_label(path) for path, _, _ in changes],
            f"Version {old}": [show_value(a) for _, a, _ in changes],
            f"Version {new}": [show_value(b) for _, _, b in changes],
        }
    )


def policy_lines(sla: Sla) -> list[str]:
    """Each follow-up policy of a version in words (markdown, names escaped), in the order they are tried.

    Examples:
        >>> from tests.factories import make_sla
        >>> sla = make_sla(follow_up={"policies": [{"name": "Demos", "demo_request": True, "first_touch_hours": 1}]})
        >>> policy_lines(sla)[0]
        '**Demos** (a demo request): first touch within 1 h, 3 touches within 7 days, decide within 72 h'
    """
    fu = sla.follow_up
    hours = lambda h: f"{h:g} {sla.calendar.hour_unit}"  # noqa: E731
    days = sla.calendar.day_unit
    lines = []
    for policy in [*fu.policies, None]:
        rules = fu.rules(policy)
        covers = ["every other MQL"]
        if policy:
            covers = []
            if policy.channels:
                covers.append("channel " + ", ".join(policy.channels))
            if policy.demo_request is not None:
                covers.append("a demo request" if policy.demo_request else "no demo request")
            if policy.min_company_size:
                covers.append(f"{policy.min_company_size:,}+ employees")
            if policy.personas:
                covers.append("persona " + ", ".join(policy.personas))
        name = policy.name if policy else STANDARD
        lines.append(
            f"**{fmt.md_escape(name)}** ({fmt.md_escape('; '.join(covers))}): first touch within "
            f"{hours(rules['first_touch_hours'])}, {rules['min_touches']} touches within {rules['touch_window_days']} "
            f"{days}, decide within {hours(rules['decision_hours'])}"
        )
    return lines
