"""Number formats for tiles and tables."""

from __future__ import annotations

import math

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def count(x: float) -> str:
    """A count with thousands separators; an em dash when unknown.

    Examples:
        >>> count(1234.0), count(float("nan"))
        ('1,234', '—')
    """
    return "—" if x is None or math.isnan(x) else f"{x:,.0f}"


def _shows_zero(shown: str) -> bool:
    """Whether a formatted figure reads as zero (``0``, ``0.0``, ``$0``, ``0%``): it has no digit but 0."""
    return not any(c in "123456789" for c in shown)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """A count with its noun, singular for one: ``1 lead``, ``2,000 leads``.

    Examples:
        >>> plural(1, "lead"), plural(2000, "lead"), plural(3, "company", "companies")
        ('1 lead', '2,000 leads', '3 companies')
    """
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def money(x: float, currency: str = "USD") -> str:
    """Money, short: ``$650k``, ``$1.25M``.

    Examples:
        >>> money(650_000), money(1_254_000), money(900)
        ('$650k', '$1.25M', '$900')
    """
    if x is None or math.isnan(x):
        return "—"
    sign = CURRENCY_SIGNS.get(currency, currency + " ")
    neg = "−" if x < 0 else ""
    x = abs(x)
    if x >= 1_000_000:
        return f"{neg}{sign}{x / 1_000_000:.2f}M"
    if x >= 10_000:
        return f"{neg}{sign}{x / 1_000:.0f}k"
    return f"{neg}{sign}{x:,.0f}"


def pct(x: float, digits: int = 0) -> str:
    """A share as a percentage; an em dash when unknown.

    Examples:
        >>> pct(0.4567), pct(0.4567, 1), pct(float("nan"))
        ('46%', '45.7%', '—')
    """
    return "—" if x is None or math.isnan(x) else f"{x * 100:.{digits}f}%"


def attainment(x: float) -> str:
    """A share of a target, never rounded up to the target: 99.8% of a quota is not "100%" beside "Behind".

    Examples:
        >>> attainment(0.998), attainment(0.4567), attainment(1.0), attainment(1.004), attainment(float("nan"))
        ('99.8%', '46%', '100%', '100%', '—')
    """
    if x is None or math.isnan(x):
        return "—"
    if 0.995 <= x < 1:
        return f"{math.floor(x * 1000) / 10:.1f}%"
    return pct(x)


def hours(x: float) -> str:
    """A duration in hours, or days past two days.

    Examples:
        >>> hours(0.5), hours(5.25), hours(70)
        ('30 min', '5.2 h', '2.9 d')
    """
    if x is None or math.isnan(x):
        return "—"
    if x < 1:
        return f"{x * 60:.0f} min"
    if x < 48:
        return f"{x:.1f} h"
    return f"{x / 24:.1f} d"


def relative_change(x: float) -> str:
    """A relative change as a signed whole percentage: ``+8%``, ``−5%``; ``0%`` when it rounds to zero.

    Examples:
        >>> relative_change(0.084), relative_change(-0.049), relative_change(-0.004), relative_change(float("nan"))
        ('+8%', '−5%', '0%', '—')
    """
    if x is None or math.isnan(x):
        return "—"
    shown = f"{abs(x) * 100:.0f}"
    if shown == "0":
        return "0%"
    return f"{'+' if x > 0 else '−'}{shown}%"


def month_span(first: object, last: object) -> str:
    """Months from ``first`` to ``last`` (periods or timestamps), the year once where they share it.

    Examples:
        >>> import pandas as pd
        >>> month_span(pd.Period("2026-06", "M"), pd.Period("2026-10", "M"))
        'Jun–Oct 2026'
        >>> month_span(pd.Period("2025-11", "M"), pd.Period("2026-05", "M"))
        'Nov 2025–May 2026'
        >>> month_span(pd.Period("2026-06", "M"), pd.Period("2026-06", "M"))
        'Jun 2026'
    """
    a, b = first.strftime("%b %Y"), last.strftime("%b %Y")
    if a == b:
        return a
    if a[-4:] == b[-4:]:
        return f"{a[:-5]}–{b}"
    return f"{a}–{b}"


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~:$=")
#: An invisible word joiner (U+2060), put where Streamlit's markdown would still make something of escaped text:
#: it turns a plain URL (``http://``, ``www.``) into a link and ``:name:`` into an icon or emoji after escapes are
#: read, so a joiner after such a colon and after ``www`` keeps the text as typed (and it reads the same).
JOINER = "\u2060"


def md_escape(text: object) -> str:
    r"""Text (e.g. from an SLA author) made inert for ``st.markdown``: every markup character escaped.

    A plain URL stays text (no link), and ``:material/…:`` or ``:smile:`` no icon: see :data:`JOINER`.

    Examples:
        >>> print(md_escape("**Bold** [link](x) $x$"))
        \*\*Bold\*\* \[link\]\(x\) \$x\$
        >>> md_escape(":red[x] http://x www.x")
        '\\:\u2060red\\[x\\] http\\:\u2060//x www\u2060\\.x'
    """
    text = str(text)
    out = []
    for i, ch in enumerate(text):
        out.append("\\" + ch if ch in _MD_SPECIAL else ch)
        after = text[i + 1 : i + 2]
        if (ch == ":" and (after == "/" or after.isalpha())) or (
            after == "." and text[max(0, i - 2) : i + 1].lower() == "www"
        ):
            out.append(JOINER)
    return "".join(out).replace("\n", " ")


