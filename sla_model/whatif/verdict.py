"""The one-line verdict of a what-if result, the sentence a meeting reads first."""

from __future__ import annotations

import math
from typing import Any

_MINUS = "\N{MINUS SIGN}"


def _signed(value: float, unit: str) -> str:
    sign = "+" if value > 0 else _MINUS if value < 0 else "±"
    return f"{sign}{abs(value):.0f}{unit}"


def _amount(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}"


def verdict_text(r: dict[str, Any]) -> str:
    """The one-line summary a meeting can read, e.g. ``+18% MQLs, −6 pts acceptance, revenue goal ...``."""
    if not r["n_months"]:
        return "No complete month of history to replay the candidate on."
    parts = []
    if r["mqls"] == r["baseline_mqls"]:
        parts.append("same MQLs")
    elif r["baseline_mqls"] > 0:
        parts.append(f"{_signed(100 * (r['mqls'] / r['baseline_mqls'] - 1), '%')} MQLs")
    else:
        parts.append(f"{_amount(r['mqls'])} MQLs a month (none before)")
    pts = 100 * (r["acceptance_rate"] - r["baseline_acceptance_rate"])
    if not math.isnan(pts):
        parts.append("acceptance unchanged" if round(pts) == 0 else f"{_signed(pts, ' pts')} acceptance")
    gap, before = r["revenue_gap"], r["baseline_revenue_gap"]
    if math.isnan(gap):
        parts.append("no revenue estimate")
    else:
        was_met = not math.isnan(before) and before >= 0
        if gap >= 0:
            parts.append(f"revenue goal {'still' if was_met else 'now'} met ({_signed(100 * gap, '%')})")
        else:
            parts.append(f"revenue goal {'now' if was_met else 'still'} missed by {100 * -gap:.0f}%")
    if r["over_capacity"]:
        parts.append(f"reps over capacity ({_amount(r['load'])} vs {_amount(r['capacity'])} MQLs a week each)")
    if r["extrapolated_share"] >= 0.005:
        parts.append(f"{100 * r['extrapolated_share']:.0f}% of MQLs extrapolated")
    return ", ".join(parts)
