"""Lead quality: how sales judged the month's MQLs, why they rejected them, and what converts."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd
import streamlit as st

from sla_model.metrics.quality import (
    acceptance,
    acceptance_by,
    conversions,
    latest_notes,
    loop_counts,
    mql_cohort,
    rejection_reasons,
    score_band,
    top_reasons,
)
from sla_model.metrics.stats import SMALL_SAMPLE
from ui import fmt
from ui.charts import BAD, GOOD, NEUTRAL, channel_scale, month_axis, projector, show
from ui.controls import view_controls

TREND_MONTHS = 12
TRAILING_MONTHS = 6  # conversion window: young cohorts have not converted yet
NOTES = 10
MAX_COLUMNS = 8  # heatmap columns legible at 1280 px; beyond that the top 6 and "Other"
DIMENSIONS = {"channel": "Channel", "campaign": "Campaign", "persona": "Persona"}
PLURALS = {"channel": "channels", "campaign": "campaigns", "persona": "personas"}
STAGES = ["MQL→SQL", "SQL→won", "MQL→won"]
ALL = "__all__"
SMALL_TEXT = f"small sample (n < {SMALL_SAMPLE})"


def wrap(text: str, width: int) -> str:
    """Break a label into lines (axis labels split on newlines, see ``LINES``)."""
    return "\n".join(textwrap.wrap(str(text), width, break_long_words=False)) or str(text)


def intervals(low: pd.Series, high: pd.Series) -> list[str]:
    """95% intervals as text, ``"68%–79%"``; an em dash where there is no sample."""
    return [f"{fmt.pct(lo)}–{fmt.pct(hi)}" if lo == lo else "—" for lo, hi in zip(low, high, strict=True)]


def share(x: int, mqls: int) -> str:
    """A count as a share of the month's MQLs, ``"63% of 280 MQLs"``."""
    return f"{fmt.pct(x / mqls)} of {fmt.count(mqls)} MQLs"


def as_text(values: pd.Series) -> pd.Series:
    """Category values as text, ``"(none)"`` where missing."""
    return values.astype(object).fillna("(none)").astype(str)


#: Vega expression that draws a label containing newlines on several lines.
LINES = "split(datum.value, '\\n')"


def rate_rows(frame: pd.DataFrame, *, successes: str, n: str) -> pd.DataFrame:
    """Rate rows for :func:`rate_bars`: the group, an axis label carrying n and the small-sample flag."""
    out = frame.rename(columns={successes: "successes", n: "n"}).copy()
    out["group"] = out["group"].astype(str)
    out["sample"] = [SMALL_TEXT if s else "" for s in out["small_sample"]]
    out["axis"] = [
        f"{g}\nn = {k:,}" + (" · small sample" if s else "")
        for g, k, s in zip(out["group"], out["n"], out["small_sample"], strict=True)
    ]
    out["interval"] = intervals(out["low"], out["high"])
    return out[["group", "axis", "successes", "n", "rate", "low", "high", "small_sample", "sample", "interval"]]


