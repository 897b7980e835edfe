"""One notification run: decide what is due as of the data's clock, claim it in the outbox, deliver what is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from sla_model.alerts import compose, outbox
from sla_model.alerts.channels import (
    DeliveryError,
    SmtpConfig,
    email_message,
    post_webhook,
    send_email,
    webhook_payload,
    webhook_url,
)
from sla_model.alerts.settings import AlertSettings, load_settings, rep_addresses
from sla_model.metrics.coverage import has_touches
from sla_model.review.meeting import MeetingInputs
from sla_model.store.models import OutboxEntry, utcnow
from sla_model.store.repository import clock, data_version, list_sla_versions
from sla_model.store.snapshot import load_frames


@dataclass(frozen=True)
class Channels:
    """Where alerts can go: an SMTP server and the team's webhook, either or both unset."""

    smtp: SmtpConfig | None = None
    webhook: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls) -> Channels:
        """From the environment and the app's secrets (:mod:`sla_model.alerts.channels`)."""
        return cls(smtp=SmtpConfig.load(), webhook=webhook_url())

    def send(self, entry: OutboxEntry) -> None:
        """Deliver one claimed alert.

        Raises:
            DeliveryError: it did not get through, or its channel is not configured (any more).
        """
        if entry.channel == "webhook":
            if not self.webhook:
                raise DeliveryError("no webhook is configured (SMARKETING_WEBHOOK_URL)")
            post_webhook(self.webhook, webhook_payload(entry.subject, entry.body))
            return
        if self.smtp is None:
            raise DeliveryError("no SMTP server is configured (SMARKETING_SMTP_HOST)")
        message = email_message(sender=self.smtp.sender, recipient=entry.recipient, subject=entry.subject,
                                body=entry.body, attachment=entry.attachment,
                                attachment_name=f"{entry.kind}-{entry.subject_key}.html")  # fmt: skip
        send_email(self.smtp, message)


@dataclass(frozen=True)
class Run:
    """What one run did."""

    as_of: dt.datetime
    claimed: int = 0
    delivered: outbox.Delivered = outbox.Delivered()
    quiet: bool = False
    notes: tuple[str, ...] = ()


def load_inputs(*, engine: Engine, as_of: dt.datetime | None = None) -> MeetingInputs:
    """The stored data set as the pages read it, judged as of the data's clock (or ``as_of``)."""
    with Session(engine) as session:
        versions = list_sla_versions(session=session)
    moment = as_of or clock(engine=engine).as_of
    frames, _ = load_frames(
        engine,
        url=engine.url.render_as_string(hide_password=False),
        version=data_version(engine=engine),
        versions=versions,
    )
    return MeetingInputs(frames.leads, frames.summary, frames.feedback, versions, moment,
                         touches_recorded=has_touches(frames.touches))  # fmt: skip


def _reports(engine: Engine, inputs: MeetingInputs, settings: AlertSettings, addresses: dict[str, str],
             webhook: bool) -> list[compose.Message]:  # fmt: skip
    """The meeting reports due and not claimed yet (each computed only then: a report is the costly part)."""
    from sla_model.review import decisions as log
    from sla_model.review import meeting, report

    out = []
    first = inputs.leads["created_at"].min().to_period("M") if len(inputs.leads) else None
    for kind, period in compose.report_due(settings, pd.Timestamp(inputs.as_of).to_pydatetime()):
        if first is None or period < first or outbox.claimed(engine=engine, kind=kind, subject_key=str(period)):
            continue
        proposals = _proposals(engine, inputs)
        review = meeting.review(
            inputs,
            period,
            variant="monthly" if kind == "report" else "checkin",
            decisions=log.list_decisions(engine=engine, through=period),
            proposals=proposals,
        )
        out += compose.report_messages(review, report.to_html(review), settings, addresses, webhook=webhook)
    return out


def _proposals(engine: Engine, inputs: MeetingInputs) -> pd.DataFrame:
    """Stored proposals with their one-sentence replay, as the meeting page shows them."""
    from sla_model.agreement.sla import in_force
    from sla_model.review import decisions as log
    from sla_model.whatif import prepare

    rows = log.list_proposals(engine=engine)
    if not rows:
        return pd.DataFrame(columns=log.PROPOSAL_COLUMNS)
    arrays = prepare(inputs.leads, inputs.versions, as_of=inputs.as_of)
    return log.proposal_table(rows, arrays, in_force(inputs.versions, pd.Timestamp(inputs.as_of).date()))


def due_messages(*, engine: Engine, inputs: MeetingInputs, settings: AlertSettings, email: bool = True,
                 webhook: bool = False) -> list[compose.Message]:  # fmt: skip
    """Every alert due as of the inputs' moment, for the channels that are configured."""
    addresses = rep_addresses(engine=engine, settings=settings)
    risk = compose.at_risk(inputs.summary, inputs.leads, inputs.as_of, settings.risk_hours,
                           touches_recorded=inputs.touches_recorded, versions=inputs.versions)  # fmt: skip
    found = compose.overdue(inputs)
    messages = [
        *compose.risk_messages(risk, settings, addresses, webhook=webhook),
        *compose.breach_messages(found, settings, addresses, webhook=webhook),
        *compose.digest_messages(inputs, found, settings, addresses),
        *_reports(engine, inputs, settings, addresses, webhook),
    ]
    return [m for m in messages if email or m.channel != "email"]


def notify(*, engine: Engine, channels: Channels, as_of: dt.datetime | None = None,
           now: Callable[[], dt.datetime] = utcnow, inputs: MeetingInputs | None = None) -> Run:  # fmt: skip
    """Send whatever is due and return what was done; safe to run again, or twice at once.

    Nothing is decided or sent in the quiet hours (what is still due is sent by the first run after them).
    """
    settings, _ = load_settings(engine=engine)
    inputs = inputs or load_inputs(engine=engine, as_of=as_of)
    moment = pd.Timestamp(inputs.as_of).to_pydatetime()
    if settings.quiet(moment):
        return Run(as_of=moment, quiet=True)
    notes = []
    if channels.smtp is None:
        notes.append("no SMTP server is configured (SMARKETING_SMTP_HOST): no email is decided")
    if not channels.webhook:
        notes.append("no webhook is configured (SMARKETING_WEBHOOK_URL): nothing is posted")
    messages = due_messages(engine=engine, inputs=inputs, settings=settings, email=channels.smtp is not None,
                            webhook=bool(channels.webhook))  # fmt: skip
    claimed = outbox.claim(engine=engine, messages=messages, now=now())
    delivered = outbox.deliver(engine=engine, send=channels.send, now=now)
    return Run(as_of=moment, claimed=claimed, delivered=delivered, notes=tuple(notes))
