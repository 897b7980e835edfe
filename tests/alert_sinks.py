"""Receivers for the alert tests: a real SMTP server (aiosmtpd) and a webhook receiver (http.server), in-process,
and a small planted data set whose alerts are worked out by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from sqlmodel import Session

from sla_model.access import Actor, Role
from sla_model.alerts import SmtpConfig, save_settings
from sla_model.store.repository import add_sla_version, bulk_insert, bump_data_version
from tests.factories import leads_frame, make_lead, make_sla, make_touch, touches_frame

#: The moment every planted alert is judged as of: Tuesday 10 November 2026, noon UTC.
AS_OF = dt.datetime(2026, 11, 10, 12, 0)
MANAGER = Actor("Mia Manager", Role.MANAGER, id="mia@example.com")
ANA, BEN, BOSS, VP, CMO = "ana@example.com", "ben@example.com", "boss@example.com", "vp@example.com", "cmo@example.com"
BOLD = "<b>Bold</b> & Co"
BASE = "https://sla.example.com"


def free_port() -> int:
    """A TCP port nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    """One email as the SMTP server received it."""

    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"]).strip()  # a folded header unfolds with the space after "Subject:"

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # CRLF on the wire


@dataclass
class SmtpSink:
    """An aiosmtpd server collecting every message; ``delay`` seconds per message (to make runs overlap)."""

    port: int = field(default_factory=free_port)
    delay: float = 0.0
    received: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def config(self) -> SmtpConfig:
        return SmtpConfig(host="127.0.0.1", port=self.port, security="none", sender="sla@example.com", timeout=5)

    def by_subject(self) -> dict[tuple[str, str], Mail]:
        return {(r, m.subject): m for m in self.received for r in m.recipients}


class HookSink:
    """A webhook receiver: records each JSON body posted and answers with the next status of ``statuses``."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.posted: list[dict] = []
        self.statuses = list(statuses or [])
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = sink.statuses.pop(0) if sink.statuses else 200
                if status == 200:
                    sink.posted.append(body)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T000/B000/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def plant(engine) -> None:
    """Six leads and an SLA whose alerts as of :data:`AS_OF` are worked out by hand (first touch 4 h, decision 48 h).

    * ``L-RISK`` (Ana): handed over 09:00, untouched: first touch due 13:00, 1 hour left → at risk.
    * ``L-LATE`` (Ana): handed over 06:00, untouched: first touch due 10:00 → in breach 2 hours (not escalated).
    * ``L-OLD`` (Ben, company ``<b>Bold</b> & Co``): handed over 8 Nov 08:00, untouched: in breach since
      8 Nov 12:00 (first touch) and since 10 Nov 08:00 (decision): 48 hours → escalated.
    * ``L-FAR`` (Ben): handed over 11:00, touched 11:30: decision due 12 Nov 11:00 → nothing yet.
    * ``L-DONE`` (Ana): accepted → nothing.  ``L-OCT``: an October MQL, so October has a review to report.
    """
    sla = make_sla(
        meta={"effective_from": "2025-11-01"},
        follow_up={"first_touch_hours": 4, "min_touches": 1, "touch_window_days": 7, "decision_hours": 48},
        review={"attendees": ["VP Sales", CMO, "Nobody Known"]},
    )
    day = "2026-11-10"
    leads = leads_frame(
        make_lead("L-RISK", owner="Ana Souza", company="Zeta <i>Labs</i>", created_at=f"{day} 08:00",
                  mql_at=f"{day} 09:00"),
        make_lead("L-LATE", owner="Ana Souza", created_at=f"{day} 05:00", mql_at=f"{day} 06:00"),
        make_lead("L-OLD", owner="Ben Carter", company=BOLD, created_at="2026-11-08 07:00", mql_at="2026-11-08 08:00"),
        make_lead("L-FAR", owner="Ben Carter", created_at=f"{day} 10:00", mql_at=f"{day} 11:00"),
        make_lead("L-DONE", owner="Ana Souza", created_at=f"{day} 01:00", mql_at=f"{day} 02:00",
                  accepted_at=f"{day} 03:00"),
        make_lead("L-OCT", owner="Ana Souza", created_at="2026-10-05 09:00", mql_at="2026-10-05 10:00",
                  accepted_at="2026-10-05 12:00"),
    )  # fmt: skip
    touches = touches_frame(make_touch("L-FAR", f"{day} 11:30", rep="Ben Carter"))
    with Session(engine) as session:
        add_sla_version(session=session, sla=sla, actor="test")
        bulk_insert(session.connection(), "lead", leads)
        bulk_insert(session.connection(), "touch", touches)
        bump_data_version(session=session)
        session.commit()
    save_settings(
        engine=engine,
        actor=MANAGER,
        settings={
            "base_url": BASE + "/",
            "risk_hours": 8,
            "escalation_hours": 24,
            "digest_hour": 8,
            "review_day": 7,
            "checkin_day": 28,
            "managers": [BOSS],
            "addresses": {"Ana Souza": ANA, "Ben Carter": BEN, "VP Sales": VP},
            "webhook_kinds": ["escalation", "report"],
        },
        expected_version=0,
    )


#: Every email the planted data set is due, (recipient, subject), worked out by hand from :func:`plant`.
EXPECTED = {
    (ANA, "At risk: lead L-RISK (Zeta <i>Labs</i>) is due for its first touch in 1 hour"),
    (ANA, "Breach: lead L-LATE (Acme Analytics): no touch after 4 h"),
    (BEN, f"Breach: lead L-OLD ({BOLD}): no touch after 4 h; no decision after 48 h"),
    (BOSS, f"Escalation: lead L-OLD ({BOLD}) of Ben Carter in breach for 2.0 days"),
    (ANA, "Your leads on 2026-11-10: 1 overdue, 1 due today, 2 open"),
    (BEN, "Your leads on 2026-11-10: 1 overdue, 0 due today, 2 open"),
    (VP, "Monthly review · October 2026"),
    (CMO, "Monthly review · October 2026"),
}
