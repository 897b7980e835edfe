"""What is sent: breach risk, breaches and their escalation, daily digests and the review report, as plain text.

Every function is pure: it reads the data set as of one moment and returns :class:`Message` objects, each with the
unique key the outbox claims it by. Bodies are plain text (a company named ``<b>Acme</b>`` arrives as exactly
that) and link back to the app's pages under the settings' base URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import numpy as np
import pandas as pd

from sla_model.alerts.settings import AlertSettings
from sla_model.metrics.handoff import at_risk, hours_left
from sla_model.metrics.lifecycle import is_open
from sla_model.metrics.timing import breach_list
from sla_model.review.meeting import MeetingInputs, Review

#: The recipient of a message posted to the team's webhook instead of an email address.
WEBHOOK = "webhook"
#: At most this many leads are listed per part of a digest (the rest are counted and found in the app).
DIGEST_LINES = 50


@dataclass(frozen=True)
class Message:
    """One alert to one recipient; ``(kind, channel, recipient, subject_key, period)`` is sent once."""

    kind: str
    recipient: str
    subject_key: str
    period: str
    subject: str
    body: str
    channel: str = "email"
    attachment: str | None = None  # HTML attached to the email (the review report)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """The outbox's unique key."""
        return self.kind, self.channel, self.recipient, self.subject_key, self.period


def _one_line(text: object) -> str:
    r"""Text for a subject line: control characters (a line break in a company name) become spaces.

    Examples:
        >>> _one_line("Acme\r\nBcc: x@y")
        'Acme Bcc: x@y'
    """
    return " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())


def page_url(settings: AlertSettings, page: str, **params: str) -> str:
    """A link to a page of the app.

    Examples:
        >>> page_url(AlertSettings(base_url="https://sla.example.com/"), "lead", lead="L 1&2")
        'https://sla.example.com/lead?lead=L+1%262'
    """
    query = f"?{urlencode(params)}" if params else ""
    return f"{settings.base_url}/{quote(page)}{query}"


def _when(settings: AlertSettings, moment: object) -> str:
    """A naive UTC moment in the settings' time zone, e.g. ``2026-10-05 14:00 UTC``."""
    local = settings.local(pd.Timestamp(moment).floor("min").to_pydatetime())
    return f"{local:%Y-%m-%d %H:%M} {settings.timezone}"


def _hours(h: float) -> str:
    """Hours as a message says them.

    Examples:
        >>> _hours(3.25), _hours(1.0), _hours(50.0)
        ('3.2 hours', '1 hour', '2.1 days')
    """
    if h >= 48:
        return f"{h / 24:.1f} days"
    return "1 hour" if round(h, 1) == 1 else f"{h:.1f} hours".replace(".0 ", " ")


def _owner(value: object) -> str | None:
    return None if pd.isna(value) else str(value)


def _sent_to(
    kind: str, emails: Iterable[str | None], settings: AlertSettings, webhook: bool, **fields: str | None
) -> list[Message]:
    """One message of ``kind`` per email address, plus one to the team's webhook when the settings post it there."""
    out = [Message(kind, e, channel="email", **fields) for e in sorted(set(filter(None, emails)))]
    if webhook and kind in settings.webhook_kinds:
        out.append(Message(kind, WEBHOOK, channel="webhook", **{**fields, "attachment": None}))
    return out


# --- Breach risk ---------------------------------------------------------------------------------------------------


def risk_messages(
    risk: pd.DataFrame, settings: AlertSettings, addresses: Mapping[str, str], *, webhook: bool = False
) -> list[Message]:
    """One message per MQL and rule at risk (:func:`sla_model.metrics.handoff.at_risk`) to its owner's address."""
    out = []
    for row in risk.itertuples():
        due = pd.Timestamp(row.due)
        out.extend(
            _sent_to(
                "risk",
                [addresses.get(_owner(row.owner) or "")],
                settings,
                webhook,
                subject_key=f"{row.lead_id}:{row.rule}",
                period=f"{due:%Y-%m-%dT%H:%M}",
                subject=_one_line(
                    f"At risk: lead {row.lead_id} ({row.company}) is due for its {row.rule} in {_hours(row.hours_left)}"
                ),
                body=(
                    f"Lead {row.lead_id} ({row.company}, {row.channel}) breaks the SLA's {row.rule} rule at "
                    f"{_when(settings, due)}, in {_hours(row.hours_left)}.\n\n"
                    f"Open the lead: {page_url(settings, 'lead', lead=str(row.lead_id))}\n"
                    f"Your queue: {page_url(settings, 'my_leads')}\n"
                ),
            )
        )
    return out


