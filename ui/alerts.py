"""The alerts page's sections: a rep's digest switch, the managers' settings form, the channels and the outbox."""

from __future__ import annotations

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from sla_model.access import ActionError, Actor
from sla_model.alerts import (
    KINDS,
    MAX_ATTEMPTS,
    WEBHOOK_KINDS,
    AlertSettings,
    SettingsError,
    SmtpConfig,
    outbox_frame,
    save_settings,
    set_digest_muted,
    status_counts,
    webhook_url,
)
from ui import fmt

P = "alerts_"
HOURS = list(range(24))
STATUS_WORDS = {"pending": "Waiting", "sending": "Sending", "sent": "Sent", "failed": "Failed, will retry",
                "given up": "Given up"}  # fmt: skip
#: Each kind of alert in a word or two, for the outbox table.
KIND_WORDS = {"risk": "Breach risk", "breach": "Breach", "escalation": "Escalation", "digest": "Daily digest",
              "report": "Monthly report", "checkin": "Mid-month check-in"}  # fmt: skip
OUTBOX_COLUMNS = {
    "When": st.column_config.TextColumn(width=130),
    "What": st.column_config.TextColumn(width=130),
    "To": st.column_config.TextColumn(width=180),
    "Status": st.column_config.TextColumn(width=120),
    "Attempts": st.column_config.NumberColumn(width=70),
    "Error": st.column_config.TextColumn(width="medium"),
    "Next attempt": st.column_config.TextColumn(width=130),
    "Subject": st.column_config.TextColumn(width="large"),
}


def _hour(h: int) -> str:
    return f"{h:02d}:00"


def digest_switch(engine: Engine, actor: Actor, settings: AlertSettings) -> None:
    """A rep's own daily digest, on or off (audited)."""

    def changed() -> None:
        on = st.session_state[P + "digest"]
        try:
            set_digest_muted(engine=engine, actor=actor, muted=not on)
        except (ActionError, SettingsError) as exc:  # nothing was stored: the switch goes back to what is stored
            st.session_state[P + "digest"] = not on
            st.session_state[P + "digest_error"] = str(exc)
            return
        st.toast("Your daily digest is on." if on else "Your daily digest is off.", icon=":material/mail:")

    if error := st.session_state.pop(P + "digest_error", None):
        st.error(f"Not changed: {fmt.literal(error)}", icon=":material/error:")
    st.toggle("Send me the daily digest", value=actor.rep not in settings.muted_digests, key=P + "digest",
              on_change=changed, help=f"Every morning from {_hour(settings.digest_hour)} ({settings.timezone}): "
              "your overdue MQLs, those due today and how many are open.")  # fmt: skip
    st.caption("Breach warnings and breaches still reach you: they are part of the SLA.")


def channel_status() -> None:
    """Which channels the server is set up for (the credentials themselves are never shown)."""
    try:
        smtp = SmtpConfig.load()
    except ValueError as exc:
        st.error(f"The email settings are invalid: {fmt.literal(str(exc))}", icon=":material/error:")
        smtp = None
    left, right = st.columns(2)
    if smtp is None:
        left.warning("Email is not set up: set SMARKETING_SMTP_HOST (see the README).", icon=":material/mail:")
    else:
        login = f", signed in as {fmt.md_escape(smtp.user)}" if smtp.user else ""
        left.success(f"Email: {fmt.md_escape(smtp.host)}:{smtp.port} ({smtp.security}), from "
                     f"{fmt.md_escape(smtp.sender)}{login}", icon=":material/mail:")  # fmt: skip
    if webhook_url():
        right.success("Team webhook: set up", icon=":material/webhook:")
    else:
        right.info("No team webhook: set SMARKETING_WEBHOOK_URL to post to Slack, Teams or Mattermost.",
                   icon=":material/webhook:")  # fmt: skip


def _address_rows(settings: AlertSettings, people: list[str]) -> pd.DataFrame:
    names = list(dict.fromkeys([*people, *settings.addresses]))
    return pd.DataFrame({"Name": names, "Email": [settings.addresses.get(n, "") for n in names]})


