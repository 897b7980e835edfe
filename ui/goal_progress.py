"""Goal progress' text helpers and its tiles section (Streamlit side)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.metrics.progress import MEASURE_LABELS, Progress, gap_to_target
from ui import fmt

#: How each status of ``metrics.progress.progress`` is shown on a tile: icon, colour, words.
STATUS_LOOK = {
    "on track": (":material/trending_up:", "blue", "On track"),
    "met": (":material/check_circle:", "blue", "Quota met"),
    "behind": (":material/trending_down:", "orange", "Behind"),
    "missed": (":material/cancel:", "orange", "Quota missed"),
    "not started": (":material/schedule:", "gray", "Not started"),
    "no quota": (":material/remove:", "gray", "No quota for this filter"),
}


def value_text(measure: str, x: float, currency: str) -> str:
    """A measure's figure as text: money for revenue, a count otherwise."""
    return fmt.money(x, currency) if measure == "revenue" else fmt.count(x)


def delta(measure: str, p: Progress, currency: str) -> tuple[str | None, str, str]:
    """The tile's delta against quota (a closed month) or pace (an open one): text, arrow, colour."""
    gap = gap_to_target(p)
    if gap is None:
        return None, "auto", "normal"
    size = value_text(measure, abs(gap), currency)
    if p.closed:
        return fmt.gap(gap, size, "over quota", "under quota", "exactly on quota")
    return fmt.gap(gap, size, "ahead of pace", "behind pace", "on pace")


def with_attainment(channels: pd.DataFrame) -> pd.DataFrame:
    """``progress.channel_progress`` with each channel's attainment as text (``"no quota"`` where none is set)."""
    out = channels.copy()
    out["Attainment"] = [fmt.pct(a / q) if q else "no quota" for a, q in zip(out["MQLs"], out["Quota"], strict=True)]
    return out


def funnel_table(funnel: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The reverse funnel (``progress.funnel_progress``) as the table beside its chart."""

    def text(stage: str, x: float) -> str:
        return value_text("revenue" if stage == "revenue" else "mqls", x, currency)

    return pd.DataFrame(
        {
            "Stage": funnel["Stage"],
            "Needed": [text(s, v) for s, v in zip(funnel["stage"], funnel["needed"], strict=True)],
            "Actual": [text(s, v) for s, v in zip(funnel["stage"], funnel["actual"], strict=True)],
            "% of need": [fmt.pct(x) for x in funnel["share"]],
            "Conversion": [fmt.pct(r, 1) if r == r else "" for r in funnel["rate_in"]],
        }
    )


def tiles(results: dict[str, Progress], currency: str) -> None:
    """One tile per measure: the actual, its delta against pace or quota, the status and the attainment."""
    cols = st.columns(4)
    for col, (measure, p) in zip(cols, results.items(), strict=True):
        with col, st.container(border=True):
            text, arrow, colour = delta(measure, p, currency)
            st.metric(
                MEASURE_LABELS[measure],
                value_text(measure, p.actual, currency),
                delta=text,
                delta_arrow=arrow,
                delta_color=colour,
                help=(
                    f"Quota {value_text(measure, p.quota, currency)}"
                    + (
                        ""
                        if p.closed
                        else f" · pace now {value_text(measure, p.pace, currency)}"
                        f" · projected {value_text(measure, p.projection, currency)}"
                    )
                ),
            )
            icon, colour, label = STATUS_LOOK[p.status]
            st.markdown(f"#### :{colour}-background[{icon} {label}]")
            if p.quota > 0:
                share = p.attainment if p.closed else p.projected_attainment
                what = "Reached" if p.closed else "Projected"
                st.markdown(f"{what} **{fmt.attainment(share)}** of {value_text(measure, p.quota, currency)}")
            else:
                st.markdown("No quota applies")