def rate_bars(
    rows: pd.DataFrame, *, x_title: str, what: str, colour: alt.Color | dict, overall: float, by_rate: bool = True
):
    """Horizontal rate bars with 95% Wilson error bars; small samples are pale and labelled.

    Rows are sorted by rate (highest first), or kept in their order when ``by_rate`` is false.
    """
    order = list(rows.sort_values("rate", ascending=False, na_position="last")["axis"] if by_rate else rows["axis"])
    tooltip = [
        alt.Tooltip("group:N", title="Group"),
        alt.Tooltip("rate:Q", title="Rate", format=".1%"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("successes:Q", title=what, format=","),
        alt.Tooltip("n:Q", title="Sample size (n)", format=","),
        alt.Tooltip("sample:N", title="Note"),
    ]
    y = alt.Y("axis:N", sort=order, title=None, axis=alt.Axis(labelExpr=LINES, labelLimit=200, labelOverlap=False))
    base = alt.Chart(rows).encode(y=y, tooltip=tooltip)
    bars = base.mark_bar(height=alt.RelativeBandSize(0.6)).encode(
        # rates live in 0–100%: a fixed domain keeps an axis of only empty rates from reading "0.000000%"
        x=alt.X("rate:Q", title=x_title, axis=alt.Axis(format="%", tickCount=5), scale=alt.Scale(domain=[0, 1])),
        color=colour,
        opacity=alt.condition(alt.datum.small_sample, alt.value(0.35), alt.value(1.0)),
    )
    errors = base.mark_errorbar(ticks=alt.TickConfig(size=12, thickness=2), thickness=2, color="black").encode(
        x=alt.X("low:Q", title=x_title), x2="high:Q"
    )
    layers = [bars, errors]
    if overall == overall:  # not NaN
        ref = pd.DataFrame({"overall": [overall], "label": [f"all: {fmt.pct(overall)}"]})
        layers.append(
            alt.Chart(ref)
            .mark_rule(color=NEUTRAL, strokeDash=[6, 4], strokeWidth=2)
            .encode(x="overall:Q", tooltip=[alt.Tooltip("label:N", title="Overall")])
        )
    return alt.layer(*layers)


view = view_controls()
data, sla = view.data, view.sla
labels: dict[str, str] = {}
for version in data.versions:  # older codes keep their old label; the version in force wins
    labels.update(version.reason_labels())
labels.update(sla.reason_labels())
month = f"{view.period:%B %Y}"
cohort = mql_cohort(view.leads, view.start, view.end)

st.title(f"Lead quality · {month}")
st.caption(
    f"{fmt.md_escape(view.describe())} · the MQLs handed to sales in {month}, judged against SLA version "
    f"{sla.meta.version} (in force from {sla.meta.effective_from:%d %b %Y})"
)

# --- Tiles: sales' decisions on the month's MQLs, and where the rest went ------------------------------
acc = acceptance(cohort)
loop = loop_counts(cohort)
if cohort.empty:
    st.info(
        f"No MQLs were handed to sales in {month}{' with these filters' if view.filtered else ''}, so there is "
        "nothing to judge this month. Pick another month or filter in the sidebar; the trend below covers the "
        "last 12 months.",
        icon=":material/inbox:",
    )
else:
    mqls = acc["mqls"]
    small = acc["decided"] < SMALL_SAMPLE
    interval = f"95% interval {fmt.pct(acc['low'])}–{fmt.pct(acc['high'])}" if acc["decided"] else "no decisions yet"
    tiles = [
        (
            "Acceptance rate",
            fmt.pct(acc["rate"]),
            f"Accepted ÷ decided: {fmt.count(acc['accepted'])} ÷ {fmt.count(acc['decided'])} "
            f"(n = {fmt.count(acc['decided'])} decided) · {interval}. Pending and stale MQLs are not in the rate.",
            f"n = {fmt.count(acc['decided'])} decided · {interval}" + (" · small sample" if small else ""),
        ),
        (
            "Accepted",
            fmt.count(acc["accepted"]),
            "MQLs sales accepted (SAL), including those that reached SQL, a deal, a win or a loss without an "
            "accepted date",
            share(acc["accepted"], mqls),
        ),
        ("Rejected", fmt.count(acc["rejected"]), "MQLs sales rejected, with a reason", share(acc["rejected"], mqls)),
        (
            "Pending",
            fmt.count(acc["pending"]),
            "MQLs still waiting for sales to accept or reject them",
            share(acc["pending"], mqls),
        ),
        (
            "Recycled to nurture",
            fmt.count(loop["recycled"]),
            "Rejected MQLs sent back to marketing to nurture",
            share(loop["recycled"], mqls),
        ),
        (
            "Disqualified",
            fmt.count(loop["disqualified"]),
            "Rejected MQLs taken out for good (not our customer, bad data, …)",
            share(loop["disqualified"], mqls),
        ),
        (
            "Stale",
            fmt.count(acc["stale"]),
            "MQLs nobody accepted or rejected in time, recycled to nurture or disqualified unworked",
            share(acc["stale"], mqls),
        ),
    ]
    for row in (tiles[:4], tiles[4:]):
        cols = st.columns(4)
        for col, (label, value, help_text, note) in zip(cols, row, strict=False):
            with col, st.container(border=True, height="stretch"):
                st.metric(label, value, help=help_text)
                st.caption(note)
    with cols[3]:
        st.caption(
            f"{fmt.count(mqls)} MQLs handed over. Rate = accepted ÷ (accepted + rejected). Rejected MQLs are "
            "recycled to nurture or disqualified, by reason; stale ones were recycled undecided."
        )

# --- Acceptance trend and acceptance by channel ----------------------------------------------------------
left, right = st.columns(2, gap="large")
with left:
    st.subheader("Acceptance, last 12 months")
    months = data.months[data.months <= view.period][-TREND_MONTHS:]
    window = view.leads[(view.leads["mql_at"] >= months[0].start_time) & (view.leads["mql_at"] < view.end)]
    by_month = window["mql_at"].dt.to_period("M")
    trend = acceptance_by(window, by_month).reindex(months)
    trend["mqls"] = by_month.value_counts().reindex(months).fillna(0).astype(int).to_numpy()
    trend = trend.rename_axis("month").reset_index()
    trend["month_start"] = trend["month"].dt.start_time
    trend["interval"] = intervals(trend["low"], trend["high"])
    trend["sample"] = [SMALL_TEXT if s else "" for s in trend["small_sample"]]
    trend = trend.dropna(subset=["rate"])[
        ["month_start", "rate", "low", "high", "accepted", "decided", "mqls", "interval", "sample", "small_sample"]
    ]
    if trend.empty:
        st.caption("No MQL was accepted or rejected in these 12 months.")
    else:
        x = alt.X("month_start:T", title="MQL month", axis=month_axis())
        tooltip = [
            alt.Tooltip("month_start:T", title="MQL month", format="%B %Y"),
            alt.Tooltip("rate:Q", title="Acceptance rate", format=".1%"),
            alt.Tooltip("interval:N", title="95% interval"),
            alt.Tooltip("accepted:Q", title="Accepted", format=","),
            alt.Tooltip("decided:Q", title="Decided (n)", format=","),
            alt.Tooltip("mqls:Q", title="MQLs", format=","),
            alt.Tooltip("sample:N", title="Note"),
        ]
        base = alt.Chart(trend).encode(x=x, tooltip=tooltip)
        band = base.mark_area(opacity=0.25, color=GOOD).encode(
            y=alt.Y(
                "low:Q",
                title="Acceptance rate (%)",
                axis=alt.Axis(format="%", tickCount=6),
                scale=alt.Scale(zero=False),
            ),
            y2="high:Q",
        )
        line = base.mark_line(strokeWidth=3, color=GOOD).encode(y="rate:Q")
        points = base.mark_point(size=90, strokeWidth=2, color=GOOD).encode(
            y="rate:Q",
            fill=alt.condition(alt.datum.small_sample, alt.value("white"), alt.value(GOOD)),
        )
        chosen = pd.DataFrame({"month_start": [view.period.start_time], "label": [month]})
        rule = (
            alt.Chart(chosen)
            .mark_rule(color=NEUTRAL, strokeDash=[4, 4], strokeWidth=2)
            .encode(x="month_start:T", tooltip=[alt.Tooltip("label:N", title="Chosen month")])
        )
        show(projector(band + line + points + rule, 320), len(trend) + 1, key="acceptance_trend_chart")
        st.caption(
            "Line: accepted ÷ decided, by the month the MQL was handed over; band: 95% Wilson interval; "
            f"hollow points: fewer than {SMALL_SAMPLE} decisions. Recent months still have pending MQLs."
        )

with right:
    st.subheader(f"Acceptance by channel, {view.period:%b}")
    per_channel = acceptance_by(cohort, "channel").rename_axis("group").reset_index()
    if per_channel.empty:
        st.caption(f"No MQLs in {month}.")
    elif per_channel["decided"].sum() == 0:
        st.caption(f"No MQL handed over in {month} has been accepted or rejected yet.")
    else:
        rows = rate_rows(per_channel, successes="accepted", n="decided")
        chart = rate_bars(
            rows,
            x_title="Acceptance (% of decided)",
            what="Accepted",
            colour=alt.Color("group:N", scale=channel_scale(data.channels), legend=None),
            overall=acc["rate"],
        )
        show(projector(chart, max(260, 48 * len(rows))), len(rows) + 1, key="acceptance_channel_chart")
        st.caption(
            "n = decided MQLs; whiskers: 95% interval; dashed line: all channels. Pale bars are small "
            f"samples (n < {SMALL_SAMPLE}): read them with care."
        )

# --- Rejection reasons: Pareto, drillable by channel, campaign or persona -------------------------------
st.subheader(f"Why sales rejected {view.period:%B}'s MQLs")
rejected = cohort[cohort["rejected_at"].notna()]
if rejected.empty:
    st.caption(f"No MQL handed over in {month} has been rejected.")
else:
    dim_col, value_col = st.columns([2, 3], gap="medium")
    with dim_col:
        dim = (
            st.segmented_control(
                "Break down by", list(DIMENSIONS), default="channel", format_func=DIMENSIONS.get, key="reason_by"
            )
            or "channel"
        )
    values = as_text(rejected[dim]).value_counts()
    values = values[values > 0]
    with value_col:
        chosen_value = st.selectbox(
            f"Show the rejections of one {DIMENSIONS[dim].lower()}",
            [ALL, *values.index],
            format_func=lambda v: f"All {PLURALS[dim]} ({values.sum():,})" if v == ALL else f"{v} ({values[v]:,})",
            key=f"reason_value_{dim}",
        )
    picked = rejected if chosen_value == ALL else rejected[as_text(rejected[dim]) == chosen_value]
    pareto = top_reasons(rejection_reasons(picked, labels))
    pareto["axis"] = [wrap(x, 11) for x in pareto["label"]]
    pareto["inside"] = pareto["count"] >= 0.2 * pareto["count"].max()
    # The caption is markdown: it names the dimension, never the (imported) value.
    scope = f"all {PLURALS[dim]}" if chosen_value == ALL else f"the chosen {DIMENSIONS[dim].lower()}"
    order = list(pareto["axis"])
    tooltip = [
        alt.Tooltip("label:N", title="Reason"),
        alt.Tooltip("count:Q", title="Rejections", format=","),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
        alt.Tooltip("cumulative_share:Q", title="Cumulative share", format=".0%"),
    ]
    x = alt.X("axis:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelExpr=LINES, labelLimit=120))
    base = alt.Chart(pareto).encode(x=x, tooltip=tooltip)
    bars = base.mark_bar(color=BAD, width=alt.RelativeBandSize(0.7)).encode(
        y=alt.Y("count:Q", title="Rejections (count)", axis=alt.Axis(tickMinStep=1))
    )
    # Counts sit inside tall bars (white) and above short ones, clear of the cumulative line.
    count_text = alt.Text("count:Q", format=",")
    inside = base.transform_filter(alt.datum.inside).mark_text(fontSize=14, baseline="top", dy=5, color="white")
    above = base.transform_filter(~alt.datum.inside).mark_text(fontSize=14, baseline="bottom", dy=-4)
    counts = inside.encode(y="count:Q", text=count_text) + above.encode(y="count:Q", text=count_text)
    cum = base.mark_line(color="#333333", strokeWidth=2, point=alt.OverlayMarkDef(size=60, color="#333333")).encode(
        y=alt.Y(
            "cumulative_share:Q",
            title="Cumulative share (%)",
            axis=alt.Axis(format="%", orient="right"),
            scale=alt.Scale(domain=[0, 1]),
        )
    )
    chart = alt.layer(bars + counts, cum).resolve_scale(y="independent")
    show(projector(chart, 340), len(pareto), key="reason_pareto_chart")
    st.caption(
        f"{fmt.count(pareto['count'].sum())} rejections ({scope}), most frequent reason first; the line adds up "
        "their share. Fix the first two or three reasons and most rejections go away."
    )

    # The reasons across the chosen dimension: a heatmap of counts (top values; the rest as "Other").
    st.markdown(f"**Rejection reasons by {DIMENSIONS[dim].lower()}**, {month}")
    top = list(values.index if len(values) <= MAX_COLUMNS else values.index[: MAX_COLUMNS - 2])
    other = f"Other {PLURALS[dim]}"
    grid = rejected.assign(
        value=as_text(rejected[dim]).where(as_text(rejected[dim]).isin(top), other),
        reason=rejected["rejection_reason"].astype(object).fillna("(no reason)"),
    )
    grid = grid.groupby(["reason", "value"]).size().rename("count").reset_index()
    grid["label"] = grid["reason"].map(lambda c: labels.get(c, c))
    totals = grid.groupby("value")["count"].transform("sum")
    grid["share"] = grid["count"] / totals
    reason_order = list(rejection_reasons(rejected, labels)["label"])
    value_order = top + ([other] if (grid["value"] == other).any() else [])
    grid["column"] = [wrap(v, 11) for v in grid["value"]]
    column_order = [wrap(v, 11) for v in value_order]
    heat_tooltip = [
        alt.Tooltip("label:N", title="Reason"),
        alt.Tooltip("value:N", title=DIMENSIONS[dim]),
        alt.Tooltip("count:Q", title="Rejections", format=","),
        alt.Tooltip("share:Q", title=f"Share of the {DIMENSIONS[dim].lower()}'s rejections", format=".0%"),
    ]
    heat_base = alt.Chart(grid).encode(
        x=alt.X(
            "column:N",
            sort=column_order,
            title=None,
            axis=alt.Axis(
                orient="bottom", labelAngle=0, labelExpr=LINES, labelLimit=100, labelOverlap=False, labelFlush=False
            ),
        ),
        y=alt.Y("label:N", sort=reason_order, title=None, axis=alt.Axis(labelOverlap=False)),
        tooltip=heat_tooltip,
    )
    top_count = int(grid["count"].max())
    cells = heat_base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "count:Q",
            title="Rejections (count)",
            scale=alt.Scale(scheme="blues", domain=[0, top_count]),
            legend=None,  # every cell carries its count
        )
    )
    cell_text = heat_base.mark_text(fontSize=14).encode(
        text=alt.Text("count:Q", format=","),
        color=alt.condition(alt.datum.count > top_count * 0.55, alt.value("white"), alt.value("black")),
    )
    lines = max(c.count("\n") for c in column_order) + 1
    height = 38 * len(reason_order) + 18 * lines + 20  # the height includes the column labels
    show(projector(cells + cell_text, height), len(grid), key="reason_heatmap_chart")
    shown = "" if len(top) == len(values) else f" The {len(top)} {PLURALS[dim]} with most rejections are shown."
    st.caption(f"Each cell counts the month's rejections for one reason and {DIMENSIONS[dim].lower()}.{shown}")

