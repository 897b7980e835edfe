"""What if: move the MQL definition, quotas and team, see what the history says would follow; publish it."""

from __future__ import annotations

import tomllib

import altair as alt
import pandas as pd
import streamlit as st
import tomli_w

from sla_model.access import PermissionDenied
from sla_model.actions import ActionError, publish_sla
from sla_model.agreement.sla import SlaError, in_force, parse_sla, sla_to_dict
from sla_model.metrics.funnel import TRAILING_MONTHS, reverse_funnel, trailing_rates
from sla_model.review.decisions import MAX_TEXT, candidate_of, list_proposals, propose
from sla_model.whatif import CRITERION_FIELDS, Candidate, evaluate, observed_team_size, unmeetable_criteria
from sla_model.whatif.suggest import rescale_channel_quotas
from ui import fmt
from ui.backtest import show_backtest
from ui.charts import GOOD, NEUTRAL, channel_scale, month_axis, projector, show
from ui.data import get_dataset, get_engine, get_follow_up_replay, get_whatif_arrays
from ui.identity import current_actor
from ui.links import page_link

DEFAULT_CAPACITY = 15.0  # MQLs a rep can work a week, until the team says otherwise
P = "wi_"  # widget key prefix
FIELDS = [
    "score_threshold", "personas", "min_company_size", "countries", "demo_request", "min_page_views",
    "min_form_submissions", "quota_mqls", "quota_sqls", "quota_won", "revenue_goal", "average_deal_size",
    "team_size", "capacity_per_rep_week", "first_touch_hours", "min_touches", "touch_window_days", "decision_hours",
]  # fmt: skip


#: Each numeric control's range, shared by its widget and by the check of an uploaded scenario.
BOUNDS = {
    "score_threshold": (0, 100), "min_company_size": (0, 1_000_000), "min_page_views": (0, 1000),
    "min_form_submissions": (0, 100), "quota_mqls": (0, 1_000_000), "quota_sqls": (0, 1_000_000),
    "quota_won": (0, 100_000), "revenue_goal": (1, 10_000_000_000), "average_deal_size": (1, 1_000_000_000),
    "first_touch_hours": (0.1, 2160.0), "min_touches": (1, 50), "touch_window_days": (1, 90),
    "decision_hours": (0.1, 2160.0),
}  # fmt: skip
#: Money controls take whole amounts (integer inputs).
WHOLE = ("revenue_goal", "average_deal_size")
#: Where each control's value sits in an SLA file.
SLA_FIELDS = {
    "score_threshold": "mql.score_threshold", "min_company_size": "mql.fit.min_company_size",
    "min_page_views": "mql.triggers.min_page_views", "min_form_submissions": "mql.triggers.min_form_submissions",
    "quota_mqls": "quotas.mqls", "quota_sqls": "quotas.sqls", "quota_won": "quotas.won",
    "revenue_goal": "goal.monthly_revenue", "average_deal_size": "goal.average_deal_size",
    "first_touch_hours": "follow_up.first_touch_hours", "min_touches": "follow_up.min_touches",
    "touch_window_days": "follow_up.touch_window_days", "decision_hours": "follow_up.decision_hours",
}  # fmt: skip
#: How the funnel table names each stage.
STAGE_NAMES = {"revenue": "Revenue", "customers": "Customers", "sqls": "SQLs", "mqls": "MQLs", "leads": "Leads"}


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
    """Set every control to the candidate's values (the per-channel quotas follow the MQL quota)."""
    for name in FIELDS:
        value = getattr(candidate, name)
        st.session_state[P + name] = list(value) if isinstance(value, tuple) else value
    for name in WHOLE:
        st.session_state[P + name] = int(getattr(candidate, name))
    st.session_state[P + "channels"] = (dict(candidate.mqls_by_channel), candidate.quota_mqls)


def reset_controls(base: Candidate) -> None:
    """Back to the SLA in force, dropping a loaded scenario file."""
    st.session_state.pop(P + "scenario_sla", None)
    load_controls(base)


