"""What if: move the MQL definition, quotas and team, see what the history says would follow; publish it."""

from __future__ import annotations

import tomllib

import altair as alt
import pandas as pd
import streamlit as st
import tomli_w

from sla_model.access import PermissionDenied
from sla_model.actions import ActionError, publish_sla
from sla_model.decisions import propose
from sla_model.sla import SlaError, in_force, parse_sla, sla_to_dict
from sla_model.suggest import rescale_channel_quotas
from sla_model.whatif import CRITERION_FIELDS, Candidate, evaluate, observed_team_size, unmeetable_criteria
from ui import fmt
from ui.charts import GOOD, NEUTRAL, channel_scale, month_axis, projector, show
from ui.data import get_dataset, get_engine, get_whatif_arrays
from ui.identity import current_actor
from ui.links import page_link

DEFAULT_CAPACITY = 15.0  # MQLs a rep can work a week, until the team says otherwise
P = "wi_"  # widget key prefix
FIELDS = [
    "score_threshold", "personas", "min_company_size", "countries", "demo_request", "min_page_views",
    "min_form_submissions", "quota_mqls", "quota_sqls", "quota_won", "revenue_goal", "average_deal_size",
    "team_size", "capacity_per_rep_week", "first_touch_hours", "min_touches", "touch_window_days", "decision_hours",
]  # fmt: skip


#: How the page names each lead field in a sentence.
FIELD_NAMES = {
    "score": "lead score", "persona": "persona", "company_size": "company size", "country": "country",
    "demo_request": "demo request", "page_views": "page views", "form_submissions": "form submissions",
}  # fmt: skip


def criterion_text(name: str, candidate: Candidate) -> str:
    """One MQL criterion of the candidate in words, e.g. ``score ≥ 55``."""
    return {
        "score_threshold": f"score ≥ {fmt.count(candidate.score_threshold)}",
        "personas": "a persona from the list",
        "min_company_size": f"company size ≥ {fmt.count(candidate.min_company_size)}",
        "countries": "a country from the list",
        "demo_request": "the demo-request trigger",
        "min_page_views": f"page views ≥ {fmt.count(candidate.min_page_views)}",
        "min_form_submissions": f"form submissions ≥ {fmt.count(candidate.min_form_submissions)}",
    }[name]


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def load_controls(candidate: Candidate) -> None:
    for name in FIELDS:
        value = getattr(candidate, name)
        st.session_state[P + name] = list(value) if isinstance(value, tuple) else value


def candidate_from_controls(base: Candidate) -> Candidate:
    values = {name: st.session_state[P + name] for name in FIELDS}
    values["personas"], values["countries"] = tuple(values["personas"]), tuple(values["countries"])
    by_channel = rescale_channel_quotas(dict(base.mqls_by_channel), base.quota_mqls, values["quota_mqls"])
    values["mqls_by_channel"] = tuple(by_channel.items())
    return base.replace(**values)


def on_import() -> None:
    upload = st.session_state.get(P + "upload")
    if upload is None:
        return
    try:
        sla = parse_sla(tomllib.loads(upload.getvalue().decode("utf-8")), source=upload.name)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        st.session_state[P + "flash"] = ("error", f"{upload.name}: not a TOML scenario file ({exc})")
        return
    except SlaError as exc:
        st.session_state[P + "flash"] = ("error", str(exc))
        return
    base = st.session_state[P + "base"]
    load_controls(Candidate.from_sla(sla, team_size=base.team_size, capacity_per_rep_week=base.capacity_per_rep_week))
    st.session_state[P + "flash"] = ("success", f"Loaded the scenario from {upload.name}.")


data = get_dataset()
actor = current_actor()
st.title("What if…")
if data.leads.empty or not data.versions:
    st.info("There is no history to replay yet: import leads and an SLA first.")
    st.stop()

arrays = get_whatif_arrays()
as_of = pd.Timestamp(data.as_of)
sla = in_force(data.versions, as_of.date())
base = Candidate.from_sla(sla, team_size=max(observed_team_size(arrays), 1), capacity_per_rep_week=DEFAULT_CAPACITY)
if st.session_state.get(P + "base") != base:  # first visit, or the SLA in force changed
    st.session_state[P + "base"] = base
    load_controls(base)
