"""The what-if page's Streamlit side: its controls in session state, their callbacks, its words and tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
import streamlit as st
import tomli_w
from pydantic import ValidationError

from sla_model.access import Actor, PermissionDenied
from sla_model.actions import ActionError, publish_sla
from sla_model.agreement.sla import STANDARD, Policy, Sla, SlaError, sla_to_dict
from sla_model.metrics.funnel import TRAILING_MONTHS, FunnelRates, reverse_funnel
from sla_model.metrics.stats import SMALL_SAMPLE
from sla_model.review.decisions import MAX_TEXT, list_proposals, propose
from sla_model.whatif import (
    CRITERION_FIELDS,
    Advice,
    Candidate,
    Definition,
    Option,
    WhatIfArrays,
    WhatIfResult,
    unmeetable_criteria,
)
from sla_model.whatif.scenario import BOUNDS, WHOLE, ScenarioFileError, out_of_bounds, read_scenario
from sla_model.whatif.suggest import rescale_channel_quotas
from ui import fmt
from ui.data import get_advice, get_engine
from ui.links import page_link

DEFAULT_CAPACITY = 15.0  # MQLs a rep can work a week, until the team says otherwise
P = "wi_"  # widget key prefix
#: How the advisor works, behind its heading's help icon.
ADVISOR_HELP = (
    "The advisor varies the score threshold, the personas, the minimum company size and the triggers; the "
    "countries stay as set above. Leads sales already worked count with their own recorded outcome, so a "
    "definition that picks better leads shows it; the others count with the rates of their channel and score "
    f"band. Only definitions with at least {SMALL_SAMPLE} MQLs accepted or rejected over the history (recorded "
    "or expected) are shown: fewer say little about acceptance. The replay above prices every MQL by channel "
    "and score band; each card shows its figure too, the one the page shows once you use the definition."
)
FIELDS = [
    "score_threshold", "personas", "min_company_size", "countries", "demo_request", "min_page_views",
    "min_form_submissions", "quota_mqls", "quota_sqls", "quota_won", "revenue_goal", "average_deal_size",
    "team_size", "capacity_per_rep_week", "first_touch_hours", "min_touches", "touch_window_days", "decision_hours",
]  # fmt: skip
#: How the funnel table names each stage.
STAGE_NAMES = {"revenue": "Revenue", "customers": "Customers", "sqls": "SQLs", "mqls": "MQLs", "leads": "Leads"}
#: How the page names each lead field in a sentence.
FIELD_NAMES = {
    "score": "lead score", "persona": "persona", "company_size": "company size", "country": "country",
    "demo_request": "demo request", "page_views": "page views", "form_submissions": "form submissions",
}  # fmt: skip


# --- words ---------------------------------------------------------------------------------------


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


def definition_text(d: Definition) -> str:
    """An advisor's MQL definition in words (persona names as the data spells them, not escaped).

    Examples:
        >>> definition_text(Definition(55, ("Finance Lead", "IT Director"), 250, True, 0, 3))
        'Score ≥ 55, a demo request or 3+ form submissions · Finance Lead or IT Director · company size ≥ 250'
        >>> definition_text(Definition(60, (), 0, False, 0, 0))
        'Score ≥ 60 · any persona · any company size'
    """
    engaged = [f"Score ≥ {fmt.count(d.score_threshold)}"]
    if d.demo_request:
        engaged.append("a demo request")
    if d.min_page_views:
        engaged.append(f"{fmt.count(d.min_page_views)}+ page views")
    if d.min_form_submissions:
        engaged.append(f"{fmt.count(d.min_form_submissions)}+ form submissions")
    engaged_text = engaged[0] if len(engaged) == 1 else f"{', '.join(engaged[:-1])} or {engaged[-1]}"
    personas = " or ".join(d.personas) if d.personas else "any persona"
    size = f"company size ≥ {fmt.count(d.min_company_size)}" if d.min_company_size else "any company size"
    return f"{engaged_text} · {personas} · {size}"


def option_text(o: Option, advice: Advice, currency: str) -> str:
    """An option's figures in one line: revenue against the goal, load against capacity, acceptance, MQLs."""
    text, _, _ = fmt.gap(o.revenue_gap, fmt.pct(abs(o.revenue_gap)), "above goal", "short of goal", "on goal")
    text = text.removeprefix("+")  # in a sentence, "4% above goal" says it once
    return (
        f"Revenue {fmt.money(o.revenue, currency)} a month ({text}; the replay: "
        f"{fmt.money(o.replay_revenue, currency)}) · {fmt.number(o.load_per_rep_week, 1)} MQLs "
        f"per rep a week (capacity {fmt.compact(advice.capacity_per_rep_week)}) · {fmt.pct(o.acceptance_rate)} "
        f"accepted · {fmt.count(o.mqls)} MQLs a month"
    )