def candidate_from_controls(base: Candidate) -> Candidate:
    values = {name: st.session_state[P + name] for name in FIELDS}
    values["personas"], values["countries"] = tuple(values["personas"]), tuple(values["countries"])
    channels, total = st.session_state.get(P + "channels", (dict(base.mqls_by_channel), base.quota_mqls))
    if values["quota_mqls"] != total:
        channels = rescale_channel_quotas(channels, total, values["quota_mqls"])
    values["mqls_by_channel"] = tuple(channels.items())
    return base.replace(**values)


def _value_text(value: float) -> str:
    return fmt.count(value) if float(value).is_integer() and abs(value) < 1e15 else fmt.compact(value)


def outside_controls(candidate: Candidate) -> list[str]:
    """What in a scenario the controls cannot hold exactly, naming the SLA field and the allowed range."""
    problems = []
    for name, (low, high) in BOUNDS.items():
        value = getattr(candidate, name)
        if not low <= value <= high:
            problems.append(f"{SLA_FIELDS[name]} is {_value_text(value)}; the allowed range on this page is "
                            f"{_value_text(low)} to {_value_text(high)}")  # fmt: skip
        elif name in WHOLE and not float(value).is_integer():
            problems.append(
                f"{SLA_FIELDS[name]} is {fmt.compact(value)}; the allowed values on this page are whole amounts"
            )
    return problems


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
    scenario = Candidate.from_sla(sla, team_size=base.team_size, capacity_per_rep_week=base.capacity_per_rep_week)
    problems = outside_controls(scenario)
    if problems:
        st.session_state[P + "flash"] = (
            "error", f"Did not load {upload.name}, nothing changed: {'; '.join(problems)}.")  # fmt: skip
        return
    load_controls(scenario)
    st.session_state[P + "scenario_sla"] = sla  # its other terms (SQL criteria, reasons, ...) are kept too
    st.session_state[P + "flash"] = ("success", f"Loaded the scenario from {upload.name} as the file states it.")


def on_propose() -> None:
    """Store a proposal when its button is clicked, before the page reruns (a cut-short rerun loses nothing).

    The text stays in the form either way; the same proposal submitted again is stored once.
    """
    title = st.session_state.get(P + "proposal_title") or ""
    note = st.session_state.get(P + "proposal_note") or ""
    candidate, actor = st.session_state.get(P + "candidate"), st.session_state.get(P + "actor")
    if candidate is None or actor is None:
        st.session_state[P + "propose_flash"] = ("error", "Fix the settings above first: they are not a valid SLA. "
                                                 "Your text is kept.")  # fmt: skip
        return
    key = (actor.name, title.strip(), note.strip()[:MAX_TEXT], candidate.model_dump_json())
    if st.session_state.get(P + "proposed") == key or _already_proposed(key):
        st.session_state[P + "proposed"] = key
        st.session_state[P + "propose_flash"] = ("info", f"“{title.strip()}” is already proposed (stored once).")
        return
    st.session_state[P + "proposed"] = key  # set first: a second click never stores it twice
    try:
        row = propose(engine=get_engine(), actor=actor, title=title, candidate=candidate, note=note)
    except (PermissionDenied, ActionError) as exc:
        st.session_state.pop(P + "proposed", None)
        st.session_state[P + "propose_flash"] = ("error", f"{exc}. Your text is kept.")
    else:
        st.session_state[P + "propose_flash"] = ("success", f"Proposed “{row.title}” for the next review.")


def _already_proposed(key: tuple[str, str, str, str]) -> bool:
    """True when the same person already proposed this very scenario with this title and note, still open."""
    by, title, note, candidate = key
    return any(
        (p.proposed_by, p.title, p.note, p.candidate, p.status) == (by, title, note, candidate, "proposed")
        for p in list_proposals(engine=get_engine())
    )


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
base = Candidate.from_sla(sla, team_size=max(observed_team_size(arrays), 1), capacity_per_rep_week=DEFAULT_CAPACITY)
if st.session_state.get(P + "base") != base:  # first visit, or the SLA in force changed
    st.session_state[P + "base"] = base
    reset_controls(base)
