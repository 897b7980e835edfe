"""The meeting's presentation mode: each agenda section split into slides that fit one 1280×720 screen.

The sidebar is hidden, type is large, Back/Next stay in a bar fixed at the bottom and the arrow keys press them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from sla_model.access import Actor, Role
from sla_model.review import meeting
from ui import fmt
from ui.charts import projector, show
from ui.data import get_dataset
from ui.explain import meeting_gap
from ui.meeting import (
    SHORT,
    P,
    broken_tables,
    close_form,
    decision_frame,
    pace_table,
    proposals_block,
    record_form,
    say,
    scorecard_charts,
    scorecard_tiles,
)

PARAM = "present"  # ?present=1 reopens the meeting in presentation mode
#: A screen of sentences: about this many characters make a line of large type (``LINE`` pixels high, ``GAP``
#: between sentences), and this many pixels fit between the heading and the Back/Next bar at 1280×720.
LINE_CHARS, LINE, GAP, SCREEN_HEIGHT = 90, 31, 10, 470
HEADING = 60  # a "###" heading above sentences
AGREED = "Last month we agreed"
NAV = P + "nav"  # the fixed Back/Next bar's container key
CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"]
  { display: none !important; }
.stMainBlockContainer { padding: 0.75rem 2.5rem 6rem 2.5rem !important; max-width: none !important; }
.stMainBlockContainer h2 { font-size: 2rem !important; padding-top: 0.2rem !important; }
.stMainBlockContainer h3 { font-size: 1.6rem !important; }
.stMainBlockContainer h4 { font-size: 1.45rem !important; line-height: 1.35 !important; padding: 0.3rem 0 !important; }
.stMainBlockContainer p, .stMainBlockContainer li, [data-testid="stCaptionContainer"]
  { font-size: 20px !important; }
.stMainBlockContainer [data-testid="stMetricValue"] p { font-size: 3.2rem !important; line-height: 1.2; }
.stMainBlockContainer [data-testid="stMetricLabel"] p { font-size: 24px !important; }
.st-key-mt_nav { position: fixed; left: 0; right: 0; bottom: 0; z-index: 1000; background: white;
  padding: 0.6rem 2.5rem; border-top: 1px solid #ddd; }
.st-key-mt_nav button p { font-size: 20px !important; }
.st-key-mt_keys { height: 0 !important; overflow: hidden; margin: 0 !important; }
</style>
"""
#: Runs in an iframe with same-origin access to the app: the arrow keys press the Back/Next buttons.
KEYS = """<script>
const top_ = window.parent;
if (top_.__mtArrows) top_.document.removeEventListener("keydown", top_.__mtArrows);
top_.__mtArrows = (event) => {
  const doc = top_.document, where = event.target;
  if (!doc.querySelector(".st-key-mt_nav") || event.altKey || event.ctrlKey || event.metaKey) return;
  if (where && (where.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(where.tagName))) return;
  const word = {ArrowRight: "Next:", ArrowLeft: "Back:"}[event.key];
  if (!word) return;
  event.preventDefault();
  const press = (tries) => {  // while the last turn is still drawing, wait for its buttons
    const busy = doc.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]');
    if (busy && tries > 0) { top_.setTimeout(() => press(tries - 1), 100); return; }
    const button = [...doc.querySelectorAll(".st-key-mt_nav button")].find((b) => b.innerText.includes(word));
    if (button) button.click();
  };
  press(50);
};
top_.document.addEventListener("keydown", top_.__mtArrows);
</script>"""


@dataclass(frozen=True)
class Slide:
    """One screen of the presentation: its number (``3b``), short name, heading and what it draws."""

    key: str
    number: str
    short: str
    title: str
    draw: Callable[[], None]