# --- Breaches ------------------------------------------------------------------------------------------------------


def overdue(inputs: MeetingInputs) -> pd.DataFrame:
    """The open MQLs in breach (:func:`sla_model.metrics.timing.breach_list`) with when the breach began.

    ``since`` is the earliest due time among the rules broken (due times count business hours, from the
    summary), ``overdue_hours`` the wall-clock hours since.
    """
    found = breach_list(
        inputs.summary, inputs.leads, inputs.as_of, touches_recorded=inputs.touches_recorded, versions=inputs.versions
    )
    summary = inputs.summary.set_index("lead_id").loc[found["lead_id"]]
    window_due = summary["window_due"]
    recorded = inputs.touches_recorded
    dues = [
        (summary["first_touch_due"], summary["touches_total"].eq(0).to_numpy() & recorded),
        (window_due, (summary["touches_in_window"] < summary["min_touches"]).to_numpy() & recorded),
        (summary["decision_due"], np.ones(len(summary), dtype=bool)),
    ]
    times = np.column_stack([due.to_numpy(dtype="datetime64[ns]") for due, _ in dues])
    rules = np.column_stack([rule for _, rule in dues])
    broken = rules & (np.nan_to_num(np.column_stack([hours_left(t, inputs.as_of) for t in times.T]), nan=1) < 0)
    since = pd.DataFrame(np.where(broken, times, np.datetime64("NaT", "ns"))).min(axis=1).to_numpy("datetime64[ns]")
    found["since"] = since
    found["overdue_hours"] = -hours_left(since, inputs.as_of)
    return found


def breach_messages(
    found: pd.DataFrame, settings: AlertSettings, addresses: Mapping[str, str], *, webhook: bool = False
) -> list[Message]:
    """To each owner, their MQLs in breach; to the managers (and webhook), those in breach past the escalation delay.

    Only breaches that began within the settings' breach window are alerted.
    """
    out = []
    for row in found[found["overdue_hours"] <= settings.breach_window_days * 24].itertuples():
        since = pd.Timestamp(row.since)
        owner = _owner(row.owner)
        facts = (
            f"Lead {row.lead_id} ({row.company}, {row.channel}), handed over {_when(settings, row.mql_at)}, breaks "
            f"the SLA: {row.breach}. In breach since {_when(settings, since)} ({_hours(row.overdue_hours)}).\n\n"
            f"Open the lead: {page_url(settings, 'lead', lead=str(row.lead_id))}\n"
        )
        key = {"subject_key": str(row.lead_id), "period": f"{since:%Y-%m-%dT%H:%M}"}
        out += _sent_to("breach", [addresses.get(owner or "")], settings, webhook, **key,
                        subject=_one_line(f"Breach: lead {row.lead_id} ({row.company}): {row.breach}"),
                        body=facts + f"Your queue: {page_url(settings, 'my_leads')}\n")  # fmt: skip
        if row.overdue_hours >= settings.escalation_hours:
            subject = f"Escalation: lead {row.lead_id} ({row.company}) of {owner or 'no owner'} in breach for " + (
                _hours(row.overdue_hours))  # fmt: skip
            body = f"Owner: {owner or 'nobody'}.\n{facts}Handoff timing: {page_url(settings, 'handoff_timing')}\n"
            out += _sent_to("escalation", settings.managers, settings, webhook, **key, subject=_one_line(subject),
                            body=body)  # fmt: skip
    return out


# --- Daily digest --------------------------------------------------------------------------------------------------