def advisor_inputs(base: Candidate, candidate: Candidate) -> Candidate:
    """What the advisor searches for: the candidate's goal, deal size, team, capacity and countries.

    The rest comes from the SLA in force, so moving a definition control does not start a new search.
    """
    keep = ("countries", "revenue_goal", "average_deal_size", "team_size", "capacity_per_rep_week")
    return base.replace(**{name: getattr(candidate, name) for name in keep})


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def value_text(value: float) -> str:
    """A scenario's value as the page's messages spell it: whole numbers in full, others compact."""
    return fmt.count(value) if float(value).is_integer() and abs(value) < 1e15 else fmt.compact(value)


def outside_controls(candidate: Candidate) -> list[str]:
    """What in a scenario the controls cannot hold exactly, naming the SLA field and the allowed range."""
    return [
        f"{p.sla_field} is {fmt.compact(p.value)}; the allowed values on this page are whole amounts" if p.not_whole
        else f"{p.sla_field} is {value_text(p.value)}; the allowed range on this page is {value_text(p.low)} to "
        f"{value_text(p.high)}"
        for p in out_of_bounds(candidate)
    ]  # fmt: skip


def unmeetable_text(blocked: list[str], candidate: Candidate, mqls: float) -> str:
    """Why the candidate's MQLs come from criteria no lead can meet (their fields are empty in the data)."""
    fields = and_list([FIELD_NAMES[CRITERION_FIELDS[c]] for c in blocked])
    return (
        f"{fmt.count(mqls)} MQLs a month from {and_list([criterion_text(c, candidate) for c in blocked])}: "
        f"no lead can meet {'it' if len(blocked) == 1 else 'them'}, because {fields} "
        f"{'is' if len(blocked) == 1 else 'are'} empty in this data (no lead has a value; the import had "
        "no such column). Set these criteria to 0 or off to see what the rest of the definition admits, "
        "or import leads with these fields."
    )


def delta(x: float, shown: str, suffix: str = "") -> dict:
    """``st.metric`` delta arguments for a change: 'no change' for a zero, green up, red down; none when unknown."""
    if pd.isna(x):
        return {}
    text, arrow, colour = fmt.change(x, shown, suffix)
    return {"delta": text, "delta_arrow": arrow, "delta_color": colour}


def goal_progress_note(candidate: Candidate, r: WhatIfResult, goal_rates: FunnelRates, month: pd.Period) -> str | None:
    """Where the MQLs this goal needs differ from Goal progress' figure, why (one source each, two on purpose)."""
    goal_page = reverse_funnel(candidate.revenue_goal, candidate.average_deal_size, goal_rates)
    theirs = goal_page.set_index("stage")["needed"].get("mqls", float("nan"))
    ours = r.funnel["needed"].get("mqls", float("nan"))
    if theirs == theirs and ours == ours and round(theirs) != round(ours):
        return (
            f"Goal progress shows {fmt.count(theirs)} MQLs needed for this goal in {month:%B}: it uses the "
            f"conversion of the {TRAILING_MONTHS} months before, as they happened. This replay needs "
            f"{fmt.count(ours)}: it applies this scenario's definition to the whole history, per channel and "
            "score band."
        )
    return None