if wanted := st.query_params.get("proposal"):  # "Load … on What if…" from the meeting: the adopted change
    del st.query_params["proposal"]
    found = next((r for r in list_proposals(engine=get_engine()) if str(r.id) == wanted), None)
    if found is None:
        st.session_state[P + "flash"] = ("error", f"There is no proposal {wanted} to load.")
    else:
        load_controls(candidate_of(found))
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
if P + "flash" in st.session_state:
    kind, text = st.session_state.pop(P + "flash")
    getattr(st, kind)(fmt.md_escape(text))


def delta(x: float, shown: str, suffix: str = "") -> dict:
    """``st.metric`` delta arguments for a change: 'no change' for a zero, green up, red down; none when unknown."""
    if pd.isna(x):
        return {}
    text, arrow, colour = fmt.change(x, shown, suffix)
    return {"delta": text, "delta_arrow": arrow, "delta_color": colour}


def follow_up_table(candidate: Candidate, base: Candidate) -> pd.DataFrame:
    """The follow-up rules replayed on the history's touches: the candidate's beside the SLA in force."""

    def replay(c: Candidate) -> pd.DataFrame:
        return get_follow_up_replay(first_touch_hours=c.first_touch_hours, min_touches=c.min_touches,
                                    touch_window_days=c.touch_window_days, decision_hours=c.decision_hours)  # fmt: skip

    def within(row: pd.Series) -> str:
        if not row["judged"]:
            return "no MQL to judge"
        return f"{fmt.pct(row['share_within'])} of {fmt.count(row['judged'])}"

    cand, ref = replay(candidate), replay(base)
    labels = [
        f"First touch within {fmt.compact(candidate.first_touch_hours)} h",
        f"{fmt.plural(candidate.min_touches, 'touch', 'touches')} within "
        f"{fmt.plural(candidate.touch_window_days, 'day')}",
        f"Decision within {fmt.compact(candidate.decision_hours)} h",
    ]
    return pd.DataFrame({
        "Rule": labels,
        "Within the rule": [within(row) for _, row in cand.iterrows()],
        "Breaches a month": [fmt.number(b, 1) if j else "—" for b, j in zip(cand["breaches_per_month"],
                                                                            cand["judged"], strict=True)],
        f"v{fmt.count(sla.meta.version)}: within": [within(row) for _, row in ref.iterrows()],
        f"v{fmt.count(sla.meta.version)}: breaches": [
            fmt.number(b, 1) if j else "—" for b, j in zip(ref["breaches_per_month"], ref["judged"], strict=True)],
    })  # fmt: skip


