"""Alerts and digests: the SLA reaches people by email and the team's webhook, each alert exactly once.

``settings`` (recipients, thresholds, quiet hours), ``compose`` (what each message says), ``channels`` (SMTP and
the webhook), ``outbox`` (claiming, delivery, retries) and ``notify`` (one run of ``python -m sla_model notify``).
"""

from sla_model.alerts.channels import (
    DeliveryError,
    SmtpConfig,
    email_message,
    escape_slack,
    post_webhook,
    send_email,
    webhook_payload,
    webhook_url,
)
from sla_model.alerts.compose import (
    WEBHOOK,
    Message,
    breach_messages,
    digest_messages,
    overdue,
    page_url,
    report_due,
    report_messages,
    risk_messages,
)
from sla_model.alerts.notify import Channels, Run, due_messages, load_inputs, notify
from sla_model.alerts.outbox import (
    MAX_ATTEMPTS,
    Delivered,
    backoff,
    claim,
    deliver,
    outbox_frame,
    status_counts,
)
from sla_model.alerts.settings import (
    KINDS,
    WEBHOOK_KINDS,
    AlertSettings,
    SettingsError,
    load_settings,
    rep_addresses,
    save_settings,
    set_digest_muted,
)

__all__ = [
    "KINDS",
    "MAX_ATTEMPTS",
    "WEBHOOK",
    "WEBHOOK_KINDS",
    "AlertSettings",
    "Channels",
    "Delivered",
    "DeliveryError",
    "Message",
    "Run",
    "SettingsError",
    "SmtpConfig",
    "backoff",
    "breach_messages",
    "claim",
    "deliver",
    "digest_messages",
    "due_messages",
    "email_message",
    "escape_slack",
    "load_inputs",
    "load_settings",
    "notify",
    "outbox_frame",
    "overdue",
    "page_url",
    "post_webhook",
    "rep_addresses",
    "report_due",
    "report_messages",
    "risk_messages",
    "save_settings",
    "send_email",
    "set_digest_muted",
    "status_counts",
    "webhook_payload",
    "webhook_url",
]