st.caption(
    f"Replays the {len(arrays.months)} complete months of history ({arrays.months[0]:%b %Y} – "
    f"{arrays.months[-1]:%b %Y}) under your candidate SLA, beside SLA version {sla.meta.version} in force. "
    "Expected SQLs, wins and revenue use the conversion observed per channel and score band."
)
if P + "flash" in st.session_state:
    kind, text = st.session_state.pop(P + "flash")
    getattr(st, kind)(fmt.md_escape(text))


@st.fragment
def workbench() -> None:
    controls, outputs = st.columns([1, 2.4], gap="large")
    with controls:
        st.button("Reset to the SLA in force", key=P + "reset", on_click=load_controls, args=(base,),
                  icon=":material/restart_alt:")  # fmt: skip
        with st.expander("MQL definition", expanded=True):
            st.slider("Score threshold", 0, 100, key=P + "score_threshold")
            st.multiselect("Personas that fit (none = any)", list(arrays.personas), key=P + "personas")
            st.number_input("Minimum company size (employees)", 0, 1_000_000, step=10, key=P + "min_company_size")
            st.multiselect("Countries that fit (none = any)", list(arrays.countries), key=P + "countries")
            st.toggle("A demo request makes a fitting lead an MQL", key=P + "demo_request")
            st.number_input("… or page views at least (0 = off)", 0, 1000, key=P + "min_page_views")
            st.number_input("… or form submissions at least (0 = off)", 0, 100, key=P + "min_form_submissions")
        with st.expander("Quotas and goal", expanded=True):
            st.number_input("MQLs a month", 0, 1_000_000, step=10, key=P + "quota_mqls")
            st.number_input("SQLs a month", 0, 1_000_000, step=5, key=P + "quota_sqls")
            st.number_input("Won deals a month", 0, 100_000, key=P + "quota_won")
            st.number_input("Revenue goal a month", 1.0, 1e10, step=10_000.0, key=P + "revenue_goal")
            st.number_input("Average deal size", 1.0, 1e9, step=500.0, key=P + "average_deal_size")
        with st.expander("Sales team and follow-up", expanded=True):
            st.number_input("Reps working MQLs", 1, 1000, key=P + "team_size")
            st.slider("MQLs a rep can work a week", 1.0, 100.0, step=1.0, key=P + "capacity_per_rep_week")
            st.number_input("First touch within (hours)", 0.5, 2160.0, step=1.0, key=P + "first_touch_hours")
            st.number_input("Touches at least", 1, 50, key=P + "min_touches")
            st.number_input("… within (days)", 1, 90, key=P + "touch_window_days")
            st.number_input("Decision within (hours)", 0.5, 2160.0, step=1.0, key=P + "decision_hours")
    with outputs:
        try:
            candidate = candidate_from_controls(base)
        except ValueError as exc:
            st.error(f"These settings are not a valid SLA: {exc}")
            return
        st.session_state[P + "candidate"] = candidate
        r = evaluate(arrays, candidate, baseline=base)
        colour = "blue" if r.goal_reachable else "orange"
        verdict = r.verdict[:1].upper() + r.verdict[1:]
        st.markdown(f"### :{colour}-background[{fmt.md_escape(verdict)}]")
        st.caption("Per average month of the history; the SLA in force in brackets.")
        t1, t2, t3 = st.columns(3)
        t4, t5, _ = st.columns(3)
        t1.metric("MQLs", fmt.count(r.mqls), delta=f"{r.mqls - r.baseline_mqls:+,.0f} vs {r.baseline_mqls:,.0f}")
        t2.metric("SQLs", fmt.count(r.sqls.expected), delta=f"{r.sqls.expected - r.baseline_sqls.expected:+,.0f}",
                  help=f"95% interval {r.sqls.low:,.0f}–{r.sqls.high:,.0f}")  # fmt: skip
        t3.metric("Won deals", fmt.count(r.won.expected), delta=f"{r.won.expected - r.baseline_won.expected:+,.1f}",
                  help=f"95% interval {r.won.low:,.1f}–{r.won.high:,.1f}")  # fmt: skip
        t4.metric("Revenue", fmt.money(r.revenue.expected, sla.goal.currency),
                  delta=f"{r.revenue_gap:+.0%} vs goal", delta_color="normal" if r.revenue_gap >= 0 else "inverse",
                  help=f"95% interval {fmt.money(r.revenue.low)}–{fmt.money(r.revenue.high)}; goal "
                  f"{fmt.money(candidate.revenue_goal)}")  # fmt: skip
        t5.metric("Acceptance", fmt.pct(r.acceptance_rate),
                  delta=f"{(r.acceptance_rate - r.baseline_acceptance_rate) * 100:+.1f} pts")  # fmt: skip
        blocked = unmeetable_criteria(candidate, data.empty_fields)
        if blocked:
            fields = and_list([FIELD_NAMES[CRITERION_FIELDS[c]] for c in blocked])
            st.warning(
                f"{fmt.count(r.mqls)} MQLs a month from {and_list([criterion_text(c, candidate) for c in blocked])}: "
                f"no lead can meet {'it' if len(blocked) == 1 else 'them'}, because {fields} "
                f"{'is' if len(blocked) == 1 else 'are'} empty in this data (no lead has a value; the import had "
                "no such column). Set these criteria to 0 or off to see what the rest of the definition admits, "
                "or import leads with these fields.",
                icon=":material/help:",
            )
        st.caption(
            f"Intervals: SQLs {r.sqls.low:,.0f}–{r.sqls.high:,.0f} · wins {r.won.low:,.1f}–{r.won.high:,.1f} · "
            f"revenue {fmt.money(r.revenue.low)}–{fmt.money(r.revenue.high)} (95%)."
        )
        if r.over_capacity:
            st.warning(
                f"Over capacity: {r.load_per_rep_week:,.1f} MQLs per rep a week against {r.capacity_per_rep_week:g} "
                f"({r.months_over_capacity} of {len(r.months)} months over). Add reps or tighten the definition.",
                icon=":material/warning:",
            )
        else:
            st.markdown(f"**Load:** {r.load_per_rep_week:,.1f} MQLs per rep a week (capacity "
                        f"{r.capacity_per_rep_week:g}; peak month {r.peak_load_per_rep_week:,.1f}).")  # fmt: skip
        if r.extrapolated:
            st.warning(
                f"Extrapolation: {fmt.pct(r.extrapolated_share)} of these MQLs fall in channel × score-band cells "
                f"the history never handed to sales (bands {', '.join(r.extrapolated_bands)}); their estimates "
                "borrow the nearest observed rates.", icon=":material/science:",
            )  # fmt: skip

        monthly = r.monthly.reset_index()
        monthly["month_start"] = monthly["month"].dt.start_time
        long = monthly.melt("month_start", value_vars=["mqls", "baseline_mqls", "actual_mqls"],
                            var_name="series", value_name="MQLs")  # fmt: skip
        names = {
            "mqls": "Candidate",
            "baseline_mqls": f"SLA v{sla.meta.version}",
            "actual_mqls": "Actually handed over",
        }
        long["series"] = long["series"].map(names)
        chart = alt.Chart(long).mark_line(point=True, strokeWidth=3).encode(
            x=alt.X("yearmonth(month_start):T", title="Month the lead was created", axis=month_axis()),
            y=alt.Y("MQLs:Q", title="MQLs (count)"),
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=list(names.values()),
                                                                    range=[GOOD, NEUTRAL, "#E69F00"])),
            tooltip=[alt.Tooltip("month_start:T", title="Month", format="%B %Y"), "series:N",
                     alt.Tooltip("MQLs:Q", format=",.0f")],
        )  # fmt: skip
        st.subheader("MQLs per month")
        show(projector(chart, 280), len(long), key=P + "monthly_chart")

        st.subheader("Change per channel")
        ch = r.by_channel.reset_index()
        bars = alt.Chart(ch).mark_bar().encode(
            y=alt.Y("channel:N", title=None, sort="-x"),
            x=alt.X("change:Q", title="MQLs a month vs SLA in force (count)", axis=alt.Axis(format="+,.0f")),
            color=alt.Color("channel:N", scale=channel_scale(data.channels), legend=None),
            tooltip=["channel:N", alt.Tooltip("mqls:Q", format=",.1f"),
                     alt.Tooltip("baseline_mqls:Q", format=",.1f"),
                     alt.Tooltip("change_share:Q", title="change", format="+.0%")],
        )  # fmt: skip
        show(projector(bars, 280), len(ch), key=P + "channel_chart")
        st.subheader("Rejections it would remove or add (a month)")
        reasons = r.reasons.reset_index().head(6)
        st.dataframe(
            pd.DataFrame({"Reason": reasons["label"], "Removed": reasons["removed"].round(1),
                          "Added": reasons["added"].round(1), "Net": reasons["net"].round(1)}),
            hide_index=True, width="stretch",
        )  # fmt: skip
        st.subheader("Reverse funnel for this goal")
        f = r.funnel.reset_index()
        st.dataframe(
            pd.DataFrame({"Stage": f["stage"].str.capitalize(), "Needed": f["needed"].round(0),
                          "Expected": f["expected"].round(0), "Gap": f["gap"].round(0)}),
            hide_index=True, width="stretch",
        )  # fmt: skip


