"""The revenue gap as a waterfall: from the baseline's revenue, each factor's effect, to the actual revenue."""

from __future__ import annotations

import altair as alt
import pandas as pd

from sla_model.charts.style import BAD, GOOD, NEUTRAL

#: Bar colours by step kind (``metrics.gap.waterfall_steps``): totals grey, effects blue up and orange down.
KIND_COLOURS = {"total": NEUTRAL, "up": GOOD, "down": BAD, "none": NEUTRAL}
#: Axis labels as 50k, 1.2M (and a plain 0, not "0k").
_SHORT = "datum.value == 0 ? '0' : format(datum.value, '~s')"


def waterfall_chart(steps: pd.DataFrame, unit: str = "USD") -> alt.LayerChart:
    """A waterfall from ``metrics.gap.waterfall_steps`` with a ``label`` text column (the bar's amount).

    Totals stand on zero; each effect floats from the level before it, blue where it adds, orange where it
    takes away; each bar carries its label. ``unit`` names the money axis.
    """
    frame = steps.assign(top=steps[["start", "end"]].max(axis=1))
    order = list(frame.sort_values("order")["step"])
    base = alt.Chart(frame).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)),
    )
    kinds = list(KIND_COLOURS)
    bars = base.mark_bar(size=46).encode(
        y=alt.Y("start:Q", title=f"Revenue ({unit})", axis=alt.Axis(labelExpr=_SHORT)),
        y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=list(KIND_COLOURS.values())), legend=None),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("label:N", title="Amount")],
    )
    labels = base.mark_text(dy=-9, fontSize=14, fontWeight="bold").encode(y="top:Q", text="label:N")
    return bars + labels