def settings_form(engine: Engine, actor: Actor, settings: AlertSettings, version: int, people: list[str]) -> None:
    """The managers' form: recipients, thresholds, quiet hours, what goes to the webhook; saved and audited."""
    with st.form(P + "form"):
        st.subheader("Recipients")
        st.text_input("Link to the app (base URL)", settings.base_url, key=P + "base_url",
                      help="Every message links back to its page under this address.")  # fmt: skip
        st.text_area("Managers (escalations go to them), one address a line", "\n".join(settings.managers),
                     key=P + "managers")  # fmt: skip
        st.markdown("Email addresses of the reps and the review's attendees (a signed-in rep's own address is used "
                    "when none is given here)")  # fmt: skip
        addresses = st.data_editor(
            _address_rows(settings, people),
            key=P + "addresses",
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={"Name": st.column_config.TextColumn(required=True), "Email": st.column_config.TextColumn()},
        )
        st.multiselect("Also post to the team webhook", list(WEBHOOK_KINDS), settings.webhook_kinds,
                       format_func=KINDS.get, key=P + "webhook_kinds")  # fmt: skip
        st.subheader("When")
        a, b = st.columns(2)
        a.number_input("Warn a rep this many hours before a lead breaks a rule", 0.5, 336.0, settings.risk_hours,
                       step=0.5, key=P + "risk_hours")  # fmt: skip
        b.number_input("Escalate to the managers after this many hours in breach", 0.0, 720.0,
                       settings.escalation_hours, step=1.0, key=P + "escalation_hours")  # fmt: skip
        st.number_input("Alert breaches that began within this many days (older ones are in the digest)", 1, 365,
                        settings.breach_window_days, key=P + "breach_window_days")  # fmt: skip
        zones = sorted(available_timezones() | {"UTC"})
        a.selectbox("Time zone", zones, zones.index(settings.timezone), key=P + "timezone")
        b.selectbox("Daily digest from", HOURS, settings.digest_hour, format_func=_hour, key=P + "digest_hour")
        quiet = settings.quiet_start is not None and settings.quiet_end is not None
        st.checkbox("Quiet hours: send nothing between", quiet, key=P + "quiet")
        a, b = st.columns(2)
        a.selectbox(
            "Quiet from",
            HOURS,
            22 if settings.quiet_start is None else settings.quiet_start,
            format_func=_hour,
            key=P + "quiet_start",
        )
        b.selectbox("Quiet until", HOURS, settings.quiet_end if quiet else 7, format_func=_hour, key=P + "quiet_end")
        a.number_input("Monthly report to the attendees from day", 1, 28, settings.review_day, key=P + "review_day")
        b.number_input("Mid-month check-in from day", 1, 28, settings.checkin_day, key=P + "checkin_day")
        submitted = st.form_submit_button("Save the alert settings", type="primary", icon=":material/save:")
    if submitted:
        _save(engine, actor, settings, version, addresses)


def _save(engine: Engine, actor: Actor, settings: AlertSettings, version: int, addresses: pd.DataFrame) -> None:
    state = st.session_state
    quiet = state[P + "quiet"]
    rows = addresses.dropna().itertuples(index=False)
    new = {
        **settings.model_dump(),
        "base_url": state[P + "base_url"],
        "managers": [line for line in state[P + "managers"].splitlines() if line.strip()],
        "addresses": {str(name): str(email) for name, email in rows if str(name).strip() and str(email).strip()},
        "webhook_kinds": state[P + "webhook_kinds"],
        "risk_hours": state[P + "risk_hours"],
        "escalation_hours": state[P + "escalation_hours"],
        "breach_window_days": int(state[P + "breach_window_days"]),
        "timezone": state[P + "timezone"],
        "digest_hour": state[P + "digest_hour"],
        "quiet_start": state[P + "quiet_start"] if quiet else None,
        "quiet_end": state[P + "quiet_end"] if quiet else None,
        "review_day": int(state[P + "review_day"]),
        "checkin_day": int(state[P + "checkin_day"]),
    }
    try:
        save_settings(engine=engine, actor=actor, settings=new, expected_version=version)
    except (SettingsError, ActionError) as exc:  # ActionError: the database gave up on the write
        st.error(f"Not saved: {fmt.literal(str(exc))}", icon=":material/error:")
        return
    st.toast("Alert settings saved.", icon=":material/check:")
    st.rerun()


def outbox_section(engine: Engine) -> None:
    """The alerts sent and those that failed, newest first, with why and when the next attempt is."""
    counts = status_counts(engine=engine)
    st.subheader("Sent alerts")
    cols = st.columns(4)
    for col, (status, label) in zip(cols, [("sent", "Sent"), ("pending", "Waiting"), ("failed", "Failed, will retry"),
                                           ("given up", "Given up")], strict=True):  # fmt: skip
        col.metric(label, fmt.count(counts.get(status, 0) + (counts.get("sending", 0) if status == "pending" else 0)))
    frame = outbox_frame(engine=engine)
    if frame.empty:
        st.info("No alert was sent yet: `python -m sla_model notify` sends what is due (see the README).")
        return
    failing = frame[frame["status"] != "sent"]
    if len(failing):
        st.warning(f"{fmt.plural(len(failing), 'alert')} not delivered yet; the next run of notify retries those "
                   f"with attempts left (at most {MAX_ATTEMPTS}).", icon=":material/error:")  # fmt: skip
    st.dataframe(outbox_table(frame), hide_index=True, width="stretch", column_config=OUTBOX_COLUMNS,
                 height=min(38 + 35 * len(frame), 560), key=P + "outbox")  # fmt: skip


def outbox_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Outbox rows as the page lists them, in words."""
    given_up = (frame["status"] != "sent") & (frame["attempts"] >= MAX_ATTEMPTS)
    status = frame["status"].where(~given_up, "given up").map(STATUS_WORDS)
    waiting = frame["status"] != "sent"
    return pd.DataFrame({
        "When": frame["sent_at"].fillna(frame["created_at"]).map(lambda t: f"{t:%Y-%m-%d %H:%M}"),
        "What": frame["kind"].map(lambda k: KIND_WORDS.get(k, k)),
        "To": frame["recipient"].where(frame["channel"] == "email", "Team webhook"),
        "Status": status,
        "Attempts": frame["attempts"],
        "Error": frame["last_error"].where(waiting, ""),
        "Next attempt": [f"{t:%Y-%m-%d %H:%M}" if w and not g else "" for t, w, g in
                         zip(frame["next_attempt_at"], waiting, given_up, strict=True)],
        "Subject": frame["subject"],
    })  # fmt: skip