workbench()

# --- Publish, export, import -------------------------------------------------------------------------------
st.header("Save this scenario")
candidate = st.session_state.get(P + "candidate")
next_version = max(s.meta.version for s in data.versions) + 1
first_of_next = (as_of.to_period("M") + 1).start_time.date()
publish_col, file_col = st.columns(2, gap="large")
with publish_col, st.container(border=True):
    st.markdown(f"**Publish as SLA version {next_version}** (managers). Periods from its effective date on are "
                "judged against it; it appears in the SLA history and diff.")  # fmt: skip
    with st.form(P + "publish", border=False):
        effective = st.date_input("Effective from", value=first_of_next, key=P + "effective")
        note = st.text_area("Change note", key=P + "note", placeholder="What changed and why, for the record")
        submitted = st.form_submit_button("Publish", type="primary", icon=":material/publish:")
    if submitted:
        if candidate is None:
            st.error("Fix the settings above first: they are not a valid SLA.")
        elif not note.strip():
            st.error("Write a change note: the history should say why the agreement changed.")
        else:
            try:
                new = candidate.to_sla(sla, version=next_version, effective_from=effective, author=actor.name,
                                       change_note=note.strip())  # fmt: skip
                publish_sla(engine=get_engine(), actor=actor, sla=new)
            except (PermissionDenied, SlaError, ValueError) as exc:
                st.error(str(exc))
            else:
                st.success(f"Published SLA version {next_version}, effective {effective:%d %b %Y}. "
                           "See it on The SLA page.")  # fmt: skip