def _listed(rows: list[str], what: str) -> str:
    if not rows:
        return f"{what}: none.\n"
    more = f"  … and {len(rows) - DIGEST_LINES:,} more\n" if len(rows) > DIGEST_LINES else ""
    return f"{what} ({len(rows):,}):\n" + "".join(f"  {r}\n" for r in rows[:DIGEST_LINES]) + more


def digest_messages(
    inputs: MeetingInputs, found: pd.DataFrame, settings: AlertSettings, addresses: Mapping[str, str]
) -> list[Message]:
    """Each rep's digest for the local day: their overdue MQLs, those due before the day ends, and how many are open.

    Only from the settings' digest hour on, and not for reps who muted theirs; ``found`` is :func:`overdue`.
    """
    as_of = pd.Timestamp(inputs.as_of).to_pydatetime()
    local = settings.local(as_of)
    if local.hour < settings.digest_hour:
        return []
    day_left = (dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time()) - local).total_seconds() / 3600
    due = at_risk(inputs.summary, inputs.leads, inputs.as_of, day_left, touches_recorded=inputs.touches_recorded)
    rows = inputs.leads.loc[inputs.summary.index]
    open_owner = inputs.summary.loc[is_open(rows).to_numpy(), "owner"].astype(object)
    out = []
    for rep, address in sorted(addresses.items()):
        if rep in settings.muted_digests:
            continue
        late = found[found["owner"].astype(object) == rep]
        soon = due[due["owner"].astype(object) == rep]
        n_open = int((open_owner == rep).sum())
        if not n_open:
            continue
        body = (
            _listed(
                [f"{r.lead_id} ({r.company}): {r.breach}, since {_when(settings, r.since)}" for r in late.itertuples()],
                "Overdue",
            )
            + "\n"
            + _listed(
                [f"{r.lead_id} ({r.company}): {r.rule} due {_when(settings, r.due)}" for r in soon.itertuples()],
                "Due today",
            )
            + f"\nOpen MQLs in your queue: {n_open:,}.\n\nYour queue: {page_url(settings, 'my_leads')}\n"
            + f"Turn this digest off: {page_url(settings, 'alerts')}\n"
        )
        subject = f"Your leads on {local:%Y-%m-%d}: {len(late):,} overdue, {len(soon):,} due today, {n_open:,} open"
        out.append(Message("digest", address, _one_line(rep), f"{local:%Y-%m-%d}", _one_line(subject), body))
    return out


# --- The review report ---------------------------------------------------------------------------------------------


def report_due(settings: AlertSettings, as_of: dt.datetime) -> list[tuple[str, pd.Period]]:
    """Which meeting reports are due as of a moment (local day of month in the settings' time zone).

    ``("report", last month)`` from the review day on, ``("checkin", this month)`` from the check-in day on.

    Examples:
        >>> report_due(AlertSettings(review_day=7, checkin_day=15), dt.datetime(2026, 11, 9, 9))
        [('report', Period('2026-10', 'M'))]
    """
    local = settings.local(as_of)
    month = pd.Period(local, "M")
    out = []
    if local.day >= settings.review_day:
        out.append(("report", month - 1))
    if local.day >= settings.checkin_day:
        out.append(("checkin", month))
    return out


def report_messages(
    review: Review, html: str, settings: AlertSettings, addresses: Mapping[str, str], *, webhook: bool = False
) -> list[Message]:
    """The meeting's report to every attendee of its SLA with an address (the HTML attached), and to the webhook."""
    kind = "report" if review.variant == "monthly" else "checkin"
    link = page_url(settings, "meeting")
    body = "".join(f"{s.title}\n" + "".join(f"  • {line}\n" for line in s.lines) + "\n" for s in review.sections)
    body = f"{review.title}, as of {_when(settings, review.as_of)}.\n\n{body}The meeting page: {link}\n"
    people = [addresses.get(a) or (a.lower() if a.count("@") == 1 else None) for a in review.sla.review.attendees]
    return _sent_to(kind, people, settings, webhook, subject_key=str(review.period), period="",
                    subject=_one_line(review.title), body=body, attachment=html)  # fmt: skip
