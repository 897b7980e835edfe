"""Meeting: run the monthly review or the mid-month check-in from the app, one agenda section at a time."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.access import Actor, PermissionDenied, Role
from sla_model.actions import ActionError
from sla_model.agreement.sla import in_force
from sla_model.charts import channel_chart_height
from sla_model.metrics.progress import elapsed_share
from sla_model.review import decisions as log
from sla_model.review import meeting, report
from sla_model.whatif import Candidate, evaluate, observed_team_size
from ui import fmt
from ui.charts import projector, show
from ui.controls import view_controls
from ui.data import database_url, get_dataset, get_engine, get_whatif_arrays
from ui.identity import current_actor
from ui.links import page_link

P = "mt_"  # widget key prefix
ICONS = {"scorecard": ":material/scoreboard:", "wins": ":material/celebration:", "misses": ":material/troubleshoot:",
         "voice": ":material/record_voice_over:", "breaches": ":material/alarm:", "changes": ":material/gavel:",
         "pace": ":material/speed:", "actions": ":material/checklist:"}  # fmt: skip
SHORT = {"scorecard": "Scorecard", "wins": "Wins", "misses": "Misses", "voice": "Voice of sales",
         "breaches": "Breaches", "changes": "Decisions", "pace": "Pace",
         "actions": "Action items"}  # fmt: skip
STATUS_LOOK = {"met": ("blue", "Met"), "on track": ("blue", "On track"), "missed": ("orange", "Missed"),
               "behind": ("orange", "Behind"), "not started": ("gray", "Not started"),
               "no quota": ("gray", "No quota")}  # fmt: skip
ALL = "all"


def proposal_frame() -> pd.DataFrame:
    """Stored proposals with a one-sentence replay of each (against the SLA in force now)."""
    rows = log.list_proposals(engine=get_engine())
    columns = ["id", "title", "status", "proposed_by", "proposed_at", "note", "summary", "row_version", "decided_by",
               "decided_at"]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=columns)
    data = get_dataset()
    arrays = get_whatif_arrays()
    sla = in_force(data.versions, pd.Timestamp(data.as_of).date())
    out = []
    for row in rows:
        candidate = log.candidate_of(row)
        base = Candidate.from_sla(sla, team_size=max(observed_team_size(arrays), 1),
                                  capacity_per_rep_week=candidate.capacity_per_rep_week)  # fmt: skip
        summary = meeting.proposal_summary(evaluate(arrays, candidate, baseline=base), sla.goal.currency)
        out.append([row.id, row.title, row.status, row.proposed_by, row.proposed_at, row.note, summary,
                    row.row_version, row.decided_by, row.decided_at])  # fmt: skip
    return pd.DataFrame(out, columns=columns)


@st.cache_data(max_entries=16, show_spinner="Preparing the meeting…")
def build_review(url: str, version: int, month: str, variant: str, decisions: pd.DataFrame,
                 proposals: pd.DataFrame) -> meeting.Review:  # fmt: skip
    """The meeting's content, computed once per data version, month, variant and state of the decision log."""
    data = get_dataset()
    inputs = meeting.MeetingInputs(
        data.leads, data.summary, data.feedback, data.versions, data.as_of, touches_recorded=data.touches_recorded
    )
    return meeting.review(inputs, pd.Period(month, "M"), variant=variant, decisions=decisions, proposals=proposals)


def say(lines: list[str], icon: str) -> None:
    """Sentences in large type, one per line (data text is escaped: it is never markup)."""
    for line in lines:
        st.markdown(f"#### {icon} {fmt.md_escape(line)}")


def amount(measure: str, value: float, currency: str) -> str:
    return fmt.money(value, currency) if measure == "revenue" else fmt.count(value)