def gap(x: float, shown: str, ahead: str, behind: str, even: str) -> tuple[str, str, str]:
    """A gap to a target as ``st.metric`` shows it: (text, arrow, colour), never a double negative.

    ``shown`` is the gap's size already formatted (e.g. ``count(abs(x))``); a gap that shows as zero is even.

    Examples:
        >>> gap(-7, "7", "ahead of pace", "behind pace", "on pace")
        ('7 behind pace', 'down', 'red')
        >>> gap(3.2, "3", "ahead of pace", "behind pace", "on pace")
        ('+3 ahead of pace', 'up', 'green')
        >>> gap(-0.4, "0", "ahead of pace", "behind pace", "on pace")
        ('on pace', 'off', 'gray')
    """
    if x is None or math.isnan(x) or _shows_zero(shown):
        return even, "off", "gray"
    if x > 0:
        return f"+{shown} {ahead}", "up", "green"
    return f"{shown} {behind}", "down", "red"


def literal(text: object) -> str:
    r"""Any text from data or a user (a file name, a cell, a name in a message) made inert for Streamlit's markdown.

    Every markup character is escaped, as :func:`md_escape` does, and line breaks stay line breaks (a message of
    several problems keeps one per line). Every ``st.success``/``st.error``/``st.info``/``st.toast`` that shows
    such text goes through it.

    Examples:
        >>> print(literal("**x.csv** [bad] (x)"))
        \*\*x\.csv\*\* \[bad\] \(x\)
        >>> literal("row 2 is bad\nrow 3 too")  # a markdown line break between them
        'row 2 is bad  \nrow 3 too'
    """
    return "  \n".join(md_escape(line) for line in str(text).splitlines()) if str(text) else ""


def number(x: float, digits: int = 1) -> str:
    """A number with a fixed count of decimals and thousands separators; an em dash when unknown.

    Examples:
        >>> number(9.63), number(1234.5, 0), number(float("nan"))
        ('9.6', '1,234', '—')
    """
    return "—" if x is None or math.isnan(x) else f"{x:,.{digits}f}"


def compact(x: float) -> str:
    """A number as short as it reads exactly: no trailing zeros (``15``, ``0.75``, ``2,160``).

    Examples:
        >>> compact(15.0), compact(0.75), compact(2160), compact(float("nan"))
        ('15', '0.75', '2,160', '—')
    """
    return "—" if x is None or math.isnan(x) else f"{x:,g}"


def day(d: object) -> str:
    """A date as the pages write it: ``01 Dec 2026``.

    Examples:
        >>> import datetime as dt
        >>> day(dt.date(2026, 12, 1))
        '01 Dec 2026'
    """
    return f"{d:%d %b %Y}"


def change(x: float, shown: str, suffix: str = "", *, higher_is_better: bool = True) -> tuple[str, str, str]:
    """A change as ``st.metric`` shows it: (text, arrow, colour); a change that shows as zero is "no change".

    ``shown`` is the change's size already formatted (e.g. ``count(abs(x))``). Better is green, worse red.

    Examples:
        >>> change(12, "12", " vs 419")
        ('+12 vs 419', 'up', 'green')
        >>> change(-0.04, "0.0", " pts")
        ('no change', 'off', 'gray')
        >>> change(-3, "3", higher_is_better=False)
        ('−3', 'down', 'green')
        >>> change(float("nan"), "—")
        ('no change', 'off', 'gray')
    """
    if x is None or math.isnan(x) or _shows_zero(shown):
        return "no change", "off", "gray"
    better = (x > 0) == higher_is_better
    return f"{'+' if x > 0 else '−'}{shown}{suffix}", "up" if x > 0 else "down", "green" if better else "red"


def signed(x: float, digits: int = 1) -> str:
    """A change in a table cell: ``+1.2``, ``−0.5``, ``0`` for one that rounds to zero, an em dash when unknown.

    Examples:
        >>> signed(1.234), signed(-0.46), signed(-0.04), signed(float("nan"))
        ('+1.2', '−0.5', '0', '—')
    """
    if x is None or math.isnan(x):
        return "—"
    shown = f"{abs(x):,.{digits}f}"
    if _shows_zero(shown):
        return "0"
    return f"{'+' if x > 0 else '−'}{shown}"


def against_quota(expected: float, quota: float, nouns: str) -> str:
    """Expected volume against a monthly quota, with the gap and the attainment.

    Examples:
        >>> against_quota(436.6, 600, "MQLs")
        'Expected 437 MQLs a month against a quota of 600: 163 short (73% of quota)'
        >>> against_quota(419.2, 300, "MQLs")
        'Expected 419 MQLs a month against a quota of 300: 119 over (140% of quota)'
        >>> against_quota(419.2, 420, "MQLs")
        'Expected 419 MQLs a month against a quota of 420: 1 short (99.8% of quota)'
        >>> against_quota(601, 600, "MQLs")  # never '100%' beside 'short' or 'over'
        'Expected 601 MQLs a month against a quota of 600: 1 over (100.2% of quota)'
        >>> against_quota(420.4, 420, "MQLs")
        'Expected 420 MQLs a month against a quota of 420: exactly on quota'
        >>> against_quota(12, 0, "won deals")
        'Expected 12 won deals a month; no quota set'
    """
    if expected is None or math.isnan(expected):
        return f"No estimate of {nouns} a month"
    e = round(expected)
    if not quota:
        return f"Expected {count(e)} {nouns} a month; no quota set"
    diff = e - round(quota)
    head = f"Expected {count(e)} {nouns} a month against a quota of {count(quota)}: "
    if diff == 0:
        return head + "exactly on quota"
    ratio = expected / quota
    whole = round(ratio * 100)
    share = pct(ratio, 1) if (diff < 0 and whole >= 100) or (diff > 0 and whole <= 100) else pct(ratio)
    return head + f"{count(abs(diff))} {'short' if diff < 0 else 'over'} ({share} of quota)"