# --- tables --------------------------------------------------------------------------------------


def follow_up_table(cand: pd.DataFrame, ref: pd.DataFrame, candidate: Candidate, version: int) -> pd.DataFrame:
    """The follow-up rules replayed on the history's touches: the candidate's beside the SLA version in force.

    Args:
        cand: :func:`sla_model.whatif.follow_up_replay` of the candidate's rules.
        ref: the same for the SLA in force.
        candidate: names the rules.
        version: the number of the SLA version in force, heading its columns.
    """

    def within(row: pd.Series) -> str:
        if not row["judged"]:
            return "no MQL to judge"
        return f"{fmt.pct(row['share_within'])} of {fmt.count(row['judged'])}"

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
        f"v{fmt.count(version)}: within": [within(row) for _, row in ref.iterrows()],
        f"v{fmt.count(version)}: breaches": [
            fmt.number(b, 1) if j else "—" for b, j in zip(ref["breaches_per_month"], ref["judged"], strict=True)],
    })  # fmt: skip


def reasons_table(reasons: pd.DataFrame, top: int = 6) -> pd.DataFrame:
    """The rejections the candidate would remove or add a month (:attr:`WhatIfResult.reasons`), the first ``top``."""
    reasons = reasons.reset_index().head(top)
    label = reasons["label"].astype(object).where(reasons["label"].notna(), reasons["reason"].astype(object))
    return pd.DataFrame({"Reason": label.fillna("(no reason)").astype(str),
                         "Removed": reasons["removed"].map(fmt.number), "Added": reasons["added"].map(fmt.number),
                         "Net": reasons["net"].map(fmt.signed)})  # fmt: skip


def funnel_table(funnel: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The reverse funnel of the candidate's goal (:attr:`WhatIfResult.funnel`), every figure formatted."""
    f = funnel.reset_index()

    def amount(stage: str, x: float, *, signed: bool = False) -> str:
        if stage == "revenue":
            return ("+" if signed and x > 0 else "") + fmt.money(x, currency)
        return fmt.signed(x, 0) if signed else fmt.count(x)

    return pd.DataFrame({
        "Stage": f["stage"].map(STAGE_NAMES),
        "Needed": [amount(s, x) for s, x in zip(f["stage"], f["needed"], strict=True)],
        "Quota": [amount(s, x) for s, x in zip(f["stage"], f["quota"], strict=True)],
        "Expected": [amount(s, x) for s, x in zip(f["stage"], f["expected"], strict=True)],
        "Gap": [amount(s, x, signed=True) for s, x in zip(f["stage"], f["gap"], strict=True)],
    })  # fmt: skip


# --- the controls in session state ---------------------------------------------------------------


#: The policy editor's columns, and the Policy field each one is.
POLICY_FIELDS = {
    "Policy": "name", "Channels": "channels", "Personas": "personas", "Demo": "demo_request",
    "Size ≥": "min_company_size",
    "Touch (h)": "first_touch_hours", "Touches": "min_touches", "Days": "touch_window_days",
    "Decide (h)": "decision_hours",
}  # fmt: skip
_DEMO = {None: "any", True: "yes", False: "no"}
_OPTIONAL = ("Touch (h)", "Touches", "Days", "Decide (h)")


def policies_frame(policies: Collection[Policy]) -> pd.DataFrame:
    """Follow-up policies as the editor's rows (a rule a policy leaves out is blank: the standard one)."""
    rows = []
    for p in policies:
        row = {column: getattr(p, field) for column, field in POLICY_FIELDS.items()}
        row["Channels"] = ", ".join(p.channels)
        row["Personas"] = ", ".join(p.personas)
        row["Demo"] = _DEMO[p.demo_request]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(POLICY_FIELDS))
    for column in _OPTIONAL:  # text, so a rule left to the standard one shows blank (a number column shows "None")
        frame[column] = [f"{v:g}" if v is not None and not pd.isna(v) else "" for v in frame[column]]
    frame["Size ≥"] = frame["Size ≥"].astype("Int64")
    return frame.astype(dict.fromkeys(("Policy", "Channels", "Demo", *_OPTIONAL), "string"))


