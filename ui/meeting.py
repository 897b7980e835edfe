"""The meeting page's sections, forms and their callbacks: each agenda section drawn from ``sla_model.review``.

Every write runs in a callback, before the page reruns, so a run cut short (the second click of a double
click, a reload) never loses it; a form's text is kept until it is stored, and the same submit sent again
is confirmed as the one stored (``sla_model.review.decisions`` tells a repeat from a new change).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.access import Actor, PermissionDenied, Role
from sla_model.actions import REPEAT_WINDOW, ActionError
from sla_model.agreement.sla import in_force
from sla_model.charts import channel_chart_height, channel_quota_chart
from sla_model.review import decisions as log
from sla_model.review import meeting, report
from sla_model.store.models import utcnow
from ui import drill, fmt
from ui.charts import projector, show
from ui.data import get_dataset, get_engine, get_whatif_arrays
from ui.explain import meeting_gap
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


# --- Text ------------------------------------------------------------------------------------------------------


def amount(measure: str, value: float, currency: str) -> str:
    """A scorecard figure as text: money for revenue, a count otherwise."""
    return fmt.money(value, currency) if measure == "revenue" else fmt.count(value)


def per_day(measure: str, value: float, currency: str) -> str:
    """A figure a day: money for revenue, a count to one decimal otherwise, a dash when there is none."""
    return amount(measure, value, currency) if measure == "revenue" else f"{value:,.1f}" if value == value else "—"


def pace_table(review: meeting.Review) -> pd.DataFrame:
    """The check-in's pace table: each measure so far, its quota, what each day needs and brings."""
    card, currency = review.scorecard, review.sla.goal.currency
    pairs = list(zip(card["measure"], card["actual"], card["quota"], strict=True))
    return pd.DataFrame(
        {
            "Measure": card["label"],
            "So far": [amount(m, a, currency) for m, a, _ in pairs],
            "Quota": [amount(m, q, currency) for m, _, q in pairs],
            "Needed a day": [per_day(m, v, currency) for m, v in zip(card["measure"], card["needed_per_day"],
                                                                     strict=True)],
            "A day so far": [per_day(m, v, currency) for m, v in zip(card["measure"], card["run_rate_per_day"],
                                                                     strict=True)],
            "Status": [STATUS_LOOK.get(s, ("", s))[1] for s in card["status"]],
        }
    )  # fmt: skip


