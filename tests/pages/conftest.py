"""AppTest fixtures: a seeded SQLite database and an empty one, selected through DATABASE_URL."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sla_model.generator import AS_OF, generate, sample_dir, sample_slas
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.seed import seed_if_empty

PAGES = ["pages/goal_progress.py", "pages/lead_quality.py", "pages/handoff_timing.py", "pages/sla.py"]


@pytest.fixture(scope="session")
def sample_db_url(tmp_path_factory):
    """A SQLite database seeded with the sample data, shared by the page tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'sample.db'}"
    engine = make_engine(url)
    seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def engine_inputs():
    """The what-if engine's arrays over the sample data and the candidate of the SLA in force (shared per module)."""
    from sla_model.whatif import Candidate, observed_team_size, prepare

    versions = sample_slas()
    arrays = prepare(generate().leads, versions, as_of=AS_OF)
    base = Candidate.from_sla(versions[-1], team_size=observed_team_size(arrays), capacity_per_rep_week=15.0)
    return arrays, base


@pytest.fixture
def sample_app(sample_db_url, monkeypatch):
    """Point the app at the seeded database; returns a runner for a page with optional query params."""
    monkeypatch.setenv("DATABASE_URL", sample_db_url)
    return _runner


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    """Point the app at an empty database that is not seeded."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("SMARKETING_SAMPLE_DATA", "0")
    return _runner


def _runner(path: str, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def metric(at: AppTest, label: str):
    """The metric element with this label."""
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0]


def use_database(monkeypatch, path, *, slas, leads, touches=None, feedback=None, snapshot=None) -> str:
    """Build a SQLite database from small frames and point the app at it (not seeded); returns its URL."""
    import pandas as pd
    from sqlmodel import Session

    from sla_model.store.repository import SNAPSHOT_KEY, add_sla_version, bulk_insert, bump_data_version, set_meta

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with Session(engine) as session:
        for sla in slas:
            add_sla_version(session=session, sla=sla, actor="test")
        for table, frame in (("lead", leads), ("touch", touches), ("feedback", feedback)):
            if frame is not None:
                bulk_insert(session.connection(), table, pd.DataFrame(frame))
        if snapshot is not None:
            set_meta(session=session, key=SNAPSHOT_KEY, value=snapshot.isoformat())
        bump_data_version(session=session)
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SMARKETING_SAMPLE_DATA", "0")
    return url


@pytest.fixture
def tiny_app(tmp_path, monkeypatch):
    """Point the app at a database with two leads: an Email MQL (IT Director) and an Events lead (Developer)."""
    import pandas as pd

    t = pd.Timestamp("2026-10-05 10:00")
    leads = pd.DataFrame(
        {
            "lead_id": ["A", "B"],
            "created_at": [t, t],
            "channel": ["Email", "Events"],
            "persona": ["IT Director", "Developer"],
            "owner": ["Ana Souza", None],
            "mql_at": [t + pd.Timedelta(hours=1), pd.NaT],
            "score": [70, 20],
        }
    )
    use_database(monkeypatch, tmp_path / "tiny.db", slas=sample_slas(), leads=leads)
    return _runner


@pytest.fixture
def writable_app(sample_db_url, tmp_path, monkeypatch):
    """Point the app at this test's own copy of the seeded database (for tests that write)."""
    import shutil

    source = sample_db_url.removeprefix("sqlite:///")
    copy = tmp_path / "writable.db"
    shutil.copy(source, copy)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    return _runner