def policies_from_frame(frame: pd.DataFrame) -> tuple[Policy, ...]:
    """The editor's rows as follow-up policies; blank rows are skipped.

    Raises:
        ValueError: naming the row, the column and the problem.

    Examples:
        >>> rows = pd.DataFrame({"Policy": ["Demos"], "Channels": [""], "Personas": [""], "Demo": ["yes"],
        ...                      "Size ≥": [None], "Touch (h)": ["1"], "Touches": [""], "Days": [""],
        ...                      "Decide (h)": [""]})
        >>> policies_from_frame(rows)[0].first_touch_hours, policies_from_frame(rows)[0].demo_request
        (1.0, True)
        >>> policies_from_frame(rows.assign(**{"Touch (h)": ["0"]}))
        Traceback (most recent call last):
        ...
        ValueError: policy row 1 (Demos), Touch (h): Input should be greater than 0
        >>> policies_from_frame(rows.assign(**{"Days": ["a week"]}))
        Traceback (most recent call last):
        ...
        ValueError: policy row 1 (Demos), Days: 'a week' is not a number (leave it blank for the standard rule)
    """
    out = []
    for n, row in enumerate(frame.to_dict("records"), start=1):
        values = {k: (None if pd.isna(v) or str(v).strip() == "" else v) for k, v in row.items()}
        if all(v is None for v in values.values()):
            continue
        doc = {field: values.get(column) for column, field in POLICY_FIELDS.items()}
        doc["name"] = str(doc["name"] or "").strip()
        for field in ("channels", "personas"):
            doc[field] = tuple(c.strip() for c in str(doc[field] or "").split(",") if c.strip())
        doc["demo_request"] = {"yes": True, "no": False}.get(str(doc["demo_request"] or "any"))
        doc["min_company_size"] = int(doc["min_company_size"] or 0)
        for column in _OPTIONAL:
            field, text = POLICY_FIELDS[column], values.get(column)
            try:
                doc[field] = None if text is None else float(str(text).replace(",", "."))
            except ValueError:
                raise ValueError(f"policy row {n} ({doc['name'] or 'no name'}), {column}: {text!r} is not a number "
                                 "(leave it blank for the standard rule)") from None  # fmt: skip
        doc = {k: v for k, v in doc.items() if v is not None}
        try:
            out.append(Policy.model_validate(doc))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else ""
            column = next((c for c, f in POLICY_FIELDS.items() if f == field), field or "the row")
            message = err["msg"].removeprefix("Value error, ")
            raise ValueError(f"policy row {n} ({doc.get('name') or 'no name'}), {column}: {message}") from None
    names = [p.name for p in out]
    if len(set(names)) < len(names) or STANDARD.lower() in {n.lower() for n in names}:
        raise ValueError(f"policy names must be unique and not {STANDARD!r}")
    return tuple(out)


