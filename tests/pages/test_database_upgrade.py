"""The app on a database of an earlier release: upgraded on start, or refused with what to run."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sla_model.store import schema
from sla_model.store.db import PROJECT_ROOT, make_engine
from tests.test_migrations import ROWS, make_release_1


def _open(path: str) -> AppTest:
    return AppTest.from_file(str(PROJECT_ROOT / path), default_timeout=120).run()


def test_a_release_1_database_is_upgraded_when_the_app_starts(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_release_1(url).dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    at = _open("pages/sla.py")
    assert not at.exception
    assert not at.error
    engine = make_engine(url, upgrade=False)
    assert schema.state(engine).up_to_date
    engine.dispose()
    versions = {r["version"] for r in ROWS["sla_version"]}
    shown = [e.value for kind in (at.title, at.header, at.subheader, at.markdown, at.caption) for e in kind]
    assert any(f"version {max(versions)}" in text.lower() for text in shown), shown


def test_with_automatic_upgrades_off_the_page_names_the_command_instead_of_a_traceback(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_release_1(url).dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv(schema.AUTO_UPGRADE_ENV, "0")
    at = _open("pages/goal_progress.py")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The database cannot be opened. The database's tables are at schema revision release 1 \\(unversioned\\); "
        f"this release needs revision {schema.head()}\\. Back the database up, then run\\: "
        "python \\-m sla\\_model upgrade"
    ]
