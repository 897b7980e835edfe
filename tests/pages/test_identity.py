"""AppTest: who is acting when an identity provider signs users in."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sla_model.access import Actor, Role, set_user
from sla_model.store.db import PROJECT_ROOT, make_engine

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "c",
        "client_secret": "s", "server_metadata_url": "https://idp.example/.well-known/openid"}  # fmt: skip


def _signed_in(claims: dict) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / "my_leads.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user.clear()  # AppTest's default user has an email claim
    at.user.update({"is_logged_in": True, **claims})
    return at.run()


@pytest.fixture
def granted(sample_db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sample_db_url)
    set_user(engine=make_engine(sample_db_url), actor=Actor("admin", Role.MANAGER), email="auth0|7781",
             role=Role.REP, name="Ana", rep="Ana Souza")  # fmt: skip


def test_a_provider_without_an_email_claim_is_matched_by_its_subject_claim(granted):
    """Before: AttributeError: st.user has no attribute "email" on every page."""
    at = _signed_in({"sub": "auth0|7781", "name": "Ana"})
    assert not at.exception
    assert any("Signed in as Ana · rep" in c.value for c in at.sidebar.caption)


def test_a_sign_in_with_neither_email_nor_subject_is_a_viewer_told_why(granted):
    at = _signed_in({"name": "Nobody"})
    assert not at.exception
    assert "did not say who you are" in at.sidebar.error[0].value