def policy_replay_table(cand: pd.DataFrame, ref: pd.DataFrame | None, version: int) -> pd.DataFrame:
    """Per policy: MQLs a month and the share within each rule under the candidate, and breaches beside the SLA's."""

    def share(row: pd.Series, rule: str) -> str:
        judged = int(row[f"{rule}_judged"])
        return f"{fmt.pct(row[f'{rule}_share'])} of {fmt.count(judged)}" if judged else "no MQL to judge"

    table = pd.DataFrame({
        "Policy": cand["policy"].astype(str),
        "MQLs/mo": [fmt.number(x, 1) for x in cand["mqls_per_month"]],
        "First touch": [share(r, "first_touch") for _, r in cand.iterrows()],
        "Touch rule": [share(r, "touches") for _, r in cand.iterrows()],
        "Decision": [share(r, "decision") for _, r in cand.iterrows()],
        "Breaches/mo": [fmt.number(x, 1) for x in cand["breaches_per_month"]],
    })  # fmt: skip
    if ref is not None:
        by_name = dict(zip(ref["policy"], ref["breaches_per_month"], strict=True))
        table[f"v{fmt.count(version)}"] = [fmt.number(by_name[p], 1) if p in by_name else "—" for p in cand["policy"]]
    return table


def show_policies(base: Candidate) -> tuple[Policy, ...]:
    """The follow-up policy editor (segments with their own rules, first match wins); returns the policies it holds.

    Invalid rows show an error naming the row and column, and the policies stay as they were.
    """
    initial = st.session_state.setdefault(P + "policies_initial", policies_frame(base.policies))
    edited = st.data_editor(
        initial, key=P + f"policies_editor_{st.session_state.get(P + 'policies_gen', 0)}", hide_index=True,
        num_rows="dynamic", width="stretch",
        column_config={
            "Policy": st.column_config.TextColumn(required=True, max_chars=60, width=120),
            "Channels": st.column_config.TextColumn(help="Comma-separated channel names; blank = any channel",
                                                    width=110),
            "Personas": st.column_config.TextColumn(help="Comma-separated personas; blank = any persona", width=110),
            "Demo": st.column_config.SelectboxColumn(options=["any", "yes", "no"], default="any", width=80,
                                                     help="Covers MQLs with (yes) or without (no) a demo request"),
            "Size ≥": st.column_config.NumberColumn(min_value=0, step=1, format="%d", width=80,
                                                    help="Company size (employees) at least"),
            "Touch (h)": st.column_config.TextColumn(width=96, help="First touch within (hours, business hours on an "
                                                     "SLA with working hours); blank: standard"),
            "Touches": st.column_config.TextColumn(width=88, help="Touches at least; blank: standard"),
            "Days": st.column_config.TextColumn(width=72, help="… within (days); blank: standard"),
            "Decide (h)": st.column_config.TextColumn(width=96, help="Accept or reject within hours (business hours on"
                                                      " an SLA with working hours); blank: standard"),
        },
    )  # fmt: skip
    try:
        policies = policies_from_frame(edited)
    except ValueError as exc:
        st.error(f"These policies are not valid, so the replay keeps the last valid ones: {fmt.md_escape(exc)}",
                 icon=":material/error:")  # fmt: skip
        return st.session_state.get(P + "policies", base.policies)
    st.session_state[P + "policies"] = policies
    return policies


def load_controls(candidate: Candidate) -> None:
    """Set every control to the candidate's values (the per-channel quotas follow the MQL quota)."""
    st.session_state[P + "policies_initial"] = policies_frame(candidate.policies)
    st.session_state[P + "policies"] = candidate.policies
    st.session_state[P + "policies_gen"] = st.session_state.get(P + "policies_gen", 0) + 1
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
    """The candidate the controls hold (``ValueError`` when they do not make a valid SLA)."""
    values = {name: st.session_state[P + name] for name in FIELDS}
    values["personas"], values["countries"] = tuple(values["personas"]), tuple(values["countries"])
    channels, total = st.session_state.get(P + "channels", (dict(base.mqls_by_channel), base.quota_mqls))
    if values["quota_mqls"] != total:
        channels = rescale_channel_quotas(channels, total, values["quota_mqls"])
    values["mqls_by_channel"] = tuple(channels.items())
    values["policies"] = st.session_state.get(P + "policies", base.policies)
    return base.replace(**values)


