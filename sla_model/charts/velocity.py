"""The full funnel as bars: each stage's count with its conversion from the stage before."""

from __future__ import annotations

import altair as alt
import pandas as pd

from sla_model.charts.style import BAD, GOOD, pickable


def funnel_chart(stages: pd.DataFrame, *, selectable: bool = False) -> alt.LayerChart:
    """Horizontal bars from :func:`sla_model.metrics.velocity.funnel_stages`, in funnel order; lost deals in red.

    Each bar is labelled with its count and its share of the stage before. With ``selectable``, a click on a bar
    picks its stage (:data:`~sla_model.charts.style.PICK`, field ``stage``).
    """
    rows = stages.copy()
    rows["share"] = [
        "" if pd.isna(r) else f" · {r:.0%} of {'opportunities' if s == 'Lost' else 'the stage before'}"
        for s, r in zip(rows["stage"], rows["of_previous"], strict=True)
    ]
    rows["label"] = [f"{n:,}{share}" for n, share in zip(rows["count"], rows["share"], strict=True)]
    rows["kind"] = ["lost" if s == "Lost" else "reached" for s in rows["stage"]]
    rows["days"] = ["" if pd.isna(d) else f"{d:.1f}" for d in rows["median_days"]]
    order = rows["stage"].tolist()
    base = alt.Chart(rows).encode(
        y=alt.Y("stage:N", sort=order, title=None),
        tooltip=[
            alt.Tooltip("stage:N", title="Stage"),
            alt.Tooltip("count:Q", title="Leads", format=","),
            alt.Tooltip("of_previous:Q", title="Of the stage before", format=".1%"),
            alt.Tooltip("of_leads:Q", title="Of all leads", format=".1%"),
            alt.Tooltip("days:N", title="Median days from the stage before"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("count:Q", title="Leads", axis=alt.Axis(grid=False, format=",")),
        color=alt.Color("kind:N", scale=alt.Scale(domain=["reached", "lost"], range=[GOOD, BAD]), legend=None),
    )
    labels = base.mark_text(align="left", dx=6, fontSize=14).encode(x=alt.X("count:Q", axis=None), text="label:N")
    return alt.layer(pickable(bars, ["stage"]) if selectable else bars, labels)