with file_col, st.container(border=True):
    st.markdown("**Prepare before the meeting:** download the scenario as an SLA file, edit or share it, load it back.")
    if candidate is not None:
        draft = candidate.to_sla(sla, version=next_version, effective_from=first_of_next, author=actor.name,
                                 change_note="Scenario from the what-if page")  # fmt: skip
        st.download_button("Download scenario (.toml)", tomli_w.dumps(sla_to_dict(draft)),
                           file_name=f"sla_scenario_v{next_version}.toml", mime="application/toml",
                           key=P + "download", icon=":material/download:")  # fmt: skip
    st.file_uploader("Load a scenario file", type=["toml"], key=P + "upload", on_change=on_import,
                     max_upload_size=1)  # fmt: skip

with st.container(border=True):
    st.markdown("**Propose for the next review** (managers): the scenario appears on the Meeting page under "
                "*SLA changes and decisions*, with what it would do, for the room to adopt or decline.")  # fmt: skip
    with st.form(P + "propose", border=False, clear_on_submit=True):
        title = st.text_input("Title", key=P + "proposal_title", max_chars=200,
                              placeholder="e.g. Score 60 and a demo request: fewer, better MQLs")  # fmt: skip
        why = st.text_area("Why (optional)", key=P + "proposal_note", max_chars=2000)
        proposed = st.form_submit_button("Propose", icon=":material/how_to_vote:")
    if proposed:
        if candidate is None:
            st.error("Fix the settings above first: they are not a valid SLA.")
        else:
            try:
                row = propose(engine=get_engine(), actor=actor, title=title, candidate=candidate, note=why)
            except (PermissionDenied, ActionError) as exc:
                st.error(str(exc))
            else:
                st.success(f"Proposed “{fmt.md_escape(row.title)}” for the next review.")
                page_link("pages/meeting.py", label="Open the meeting", icon=":material/groups:")
__import__("ui.backtest").backtest.show_backtest(data, arrays)  # the backtest section, ui/backtest.py
