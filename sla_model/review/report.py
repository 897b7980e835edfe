"""The meeting's one-page report: HTML that prints on one page, the same page as PDF or PNG, breaches as CSV.

Everything is self-contained and rendered offline (charts through ``vl-convert``).
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from xml.etree import ElementTree

import altair as alt
import pandas as pd
import vl_convert as vlc
from pypdf import PdfWriter

from sla_model.charts import BAD, GOOD, NEUTRAL, channel_quota_chart, cumulative_chart, reasons_chart
from sla_model.exports import safe_csv
from sla_model.review.meeting import Review, Section, fmt_value

STATUS_WORDS = {"met": "Quota met", "missed": "Quota missed", "on track": "On track", "behind": "Behind pace",
                "not started": "Not started", "no quota": "No quota"}  # fmt: skip
STATUS_COLOURS = {"met": GOOD, "on track": GOOD, "missed": BAD, "behind": BAD}
#: Lines per section on the one-page report (the page shows everything).
MAX_LINES = 6
BREACH_COLUMNS = {"lead_id": "Lead", "company": "Company", "owner": "Owner", "channel": "Channel",
                  "mql_at": "Handed over (UTC)", "age_hours": "Hours since handoff", "touches_total": "Touches",
                  "breach": "Rule broken"}  # fmt: skip


def _value(measure: str, value: float, currency: str) -> str:
    return fmt_value(value, "money" if measure == "revenue" else "count", currency)


def tiles(review: Review) -> list[dict[str, str]]:
    """The scorecard as four tiles of text: label, value, quota line, status."""
    currency = review.sla.goal.currency
    out = []
    for row in review.scorecard.itertuples():
        if row.quota > 0:
            share = row.attainment if row.status in ("met", "missed") else row.projected_attainment
            word = "of" if row.status in ("met", "missed") else "projected, of"
            detail = f"{fmt_value(share, 'share')} {word} {_value(row.measure, row.quota, currency)} quota"
        else:
            detail = "no quota"
        out.append(
            {
                "label": row.label,
                "value": _value(row.measure, row.actual, currency),
                "detail": detail,
                "status": STATUS_WORDS.get(row.status, row.status),
                "colour": STATUS_COLOURS.get(row.status, NEUTRAL),
            }
        )
    return out


#: The height of each chart on the printed page (pixels).
CHART_HEIGHT = 190


def charts(review: Review, all_channels: list[str] | None = None) -> dict[str, alt.TopLevelMixin]:
    """The report's charts (also drawn on the meeting page): MQLs vs pace, MQLs by channel, rejection reasons.

    ``all_channels`` fixes the channel colours (the app passes every channel in the data, as on the other pages).
    """
    channels = all_channels or sorted(review.channels["channel"])
    out: dict[str, alt.TopLevelMixin] = {
        "cumulative": cumulative_chart(review.cumulative, "MQLs").properties(title="MQLs through the month"),
        "channels": channel_quota_chart(review.channels, channels, height=CHART_HEIGHT).properties(
            title="MQLs by channel vs quota"
        ),
    }
    voice = next((s for s in review.sections if s.key == "voice"), None)
    if voice is not None and len(voice.tables["reasons"]):
        out["reasons"] = reasons_chart(voice.tables["reasons"]).properties(title="Why sales rejected MQLs")
    return out


def _svg(chart: alt.TopLevelMixin, width: int, height: int) -> str:
    spec = (
        chart.properties(width=width, height=height)
        .configure_axis(labelFontSize=12, titleFontSize=12, labelLimit=170)
        .configure_title(fontSize=14, anchor="start")
        .to_dict()
    )
    return vlc.vegalite_to_svg(spec)


def _caption(review: Review) -> str:
    return (
        f"Judged against SLA version {review.sla.meta.version} · data as of {review.as_of:%d %b %Y, %H:%M} UTC · "
        "Smarketing SLA"
    )


CSS = """
* { box-sizing: border-box; }
body { font-family: "Source Sans Pro", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; margin: 24px; }
h1 { font-size: 26px; margin: 0 0 2px 0; }
.caption { color: #555; font-size: 13px; margin-bottom: 12px; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin-bottom: 10px; }
.tile { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; }
.tile .label { font-size: 14px; color: #444; }
.tile .value { font-size: 28px; font-weight: 700; }
.tile .detail { font-size: 13px; }
.tile .status { font-size: 13px; font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; margin-bottom: 8px; }
.charts img { width: 100%; height: auto; }
.sections { display: grid; grid-template-columns: repeat(3, 1fr); gap: 4px 18px; }
h2 { font-size: 15px; margin: 6px 0 2px 0; }
ul { margin: 0; padding-left: 16px; font-size: 12.5px; line-height: 1.3; }
li { margin-bottom: 2px; }
.more { color: #555; font-size: 12px; }
@page { size: A4 landscape; margin: 8mm; }
@media print {
  body { margin: 0; zoom: 0.78; }
  .tiles, .charts, .sections, section { break-inside: avoid; }
}
"""


def _section_html(section: Section) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in section.lines[:MAX_LINES])
    more = len(section.lines) - MAX_LINES
    extra = f'<p class="more">… and {more} more on the meeting page.</p>' if more > 0 else ""
    return f"<section><h2>{html.escape(section.title)}</h2><ul>{items}</ul>{extra}</section>"


def _rate(rate: float, low: float, high: float) -> str:
    return "—" if math.isnan(rate) else f"{rate:.1%} ({low:.1%}–{high:.1%})"


def speed_pays_html(review: Review) -> str:
    """The "does speed pay?" table (metrics.handoff.speed_pays against the rule), or nothing without MQLs to judge."""
    misses = next((s for s in review.sections if s.key == "misses"), None)
    pays = None if misses is None else misses.tables.get("speed_pays")
    if pays is None or pays["mqls"].sum() == 0:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(r.bucket)}</td><td>{r.mqls:,}</td><td>{_rate(r.sql_rate, r.sql_low, r.sql_high)}</td>"
        f"<td>{_rate(r.won_rate, r.won_low, r.won_high)}</td></tr>"
        for r in pays[pays["kind"] == "rule"].itertuples()
    )
    return (
        "<section><h2>Does speed pay?</h2><table><tr><th>First touch</th><th>MQLs</th><th>MQL→SQL</th>"
        f"<th>MQL→won</th></tr>{rows}</table><p>MQLs at least 30 days old; 95% (Wilson) intervals.</p></section>"
    )


def gap_section(review: Review) -> Section | None:
    """Revenue against the goal, by factor (the misses' waterfall as lines), or None without the misses section."""
    misses = next((s for s in review.sections if s.key == "misses"), None)
    steps = None if misses is None else misses.tables.get("gap")
    if steps is None or not len(steps):
        return None
    lines = [f"{r.step}: {r.label}" for r in steps.itertuples()]
    return Section("gap", "Revenue against the goal, by factor", lines)


def gap_html(review: Review) -> str:
    """:func:`gap_section` as HTML (nothing without it)."""
    section = gap_section(review)
    if section is None:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in section.lines)
    return f"<section><h2>{html.escape(section.title)}</h2><ul>{items}</ul></section>"


def to_html(review: Review) -> str:
    """The review as one self-contained HTML page (inline CSS, charts as embedded SVG images), one printed page."""
    tile_html = "".join(
        f'<div class="tile"><div class="label">{html.escape(t["label"])}</div>'
        f'<div class="value">{html.escape(t["value"])}</div><div class="detail">{html.escape(t["detail"])}</div>'
        f'<div class="status" style="color:{t["colour"]}">{html.escape(t["status"])}</div></div>'
        for t in tiles(review)
    )
    images = "".join(
        f'<img alt="{html.escape(name)}" src="data:image/svg+xml;base64,'
        f'{base64.b64encode(_svg(chart, 330, CHART_HEIGHT).encode()).decode()}">'
        for name, chart in charts(review).items()
    )
    shown = [s for s in review.sections if s.key != "scorecard"]
    body = "".join(_section_html(s) for s in shown) + gap_html(review) + speed_pays_html(review)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(review.title)}</title><style>{CSS}</style></head><body>"
        f'<h1>{html.escape(review.title)}</h1><div class="caption">{html.escape(_caption(review))}</div>'
        f'<div class="tiles">{tile_html}</div><div class="charts">{images}</div>'
        f'<div class="sections">{body}</div></body></html>'
    )


def _text_block(lines: list[tuple[str, bool]], width: int) -> alt.LayerChart:
    """Lines of text as a Vega-Lite chart (bold where the flag says so), for the PDF/PNG page."""
    frame = pd.DataFrame({"row": range(len(lines)), "text": [t for t, _ in lines], "bold": [b for _, b in lines]})
    base = alt.Chart(frame).encode(x=alt.value(0), y=alt.Y("row:O", axis=None), text="text:N")
    heading = base.transform_filter(alt.datum.bold).mark_text(align="left", baseline="top", fontSize=13,
                                                              fontWeight="bold")  # fmt: skip
    body = base.transform_filter(~alt.datum.bold).mark_text(align="left", baseline="top", fontSize=12)
    return alt.layer(heading, body).properties(width=width, height=max(15 * len(lines), 15))


def _wrapped(section: Section, chars: int) -> list[tuple[str, bool]]:
    lines: list[tuple[str, bool]] = [(section.title, True)]
    for line in section.lines[:MAX_LINES]:
        parts = textwrap.wrap(line, chars) or [""]
        lines += [("• " + parts[0], False)] + [("  " + p, False) for p in parts[1:]]
    if len(section.lines) > MAX_LINES:
        lines.append((f"… and {len(section.lines) - MAX_LINES} more on the meeting page.", False))
    return lines


def page_spec(review: Review) -> dict:
    """The one-page report as a single Vega-Lite specification (what the PDF and PNG render)."""
    tile_charts = []
    for t in tiles(review):
        rows = [(t["label"], 14, "normal", "#444444", 4), (t["value"], 28, "bold", "#1a1a1a", 24),
                (t["detail"], 12, "normal", "#1a1a1a", 60), (t["status"], 13, "bold", t["colour"], 78)]  # fmt: skip
        marks = [
            alt.Chart(pd.DataFrame({"text": [text]}))
            .mark_text(align="left", baseline="top", fontSize=size, fontWeight=weight, color=colour)
            .encode(x=alt.value(8), y=alt.value(y), text="text:N")
            for text, size, weight, colour, y in rows
        ]
        tile_charts.append(alt.layer(*marks).properties(width=226, height=96))
    figures = [c.properties(width=270, height=170) for c in charts(review).values()]
    shown = [s for s in review.sections if s.key != "scorecard"]
    gap = gap_section(review)
    shown += [gap] if gap is not None else []
    columns = [shown[i::3] for i in range(3)]
    blocks = [alt.vconcat(*[_text_block(_wrapped(s, 54), 312) for s in col], spacing=8) for col in columns if col]
    title = alt.TitleParams(review.title, subtitle=_caption(review), fontSize=22, subtitleFontSize=12, anchor="start")
    page = (
        alt.vconcat(
            alt.hconcat(*tile_charts, spacing=12),
            alt.hconcat(*figures, spacing=40).resolve_scale(color="independent", strokeDash="independent"),
            alt.hconcat(*blocks, spacing=24),
            spacing=18,
            title=title,
        )
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=11, labelLimit=180)
    )
    return page.configure_title(fontSize=13, anchor="start").to_dict()


