"""Shared fixtures: databases (SQLite file, PostgreSQL schema) and the seeded sample data."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from sla_model.generator import sample_dir, sample_slas
from sla_model.store.db import database_url, make_engine
from sla_model.store.repository import list_sla_versions
from sla_model.store.seed import seed_if_empty

#: The sample data keeps its shipped dates in tests (the app moves it to end "now" when it seeds a database),
#: so figures are the same on any day; tests of the move set their own moment. Inherited by apps tests start.
os.environ["SMARKETING_SAMPLE_ENDS"] = "shipped"
#: Columnar copies of the test databases' data sets go to a folder of this run, never into the project's data/.
os.environ.setdefault("SMARKETING_SNAPSHOT_DIR", tempfile.mkdtemp(prefix="smarketing-snapshots-"))

#: The public Maven CRM data set in shared/: beside the project (as CI lays it out), else the workplace's copy.
MAVEN = next(
    (
        folder / "data" / "maven-crm-sales-opportunities"
        for folder in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared"))
        if (folder / "data" / "maven-crm-sales-opportunities").exists()
    ),
    Path(__file__).resolve().parents[2] / "shared" / "data" / "maven-crm-sales-opportunities",
)

#: Set by .ci/run: there, a missing browser or database fails instead of skipping.
REQUIRE_ALL = os.environ.get("SMARKETING_REQUIRE_ALL") == "1"


def unavailable(reason: str) -> None:
    """Skip with a stated reason on a developer's machine; fail in CI, where nothing may skip."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI but unavailable: {reason}")
    pytest.skip(reason)


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        unavailable("TEST_DATABASE_URL is not set (PostgreSQL tests need a server)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A URL to an empty database: a fresh SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = _postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(db_url):
    """An engine on an empty database with the tables created."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def seeded_engine(engine):
    """An engine on a database seeded with the shipped sample data."""
    seed_if_empty(engine=engine, slas=sample_slas(), folder=sample_dir())
    return engine


@pytest.fixture(scope="session")
def sample_versions():
    """The shipped SLA versions."""
    return sample_slas()


def versions_of(engine):
    """The SLA versions stored in a database."""
    with Session(engine) as session:
        return list_sla_versions(session=session)


@pytest.fixture
def small_engine(engine):
    """A database of 1,500 generated leads (their latest 80 MQLs open), touches, decisions and the sample SLAs."""
    import pandas as pd

    from sla_model.generator import generate
    from sla_model.metrics.lifecycle import DECISION_COLUMNS
    from sla_model.store.repository import add_sla_version, bulk_insert, bump_data_version

    data = generate(n_leads=1_500, seed=11)
    leads = data.leads.copy()
    reopened = leads[leads["mql_at"].notna()].nlargest(80, "mql_at").index  # the latest 80 MQLs wait for sales
    leads.loc[reopened, list(DECISION_COLUMNS)] = pd.NaT
    leads.loc[reopened, "rejection_reason"] = None
    feedback = data.feedback[~data.feedback["lead_id"].isin(leads.loc[reopened, "lead_id"])]
    with Session(engine) as session:
        for sla in sample_slas():
            add_sla_version(session=session, sla=sla, actor="test")
        for table, frame in (("lead", leads), ("touch", data.touches), ("feedback", feedback)):
            bulk_insert(session.connection(), table, frame)
        bump_data_version(session=session)
        session.commit()
    return engine


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist (pyproject.toml runs the suite on every core)
def pytest_xdist_make_scheduler(config, log):
    """Each file's tests on one worker, and every browser test on one: the files share nothing else.

    A file's module fixtures (a running app, a seeded database) are then built once, and the browser tests run one
    after another beside the other tests, instead of two apps and two Chromiums slowing each other down on a small
    machine (which a browser test's waits would feel).
    """
    from xdist.scheduler import LoadScopeScheduling

    if config.getoption("dist") != "load":  # another --dist was asked for: xdist's own
        return None

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "tests/browser" if path.startswith("tests/browser/") else path

    return FileScheduling(config, log)
