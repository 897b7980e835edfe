"""Meeting: run the monthly review or the mid-month check-in from the app, one agenda section at a time."""

from __future__ import annotations

import streamlit as st

from sla_model.access import Role
from sla_model.metrics.progress import elapsed_share
from sla_model.review import decisions as log
from sla_model.review import meeting, report
from ui import fmt, present
from ui.controls import view_controls
from ui.data import database_url, get_engine
from ui.identity import current_actor
from ui.meeting import ALL, SHORT, P, build_review, exports, proposal_frame, section

# --- The page --------------------------------------------------------------------------------------------------
view = view_controls()
data = view.data
if not view.monthly:  # the review is built month by month
    st.caption(f"The review is monthly: it covers {view.period:%B %Y}, the month {view.label} stands for here.")
actor = current_actor()
manager = actor.role is Role.MANAGER
open_month = elapsed_share(view.period, data.as_of) < 1
variant = st.session_state.get(P + "variant") or ("checkin" if open_month else "monthly")
url = database_url()
decision_log = log.list_decisions(engine=get_engine(), through=view.period)
proposals = proposal_frame()
review = build_review(url, data.version, str(view.period), variant, decision_log, proposals)
if P + "present" not in st.session_state:  # ?present=1 reopens the meeting in presentation mode
    st.session_state[P + "present"] = st.query_params.get(present.PARAM) == "1"


def on_present() -> None:
    if st.session_state[P + "present"]:
        st.query_params[present.PARAM] = "1"
    elif present.PARAM in st.query_params:
        del st.query_params[present.PARAM]


def move_to(key: str, order: list[str], by: int) -> None:
    at = order.index(st.session_state[key]) if st.session_state.get(key) in order else -1
    st.session_state[key] = order[min(max(at + by, 0), len(order) - 1)]


if st.session_state[P + "present"]:  # one slide a screen, Back/Next fixed at the bottom and on the arrow keys
    present.present_frame()
    shows = present.slides(review, report.charts(review, data.channels), proposals, actor)
    order, slide_key = [s.key for s in shows], P + "slide_" + variant
    if st.session_state.get(slide_key) not in order:
        st.session_state[slide_key] = order[0]
    at = order.index(st.session_state[slide_key])
    head, toggle = st.columns([5, 1], vertical_alignment="center")
    head.caption(f"{fmt.md_escape(review.title)} · slide {at + 1} of {len(shows)}")
    toggle.toggle("Present", key=P + "present", on_change=on_present)
    with st.container(key=P + "slide"):
        st.header(f"{shows[at].number}. {shows[at].title}", divider="gray")
        shows[at].draw()
    with st.container(key=present.NAV):
        back_col, next_col, _ = st.columns([1, 1, 1])
        if at > 0:
            back_col.button(f"Back: {shows[at - 1].number} · {shows[at - 1].short}", key=P + "prev",
                            on_click=move_to, args=(slide_key, order, -1), icon=":material/arrow_back:",
                            width="stretch")  # fmt: skip
        if at < len(shows) - 1:
            next_col.button(f"Next: {shows[at + 1].number} · {shows[at + 1].short}", key=P + "next",
                            on_click=move_to, args=(slide_key, order, 1), type="primary",
                            icon=":material/arrow_forward:", width="stretch")  # fmt: skip
    st.stop()

st.title(review.title)
st.caption(
    f"Judged against SLA version {review.sla.meta.version} · data as of {review.as_of:%d %b %Y, %H:%M} UTC"
    + (f" · {fmt.md_escape(review.sla.review.monthly)}" if variant == "monthly" else
       f" · {fmt.md_escape(review.sla.review.mid_month_checkin)}" if review.sla.review.mid_month_checkin else "")
)  # fmt: skip
kind_col, present_col, report_col = st.columns([3, 1, 1], vertical_alignment="center")
with kind_col:
    st.segmented_control("Meeting", list(meeting.VARIANTS), format_func=meeting.VARIANTS.get, key=P + "variant",
                         default=variant, label_visibility="collapsed")  # fmt: skip
with present_col:
    st.toggle("Present", key=P + "present", on_change=on_present,
              help="One screen a slide, no sidebar, large type; the arrow keys turn the slides")  # fmt: skip
with report_col:
    exports(review)
if view.filtered:
    st.caption("The meeting always shows the whole team: the sidebar's channel, persona and rep filters do not apply.")
notice = st.empty()  # always drawn: a confirmation shown or gone moves none of the forms below it
if flash := st.session_state.pop(P + "flash", None):
    notice.success(fmt.md_escape(flash), icon=":material/check_circle:")

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
for number, part in enumerate(review.sections, start=1):
    if step in (part.key, ALL):
        section(number, part, review, charts, proposals, actor)
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
