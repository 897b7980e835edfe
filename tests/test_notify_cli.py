"""``python -m sla_model notify``: two processes at once send each alert once; a failed delivery exits 1 and is
retried by a later run; credentials come from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import update
from sqlmodel import Session

from sla_model.__main__ import main
from sla_model.store.db import PROJECT_ROOT, make_engine
from sla_model.store.models import OutboxEntry
from tests.alert_sinks import AS_OF, EXPECTED, HookSink, SmtpSink, free_port, plant


def _env(db_url: str, smtp: SmtpSink, hook: HookSink | None = None) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "SMARKETING_SMTP_HOST": "127.0.0.1",
           "SMARKETING_SMTP_PORT": str(smtp.port), "SMARKETING_SMTP_SECURITY": "none",
           "SMARKETING_SMTP_FROM": "sla@example.com", "SMARKETING_SMTP_PASSWORD": "hunter2-secret"}  # fmt: skip
    env.pop("SMARKETING_WEBHOOK_URL", None)
    if hook is not None:
        env["SMARKETING_WEBHOOK_URL"] = hook.url
    return env


def _notify(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "sla_model", "notify", "--as-of", AS_OF.isoformat()]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, text=True, **pipes)


@pytest.fixture
def planted_url(db_url):
    engine = make_engine(db_url)
    plant(engine)
    engine.dispose()
    return db_url


def test_two_notify_processes_at_once_send_each_alert_once(planted_url):
    smtp = SmtpSink(delay=0.02).start()
    hook = HookSink()
    try:
        env = _env(planted_url, smtp, hook)
        runs = [_notify(env), _notify(env)]
        outputs = [run.communicate(timeout=300) for run in runs]
    finally:
        smtp.stop()
        hook.stop()
    assert [run.returncode for run in runs] == [0, 0], outputs
    pairs = Counter((r, m.subject) for m in smtp.received for r in m.recipients)
    assert set(pairs) == EXPECTED and set(pairs.values()) == {1}
    assert len(hook.posted) == 2
    claimed = sorted(int(out.split(": ")[1].split(" new")[0]) for out, _ in outputs)
    assert sum(claimed) == len(EXPECTED) + 2  # each alert claimed by one of the two
    assert all("hunter2" not in out + err for out, err in outputs)


def test_a_refused_connection_exits_1_and_the_next_run_sends_it(planted_url, monkeypatch, capsys):
    smtp = SmtpSink(port=free_port())  # not started: the port refuses
    for name, value in _env(planted_url, smtp).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SMARKETING_WEBHOOK_URL", raising=False)
    assert main(["notify", "--as-of", AS_OF.isoformat()]) == 1
    out = capsys.readouterr().out
    assert f"as of 2026-11-10 12:00 UTC: {len(EXPECTED)} new alerts; sent 0, failed {len(EXPECTED)}" in out
    assert "hunter2" not in out
    engine = make_engine(planted_url)
    with Session(engine) as session:  # as if the back-off were over
        session.exec(update(OutboxEntry).values(next_attempt_at=AS_OF))
        session.commit()
    engine.dispose()
    smtp.start()
    try:
        assert main(["notify", "--as-of", AS_OF.isoformat()]) == 0
        assert main(["notify", "--as-of", AS_OF.isoformat()]) == 0
    finally:
        smtp.stop()
    assert Counter((r, m.subject) for m in smtp.received for r in m.recipients) == Counter(EXPECTED)
    out = capsys.readouterr().out
    assert f"0 new alerts; sent {len(EXPECTED)}, failed 0" in out and "0 new alerts; sent 0, failed 0" in out


def test_a_bad_as_of_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["notify", "--as-of", "next tuesday"])
    assert "not an ISO date and time" in capsys.readouterr().err
