"""Alerts end to end: the exact emails a real SMTP server receives, the webhook's JSON, exactly-once delivery
under concurrent runs (SQLite and PostgreSQL), retries after a refused connection or a webhook's 500."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlmodel import Session, select

from sla_model.access import Actor, PermissionDenied, Role
from sla_model.alerts import (
    MAX_ATTEMPTS,
    AlertSettings,
    Channels,
    SettingsError,
    load_settings,
    notify,
    save_settings,
    set_digest_muted,
)
from sla_model.store.db import make_engine
from sla_model.store.models import AuditEntry, OutboxEntry
from tests.alert_sinks import AS_OF, BASE, BOLD, BOSS, CMO, EXPECTED, MANAGER, VP, HookSink, SmtpSink, free_port, plant

ANA = "ana@example.com"
LATER = dt.datetime(2030, 1, 1)  # a delivery clock past any back-off


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def hook():
    sink = HookSink()
    yield sink
    sink.stop()


@pytest.fixture
def planted(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'alerts.db'}")
    plant(engine)
    yield engine
    engine.dispose()


def outbox(engine) -> list[OutboxEntry]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxEntry).order_by(OutboxEntry.id)).all())


def test_the_planted_alerts_arrive_exactly_as_composed(planted, smtp, hook):
    run = notify(engine=planted, channels=Channels(smtp.config(), hook.url), as_of=AS_OF)

    assert run.claimed == len(EXPECTED) + 2 and run.delivered.sent == len(EXPECTED) + 2
    assert run.delivered.failed == 0
    got = smtp.by_subject()
    assert set(got) == EXPECTED
    assert all(len(m.recipients) == 1 for m in smtp.received)
    assert all(m.sender == "sla@example.com" for m in smtp.received)

    risk = got[(ANA, "At risk: lead L-RISK (Zeta <i>Labs</i>) is due for its first touch in 1 hour")]
    assert risk.message.get_content_type() == "text/plain"  # user text is text: no HTML part to render it
    assert risk.text == (
        "Lead L-RISK (Zeta <i>Labs</i>, Email) breaks the SLA's first touch rule at 2026-11-10 13:00 UTC, in 1 hour.\n"
        "\n"
        f"Open the lead: {BASE}/lead?lead=L-RISK\n"
        f"Your queue: {BASE}/my_leads\n"
    )
    escalation = got[(BOSS, f"Escalation: lead L-OLD ({BOLD}) of Ben Carter in breach for 2.0 days")]
    assert escalation.text == (
        "Owner: Ben Carter.\n"
        f"Lead L-OLD ({BOLD}, Email), handed over 2026-11-08 08:00 UTC, breaks the SLA: no touch after 4 h; no "
        "decision after 48 h. In breach since 2026-11-08 12:00 UTC (2.0 days).\n\n"
        f"Open the lead: {BASE}/lead?lead=L-OLD\n"
        f"Handoff timing: {BASE}/handoff_timing\n"
    )
    digest = got[(ANA, "Your leads on 2026-11-10: 1 overdue, 1 due today, 2 open")].text
    assert digest == (
        "Overdue (1):\n"
        "  L-LATE (Acme Analytics): no touch after 4 h, since 2026-11-10 10:00 UTC\n"
        "\n"
        "Due today (1):\n"
        "  L-RISK (Zeta <i>Labs</i>): first touch due 2026-11-10 13:00 UTC\n"
        "\n"
        "Open MQLs in your queue: 2.\n"
        "\n"
        f"Your queue: {BASE}/my_leads\n"
        f"Turn this digest off: {BASE}/alerts\n"
    )
    assert "L-OLD (<b>Bold</b> &amp; Co)" not in digest and "L-DONE" not in digest and "L-FAR" not in digest
    ben = got[("ben@example.com", "Your leads on 2026-11-10: 1 overdue, 0 due today, 2 open")].text
    assert f"  L-OLD ({BOLD}): no touch after 4 h; no decision after 48 h, since 2026-11-08 12:00 UTC\n" in ben
    assert "Due today: none.\n" in ben

    report = got[(VP, "Monthly review · October 2026")]
    assert report.message.get_body(("plain",)).get_content().startswith("Monthly review · October 2026, as of")
    assert f"The meeting page: {BASE}/meeting\n" in report.text
    [attached] = list(report.message.iter_attachments())
    assert attached.get_filename() == "report-2026-10.html" and attached.get_content_type() == "text/html"
    assert "<h1>Monthly review · October 2026</h1>" in attached.get_content()
    assert (CMO, "Monthly review · October 2026") in got  # an attendee named by address; "Nobody Known" has none

    texts = sorted(p["text"] for p in hook.posted)  # Slack's format: user text escaped, so it shows as typed
    assert len(texts) == 2
    assert texts[0].startswith("Escalation: lead L-OLD (&lt;b&gt;Bold&lt;/b&gt; &amp; Co) of Ben Carter")
    assert "<b>" not in texts[0]
    assert texts[1].startswith("Monthly review · October 2026\nMonthly review · October 2026, as of")
    assert {p["mrkdwn"] for p in hook.posted} == {False}  # Slack's formatting off: text shows as typed
    assert all(e.status == "sent" and e.attempts == 1 and e.sent_at is not None for e in outbox(planted))


def test_a_rerun_sends_nothing_again(planted, smtp, hook):
    channels = Channels(smtp.config(), hook.url)
    notify(engine=planted, channels=channels, as_of=AS_OF)
    again = notify(engine=planted, channels=channels, as_of=AS_OF + dt.timedelta(minutes=5))
    assert again.claimed == 0 and again.delivered.sent == 0
    assert len(smtp.received) == len(EXPECTED) and len(hook.posted) == 2


def test_the_next_day_brings_new_digests_and_nothing_already_sent(planted, smtp):
    channels = Channels(smtp.config())
    notify(engine=planted, channels=channels, as_of=AS_OF)
    smtp.received.clear()
    notify(engine=planted, channels=channels, as_of=dt.datetime(2026, 11, 11, 9, 0))
    subjects = sorted(m.subject for m in smtp.received)
    # a day later: new digests, L-RISK and L-FAR broke their rules, L-LATE is escalated now (27 hours)
    assert "Your leads on 2026-11-11: 2 overdue, 0 due today, 2 open" in subjects
    assert "Escalation: lead L-LATE (Acme Analytics) of Ana Souza in breach for 23.0 hours" not in subjects
    assert not [s for s in subjects if "L-OLD" in s and not s.startswith("Your")]  # sent once, yesterday
    assert not [s for s in subjects if "October" in s]


@pytest.fixture
def shared(db_url):
    """An engine on a planted database of either dialect."""
    engine = make_engine(db_url)
    plant(engine)
    yield engine
    engine.dispose()


def test_two_runs_at_once_send_each_alert_exactly_once(db_url, shared, hook):
    smtp = SmtpSink(delay=0.02).start()  # slow enough for the runs to overlap
    try:
        channels = Channels(smtp.config(), hook.url)
        start = threading.Barrier(2)
        runs = []

        def run():
            own = make_engine(db_url)
            start.wait()
            runs.append(notify(engine=own, channels=channels, as_of=AS_OF))
            own.dispose()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        smtp.stop()
    pairs = Counter((r, m.subject) for m in smtp.received for r in m.recipients)
    assert set(pairs) == EXPECTED and set(pairs.values()) == {1}
    assert len(hook.posted) == 2
    assert sum(r.claimed for r in runs) == len(EXPECTED) + 2
    assert sum(r.delivered.sent for r in runs) == len(EXPECTED) + 2
    assert [e.status for e in outbox(shared)] == ["sent"] * (len(EXPECTED) + 2)


def test_a_refused_connection_is_retried_after_its_back_off_and_sent_once(planted):
    port = free_port()  # nothing listens there yet
    channels = Channels(SmtpSink(port=port).config())
    first = notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: AS_OF)
    assert first.delivered.sent == 0 and first.delivered.failed == len(EXPECTED)
    rows = outbox(planted)
    assert {e.status for e in rows} == {"failed"} and {e.attempts for e in rows} == {1}
    assert all("Connection refused" in e.last_error and e.sent_at is None for e in rows)
    assert {e.next_attempt_at for e in rows} == {AS_OF + dt.timedelta(minutes=5)}

    smtp = SmtpSink(port=port).start()
    try:
        early = notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: AS_OF + dt.timedelta(minutes=4))
        assert early.delivered.sent == 0 and smtp.received == []  # still backing off
        retry = notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: AS_OF + dt.timedelta(minutes=5))
        assert retry.claimed == 0 and retry.delivered.sent == len(EXPECTED)
        notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: LATER)
    finally:
        smtp.stop()
    assert Counter(pairs for pairs in smtp.by_subject()) == Counter(EXPECTED)
    assert len(smtp.received) == len(EXPECTED)
    assert {(e.status, e.attempts) for e in outbox(planted)} == {("sent", 2)}


def test_a_webhook_answering_500_is_retried_and_posted_once(planted, smtp):
    hook = HookSink(statuses=[500, 500])
    try:
        channels = Channels(smtp.config(), hook.url)
        first = notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: AS_OF)
        assert first.delivered.failed == 2 and hook.posted == []
        failed = [e for e in outbox(planted) if e.channel == "webhook"]
        assert {(e.status, e.last_error) for e in failed} == {("failed", "webhook answered HTTP 500")}
        assert all(hook.url not in e.last_error for e in failed)  # the URL holds a secret
        notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: LATER)
        notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: LATER + dt.timedelta(hours=1))
    finally:
        hook.stop()
    assert len(hook.posted) == 2 and len(smtp.received) == len(EXPECTED)
    assert all(e.status == "sent" for e in outbox(planted))


def test_an_alert_that_keeps_failing_is_given_up_and_never_marked_sent(planted):
    channels = Channels(SmtpSink(port=free_port()).config())
    moment = AS_OF
    for _ in range(MAX_ATTEMPTS + 1):
        run = notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda m=moment: m)
        moment += dt.timedelta(hours=7)
    assert run.delivered.sent == 0 and run.delivered.failed == 0 and run.delivered.given_up == 0
    assert {(e.status, e.attempts) for e in outbox(planted)} == {("failed", MAX_ATTEMPTS)}


def test_quiet_hours_hold_everything(planted, smtp):
    settings, version = load_settings(engine=planted)
    save_settings(engine=planted, actor=MANAGER, settings=settings.model_copy(update={"quiet_start": 11,
                  "quiet_end": 13}), expected_version=version)  # fmt: skip
    run = notify(engine=planted, channels=Channels(smtp.config()), as_of=AS_OF)
    assert run.quiet and run.claimed == 0 and smtp.received == [] and outbox(planted) == []


def test_a_rep_who_muted_the_digest_gets_none(planted, smtp):
    set_digest_muted(engine=planted, actor=Actor("Ana Souza", Role.REP, rep="Ana Souza"), muted=True)
    notify(engine=planted, channels=Channels(smtp.config()), as_of=AS_OF)
    subjects = {(r, s) for r, s in smtp.by_subject()}
    assert (ANA, "Your leads on 2026-11-10: 1 overdue, 1 due today, 2 open") not in subjects
    assert ("ben@example.com", "Your leads on 2026-11-10: 1 overdue, 0 due today, 2 open") in subjects


def test_without_a_webhook_nothing_is_posted_and_without_smtp_nothing_is_emailed(planted, hook):
    run = notify(engine=planted, channels=Channels(None, hook.url), as_of=AS_OF)
    assert run.claimed == 2 and len(hook.posted) == 2  # the escalation and the report: the webhook's kinds
    assert {e.channel for e in outbox(planted)} == {"webhook"}
    assert any("no SMTP server" in n for n in run.notes)


# --- Settings ----------------------------------------------------------------------------------------------------


def test_settings_changes_are_audited_with_what_changed(planted):
    settings, version = load_settings(engine=planted)
    new = save_settings(engine=planted, actor=MANAGER, settings={**settings.model_dump(), "risk_hours": 4},
                        expected_version=version)  # fmt: skip
    assert new == version + 1 and load_settings(engine=planted)[0].risk_hours == 4
    with Session(planted) as session:
        last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.entity, last.actor_id) == ("save_alert_settings", "alert_settings", MANAGER.id)
    assert last.detail == '{"risk_hours": {"from": 8.0, "to": 4.0}}'
    with pytest.raises(SettingsError, match="someone else"):
        save_settings(engine=planted, actor=MANAGER, settings=settings, expected_version=version)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"risk_hours": 0}, "risk_hours"),
        ({"managers": ["not-an-address"]}, "not an email address"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"quiet_start": 24}, "quiet_start"),
        ({"base_url": "javascript:alert(1)"}, "http"),
        ({"webhook_kinds": ["sms"]}, "not posted to a webhook"),
        ({"webhook_kinds": ["digest"]}, "not posted to a webhook"),
    ],
)
def test_invalid_settings_are_refused(planted, change, message):
    with pytest.raises(SettingsError, match=message):
        save_settings(engine=planted, actor=MANAGER, settings=change, expected_version=1)
    assert load_settings(engine=planted)[1] == 1


@pytest.mark.parametrize("actor", [Actor("Ana Souza", Role.REP, rep="Ana Souza"), Actor("V", Role.VIEWER)])
def test_only_managers_change_settings(planted, actor):
    with pytest.raises(PermissionDenied):
        save_settings(engine=planted, actor=actor, settings={}, expected_version=1)


def test_a_rep_mutes_only_their_own_digest_and_a_viewer_none(planted):
    ana = Actor("Ana Souza", Role.REP, rep="Ana Souza", id="ana@example.com")
    set_digest_muted(engine=planted, actor=ana, muted=True)
    set_digest_muted(engine=planted, actor=ana, muted=True)  # again: nothing changes, nothing audited
    assert load_settings(engine=planted)[0].muted_digests == ["Ana Souza"]
    set_digest_muted(engine=planted, actor=ana, muted=False)
    assert load_settings(engine=planted)[0].muted_digests == []
    with Session(planted) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.actor_id == ana.id)).all()]
    assert actions == ["mute_digest", "unmute_digest"]
    with pytest.raises(PermissionDenied):
        set_digest_muted(engine=planted, actor=Actor("V", Role.VIEWER), muted=True)


def test_quiet_hours_in_a_time_zone():
    s = AlertSettings(timezone="Europe/Berlin", quiet_start=20, quiet_end=7)
    # 19:30 UTC in November is 20:30 in Berlin (quiet); 06:30 UTC is 07:30 (not)
    assert s.quiet(dt.datetime(2026, 11, 10, 19, 30)) and not s.quiet(dt.datetime(2026, 11, 10, 6, 30))


# --- Failing servers and odd text ----------------------------------------------------------------------------------


class _Silent:
    """A TCP server that accepts connections and then never answers (``drop``: closes them at once)."""

    def __init__(self, drop: bool) -> None:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.drop = drop
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.drop:
                conn.close()
            else:
                self.held.append(conn)

    def stop(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


class _Rejecting(SmtpSink):
    """An SMTP server that answers every message with a temporary failure."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        return "451 Try again later"