def scorecard(review: meeting.Review, charts: dict) -> None:
    currency = review.sla.goal.currency
    cols = st.columns(4)
    for col, row in zip(cols, review.scorecard.itertuples(), strict=True):
        with col, st.container(border=True):
            st.metric(row.label, amount(row.measure, row.actual, currency),
                      help=f"Quota {amount(row.measure, row.quota, currency)}")  # fmt: skip
            colour, word = STATUS_LOOK.get(row.status, ("gray", row.status))
            st.markdown(f"#### :{colour}-background[{word}]")
            if row.quota > 0:
                closed = row.status in ("met", "missed")
                share = row.attainment if closed else row.projected_attainment
                of = "of" if closed else "projected, of"
                st.markdown(f"**{fmt.pct(share)}** {of} {amount(row.measure, row.quota, currency)}")
    left, right = st.columns(2, gap="large")
    with left:
        show(projector(charts["cumulative"], 300), len(review.cumulative) * 3, key=P + "cumulative")
    with right:
        height = channel_chart_height(review.channels, least=300)
        show(projector(charts["channels"], height), len(review.channels), key=P + "channels")


def pace(review: meeting.Review, section: meeting.Section) -> None:
    card, currency = review.scorecard, review.sla.goal.currency
    pairs = list(zip(card["measure"], card["actual"], card["quota"], strict=True))
    table = pd.DataFrame(
        {
            "Measure": card["label"],
            "So far": [amount(m, a, currency) for m, a, _ in pairs],
            "Quota": [amount(m, q, currency) for m, _, q in pairs],
            "Needed a day": [amount(m, v, currency) if m == "revenue" else f"{v:,.1f}" if v == v else "—"
                             for m, v in zip(card["measure"], card["needed_per_day"], strict=True)],
            "A day so far": [amount(m, v, currency) if m == "revenue" else f"{v:,.1f}" if v == v else "—"
                             for m, v in zip(card["measure"], card["run_rate_per_day"], strict=True)],
            "Status": [STATUS_LOOK.get(s, ("", s))[1] for s in card["status"]],
        }
    )  # fmt: skip
    say(section.lines, ":material/speed:")
    st.dataframe(table, hide_index=True, width="stretch")
    channels = review.channels[review.channels["quota"] > 0]
    behind = channels[channels["status"] == "behind"]
    if len(behind):
        st.markdown("#### Channels behind their MQL pace")
        st.dataframe(
            pd.DataFrame({"Channel": behind["channel"], "MQLs so far": behind["mqls"].astype(int),
                          "Quota": behind["quota"].astype(int), "Needed a day": behind["needed_per_day"].round(1),
                          "Projected": [fmt.pct(v) for v in behind["projected_attainment"]]}),
            hide_index=True, width="stretch",
        )  # fmt: skip


def voice(section: meeting.Section, charts: dict) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        say(section.lines, ":material/chat:")
    with right:
        if "reasons" in charts:
            height = 40 * min(len(section.tables["reasons"]), 8) + 40
            show(projector(charts["reasons"], height), len(section.tables["reasons"]), key=P + "reasons")
    notes = section.tables["notes"]
    if len(notes):
        st.markdown("#### In their words")
        st.dataframe(
            pd.DataFrame({"When": notes["at"].dt.strftime("%d %b"), "Rep": notes["by"], "Lead": notes["company"],
                          "Reason": notes["reason"], "Note": notes["note"]}),
            hide_index=True, width="stretch",
        )  # fmt: skip


def breaches(section: meeting.Section, review: meeting.Review) -> None:
    say(section.lines, ":material/alarm:")
    found = section.tables["breaches"]
    if found.empty:
        return
    left, right = st.columns([1, 2], gap="large")
    with left:
        by_rep = section.tables["by_rep"]
        st.dataframe(
            pd.DataFrame({"Rep": by_rep["owner"], "Open breaches": by_rep["breaches"],
                          "Oldest": [fmt.hours(h) for h in by_rep["oldest_hours"]]}),
            hide_index=True, width="stretch",
        )  # fmt: skip
    with right:
        st.dataframe(
            pd.DataFrame({"Lead": found["lead_id"], "Company": found["company"], "Owner": found["owner"],
                          "Since handoff": [fmt.hours(h) for h in found["age_hours"]], "Rule broken": found["breach"]}),
            hide_index=True, width="stretch", height=320,
        )  # fmt: skip
    label, name = report.breach_csv_name(review)  # today's list, whatever month is reviewed
    st.download_button(label, lambda: report.breach_csv(review), key=P + "breach_csv", file_name=name,
                       mime="text/csv", icon=":material/download:")  # fmt: skip