# --- Conversion by channel and by score band over a trailing window -------------------------------------
first_month = view.period - (TRAILING_MONTHS - 1)
st.subheader(f"What converts: MQLs handed over {first_month:%b %Y} – {view.period:%b %Y}")
conv_start = first_month.start_time
recent = view.leads[(view.leads["mql_at"] >= conv_start) & (view.leads["mql_at"] < view.end)]
if recent.empty:
    st.caption(f"No MQLs were handed over in the {TRAILING_MONTHS} months up to {month}.")
else:
    stage = (
        st.segmented_control("Stage", STAGES, default=STAGES[0], key="conv_stage", label_visibility="collapsed")
        or STAGES[0]
    )
    what = {"MQL→SQL": "Became SQL", "SQL→won": "Won", "MQL→won": "Won"}[stage]
    overall = conversions(recent, pd.Series("all", index=recent.index))
    overall_rate = float(overall.loc[overall["stage"] == stage, "rate"].iloc[0])
    by_channel = conversions(recent, "channel")
    scored = "score" not in data.empty_fields
    by_band = conversions(recent, score_band(recent["score"])) if scored else None
    x_title = f"{stage} conversion (%)"
    ch_col, band_col = st.columns(2, gap="large")
    with ch_col:
        st.markdown(f"**{stage} by channel**")
        rows = rate_rows(by_channel[by_channel["stage"] == stage], successes="successes", n="n")
        chart = rate_bars(
            rows,
            x_title=x_title,
            what=what,
            colour=alt.Color("group:N", scale=channel_scale(data.channels), legend=None),
            overall=overall_rate,
        )
        show(projector(chart, max(260, 48 * len(rows))), len(rows) + 1, key="conversion_channel_chart")
    with band_col:
        if by_band is None:
            st.info(
                "No lead has a score in this data (the import had no score column), so conversion by score band "
                "is not shown.",
                icon=":material/info:",
            )
        else:
            st.markdown(f"**{stage} by lead score band**")
            rows = rate_rows(by_band[by_band["stage"] == stage], successes="successes", n="n").iloc[::-1]
            rows["axis"] = "Score " + rows["axis"]
            rows["group"] = "Score " + rows["group"]
            chart = rate_bars(
                rows, x_title=x_title, what=what, colour=alt.value(GOOD), overall=overall_rate, by_rate=False
            )
            show(projector(chart, max(260, 48 * len(rows))), len(rows) + 1, key="conversion_band_chart")
    n_total = int(overall.loc[overall["stage"] == stage, "n"].iloc[0])
    st.caption(
        f"Cohort: the {fmt.count(len(recent))} MQLs handed over in the {TRAILING_MONTHS} months up to and including "
        f"{month} (n = {fmt.count(n_total)} for {stage}; {fmt.pct(overall_rate, 1)} overall, the dashed line). "
        "Whiskers: 95% Wilson intervals; pale bars: small samples. Young MQLs have not had time to convert, so "
        "the latest months pull these rates down."
    )

# --- Voice of sales: the latest rejection notes, verbatim -------------------------------------------------
st.subheader("Voice of sales")
notes = latest_notes(data.feedback, cohort, labels, n=NOTES)
if notes.empty:
    st.caption(f"No rejection notes on the MQLs handed over in {month}.")
else:
    # Narrow columns first and the note last, so the table fits a projected 1280-px screen without scrolling.
    table = pd.DataFrame(
        {
            "When": [f"{t:%d %b, %H:%M}" for t in notes["at"]],
            "Channel": notes["channel"].astype(str),
            "Reason": notes["reason"].astype(str),
            "Note": notes["note"].astype(str),
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=35 * (len(table) + 1) + 3,
        key="notes_table",
        column_config={
            "When": st.column_config.TextColumn("When", width=100),
            "Channel": st.column_config.TextColumn("Channel", width=145),
            "Reason": st.column_config.TextColumn("Reason", width=215),
            "Note": st.column_config.TextColumn("Note", help="As the rep wrote it"),
        },
    )
    st.caption(f"The {len(table)} latest rejection notes on {month}'s MQLs, newest first, as the reps wrote them.")