@st.fragment
def workbench() -> None:
    controls, outputs = st.columns([1, 2.4], gap="large")
    with controls:
        st.button("Reset to the SLA in force", key=P + "reset", on_click=reset_controls, args=(base,),
                  icon=":material/restart_alt:")  # fmt: skip
        with st.expander("MQL definition", expanded=True):
            st.slider("Score threshold", *BOUNDS["score_threshold"], key=P + "score_threshold")
            st.multiselect("Personas that fit (none = any)",
                           sorted({*arrays.personas, *st.session_state[P + "personas"]}),
                           key=P + "personas")  # fmt: skip
            st.number_input("Minimum company size (employees)", *BOUNDS["min_company_size"], step=10,
                            key=P + "min_company_size")  # fmt: skip
            st.multiselect("Countries that fit (none = any)",
                           sorted({*arrays.countries, *st.session_state[P + "countries"]}),
                           key=P + "countries")  # fmt: skip
            st.toggle("A demo request makes a fitting lead an MQL", key=P + "demo_request")
            st.number_input("… or page views at least (0 = off)", *BOUNDS["min_page_views"], key=P + "min_page_views")
            st.number_input("… or form submissions at least (0 = off)", *BOUNDS["min_form_submissions"],
                            key=P + "min_form_submissions")  # fmt: skip
        with st.expander("Quotas and goal", expanded=True):
            st.number_input("MQLs a month", *BOUNDS["quota_mqls"], step=10, key=P + "quota_mqls")
            st.number_input("SQLs a month", *BOUNDS["quota_sqls"], step=5, key=P + "quota_sqls")
            st.number_input("Won deals a month", *BOUNDS["quota_won"], key=P + "quota_won")
            st.number_input(f"Revenue goal a month ({sla.goal.currency})", *BOUNDS["revenue_goal"], step=10_000,
                            key=P + "revenue_goal")  # fmt: skip
            st.number_input(f"Average deal size ({sla.goal.currency})", *BOUNDS["average_deal_size"], step=500,
                            key=P + "average_deal_size")  # fmt: skip
        with st.expander("Sales team and follow-up", expanded=True):
            st.number_input("Reps working MQLs", 1, 1000, key=P + "team_size")
            st.slider("MQLs a rep can work a week", 1.0, 100.0, step=1.0, format="%g", key=P + "capacity_per_rep_week")
            st.number_input("First touch within (hours)", *BOUNDS["first_touch_hours"], step=0.5, format="%g",
                            key=P + "first_touch_hours")  # fmt: skip
            st.number_input("Touches at least", *BOUNDS["min_touches"], key=P + "min_touches")
            st.number_input("… within (days)", *BOUNDS["touch_window_days"], key=P + "touch_window_days")
            st.number_input("Decision within (hours)", *BOUNDS["decision_hours"], step=0.5, format="%g",
                            key=P + "decision_hours")  # fmt: skip
    with outputs:
        try:
            candidate = candidate_from_controls(base)
        except ValueError as exc:
            st.session_state[P + "candidate"] = None  # publish and propose must not use an earlier candidate
            st.error(f"These settings are not a valid SLA: {fmt.md_escape(exc)}")
            return
        st.session_state[P + "candidate"] = candidate
        r = evaluate(arrays, candidate, baseline=base)
        colour = "blue" if r.goal_reachable else "orange"
        verdict = r.verdict[:1].upper() + r.verdict[1:]
        st.markdown(f"### :{colour}-background[{fmt.md_escape(verdict)}]")
        st.caption("Per average month of the history; the SLA in force in brackets.")
        t1, t2, t3 = st.columns(3)
        t4, t5, _ = st.columns(3)
        cur = sla.goal.currency
        d_mqls, d_sqls = r.mqls - r.baseline_mqls, r.sqls.expected - r.baseline_sqls.expected
        d_won, d_pts = r.won.expected - r.baseline_won.expected, 100 * (r.acceptance_rate - r.baseline_acceptance_rate)
        vs = f" vs {fmt.count(r.baseline_mqls)}"
        t1.metric("MQLs", fmt.count(r.mqls), **delta(d_mqls, fmt.count(abs(d_mqls)), vs))
        t2.metric("SQLs", fmt.count(r.sqls.expected), **delta(d_sqls, fmt.count(abs(d_sqls))),
                  help=f"95% interval {fmt.count(r.sqls.low)}–{fmt.count(r.sqls.high)}")  # fmt: skip
        t3.metric("Won deals", fmt.count(r.won.expected), **delta(d_won, fmt.number(abs(d_won), 1)),
                  help=f"95% interval {fmt.number(r.won.low, 1)}–{fmt.number(r.won.high, 1)}")  # fmt: skip
        text, arrow, colour = fmt.gap(r.revenue_gap, fmt.pct(abs(r.revenue_gap)), "above goal", "short of goal",
                                      "on goal")  # fmt: skip
        t4.metric("Revenue", fmt.money(r.revenue.expected, cur), delta=text, delta_arrow=arrow, delta_color=colour,
                  help=f"95% interval {fmt.money(r.revenue.low, cur)}–{fmt.money(r.revenue.high, cur)}; goal "
                  f"{fmt.money(candidate.revenue_goal, cur)}")  # fmt: skip
        t5.metric("Acceptance", fmt.pct(r.acceptance_rate), **delta(d_pts, fmt.number(abs(d_pts), 1), " pts"))
        st.markdown("\n".join(f"- {line}" for line in (
            fmt.against_quota(r.mqls, candidate.quota_mqls, "MQLs"),
            fmt.against_quota(r.sqls.expected, candidate.quota_sqls, "SQLs"),
            fmt.against_quota(r.won.expected, candidate.quota_won, "won deals"),
        )))  # fmt: skip
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
            f"Intervals: SQLs {fmt.count(r.sqls.low)}–{fmt.count(r.sqls.high)} · wins {fmt.number(r.won.low, 1)}–"
            f"{fmt.number(r.won.high, 1)} · revenue {fmt.money(r.revenue.low, cur)}–{fmt.money(r.revenue.high, cur)} "
            "(95%)."
        )
        if r.over_capacity:
            st.warning(
                f"Over capacity: {fmt.number(r.load_per_rep_week, 1)} MQLs per rep a week against "
                f"{fmt.compact(r.capacity_per_rep_week)} ({fmt.count(r.months_over_capacity)} of "
                f"{fmt.plural(len(r.months), 'month')} over). Add reps or tighten the definition.",
                icon=":material/warning:",
            )
        else:
            st.markdown(f"**Load:** {fmt.number(r.load_per_rep_week, 1)} MQLs per rep a week (capacity "
                        f"{fmt.compact(r.capacity_per_rep_week)}; peak month "
                        f"{fmt.number(r.peak_load_per_rep_week, 1)}).")  # fmt: skip
        if r.extrapolated:
            share = fmt.pct(r.extrapolated_share) if r.extrapolated_share >= 0.005 else "under 1%"
            st.warning(
                f"Extrapolation: {share} of these MQLs fall in channel × score-band cells "
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
        if (ch["change"].abs() >= 0.5).any():
            show(projector(bars, 280), len(ch), key=P + "channel_chart")
        else:  # a chart of empty bars on a '+0' axis says less than this
            st.caption("No channel changes by a whole MQL a month.")
        st.subheader("Follow-up rules on the history's touches")
        st.caption("Share of the history's MQLs that met each rule (judged: window over, or met), and the "
                   "breaches it would have counted a month.")  # fmt: skip
        st.dataframe(follow_up_table(candidate, base), hide_index=True, width="stretch")
        st.subheader("Rejections it would remove or add (a month)")
        reasons = r.reasons.reset_index().head(6)
        label = reasons["label"].astype(object).where(reasons["label"].notna(), reasons["reason"].astype(object))
        st.dataframe(
            pd.DataFrame({"Reason": label.fillna("(no reason)").astype(str),
                          "Removed": reasons["removed"].map(fmt.number), "Added": reasons["added"].map(fmt.number),
                          "Net": reasons["net"].map(fmt.signed)}),
            hide_index=True, width="stretch",
        )  # fmt: skip
        st.subheader("Reverse funnel for this goal")
        f = r.funnel.reset_index()

        def amount(stage: str, x: float, *, signed: bool = False) -> str:
            if stage == "revenue":
                return ("+" if signed and x > 0 else "") + fmt.money(x, cur)
            return fmt.signed(x, 0) if signed else fmt.count(x)

        st.dataframe(
            pd.DataFrame({
                "Stage": f["stage"].map(STAGE_NAMES),
                "Needed": [amount(s, x) for s, x in zip(f["stage"], f["needed"], strict=True)],
                "Quota": [amount(s, x) for s, x in zip(f["stage"], f["quota"], strict=True)],
                "Expected": [amount(s, x) for s, x in zip(f["stage"], f["expected"], strict=True)],
                "Gap": [amount(s, x, signed=True) for s, x in zip(f["stage"], f["gap"], strict=True)],
            }),
            hide_index=True, width="stretch",
        )  # fmt: skip
        # where the same figure differs from Goal progress, say why (one source for each figure, two on purpose)
        month = as_of.to_period("M")
        goal_page = reverse_funnel(candidate.revenue_goal, candidate.average_deal_size, goal_rates)
        theirs = goal_page.set_index("stage")["needed"].get("mqls", float("nan"))
        ours = r.funnel["needed"].get("mqls", float("nan"))
        if theirs == theirs and ours == ours and round(theirs) != round(ours):
            st.caption(
                f"Goal progress shows {fmt.count(theirs)} MQLs needed for this goal in {month:%B}: it uses the "
                f"conversion of the {TRAILING_MONTHS} months before, as they happened. This replay needs "
                f"{fmt.count(ours)}: it applies this scenario's definition to the whole history, per channel and "
                "score band."
            )


workbench()

# --- Publish, export, import -------------------------------------------------------------------------------
st.header("Save this scenario")
candidate = st.session_state.get(P + "candidate")
terms = st.session_state.get(P + "scenario_sla") or sla  # a loaded scenario's other terms, else the SLA in force
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
    published = (actor.name, effective, note.strip(), candidate and candidate.model_dump_json())
    if submitted and st.session_state.get(P + "published", (None,))[0] == published:
        st.info(f"Already published as SLA version {fmt.count(st.session_state[P + 'published'][1])}.")
    elif submitted:
        if candidate is None:
            st.error("Fix the settings above first: they are not a valid SLA.")
        elif not note.strip():
            st.error("Write a change note: the history should say why the agreement changed.")
        else:
            try:
                new = candidate.to_sla(terms, version=next_version, effective_from=effective, author=actor.name,
                                       change_note=note.strip())  # fmt: skip
                publish_sla(engine=get_engine(), actor=actor, sla=new)
            except (PermissionDenied, SlaError, ValueError) as exc:
                st.error(fmt.md_escape(exc))
            else:
                st.session_state[P + "published"] = (published, next_version)
                when = "in force now" if effective <= as_of.date() else "upcoming"
                st.session_state[P + "publish_flash"] = (
                    f"Published SLA version {fmt.count(next_version)}, effective {fmt.day(effective)} ({when}). "
                    "See it on The SLA page.")  # fmt: skip
                st.rerun()  # the page now compares with the version in force and shows the upcoming one
    if P + "publish_flash" in st.session_state:
        st.success(fmt.md_escape(st.session_state.pop(P + "publish_flash")))
with file_col, st.container(border=True):
    st.markdown("**Prepare before the meeting:** download the scenario as an SLA file, edit or share it, load it back.")
    if candidate is not None:
        draft = candidate.to_sla(terms, version=next_version, effective_from=first_of_next, author=actor.name,
                                 change_note="Scenario from the what-if page")  # fmt: skip
        st.download_button("Download scenario (.toml)", tomli_w.dumps(sla_to_dict(draft)),
                           file_name=f"sla_scenario_v{next_version}.toml", mime="application/toml",
                           key=P + "download", icon=":material/download:")  # fmt: skip
    st.file_uploader("Load a scenario file", type=["toml"], key=P + "upload", on_change=on_import,
                     max_upload_size=1)  # fmt: skip

with st.container(border=True):
    st.markdown("**Propose for the next review** (managers): the scenario appears on the Meeting page under "
                "*SLA changes and decisions*, with what it would do, for the room to adopt or decline.")  # fmt: skip
    with st.form(P + "propose", border=False):  # the text stays until it is stored (on_propose)
        st.text_input("Title", key=P + "proposal_title", max_chars=200,
                      placeholder="e.g. Score 60 and a demo request: fewer, better MQLs")  # fmt: skip
        st.text_area("Why (optional)", key=P + "proposal_note", max_chars=2000)
        st.form_submit_button("Propose", icon=":material/how_to_vote:", on_click=on_propose)
    if P + "propose_flash" in st.session_state:
        kind, text = st.session_state.pop(P + "propose_flash")
        getattr(st, kind)(fmt.md_escape(text))
        if kind != "error":
            page_link("pages/meeting.py", label="Open the meeting", icon=":material/groups:")
show_backtest(data, arrays)
