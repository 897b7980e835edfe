"""AppTest: the alerts page — managers change the settings (audited), reps turn their digest off, failures show."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from sla_model.alerts import load_settings
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.models import AuditEntry, OutboxEntry

PAGE = str(PROJECT_ROOT / "pages" / "alerts.py")


def _page(identity: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    if identity is not None:
        at.selectbox(key="identity").select(identity).run()
    return at


def _engine():
    import os

    return make_engine(os.environ["DATABASE_URL"])


def _audit(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_manager_saves_thresholds_and_quiet_hours_audited(writable_app):
    at = _page()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Recipients", "When", "Sent alerts"]
    at.number_input(key="alerts_risk_hours").set_value(4.0)
    at.checkbox(key="alerts_quiet").check()
    at.selectbox(key="alerts_quiet_start").select(21)
    at.text_area(key="alerts_managers").input("Boss@Example.com\n\nsdr@example.com")
    at.button[0].click().run()
    assert not at.exception and not at.error
    engine = _engine()
    settings, version = load_settings(engine=engine)
    assert (settings.risk_hours, settings.quiet_start, settings.quiet_end, version) == (4.0, 21, 7, 1)
    assert settings.managers == ["boss@example.com", "sdr@example.com"]
    [entry] = _audit(engine, "save_alert_settings")
    assert entry.actor == "Manager (local)" and '"risk_hours": {"from": 8.0, "to": 4.0}' in entry.detail


def test_an_invalid_address_is_refused_with_the_reason_as_text(writable_app):
    at = _page()
    at.text_area(key="alerts_managers").input("**not** an address")
    at.button[0].click().run()
    assert not at.exception
    assert "Not saved" in at.error[0].value and "\\*\\*not\\*\\*" in at.error[0].value
    assert load_settings(engine=_engine())[1] == 0


def test_a_rep_turns_their_digest_off(writable_app):
    at = _page("Ana Souza")
    assert not at.exception
    assert not at.subheader  # no settings form for reps
    toggle = at.toggle(key="alerts_digest")
    assert toggle.value is True
    toggle.set_value(False).run()
    engine = _engine()
    assert load_settings(engine=engine)[0].muted_digests == ["Ana Souza"]
    [entry] = _audit(engine, "mute_digest")
    assert entry.actor == "Ana Souza"


def test_a_viewer_sees_no_settings(writable_app):
    at = _page("Viewer (meeting screen)")
    assert not at.exception
    assert "for managers" in at.info[0].value and not at.subheader


def test_failed_alerts_show_with_their_error(writable_app):
    engine = _engine()
    with Session(engine) as session:
        session.add(OutboxEntry(kind="breach", channel="email", recipient="ana@example.com", subject_key="L1",
                                period="p", subject="Breach: lead L1 (<b>Acme</b>)", body="b", status="failed",
                                attempts=2, last_error="SMTP 127.0.0.1:1: ConnectionRefusedError",
                                next_attempt_at=dt.datetime(2026, 11, 18, 12, 30)))  # fmt: skip
        session.add(OutboxEntry(kind="digest", channel="webhook", recipient="webhook", subject_key="Ana",
                                period="d", subject="Your leads", body="b", status="sent", attempts=1,
                                sent_at=dt.datetime(2026, 11, 18, 9, 0)))  # fmt: skip
        session.commit()
    at = _page()
    assert not at.exception
    assert {m.label: m.value for m in at.metric} == {"Sent": "1", "Waiting": "0", "Failed, will retry": "1",
                                                     "Given up": "0"}  # fmt: skip
    assert "1 alert not delivered yet" in at.warning[-1].value
    table = at.dataframe[-1].value  # the outbox, newest first
    failed = table.iloc[1]
    assert (failed["Status"], failed["Attempts"], failed["Next attempt"]) == (
        "Failed, will retry",
        2,
        "2026-11-18 12:30",
    )
    assert (
        failed["Error"] == "SMTP 127.0.0.1:1: ConnectionRefusedError"
        and failed["Subject"] == "Breach: lead L1 (<b>Acme</b>)"
    )
    assert table.iloc[0]["To"] == "Team webhook" and table.iloc[0]["Error"] == ""


def _locked():
    """Another connection holding the SQLite file's write lock (the page's writes give up after 0.2 s)."""
    import os
    import sqlite3

    other = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def _unplain(markdown: str) -> str:
    return markdown.replace("\\", "")


def test_settings_the_database_gives_up_on_say_nothing_was_stored(writable_app, monkeypatch):
    """Before: a locked database showed a traceback (OperationalError) instead of a message."""
    from sla_model.actions import DB_BUSY
    from sla_model.store import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    at = _page()
    at.number_input(key="alerts_risk_hours").set_value(4.0)
    other = _locked()
    try:
        at.button[0].click().run()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not at.exception
    assert [_unplain(e.value) for e in at.error] == [f"Not saved: {DB_BUSY}"]
    assert load_settings(engine=_engine())[1] == 0 and not _audit(_engine(), "save_alert_settings")


def test_a_digest_switch_the_database_gives_up_on_says_so_and_shows_what_is_stored(writable_app, monkeypatch):
    from sla_model.actions import DB_BUSY
    from sla_model.store import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    at = _page("Ana Souza")
    other = _locked()
    try:
        at.toggle(key="alerts_digest").set_value(False).run()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not at.exception and not at.warning
    assert [_unplain(e.value) for e in at.error] == [f"Not changed: {DB_BUSY}"]
    assert at.toggle(key="alerts_digest").value is True  # as stored: still on
    assert load_settings(engine=_engine())[0].muted_digests == []
    at.toggle(key="alerts_digest").set_value(False).run()  # the lock gone, the same switch is stored
    assert not at.error and load_settings(engine=_engine())[0].muted_digests == ["Ana Souza"]