def decision_frame(frame: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """Decisions as the table shows them: month agreed, text, owner, due date, metric, target, status, outcome."""
    targets = [meeting.target_text(m, None if pd.isna(t) else float(t), currency)
               for m, t in zip(frame["metric"], frame["target"], strict=True)]  # fmt: skip
    return pd.DataFrame(
        {
            "Agreed in": [pd.Period(m, "M").strftime("%b %Y") for m in frame["month"]],
            "Decision or action": frame["text"],
            "Owner": frame["owner"],
            "Due": [pd.Timestamp(d).strftime("%d %b %Y") for d in frame["due"]],
            "Metric": [label for label, _ in targets],
            "Target": [target for _, target in targets],
            "Status": frame["status"],
            "Outcome": frame["outcome"],
        }
    )


def say(lines: list[str], icon: str) -> None:
    """Sentences in large type, one per line (data text is escaped: it is never markup)."""
    for line in lines:
        st.markdown(f"#### {icon} {fmt.md_escape(line)}")


# --- Data ------------------------------------------------------------------------------------------------------


def proposal_frame() -> pd.DataFrame:
    """Stored proposals with a one-sentence replay of each (against the SLA in force now)."""
    rows = log.list_proposals(engine=get_engine())
    if not rows:
        return pd.DataFrame(columns=log.PROPOSAL_COLUMNS)
    data = get_dataset()
    return log.proposal_table(rows, get_whatif_arrays(), in_force(data.versions, pd.Timestamp(data.as_of).date()))


@st.cache_data(max_entries=16, show_spinner="Preparing the meeting…")
def build_review(url: str, version: int, month: str, variant: str, decisions: pd.DataFrame,
                 proposals: pd.DataFrame) -> meeting.Review:  # fmt: skip
    """The meeting's content, computed once per data version, month, variant and state of the decision log."""
    data = get_dataset()
    inputs = meeting.MeetingInputs(
        data.leads, data.summary, data.feedback, data.versions, data.as_of, touches_recorded=data.touches_recorded
    )
    return meeting.review(inputs, pd.Period(month, "M"), variant=variant, decisions=decisions, proposals=proposals)


# --- Callbacks (run before the page reruns) -------------------------------------------------------------------


def _stored(name: str, what: object, message: str) -> None:
    """Note a stored write: its confirmation is shown, and an empty resubmit moments later repeats it."""
    st.session_state[P + "flash"] = message
    st.session_state[P + "stored_" + name] = (what, utcnow(), message)


def _repeat_of(name: str, what: object) -> str | None:
    """The confirmation of the write ``what`` stored moments ago under ``name`` (None when there is none)."""
    stored = st.session_state.get(P + "stored_" + name)
    if stored and stored[0] == what and utcnow() - stored[1] <= REPEAT_WINDOW:
        return stored[2]
    return None


def on_record(period: pd.Period, actor: Actor) -> None:
    """Store the decision typed in the record form; the form is cleared only once it is stored.

    A submit of the emptied form right after a stored one is the second click of a double click sent after the
    page refreshed: it repeats the confirmation. (One sent before the refresh carries the same text, and the
    decision log confirms it as the one stored.)
    """
    state = st.session_state
    text, owner, target = state.get(P + "text") or "", state.get(P + "owner") or "", state.get(P + "target") or ""
    if not (text.strip() or owner.strip() or target.strip()) and (again := _repeat_of("record", str(period))):
        state[P + "flash"] = again
        return
    try:
        value = meeting.parse_target(target, state.get(P + "metric"))
        row = log.record_decision(engine=get_engine(), actor=actor, month=period, text=text, owner=owner,
                                  due=state.get(P + "due"), metric=state.get(P + "metric"), target=value)  # fmt: skip
    except (ActionError, PermissionDenied) as exc:
        state[P + "record_error"] = fmt.literal(exc)
        return
    _stored("record", str(period), f"Recorded: {row.text} ({row.owner}, due {row.due:%d %b %Y}).")
    state.update({P + "text": "", P + "owner": "", P + "target": "", P + "metric": None})  # the due date stays


def on_close(actor: Actor) -> None:
    """Store the update chosen in the close form; its outcome is cleared only once it is stored.

    The decision and status stay chosen, so an emptied resubmit right after (a double click sent after the
    refresh) is known as a repeat and confirmed, never stored over the outcome just written.
    """
    state = st.session_state
    picked, status, outcome = state.get(P + "close_pick"), state.get(P + "close_status"), state.get(P + "close_outcome")
    if not (outcome or "").strip() and (again := _repeat_of("close", (picked, status))):
        state[P + "flash"] = again
        return
    try:
        version = state.get(P + "close_versions", {}).get(picked)
        if version is None:
            raise ActionError("choose a decision to update")
        log.close_decision(engine=get_engine(), actor=actor, decision_id=int(picked), status=status,
                           outcome=outcome or "", row_version=int(version))  # fmt: skip
    except (ActionError, PermissionDenied) as exc:
        state[P + "close_error"] = fmt.literal(exc)
        return
    _stored("close", (picked, status), f"Decision updated: {status}.")
    state[P + "close_outcome"] = ""


def on_proposal(actor: Actor, proposal_id: int, status: str, row_version: int, title: str) -> None:
    """Adopt or decline a proposal; the same click sent twice is confirmed as the one stored."""
    try:
        log.decide_proposal(engine=get_engine(), actor=actor, proposal_id=proposal_id, status=status,
                            row_version=row_version)  # fmt: skip
    except (ActionError, PermissionDenied) as exc:
        st.session_state[P + "proposal_error"] = (proposal_id, fmt.literal(exc))
    else:
        _stored("proposal", (proposal_id, status), f"“{title}” {status}.")


# --- Sections --------------------------------------------------------------------------------------------------


def scorecard(review: meeting.Review, charts: dict) -> None:
    """The four measures as tiles (actual, status, share of quota), then the cumulative and channel charts.

    Pills under the tiles and a click on a channel's bar open the leads behind the figure (the team's, the month's).
    """
    from sla_model.metrics.progress import period_bounds

    scorecard_tiles(review)
    data, (start, end), when = get_dataset(), period_bounds(review.period), f"{review.period:%B %Y}"
    drill.measure_pills(data.leads, start, end, when, key=P + "drill", panel="mt")
    channel = scorecard_charts(review, charts, pick_colours=data.channels)
    drill.channel_drill(data.leads, channel, start, end, when, key="mt_channel")


def scorecard_tiles(review: meeting.Review) -> None:
    """The four measures as tiles: actual, status, share of quota."""
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


def scorecard_charts(review: meeting.Review, charts: dict, height: int = 300, *,
                     pick_colours: list[str] | None = None) -> object:  # fmt: skip
    """The cumulative MQLs against pace and the MQLs by channel against quota, side by side.

    With ``pick_colours`` (every channel of the data, for the colours), a click on a channel's bar picks it: the
    channel is returned (None when none is).
    """
    left, right = st.columns(2, gap="large")
    with left:
        show(projector(charts["cumulative"], height), len(review.cumulative) * 3, key=P + "cumulative")
    with right:
        tall = channel_chart_height(review.channels, least=height)
        if pick_colours is None:
            show(projector(charts["channels"], tall), len(review.channels), key=P + "channels")
            return None
        chart = channel_quota_chart(review.channels, pick_colours, tall, selectable=True)
        clicked = drill.pick(chart.properties(title="MQLs by channel vs quota"), len(review.channels),
                             key=P + "channels", height=tall)  # fmt: skip
        st.caption("Click a channel's bar for its MQLs.")
        return clicked.get("channel")


def pace(review: meeting.Review, section: meeting.Section) -> None:
    """The check-in's pace: sentences, the table per measure, and the channels behind their MQL pace."""
    say(section.lines, ":material/speed:")
    st.dataframe(pace_table(review), hide_index=True, width="stretch")
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


def misses(section: meeting.Section) -> None:
    """What was missed, then its likely causes (only signs worth watching when nothing was missed)."""
    missed, causes = meeting.split_misses(section.lines)
    say(missed or ["Nothing missed."], ":material/trending_down:")
    if missed:  # causes explain misses; with nothing missed they are only signs worth watching
        st.markdown("### Likely causes")
        say(causes or ["Nothing in the data stands out."], ":material/search:")
    elif causes:
        st.markdown("### Worth watching")
        say(causes, ":material/visibility:")


def voice(section: meeting.Section, charts: dict) -> None:
    """What sales said: sentences, the rejection reasons chart, and the latest notes in their words."""
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
    """Open follow-up breaches by rep and by lead, with today's list to download."""
    say(section.lines, ":material/alarm:")
    found = section.tables["breaches"]
    if not found.empty:
        broken_tables(section, review)
    risk = section.tables.get("at_risk")
    if risk is not None and not risk.empty:
        st.markdown(f"**At risk** · open MQLs breaking a rule within the next {meeting.RISK_HOURS} h, soonest first")
        st.dataframe(
            pd.DataFrame({"Lead": risk["lead_id"], "Company": risk["company"],
                          "Owner": risk["owner"].astype(object).where(risk["owner"].notna(), "(no owner)"),
                          "Rule due": risk["rule"], "Time left": [fmt.hours(h) for h in risk["hours_left"]]}),
            hide_index=True, width="stretch", height=min(38 + 35 * len(risk), 320), key=P + "at_risk",
        )  # fmt: skip


def broken_tables(section: meeting.Section, review: meeting.Review, *, hint: bool = True) -> None:
    """The broken follow-up rules by rep and by lead, with today's list to download.

    ``hint`` says what a tick opens; a projected slide leaves it out to fit its screen.
    """
    found = section.tables["breaches"]
    left, right = st.columns([1, 2], gap="large")
    with left:
        by_rep = section.tables["by_rep"]
        rep_rows = st.dataframe(
            pd.DataFrame({"Rep": by_rep["owner"], "Open breaches": by_rep["breaches"],
                          "Oldest": [fmt.hours(h) for h in by_rep["oldest_hours"]]}),
            hide_index=True, width="stretch", key=P + "rep_rows", on_select="rerun", selection_mode="single-row",
        )  # fmt: skip
        if hint:
            st.caption("Tick a rep for their breaches, a lead for its history.")
    with right:
        picked = st.dataframe(
            pd.DataFrame({"Lead": found["lead_id"], "Company": found["company"], "Owner": found["owner"],
                          "Since handoff": [fmt.hours(h) for h in found["age_hours"]], "Rule broken": found["breach"]}),
            hide_index=True, width="stretch", height=320, key=P + "breach_rows", on_select="rerun",
            selection_mode="single-row",
        )  # fmt: skip
        if picked.selection.rows:
            lead_id = str(found["lead_id"].iloc[picked.selection.rows[0]])
            page_link("pages/lead.py", f"Open the history of {lead_id}", ":material/history:", {"lead": lead_id})
    row = drill.picked_row(rep_rows)
    if row is not None:
        owner = by_rep["owner"].iloc[row]
        mine = found[(meeting.owner_names(found["owner"]) == owner).to_numpy()]
        columns = [c for c in ("lead_id", "company", "owner", "channel", "mql_at", "age_hours", "touches_total",
                               "breach") if c in mine]  # fmt: skip
        drill.leads_panel(f"Open breaches of {owner}", mine.loc[:, columns], key=f"mt_rep_{drill.slug(owner)}")
    label, name = report.breach_csv_name(review)  # today's list, whatever month is reviewed
    st.download_button(label, lambda: report.breach_csv(review), key=P + "breach_csv", file_name=name,
                       mime="text/csv", icon=":material/download:")  # fmt: skip


def proposals_block(proposals: pd.DataFrame, actor: Actor) -> None:
    """Proposed SLA changes to adopt or decline, links to publish adopted ones, and the declined ones."""
    manager = actor.role is Role.MANAGER
    st.markdown("### Proposed SLA changes")
    waiting = proposals[proposals["status"] == "proposed"]
    if waiting.empty:
        st.info("No SLA change is proposed. Managers save scenarios for review from the What if… page.",
                icon=":material/tune:")  # fmt: skip
    failed = st.session_state.pop(P + "proposal_error", None)
    for row in waiting.itertuples():
        with st.container(border=True):
            st.markdown(f"#### {fmt.md_escape(row.title)}")
            st.markdown(fmt.md_escape(row.summary))
            st.caption(fmt.md_escape(f"Proposed by {row.proposed_by} on {row.proposed_at:%d %b %Y}. {row.note}"))
            if manager:
                a, b, _ = st.columns([1, 1, 4])
                for col, status, label in ((a, "adopted", "Adopt"), (b, "declined", "Decline")):
                    col.button(label, key=f"{P}{status}_{row.id}", on_click=on_proposal,
                               args=(actor, int(row.id), status, int(row.row_version), row.title))  # fmt: skip
                if failed and failed[0] == row.id:
                    st.error(failed[1])
    adopted = proposals[proposals["status"] == "adopted"].head(5)
    for row in adopted.itertuples():  # each adopted change one click from being published
        page_link("pages/what_if.py", label=f"Load “{row.title}” on What if… to publish it",
                  icon=":material/publish:", query_params={"proposal": str(row.id)})  # fmt: skip
    declined = proposals[proposals["status"] == "declined"].head(5)
    if len(declined):
        st.caption("Declined: " + "; ".join(fmt.md_escape(t) for t in declined["title"]))


def changes(review: meeting.Review, section: meeting.Section, proposals: pd.DataFrame, actor: Actor) -> None:
    """Proposals, what was agreed last month with its result, and this review's decisions (and their forms)."""
    proposals_block(proposals, actor)
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
        st.dataframe(decision_frame(now, review.sla.goal.currency), hide_index=True, width="stretch")
    if actor.role is Role.MANAGER:
        record_form(review, actor)
        close_form(pd.concat([carried, now], ignore_index=True), actor)


def record_form(review: meeting.Review, actor: Actor) -> None:
    """The form a manager records a decision or action item with (stored by :func:`on_record`)."""
    due = (review.period + 1).end_time.date()
    with st.expander("Record a decision or action item", expanded=False, icon=":material/add_task:"):
        with st.form(P + "record"):  # the text stays until it is stored (on_record)
            st.text_area("What was decided", key=P + "text", max_chars=log.MAX_TEXT,
                         placeholder="e.g. Syndication quota to 40 until acceptance passes 50%")  # fmt: skip
            a, b = st.columns(2)
            a.text_input("Owner", key=P + "owner", max_chars=log.MAX_OWNER)
            b.date_input("Due", value=due, key=P + "due")
            c, d = st.columns(2)
            c.selectbox("The metric that will tell if it worked", [None, *meeting.METRICS], key=P + "metric",
                        format_func=lambda m: "— none —" if m is None else meeting.METRICS[m][0])  # fmt: skip
            d.text_input("Target (optional: a number; shares as %, e.g. 65%)", key=P + "target")
            st.form_submit_button("Record", type="primary", icon=":material/save:", on_click=on_record,
                                  args=(review.period, actor))  # fmt: skip
        if error := st.session_state.pop(P + "record_error", None):
            st.error(error)


def close_form(items: pd.DataFrame, actor: Actor) -> None:
    """The form a manager marks a decision done, dropped or open again with (stored by :func:`on_close`)."""
    if items.empty:
        return
    st.session_state[P + "close_versions"] = {int(r.id): int(r.row_version) for r in items.itertuples()}
    with st.expander("Update a decision: done, dropped, or open again", icon=":material/task_alt:"):
        with st.form(P + "close"):  # the outcome stays until it is stored (on_close)
            labels = {int(r.id): f"{r.text[:90]} ({r.owner}; {r.status})" for r in items.itertuples()}
            st.selectbox("Decision", list(labels), format_func=labels.get, key=P + "close_pick")
            st.radio("Status", log.DECISION_STATUSES, index=1, horizontal=True, key=P + "close_status")
            st.text_input("Outcome (what came of it)", key=P + "close_outcome", max_chars=log.MAX_TEXT)
            st.form_submit_button("Update", icon=":material/save:", on_click=on_close, args=(actor,))
        if error := st.session_state.pop(P + "close_error", None):
            st.error(error)


def exports(review: meeting.Review) -> None:
    """The report popover: the one-page summary as HTML, PDF and PNG, and today's breach list."""
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


def section(number: int, part: meeting.Section, review: meeting.Review, charts: dict, proposals: pd.DataFrame,
            actor: Actor) -> None:  # fmt: skip
    """One agenda section under its numbered header."""
    st.header(f"{number}. {part.title}", divider="gray")
    if part.key == "scorecard":
        scorecard(review, charts)
        say(part.lines, ":material/flag:")
    elif part.key == "pace":
        pace(review, part)
        show(projector(charts["cumulative"], 280), len(review.cumulative) * 3, key=P + "pace_cumulative")
    elif part.key == "wins":
        say(part.lines or ["Nothing to celebrate yet: no quota beaten or on track."], ":material/celebration:")
    elif part.key == "misses":
        misses(part)
        data = get_dataset()
        meeting_gap(data.leads, data.versions, review.period, review.as_of, data.version)
    elif part.key == "voice":
        voice(part, charts)
    elif part.key == "breaches":
        breaches(part, review)
    elif part.key == "changes":
        changes(review, part, proposals, actor)
    elif part.key == "actions":
        say(part.lines, ":material/checklist:")
        if actor.role is Role.MANAGER:
            record_form(review, actor)
            close_form(part.tables["items"], actor)
