"""How alerts travel: email over SMTP (the standard library's smtplib) and a Slack-compatible webhook (httpx).

Credentials come from the environment or the app's ``.streamlit/secrets.toml`` (``[smtp]`` and ``[webhook]``
sections), never from the database; the password and the webhook URL (its path is a secret too) are kept out of
every repr, log line and stored error.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import httpx

from sla_model.store.db import PROJECT_ROOT

#: Seconds an SMTP server or webhook may take to answer before the attempt counts as failed.
TIMEOUT = 20.0
SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class DeliveryError(Exception):
    """A message that did not get through; the text says why (never a credential)."""


def _secrets(path: Path | None) -> dict:
    path = path or Path(os.environ.get("SMARKETING_SECRETS", PROJECT_ROOT / ".streamlit" / "secrets.toml"))
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send email."""

    host: str
    sender: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = TIMEOUT

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, secrets: Path | None = None) -> SmtpConfig | None:
        """From ``SMARKETING_SMTP_*`` variables, else the ``[smtp]`` secrets; None when no host is set.

        Examples:
            >>> c = SmtpConfig.load({"SMARKETING_SMTP_HOST": "mail", "SMARKETING_SMTP_SECURITY": "ssl",
            ...                      "SMARKETING_SMTP_PASSWORD": "hunter2"}, Path("/nonexistent"))
            >>> c.port, c.sender, "hunter2" in repr(c)
            (465, 'smarketing-sla@mail', False)
        """
        env = os.environ if environ is None else environ
        stored = _secrets(secrets).get("smtp", {})

        def get(name: str, default: str = "") -> str:
            return str(env.get(f"SMARKETING_SMTP_{name.upper()}") or stored.get(name) or default)

        host = get("host")
        if not host:
            return None
        security = get("security", "starttls").lower()
        if security not in SECURITY:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITY)}, not {security!r}")
        return cls(host=host, port=int(get("port") or DEFAULT_PORTS[security]), security=security,
                   user=get("user"), password=get("password"), sender=get("from", f"smarketing-sla@{host}"),
                   timeout=float(get("timeout") or TIMEOUT))  # fmt: skip


def webhook_url(environ: Mapping[str, str] | None = None, secrets: Path | None = None) -> str | None:
    """The team's incoming webhook: ``SMARKETING_WEBHOOK_URL``, else ``[webhook] url`` in the secrets."""
    env = os.environ if environ is None else environ
    return env.get("SMARKETING_WEBHOOK_URL") or _secrets(secrets).get("webhook", {}).get("url") or None


def email_message(*, sender: str, recipient: str, subject: str, body: str, attachment: str | None = None,
                  attachment_name: str = "report.html") -> EmailMessage:  # fmt: skip
    """A plain-text email (user text stays text), with an HTML file attached when given."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, recipient, subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment, subtype="html", filename=attachment_name)
    return msg


def send_email(config: SmtpConfig, message: EmailMessage) -> None:
    """Send one email.

    Raises:
        DeliveryError: the server refused, timed out or dropped the connection, or rejected the message.
    """
    try:
        if config.security == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                      context=ssl.create_default_context())  # fmt: skip
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.user:
                client.login(config.user, config.password)
            refused = client.send_message(message)
        if refused:
            raise DeliveryError(f"the server refused {', '.join(sorted(refused))}")
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error.decode(errors='replace')[:200]}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {config.host}:{config.port}: {type(exc).__name__}: {exc}"[:300]) from None


def escape_slack(text: str) -> str:
    """Text made literal for Slack's message format (``&``, ``<``, ``>`` as entities), so ``<b>`` shows as typed.

    Examples:
        >>> escape_slack("<b>Acme</b> & Co")
        '&lt;b&gt;Acme&lt;/b&gt; &amp; Co'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(subject: str, body: str) -> dict[str, str | bool]:
    r"""The JSON an incoming webhook takes (Slack; Mattermost and Teams read the same ``text``), formatting off.

    Examples:
        >>> webhook_payload("Breach: *Acme*", "<b>x</b>")
        {'text': 'Breach: *Acme*\n&lt;b&gt;x&lt;/b&gt;', 'mrkdwn': False}
    """
    return {"text": f"{escape_slack(subject)}\n{escape_slack(body)}", "mrkdwn": False}


def post_webhook(url: str, payload: dict, *, timeout: float = TIMEOUT) -> None:
    """Post one message to the webhook.

    Raises:
        DeliveryError: no answer, or an answer other than 2xx (the URL is never part of the message).
    """
    try:
        answer = httpx.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook: {type(exc).__name__}") from None
    if not answer.is_success:
        raise DeliveryError(f"webhook answered HTTP {answer.status_code}")