@pytest.mark.parametrize(
    ("server", "error"),
    [
        ("timeout", "SMTP 127.0.0.1:{port}: SMTPServerDisconnected: Connection unexpectedly closed: timed out"),
        ("drop", "SMTP 127.0.0.1:{port}: SMTPServerDisconnected: Connection unexpectedly closed"),
        ("reject", "SMTP 451: Try again later"),
    ],
)
def test_a_server_that_times_out_drops_or_rejects_leaves_the_alerts_failed_not_sent(planted, server, error):
    if server == "reject":
        sink = _Rejecting().start()
        port, stop = sink.port, sink.stop
    else:
        silent = _Silent(drop=server == "drop")
        port, stop = silent.port, silent.stop
    try:
        config = SmtpSink(port=port).config()
        channels = Channels(type(config)(host=config.host, port=port, security="none", sender=config.sender,
                                         timeout=0.3))  # fmt: skip
        run = notify(engine=planted, channels=channels, as_of=AS_OF, now=lambda: AS_OF)
    finally:
        stop()
    assert run.delivered.sent == 0 and run.delivered.failed == len(EXPECTED)
    rows = outbox(planted)
    assert {(e.status, e.sent_at) for e in rows} == {("failed", None)}
    assert {e.last_error for e in rows} == {error.format(port=port)}


