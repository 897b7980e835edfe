"""What if: move the MQL definition, quotas and team, see what the history says would follow; publish it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.agreement.sla import in_force
from sla_model.charts.style import projector
from sla_model.charts.whatif import (
    channel_change_chart,
    channel_change_worth_drawing,
    monthly_mqls_chart,
    monthly_mqls_frame,
)
from sla_model.metrics.funnel import trailing_rates
from sla_model.review.decisions import candidate_of, list_proposals
from sla_model.whatif import Candidate, evaluate, observed_team_size
from ui import fmt
from ui import what_if as wi
from ui.backtest import show_backtest
from ui.charts import show
from ui.data import get_dataset, get_engine, get_follow_up_replay, get_policy_replay, get_whatif_arrays
from ui.identity import current_actor

P = wi.P  # widget key prefix

data = get_dataset()
actor = current_actor()
st.session_state[P + "actor"] = actor
st.title("What if…")
if data.leads.empty or not data.versions:
    st.info("There is no history to replay yet: import leads and an SLA first.")
    st.stop()

arrays = get_whatif_arrays()
as_of = pd.Timestamp(data.as_of)
goal_rates = trailing_rates(data.leads, as_of.to_period("M"))  # Goal progress' rates, for the funnel's note
sla = in_force(data.versions, as_of.date())
cur = sla.goal.currency
base = Candidate.from_sla(sla, team_size=max(observed_team_size(arrays), 1), capacity_per_rep_week=wi.DEFAULT_CAPACITY)
if st.session_state.get(P + "base") != base:  # first visit, or the SLA in force changed
    st.session_state[P + "base"] = base
    wi.reset_controls(base)
if wanted := st.query_params.get("proposal"):  # "Load … on What if…" from the meeting: the adopted change
    del st.query_params["proposal"]
    found = next((r for r in list_proposals(engine=get_engine()) if str(r.id) == wanted), None)
    if found is None:
        st.session_state[P + "flash"] = ("error", f"There is no proposal {wanted} to load.")
    else:
        wi.load_controls(candidate_of(found))
        loaded = f"Loaded the {found.status} change “{found.title}”: check it below, then publish it."
        st.session_state[P + "flash"] = ("success", loaded)
if len(arrays.months):
    st.caption(
        f"Replays the {fmt.count(len(arrays.months))} complete months of history ({arrays.months[0]:%b %Y} – "
        f"{arrays.months[-1]:%b %Y}) under your candidate SLA, beside SLA version {fmt.count(sla.meta.version)} in "
        "force. Expected SQLs, wins and revenue use the conversion observed per channel and score band."
    )
else:
    st.info("There is no complete month of history yet: the replay has nothing to go on.", icon=":material/info:")
    st.stop()
upcoming = sorted((s for s in data.versions if s.meta.effective_from > as_of.date()), key=lambda s: s.meta.version)
for later in upcoming:
    st.info(f"SLA version {fmt.count(later.meta.version)} is upcoming: in force from "
            f"{fmt.day(later.meta.effective_from)}; until then version {fmt.count(sla.meta.version)} applies.",
            icon=":material/event_upcoming:")  # fmt: skip
wi.flash("flash")


def follow_up_replay(c: Candidate) -> pd.DataFrame:
    """The candidate's follow-up rules replayed on the history's touches (cached per rule set)."""
    return get_follow_up_replay(first_touch_hours=c.first_touch_hours, min_touches=c.min_touches,
                                touch_window_days=c.touch_window_days, decision_hours=c.decision_hours)  # fmt: skip


@st.fragment
def workbench() -> None:
    controls, outputs = st.columns([1, 2.4], gap="large")
    with controls:
        wi.show_controls(base, arrays, cur)
    with outputs:
        try:
            candidate = wi.candidate_from_controls(base)
        except ValueError as exc:
            st.session_state[P + "candidate"] = None  # publish and propose must not use an earlier candidate
            st.error(f"These settings are not a valid SLA: {fmt.md_escape(exc)}")
            return
        st.session_state[P + "candidate"] = candidate
        r = evaluate(arrays, candidate, baseline=base)
        wi.show_summary(r, candidate, cur, data.empty_fields)
        wi.show_advisor(base, candidate, cur)

        st.subheader("MQLs per month")
        long = monthly_mqls_frame(r.monthly, sla.meta.version)
        show(projector(monthly_mqls_chart(long, sla.meta.version), 280), len(long), key=P + "monthly_chart")
        st.subheader("Change per channel")
        ch = r.by_channel.reset_index()
        if channel_change_worth_drawing(ch):
            show(projector(channel_change_chart(ch, data.channels), 280), len(ch), key=P + "channel_chart")
        else:  # a chart of empty bars on a '+0' axis says less than this
            st.caption("No channel changes by a whole MQL a month.")
        st.subheader("Follow-up rules on the history's touches")
        st.caption("Share of the history's MQLs that met each rule (judged: window over, or met), and the "
                   "breaches it would have counted a month.")  # fmt: skip
        follow_up = wi.follow_up_table(follow_up_replay(candidate), follow_up_replay(base), candidate,
                                       sla.meta.version)  # fmt: skip
        st.dataframe(follow_up, hide_index=True, width="stretch")
        st.subheader("Rejections it would remove or add (a month)")
        st.dataframe(wi.reasons_table(r.reasons), hide_index=True, width="stretch")
        st.subheader("Reverse funnel for this goal")
        st.dataframe(wi.funnel_table(r.funnel, cur), hide_index=True, width="stretch")
        if note := wi.goal_progress_note(candidate, r, goal_rates, as_of.to_period("M")):
            st.caption(note)
    st.subheader("Follow-up policies")
    st.caption(
        "Segments of MQLs with their own follow-up rules; the first policy that covers an MQL wins, the rest "
        "get the rules above. A blank rule is the standard one."
    )
    candidate = candidate.replace(policies=wi.show_policies(base))
    st.session_state[P + "candidate"] = candidate
    if candidate.policies or base.policies:
        st.caption(f"Per policy on the history's touches: MQLs a month, share within each rule, breaches a month "
                   f"(all rules), and v{sla.meta.version}'s breaches for the same policy.")  # fmt: skip
        st.dataframe(wi.policy_replay_table(get_policy_replay(candidate), get_policy_replay(base),
                                            sla.meta.version), hide_index=True, width="stretch")  # fmt: skip


workbench()

# --- Publish, export, import -------------------------------------------------------------------------------
st.header("Save this scenario")
candidate = st.session_state.get(P + "candidate")
terms = st.session_state.get(P + "scenario_sla") or sla  # a loaded scenario's other terms, else the SLA in force
next_version = max(s.meta.version for s in data.versions) + 1
publish_col, file_col = st.columns(2, gap="large")
with publish_col, st.container(border=True):
    wi.show_publish(candidate, terms, actor, next_version, as_of.date())
with file_col, st.container(border=True):
    wi.show_scenario_file(candidate, terms, actor, next_version, as_of.date())
with st.container(border=True):
    wi.show_propose()
show_backtest(data, arrays)