def decision_table(frame: pd.DataFrame) -> None:
    table = pd.DataFrame(
        {
            "Agreed in": [pd.Period(m, "M").strftime("%b %Y") for m in frame["month"]],
            "Decision or action": frame["text"],
            "Owner": frame["owner"],
            "Due": [pd.Timestamp(d).strftime("%d %b %Y") for d in frame["due"]],
            "Status": frame["status"],
            "Outcome": frame["outcome"],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def changes(review: meeting.Review, section: meeting.Section, proposals: pd.DataFrame, actor: Actor) -> None:
    engine = get_engine()
    manager = actor.role is Role.MANAGER
    st.markdown("### Proposed SLA changes")
    waiting = proposals[proposals["status"] == "proposed"]
    if waiting.empty:
        st.info("No SLA change is proposed. Managers save scenarios for review from the What if… page.",
                icon=":material/tune:")  # fmt: skip
    for row in waiting.itertuples():
        with st.container(border=True):
            st.markdown(f"#### {fmt.md_escape(row.title)}")
            st.markdown(fmt.md_escape(row.summary))
            st.caption(fmt.md_escape(f"Proposed by {row.proposed_by} on {row.proposed_at:%d %b %Y}. {row.note}"))
            if manager:
                a, b, _ = st.columns([1, 1, 4])
                for col, status, label in ((a, "adopted", "Adopt"), (b, "declined", "Decline")):
                    if col.button(label, key=f"{P}{status}_{row.id}"):
                        try:
                            log.decide_proposal(engine=engine, actor=actor, proposal_id=int(row.id), status=status,
                                                row_version=int(row.row_version))  # fmt: skip
                        except (ActionError, PermissionDenied) as exc:
                            st.error(fmt.literal(exc))
                        else:
                            st.session_state[P + "flash"] = f"“{row.title}” {status}."
                            st.rerun()
    adopted = proposals[proposals["status"] == "adopted"].head(5)
    for row in adopted.itertuples():  # each adopted change one click from being published
        page_link("pages/what_if.py", label=f"Load “{row.title}” on What if… to publish it",
                  icon=":material/publish:", query_params={"proposal": str(row.id)})  # fmt: skip
    declined = proposals[proposals["status"] == "declined"].head(5)
    if len(declined):
        st.caption("Declined: " + "; ".join(fmt.md_escape(t) for t in declined["title"]))

    carried = section.tables["carried"]
    st.markdown("### Last month we agreed")
    if carried.empty:
        st.caption("Nothing was agreed last month, and nothing older is open.")
    else:
        say([meeting.decision_line(row, carried=True) for row in carried.itertuples()], ":material/history:")
    now = section.tables["decisions"]
    st.markdown(f"### Agreed in this review ({review.period:%B %Y})")
    if now.empty:
        st.caption("No decision recorded yet.")
    else:
        decision_table(now)
    if manager:
        record_form(review, actor)
        close_form(pd.concat([carried, now], ignore_index=True), actor)


def record_form(review: meeting.Review, actor: Actor) -> None:
    with st.expander("Record a decision or action item", expanded=False, icon=":material/add_task:"):
        with st.form(P + "record", clear_on_submit=True):
            text = st.text_area("What was decided", key=P + "text", max_chars=log.MAX_TEXT,
                                placeholder="e.g. Syndication quota to 40 until acceptance passes 50%")  # fmt: skip
            a, b = st.columns(2)
            owner = a.text_input("Owner", key=P + "owner", max_chars=log.MAX_OWNER)
            due = b.date_input("Due", value=(review.period + 1).end_time.date(), key=P + "due")
            c, d = st.columns(2)
            metric = c.selectbox("The metric that will tell if it worked", [None, *meeting.METRICS], key=P + "metric",
                                 format_func=lambda m: "— none —" if m is None else meeting.METRICS[m][0])  # fmt: skip
            target = d.text_input("Target (optional: a number; shares as %, e.g. 65%)", key=P + "target")
            submitted = st.form_submit_button("Record", type="primary", icon=":material/save:")
        if submitted:
            try:
                value = parse_target(target, metric)
                row = log.record_decision(engine=get_engine(), actor=actor, month=review.period, text=text,
                                          owner=owner, due=due, metric=metric, target=value)  # fmt: skip
            except (ActionError, PermissionDenied) as exc:
                st.error(fmt.literal(exc))
            else:
                st.session_state[P + "flash"] = f"Recorded: {row.text} ({row.owner}, due {row.due:%d %b %Y})."
                st.rerun()


def parse_target(text: str, metric: str | None) -> float | None:
    """A target as typed (``65%``, ``0.65``, ``1,200``, ``$50k``) in the metric's unit; None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    if metric is None:
        raise ActionError("a target needs a metric to be measured by")
    unit = meeting.METRICS[metric][1]
    cleaned = text.replace(",", "").replace("$", "").replace("€", "").replace("£", "").strip()
    scale = 1.0
    if cleaned.lower().endswith("k"):
        cleaned, scale = cleaned[:-1], 1_000.0
    elif cleaned.lower().endswith("m"):
        cleaned, scale = cleaned[:-1], 1_000_000.0
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%")) * scale
    except ValueError as exc:
        raise ActionError(f"target {text!r} is not a number") from exc
    if unit == "share":
        value = value / 100 if percent or value > 1 else value
        if not 0 <= value <= 1:
            raise ActionError(f"target {text!r} is not a share between 0% and 100%")
    elif value < 0:
        raise ActionError(f"target {text!r} is negative")
    return value


def close_form(items: pd.DataFrame, actor: Actor) -> None:
    if items.empty:
        return
    with st.expander("Update a decision: done, dropped, or open again", icon=":material/task_alt:"):
        with st.form(P + "close", clear_on_submit=True):
            labels = {int(r.id): f"{r.text[:90]} ({r.owner}; {r.status})" for r in items.itertuples()}
            picked = st.selectbox("Decision", list(labels), format_func=labels.get, key=P + "close_pick")
            status = st.radio("Status", log.DECISION_STATUSES, index=1, horizontal=True, key=P + "close_status")
            outcome = st.text_input("Outcome (what came of it)", key=P + "close_outcome", max_chars=log.MAX_TEXT)
            submitted = st.form_submit_button("Update", icon=":material/save:")
        if submitted:
            row = items.set_index("id").loc[picked]
            try:
                log.close_decision(engine=get_engine(), actor=actor, decision_id=int(picked), status=status,
                                   outcome=outcome, row_version=int(row["row_version"]))  # fmt: skip
            except (ActionError, PermissionDenied) as exc:
                st.error(fmt.literal(exc))
            else:
                st.session_state[P + "flash"] = f"Decision updated: {status}."
                st.rerun()


def exports(review: meeting.Review) -> None:
    stem = f"{review.variant}_{review.period}"
    with st.popover("Report", icon=":material/description:", help="The one-page summary to hand out"):
        st.download_button("One-page report (HTML, prints on one page)", lambda: report.to_html(review),
                           file_name=f"{stem}.html", mime="text/html", key=P + "html",
                           icon=":material/html:")  # fmt: skip
        st.download_button("One-page report (PDF)", lambda: report.to_pdf(review), file_name=f"{stem}.pdf",
                           mime="application/pdf", key=P + "pdf", icon=":material/picture_as_pdf:")  # fmt: skip
        st.download_button("One-page report (PNG)", lambda: report.to_png(review), file_name=f"{stem}.png",
                           mime="image/png", key=P + "png", icon=":material/image:")  # fmt: skip
        label, name = report.breach_csv_name(review)
        st.download_button(label, lambda: report.breach_csv(review), file_name=name, mime="text/csv",
                           key=P + "csv", icon=":material/table:")  # fmt: skip


# --- The page --------------------------------------------------------------------------------------------------
view = view_controls()
data = view.data
actor = current_actor()
manager = actor.role is Role.MANAGER
open_month = elapsed_share(view.period, data.as_of) < 1
variant = st.session_state.get(P + "variant") or ("checkin" if open_month else "monthly")
url = database_url()
decision_log = log.list_decisions(engine=get_engine(), through=view.period)
proposals = proposal_frame()
review = build_review(url, data.version, str(view.period), variant, decision_log, proposals)

st.title(review.title)
st.caption(
    f"Judged against SLA version {review.sla.meta.version} · data as of {review.as_of:%d %b %Y, %H:%M} UTC"
    + (f" · {fmt.md_escape(review.sla.review.monthly)}" if variant == "monthly" else
       f" · {fmt.md_escape(review.sla.review.mid_month_checkin)}" if review.sla.review.mid_month_checkin else "")
)  # fmt: skip
kind_col, report_col = st.columns([3, 1], vertical_alignment="center")
with kind_col:
    st.segmented_control("Meeting", list(meeting.VARIANTS), format_func=meeting.VARIANTS.get, key=P + "variant",
                         default=variant, label_visibility="collapsed")  # fmt: skip
with report_col:
    exports(review)
if view.filtered:
    st.caption("The meeting always shows the whole team: the sidebar's channel, persona and rep filters do not apply.")
if flash := st.session_state.pop(P + "flash", None):
    st.success(fmt.md_escape(flash), icon=":material/check_circle:")

keys = [s.key for s in review.sections]
step_key = P + "step_" + variant
if st.session_state.get(step_key) not in [*keys, ALL]:
    st.session_state[step_key] = keys[0]


def move(by: int) -> None:
    current = st.session_state[step_key]
    at = keys.index(current) if current in keys else -1
    st.session_state[step_key] = keys[min(max(at + by, 0), len(keys) - 1)]


labels = {k: f"{i + 1} · {SHORT[k]}" for i, k in enumerate(keys)} | {ALL: "All"}
st.segmented_control("Agenda", [*keys, ALL], format_func=labels.get, key=step_key, label_visibility="collapsed")
step = st.session_state.get(step_key) or keys[0]
charts = report.charts(review, data.channels)
for number, section in enumerate(review.sections, start=1):
    if step not in (section.key, ALL):
        continue
    st.header(f"{number}. {section.title}", divider="gray")
    if section.key == "scorecard":
        scorecard(review, charts)
        say(section.lines, ":material/flag:")
    elif section.key == "pace":
        pace(review, section)
        show(projector(charts["cumulative"], 280), len(review.cumulative) * 3, key=P + "pace_cumulative")
    elif section.key == "wins":
        say(section.lines or ["Nothing to celebrate yet: no quota beaten or on track."], ":material/celebration:")
    elif section.key == "misses":
        misses = [x for x in section.lines if not x.startswith("Likely cause: ")]
        causes = [x.removeprefix("Likely cause: ") for x in section.lines if x.startswith("Likely cause: ")]
        say(misses or ["Nothing missed."], ":material/trending_down:")
        if misses:  # causes explain misses; with nothing missed they are only signs worth watching
            st.markdown("### Likely causes")
            say(causes or ["Nothing in the data stands out."], ":material/search:")
        elif causes:
            st.markdown("### Worth watching")
            say(causes, ":material/visibility:")
    elif section.key == "voice":
        voice(section, charts)
    elif section.key == "breaches":
        breaches(section, review)
    elif section.key == "changes":
        changes(review, section, proposals, actor)
    elif section.key == "actions":
        say(section.lines, ":material/checklist:")
        if manager:
            record_form(review, actor)
            close_form(section.tables["items"], actor)
if step != ALL:
    at = keys.index(step)
    back_col, next_col, _ = st.columns([1, 1, 2])
    if at > 0:
        back_col.button(f"Back: {labels[keys[at - 1]]}", key=P + "prev", on_click=move, args=(-1,),
                        icon=":material/arrow_back:", width="stretch")  # fmt: skip
    if at < len(keys) - 1:
        next_col.button(f"Next: {labels[keys[at + 1]]}", key=P + "next", on_click=move, args=(1,), type="primary",
                        icon=":material/arrow_forward:", width="stretch")  # fmt: skip
if not manager:
    st.caption("Managers record decisions and adopt proposals; choose “Manager” under “You are” in local mode.")
