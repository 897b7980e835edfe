"""The what-if page's backtest: each SLA version replayed over its own months beside what they recorded."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.store.db import database_url
from sla_model.whatif import WhatIfArrays
from sla_model.whatif.backtest import backtest
from ui import fmt
from ui.data import Dataset

#: How the backtest names each measure: (table label, noun in a sentence).
MEASURE_NAMES = {"mqls": ("MQLs", "MQLs"), "sqls": ("SQLs", "SQLs"), "won": ("Won deals", "wins"),
                 "revenue": ("Revenue", "revenue")}  # fmt: skip


@st.cache_data(max_entries=2, show_spinner="Backtesting the SLA versions…")
def _backtest(url: str, version: int, _leads: pd.DataFrame, _arrays: WhatIfArrays) -> pd.DataFrame:
    """The backtest of one database's data version (the frames are not hashed: ``url`` and ``version`` key it)."""
    return backtest(_leads, _arrays)


def _value(measure: str, x: float, currency: str) -> str:
    return fmt.money(x, currency) if measure == "revenue" else fmt.count(x)


def _verdict(row: pd.Series) -> str:
    """``inside the 95% range`` / ``outside the 95% range`` / ``counted, no range``."""
    if pd.isna(row["inside"]):
        return "counted, no range"
    return "inside the 95% range" if row["inside"] else "outside the 95% range"


def _against(row: pd.Series, currency: str, *, first: bool) -> str:
    """``158 SQLs a month against 162 observed (−2%, inside the 95% range)``, shorter after the first."""
    measure = row["measure"]
    noun = MEASURE_NAMES[measure][1]
    replayed, observed = _value(measure, row["replayed"], currency), _value(measure, row["observed"], currency)
    head = f"{replayed} {noun} a month" if first else (f"{replayed} {noun}" if measure != "revenue" else
                                                        f"{replayed} in revenue")  # fmt: skip
    if row["observed"] == 0:
        return f"{head} against none observed"
    inside = _verdict(row) if first else _verdict(row).removesuffix(" the 95% range")
    return f"{head} against {observed}{' observed' if first else ''} ({fmt.relative_change(row['error'])}, {inside})"


def sentence(rows: pd.DataFrame, currency: str = "USD") -> str:
    """The plain sentence for one version's backtest rows (SQLs first, then wins and revenue).

    E.g. ``Replaying version 2 over Jun–Oct 2026 gives 158 SQLs a month against 162 observed
    (−2%, inside the 95% range), 42 wins against 45 (−6%, inside) and $508k in revenue against
    $526k (−3%, inside).``
    """
    first = rows.iloc[0]
    by = {row["measure"]: row for _, row in rows.iterrows()}
    parts = [_against(by[m], currency, first=i == 0) for i, m in enumerate(("sqls", "won", "revenue"))]
    span = fmt.month_span(first["first_month"], first["last_month"])
    return f"Replaying version {first['version']} over {span} gives {parts[0]}, {parts[1]} and {parts[2]}."


def table(bt: pd.DataFrame, currency: str = "USD") -> pd.DataFrame:
    """The backtest as the page shows it: every number formatted, one row per version and measure."""
    return pd.DataFrame(
        {
            "Version": [f"v{v}" for v in bt["version"]],
            "Months": [fmt.month_span(a, b) for a, b in zip(bt["first_month"], bt["last_month"], strict=True)],
            "Measure": [MEASURE_NAMES[m][0] for m in bt["measure"]],
            "Replayed a month": [_value(m, x, currency) for m, x in zip(bt["measure"], bt["replayed"], strict=True)],
            "Observed a month": [_value(m, x, currency) for m, x in zip(bt["measure"], bt["observed"], strict=True)],
            "Error": [fmt.relative_change(x) for x in bt["error"]],
            "95% range": [
                "—" if pd.isna(lo) else f"{_value(m, lo, currency)}–{_value(m, hi, currency)}"
                for m, lo, hi in zip(bt["measure"], bt["low"], bt["high"], strict=True)
            ],
            "Observed is": [_verdict(row) for _, row in bt.iterrows()],
        }
    )


def show_backtest(data: Dataset, arrays: WhatIfArrays) -> None:
    """The backtest section: how closely the engine replays each SLA version's own months."""
    st.header("How far to trust a scenario")
    bt = _backtest(database_url(), data.version, data.leads, arrays)
    if bt.empty:
        st.info("No SLA version was in force for a whole month of the history yet: there is nothing to backtest.")
        return
    currency = data.versions[-1].goal.currency if data.versions else "USD"
    st.caption(
        "The engine above replays each SLA version over the complete months it was in force: its MQL definition, "
        "the conversion per channel and score band, the recorded time to SQL and to a win, and the version's "
        "average deal size. Observed is what those months recorded (as Goal progress counts them). A close "
        "replay means a scenario's figures deserve trust; a wide miss means read them as a direction only."
    )
    for _, rows in bt.groupby("version", sort=True):
        text = fmt.md_escape(sentence(rows, currency))
        if rows["inside"].eq(False).any():
            st.warning(text, icon=":material/report:")
        else:
            st.markdown(text)
    st.dataframe(table(bt, currency), hide_index=True, width="stretch")