def test_a_line_break_in_a_company_name_cannot_add_a_header(planted, smtp):
    from sqlalchemy import update

    from sla_model.store.models import Lead
    from sla_model.store.repository import bump_data_version

    with Session(planted) as session:
        session.exec(update(Lead).where(Lead.lead_id == "L-LATE").values(company="Evil\r\nBcc: spy@example.com"))
        bump_data_version(session=session)
        session.commit()
    notify(engine=planted, channels=Channels(smtp.config()), as_of=AS_OF)
    breach = next(m for m in smtp.received if "L-LATE" in m.subject and m.subject.startswith("Breach"))
    assert breach.subject == "Breach: lead L-LATE (Evil Bcc: spy@example.com): no touch after 4 h"
    assert breach.message["Bcc"] is None and breach.recipients == [ANA]
    assert all("spy@example.com" not in m.recipients for m in smtp.received)


def test_a_signed_in_reps_own_address_is_used_when_the_settings_name_none(planted, smtp):
    from sla_model.access import set_user

    settings, version = load_settings(engine=planted)
    save_settings(engine=planted, actor=MANAGER, expected_version=version,
                  settings={**settings.model_dump(), "addresses": {"VP Sales": VP}})  # fmt: skip
    set_user(engine=planted, actor=MANAGER, email="Ana.Souza@Example.com", role=Role.REP, rep="Ana Souza")
    notify(engine=planted, channels=Channels(smtp.config()), as_of=AS_OF)
    to = {r for m in smtp.received for r in m.recipients}
    assert to == {"ana.souza@example.com", BOSS, VP, CMO}  # Ben has no address: his alerts are not decided


