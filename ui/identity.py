"""Who is using the app: Streamlit's login when an identity provider is configured, else local mode."""

from __future__ import annotations

import streamlit as st

from sla_model.access import Actor, Role, actor_for_email
from ui.data import get_dataset, get_engine

LOCAL_MANAGER = "Manager"
LOCAL_VIEWER = "Viewer (meeting screen)"


def auth_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section (an identity provider)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
    except Exception:  # noqa: BLE001  (no secrets file at all: Streamlit raises its own error type)
        return False


def current_actor() -> Actor:
    """The acting user, with the identity controls drawn in the sidebar.

    With an identity provider: the signed-in user's role from the user table (unknown users and
    anyone not signed in are viewers). Without one: local mode, where the user says who they are.
    """
    if auth_configured():
        with st.sidebar:
            if not st.user.is_logged_in:
                st.button("Log in", key="login", on_click=st.login, icon=":material/login:")
                return Actor(name="Guest", role=Role.VIEWER, id="guest")
            # the email claim names the user; a provider that sends none is matched by its subject claim
            identity = str(st.user.get("email") or st.user.get("sub") or "").strip()
            if not identity:
                st.error("Your sign-in did not say who you are (no email or subject claim): you can look, not act. "
                         "Ask the administrator to add the email scope to the identity provider.",
                         icon=":material/person_off:")  # fmt: skip
                st.button("Log out", key="logout", on_click=st.logout, icon=":material/logout:")
                return Actor(name="Guest", role=Role.VIEWER, id="guest")
            actor = actor_for_email(engine=get_engine(), email=identity, name=str(st.user.get("name") or ""))
            st.caption(f"Signed in as {actor.name} · {actor.role}")
            st.button("Log out", key="logout", on_click=st.logout, icon=":material/logout:")
        return actor
    reps = get_dataset().values_of("owner")
    with st.sidebar:
        who = st.selectbox(
            "You are", [LOCAL_MANAGER, *reps, LOCAL_VIEWER], key="identity", persist_state="session",
            help="Local mode: no sign-in. For a single trusted machine only — see the README.",
        )  # fmt: skip
        st.caption(":material/lock_open: Local mode: anyone at this machine can act as anyone.")
    if who == LOCAL_MANAGER:
        return Actor(name="Manager (local)", role=Role.MANAGER, id="local:manager")
    if who == LOCAL_VIEWER:
        return Actor(name="Viewer (local)", role=Role.VIEWER, id="local:viewer")
    return Actor(name=who, role=Role.REP, rep=who, id=f"local:rep:{who}")