def chunks(lines: list[str], chars: int = LINE_CHARS, budget: int = SCREEN_HEIGHT) -> list[list[str]]:
    """Sentences in screenfuls: a sentence of ``n`` lines of ``chars`` characters takes ``GAP + n * LINE`` pixels.

    Examples:
        >>> [len(c) for c in chunks(["a" * 100, "b" * 100, "c"], chars=50, budget=150)]
        [2, 1]
        >>> chunks([])
        [[]]
    """
    out: list[list[str]] = [[]]
    used = 0
    for line in lines:
        height = GAP + LINE * max(math.ceil(len(line) / chars), 1)
        if out[-1] and used + height > budget:
            out.append([])
            used = 0
        out[-1].append(line)
        used += height
    return out


def _said(lines: list[str], icon: str, heading: str | None = None) -> Callable[[], None]:
    def draw() -> None:
        if heading:
            st.markdown(f"### {heading}")
        say(lines, icon)

    return draw


def _sentences(short: str, lines: list[str], icon: str, heading: str | None = None, *,
               budget: int = SCREEN_HEIGHT) -> list[tuple[str, Callable[[], None]]]:  # fmt: skip
    """A short name and a draw function per screenful of sentences (``… (2/3)`` when there are several)."""
    parts = chunks(lines, budget=budget - (HEADING if heading else 0))
    many = len(parts) > 1
    return [(f"{short} ({i}/{len(parts)})" if many else short, _said(part, icon, heading))
            for i, part in enumerate(parts, start=1)]  # fmt: skip


def _agreed_lines(review: meeting.Review) -> list[str]:
    carried = next((s.tables["carried"] for s in review.sections if s.key == "changes"), None)
    if carried is None:
        items = review.section("actions").tables["items"]
        carried = items[items["month"] < str(review.period)] if len(items) else items
    return [meeting.decision_line(r, carried=True) for r in carried.itertuples()] if len(carried) else []


def _table(frame: pd.DataFrame, height: int = 360) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), height))


def slides(review: meeting.Review, charts: dict, proposals: pd.DataFrame, actor: Actor) -> list[Slide]:
    """The meeting as slides: the sections in agenda order, each split into screens that fit 1280×720."""
    out: list[Slide] = []
    agreed = _agreed_lines(review)
    for number, part in enumerate(review.sections, start=1):
        steps = _steps(number, part, review, charts, proposals, actor, agreed)
        for i, (short, draw) in enumerate(steps):
            label = f"{number}{chr(ord('a') + i)}" if len(steps) > 1 else str(number)
            title = _title(part, short) if len(steps) > 1 else part.title
            out.append(Slide(f"{part.key}.{i}", label, short, title, draw))
    return out


def _title(part: meeting.Section, short: str) -> str:
    """A slide's heading: the section's title, with the screen's name or its page (``(2/3)``) when split.

    Examples:
        >>> part = meeting.Section("wins", "Wins to celebrate")
        >>> _title(part, "Wins"), _title(part, "Wins (2/3)"), _title(part, "MQLs so far"), _title(part, "At risk")
        ('Wins to celebrate', 'Wins to celebrate (2/3)', 'Wins to celebrate: MQLs so far', 'Wins to celebrate: at risk')
    """
    own = SHORT.get(part.key, "\0")
    if short == own:
        return part.title
    if short.startswith(own + " ("):
        return part.title + short.removeprefix(own)
    if short.startswith(AGREED):
        return short
    return f"{part.title}: {short if short[1:2].isupper() else short[0].lower() + short[1:]}"