#: The PDF's page: A4 landscape, in points.
A4_LANDSCAPE = (842, 595)


def _size(spec: dict) -> tuple[float, float]:
    """The width and height a Vega-Lite specification renders at (pixels), read from its SVG."""
    root = ElementTree.fromstring(vlc.vegalite_to_svg(spec))
    return float(root.get("width")), float(root.get("height"))


def a4_spec(spec: dict, page: tuple[int, int] = A4_LANDSCAPE) -> tuple[dict, float]:
    """``spec`` padded to the page's proportions, and the scale that makes it exactly the page (points = pixels).

    The figure keeps its look and sits at the top left; the margin it gains is blank.
    """
    width, height = _size(spec)
    pad = spec.get("padding", 5)
    pad = dict.fromkeys(("left", "top", "right", "bottom"), pad) if isinstance(pad, int | float) else dict(pad)
    ratio = page[0] / page[1]
    if width / height > ratio:  # too wide: room below
        pad["bottom"] = pad.get("bottom", 5) + width / ratio - height
        width_out = width
    else:  # too tall: room on the right
        pad["right"] = pad.get("right", 5) + height * ratio - width
        width_out = height * ratio
    return {**spec, "padding": pad}, page[0] / width_out


def to_pdf(review: Review) -> bytes:
    """The one-page report as an A4 landscape PDF (rendered offline, text kept as text)."""
    spec, scale = a4_spec(page_spec(review))
    writer = PdfWriter(clone_from=io.BytesIO(vlc.vegalite_to_pdf(spec)))  # vl-convert draws at 1 pt a pixel
    for page in writer.pages:
        page.scale_by(scale)  # the content and the page shrink together: text stays text
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def to_png(review: Review, scale: float = 2.0) -> bytes:
    """The one-page report as a PNG image."""
    return vlc.vegalite_to_png(page_spec(review), scale=scale)


def breach_csv_name(review: Review) -> tuple[str, str]:
    """The breach list's button label and file name: the list is today's (as of the clock), whatever the month.

    Examples:
        >>> from types import SimpleNamespace
        >>> breach_csv_name(SimpleNamespace(as_of=pd.Timestamp("2026-11-18 12:00")))
        ('Open breaches as of 18 Nov 2026 (CSV)', 'open-breaches-2026-11-18.csv')
    """
    when = pd.Timestamp(review.as_of)
    return f"Open breaches as of {when:%d %b %Y} (CSV)", f"open-breaches-{when:%Y-%m-%d}.csv"


def breach_csv(review: Review) -> bytes:
    """The open follow-up breaches as CSV, with cells a spreadsheet would run as formulas neutralised."""
    found = next(s for s in review.sections if s.key == "breaches").tables["breaches"]
    frame = found.reindex(columns=list(BREACH_COLUMNS)).rename(columns=BREACH_COLUMNS)
    return safe_csv(frame)