def use_definition(definition: Definition) -> None:
    """Make an advisor's definition the candidate's; the quotas, goal, team and follow-up stay as they are."""
    base = st.session_state[P + "base"]
    try:
        current = candidate_from_controls(base)
    except ValueError:  # the controls are not a valid SLA: start from the SLA in force
        current = base
    load_controls(definition.apply(current))
    st.session_state[P + "advice_flash"] = (
        "success", f"The candidate's MQL definition is now: {definition_text(definition)}. Quotas, goal and "
        "team are unchanged.")  # fmt: skip


def on_import() -> None:
    """Load an uploaded scenario file into the controls, or refuse it whole, saying why."""
    upload = st.session_state.get(P + "upload")
    if upload is None:
        return
    try:
        sla = read_scenario(upload.getvalue(), upload.name)
    except ScenarioFileError as exc:
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


# --- sections ------------------------------------------------------------------------------------


def show_controls(base: Candidate, arrays: WhatIfArrays, currency: str) -> None:
    """The column of controls: MQL definition, quotas and goal, sales team and follow-up."""
    st.button("Reset to the SLA in force", key=P + "reset", on_click=reset_controls, args=(base,),
              icon=":material/restart_alt:")  # fmt: skip
    with st.expander("MQL definition", expanded=True):
        st.slider("Score threshold", *BOUNDS["score_threshold"], key=P + "score_threshold")
        st.multiselect("Personas that fit (none = any)", sorted({*arrays.personas, *st.session_state[P + "personas"]}),
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
        st.number_input(f"Revenue goal a month ({currency})", *BOUNDS["revenue_goal"], step=10_000,
                        key=P + "revenue_goal")  # fmt: skip
        st.number_input(f"Average deal size ({currency})", *BOUNDS["average_deal_size"], step=500,
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


def show_summary(r: WhatIfResult, candidate: Candidate, currency: str, empty_fields: Collection[str]) -> None:
    """The verdict, the headline figures against the SLA in force and quotas, and the warnings they call for."""
    colour = "blue" if r.goal_reachable else "orange"
    verdict = r.verdict[:1].upper() + r.verdict[1:]
    st.markdown(f"### :{colour}-background[{fmt.md_escape(verdict)}]")
    st.caption("Per average month of the history; the SLA in force in brackets.")
    t1, t2, t3 = st.columns(3)
    t4, t5, _ = st.columns(3)
    cur = currency
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
    if blocked := unmeetable_criteria(candidate, empty_fields):
        st.warning(unmeetable_text(blocked, candidate, r.mqls), icon=":material/help:")
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


def show_advisor(base: Candidate, candidate: Candidate, currency: str) -> None:
    """The Pareto-best MQL definitions for the candidate's goal and team, each one click from being the candidate."""
    st.subheader("Advisor: which definition would get there", help=ADVISOR_HELP)
    advice = get_advice(advisor_inputs(base, candidate))
    flash("advice_flash")
    st.caption(
        f"Searched {fmt.count(advice.evaluated)} MQL definitions for {fmt.money(advice.revenue_goal, currency)} a "
        f"month with {fmt.plural(advice.team_size, 'rep')} at up to {fmt.compact(advice.capacity_per_rep_week)} MQLs "
        "a week each. These are the best trade-offs of revenue, acceptance and load within capacity: no other "
        "definition beats one of them on all three."
    )
    if not advice.options:
        st.info(
            f"No definition keeps {fmt.plural(advice.team_size, 'rep')} within "
            f"{fmt.compact(advice.capacity_per_rep_week)} MQLs a week with enough decided MQLs to judge: add reps or "
            "raise the capacity.", icon=":material/group_add:",
        )  # fmt: skip
        return
    current = Definition(**{name: getattr(candidate, name) for name in Definition.__dataclass_fields__}
                         | {"personas": tuple(sorted(candidate.personas))})  # fmt: skip
    for n, o in enumerate(advice.options):
        with st.container(border=True):
            st.markdown(f"**{fmt.md_escape(definition_text(o.definition))}**")
            st.caption(option_text(o, advice, currency))
            in_use = o.definition == current
            st.button("In use" if in_use else "Use as candidate", key=f"{P}advice_{n}", disabled=in_use,
                      on_click=use_definition, args=(o.definition,), icon=":material/check:" if in_use else None,
                      type="secondary" if in_use else "primary")  # fmt: skip


def flash(key: str) -> str | None:
    """Show and drop a ``(kind, text)`` message left in session state under ``P + key``; its kind, if any.

    Its slot is drawn whether or not there is a message, so one shown or gone moves nothing below it (a widget moved
    by a rerun is drawn anew, and an edit or click on it in flight is lost).
    """
    slot = st.empty()
    if P + key not in st.session_state:
        return None
    kind, text = st.session_state.pop(P + key)
    getattr(slot, kind)(fmt.md_escape(text))
    return kind


def show_publish(candidate: Candidate | None, terms: Sla, actor: Actor, next_version: int, today: dt.date) -> None:
    """Publish the candidate as the next SLA version (managers), with its effective date and change note.

    Args:
        candidate: the controls' candidate; ``None`` when they are not a valid SLA.
        terms: the SLA whose other terms (SQL criteria, reasons, ...) the new version keeps.
        actor: who publishes.
        next_version: the number the new version gets.
        today: the snapshot's date: a version effective by then is in force at once, a later one upcoming.
    """
    first_of_next = (pd.Timestamp(today).to_period("M") + 1).start_time.date()
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
                when = "in force now" if effective <= today else "upcoming"
                st.session_state[P + "publish_flash"] = (
                    f"Published SLA version {fmt.count(next_version)}, effective {fmt.day(effective)} ({when}). "
                    "See it on The SLA page.")  # fmt: skip
                st.rerun()  # the page now compares with the version in force and shows the upcoming one
    if P + "publish_flash" in st.session_state:
        st.success(fmt.md_escape(st.session_state.pop(P + "publish_flash")))


def show_scenario_file(
    candidate: Candidate | None, terms: Sla, actor: Actor, next_version: int, today: dt.date
) -> None:
    """Download the candidate as an SLA file to edit or share before the meeting, and load one back."""
    first_of_next = (pd.Timestamp(today).to_period("M") + 1).start_time.date()
    st.markdown("**Prepare before the meeting:** download the scenario as an SLA file, edit or share it, load it back.")
    if candidate is not None:
        draft = candidate.to_sla(terms, version=next_version, effective_from=first_of_next, author=actor.name,
                                 change_note="Scenario from the what-if page")  # fmt: skip
        st.download_button("Download scenario (.toml)", tomli_w.dumps(sla_to_dict(draft)),
                           file_name=f"sla_scenario_v{next_version}.toml", mime="application/toml",
                           key=P + "download", icon=":material/download:")  # fmt: skip
    st.file_uploader("Load a scenario file", type=["toml"], key=P + "upload", on_change=on_import,
                     max_upload_size=1)  # fmt: skip


def show_propose() -> None:
    """Propose the scenario for the next review (managers); the Meeting page lists it for the room to decide."""
    st.markdown("**Propose for the next review** (managers): the scenario appears on the Meeting page under "
                "*SLA changes and decisions*, with what it would do, for the room to adopt or decline.")  # fmt: skip
    with st.form(P + "propose", border=False):  # the text stays until it is stored (on_propose)
        st.text_input("Title", key=P + "proposal_title", max_chars=200,
                      placeholder="e.g. Score 60 and a demo request: fewer, better MQLs")  # fmt: skip
        st.text_area("Why (optional)", key=P + "proposal_note", max_chars=2000)
        st.form_submit_button("Propose", icon=":material/how_to_vote:", on_click=on_propose)
    if flash("propose_flash") not in (None, "error"):
        page_link("pages/meeting.py", label="Open the meeting", icon=":material/groups:")