def _steps(number: int, part: meeting.Section, review: meeting.Review, charts: dict, proposals: pd.DataFrame,
           actor: Actor, agreed: list[str]) -> list[tuple[str, Callable[[], None]]]:  # fmt: skip
    """One section's screens: a short name and a draw function each."""
    manager = actor.role is Role.MANAGER
    currency = review.sla.goal.currency
    steps: list[tuple[str, Callable[[], None]]] = []
    if number == 1 and agreed:  # the review opens with what was agreed last time and how its metric moved
        steps += _sentences(AGREED, agreed, ":material/history:")
    if part.key == "scorecard":
        steps.append((SHORT["scorecard"], lambda: scorecard_tiles(review)))
        steps.append(("MQLs vs pace and quota", lambda: scorecard_charts(review, charts, height=330)))
        steps += _sentences("In sentences", part.lines, ":material/flag:")
    elif part.key == "pace":
        steps += _sentences("Pace", part.lines, ":material/speed:")
        steps.append(("Pace table", lambda: _table(pace_table(review))))
        steps.append(
            (
                "MQLs so far",
                lambda: show(
                    projector(charts["cumulative"], 380), len(review.cumulative) * 3, key=P + "pace_cumulative"
                ),
            )
        )
    elif part.key == "wins":
        steps += _sentences(SHORT["wins"], part.lines or ["Nothing to celebrate yet: no quota beaten or on track."],
                            ":material/celebration:")  # fmt: skip
    elif part.key == "misses":
        missed, causes = meeting.split_misses(part.lines)
        steps += _sentences("Misses", missed or ["Nothing missed."], ":material/trending_down:")
        if causes:
            word = "Likely causes" if missed else "Worth watching"
            steps += _sentences(word, causes, ":material/search:", word)
        steps.append(("Revenue gap", _gap(review)))
    elif part.key == "voice":
        steps += _sentences(SHORT["voice"], part.lines, ":material/chat:")
        if "reasons" in charts:
            rows = len(part.tables["reasons"])
            steps.append(("Rejection reasons", lambda: show(projector(charts["reasons"], 34 * min(rows, 9) + 40),
                                                            rows, key=P + "reasons")))  # fmt: skip
        if len(notes := part.tables["notes"]):
            steps.append(("In their words", lambda: _table(pd.DataFrame(
                {"When": notes["at"].dt.strftime("%d %b"), "Rep": notes["by"], "Lead": notes["company"],
                 "Reason": notes["reason"], "Note": notes["note"]}))))  # fmt: skip
    elif part.key == "breaches":
        steps += _sentences(SHORT["breaches"], part.lines, ":material/alarm:")
        if not part.tables["breaches"].empty:
            steps.append(("By rep and lead", lambda: broken_tables(part, review, hint=False)))
        risk = part.tables.get("at_risk")
        if risk is not None and not risk.empty:
            steps.append(("At risk", lambda: _table(pd.DataFrame(
                {"Lead": risk["lead_id"], "Company": risk["company"],
                 "Owner": risk["owner"].astype(object).where(risk["owner"].notna(), "(no owner)"),
                 "Rule due": risk["rule"], "Time left": [fmt.hours(h) for h in risk["hours_left"]]}))))  # fmt: skip
    elif part.key == "changes":
        steps.append(("Proposals", lambda: proposals_block(proposals, actor)))
        steps += _sentences(AGREED, agreed or ["Nothing was agreed last month."],
                            ":material/history:")  # fmt: skip
        steps.append(("Agreed today", lambda: _agreed_today(review, part, actor, currency)))
    elif part.key == "actions":
        steps += _sentences(SHORT["actions"], part.lines, ":material/checklist:")
        if manager:
            steps.append(("Record and update", lambda: (record_form(review, actor),
                                                        close_form(part.tables["items"], actor))))  # fmt: skip
    return steps


def _gap(review: meeting.Review) -> Callable[[], None]:
    def draw() -> None:
        data = get_dataset()
        meeting_gap(data.leads, data.versions, review.period, review.as_of, data.version)

    return draw


def _agreed_today(review: meeting.Review, part: meeting.Section, actor: Actor, currency: str) -> None:
    now = part.tables["decisions"]
    st.markdown(f"### Agreed in this review ({review.period:%B %Y})")
    if now.empty:
        st.caption("No decision recorded yet.")
    else:
        _table(decision_frame(now, currency), height=280)
    if actor.role is Role.MANAGER:
        record_form(review, actor)
        close_form(pd.concat([part.tables["carried"], now], ignore_index=True), actor)


def present_frame() -> None:
    """The presentation look (no sidebar, large type, fixed Back/Next bar) and the arrow keys."""
    st.html(CSS)
    with st.container(key=P + "keys"):
        st.iframe(KEYS, height=1)
