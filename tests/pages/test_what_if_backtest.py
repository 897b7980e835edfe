"""AppTest: the what-if page's backtest replays each SLA version over its own months beside what they recorded."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sqlmodel import Session

from sla_model.store.db import make_engine
from sla_model.store.repository import clock, list_sla_versions, load_leads
from sla_model.whatif import prepare
from sla_model.whatif.backtest import backtest
from tests.factories import make_mql, make_sla
from tests.pages.conftest import use_database
from ui import fmt
from ui.backtest import sentence, table

PAGE = "pages/what_if.py"


@pytest.fixture(scope="module")
def expected(sample_db_url):
    engine = make_engine(sample_db_url)
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    leads = load_leads(engine=engine)
    arrays = prepare(leads, versions, as_of=clock(engine=engine).as_of)
    engine.dispose()
    return backtest(leads, arrays)


def _texts(at) -> list[str]:
    return [m.value for m in at.markdown] + [w.value for w in at.warning] + [i.value for i in at.info]


def _backtest_table(at) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "Observed is" in d.value.columns]
    assert len(found) == 1
    return found[0]


def _plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)  # markdown escapes off


def test_the_page_shows_each_versions_backtest_sentence_and_table(sample_app, expected):
    at = sample_app(PAGE)
    assert not at.exception
    assert any(h.value == "How far to trust a scenario" for h in at.header)
    texts = [_plain(t) for t in _texts(at)]
    for version in (1, 2):
        rows = expected[expected["version"] == version]
        assert sentence(rows) in texts
    v2 = next(t for t in texts if t.startswith("Replaying version 2 over Jun–Oct 2026 gives "))
    sqls = expected.set_index(["version", "measure"]).loc[(2, "sqls")]
    assert f"{fmt.count(sqls['replayed'])} SQLs a month against {fmt.count(sqls['observed'])} observed" in v2
    assert "inside the 95% range" in v2
    shown = _backtest_table(at)
    assert shown.equals(table(expected))
    assert shown["Version"].tolist() == ["v1"] * 4 + ["v2"] * 4
    assert shown.loc[shown["Measure"] == "Revenue", "Replayed a month"].str.startswith("$").all()


def test_no_figure_reads_nan_none_or_a_negative_zero(sample_app):
    at = sample_app(PAGE)
    shown = _backtest_table(at)
    cells = [str(v) for v in shown.to_numpy().ravel()] + [_plain(t) for t in _texts(at)]
    for cell in cells:
        assert not re.search(r"\bnan\b|\bNone\b|-0\b|−0\b|--|−−|\+−|−\+", cell), cell
    assert set(shown["Observed is"]) <= {"inside the 95% range", "outside the 95% range", "counted, no range"}


def test_a_history_whose_only_month_changed_version_says_there_is_nothing_to_backtest(monkeypatch, tmp_path):
    leads = pd.DataFrame([make_mql("A", "2026-01-05", outcome="won", score=80), make_mql("B", "2026-01-20", score=80)])
    slas = [make_sla(meta={"version": 1, "effective_from": "2026-01-01"}),
            make_sla(meta={"version": 2, "effective_from": "2026-01-15"})]  # fmt: skip
    snapshot = pd.Timestamp("2026-02-10 12:00").to_pydatetime()
    use_database(monkeypatch, tmp_path / "one.db", slas=slas, leads=leads, snapshot=snapshot)
    from streamlit.testing.v1 import AppTest

    from sla_model.store.db import PROJECT_ROOT

    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=120).run()
    assert not at.exception
    assert any("nothing to backtest" in i.value for i in at.info)