def test_the_mid_month_check_in_goes_to_the_attendees_from_its_day(planted, smtp, hook):
    settings, version = load_settings(engine=planted)
    save_settings(engine=planted, actor=MANAGER, expected_version=version,
                  settings={**settings.model_dump(), "review_day": 28, "checkin_day": 10,
                            "webhook_kinds": ["checkin"]})  # fmt: skip
    notify(engine=planted, channels=Channels(smtp.config(), hook.url), as_of=AS_OF - dt.timedelta(days=1))
    assert not [m for m in smtp.received if "November" in m.subject]  # the 9th: not yet
    notify(engine=planted, channels=Channels(smtp.config(), hook.url), as_of=AS_OF)
    got = {(r, m.subject) for m in smtp.received for r in m.recipients if "November" in m.subject}
    assert got == {(VP, "Mid-month check-in · November 2026"), (CMO, "Mid-month check-in · November 2026")}
    [posted] = hook.posted
    assert posted["text"].startswith("Mid-month check-in · November 2026\nMid-month check-in · November 2026, as of")
    assert not [m for m in smtp.received if "October" in m.subject]  # the review day is the 28th


def test_a_breach_older_than_the_window_is_in_the_digest_but_not_alerted(planted, smtp):
    settings, version = load_settings(engine=planted)
    save_settings(engine=planted, actor=MANAGER, expected_version=version,
                  settings={**settings.model_dump(), "breach_window_days": 1})  # fmt: skip
    notify(engine=planted, channels=Channels(smtp.config()), as_of=AS_OF)
    subjects = {m.subject for m in smtp.received}
    assert not [s for s in subjects if "L-OLD" in s]  # in breach for 2 days, the window is 1
    assert "Breach: lead L-LATE (Acme Analytics): no touch after 4 h" in subjects
    ben = next(m for m in smtp.received if m.subject.startswith("Your leads") and m.recipients == ["ben@example.com"])
    assert "  L-OLD (<b>Bold</b> & Co): no touch after 4 h; no decision after 48 h" in ben.text
