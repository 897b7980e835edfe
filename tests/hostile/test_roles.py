"""Every import-side write checks the role itself and is audited in its own transaction, whoever calls it."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from sla_model.access import Actor, PermissionDenied, Role, set_user
from sla_model.alerts import AlertSettings, load_settings, save_settings, set_digest_muted
from sla_model.importing import importer
from sla_model.importing.csvfile import read_csv
from sla_model.importing.mapping import OWN_LEADS, save_mapping, saved_mappings
from sla_model.store.models import AuditEntry
from tests.hostile.conftest import MANAGER, checksum

REP = Actor("Ana Souza", Role.REP, rep="Ana Souza")
VIEWER = Actor("Wall screen", Role.VIEWER)
ROWS = b"lead_id,created_at,channel\nN1,2026-03-01,Web\n"


def _audit(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.mark.parametrize("who", [REP, VIEWER], ids=["rep", "viewer"])
@pytest.mark.parametrize(
    "write",
    [
        lambda e, a: importer.write(e, importer.prepare(read_csv(ROWS, name="f.csv"), OWN_LEADS), actor=a),
        lambda e, a: save_mapping(engine=e, mapping=OWN_LEADS.model_copy(update={"name": "Ours"}), actor=a),
        lambda e, a: set_user(engine=e, actor=a, email="x@y.z", role=Role.MANAGER),
    ],
    ids=["import", "save_mapping", "set_user"],
)
def test_only_a_manager_may_write_and_a_refusal_changes_nothing(stored_on, who, write):
    before = checksum(stored_on)
    with pytest.raises(PermissionDenied, match="only managers can"):
        write(stored_on, who)
    assert checksum(stored_on) == before


def test_an_import_is_audited_with_the_actor(stored_on):
    importer.write(stored_on, importer.prepare(read_csv(ROWS, name="f.csv"), OWN_LEADS), actor=MANAGER)
    assert [e.actor for e in _audit(stored_on, "import")] == ["Mia Manager", "Mia Manager"]  # the fixture's and this


def test_saving_a_mapping_is_audited(stored_on):
    save_mapping(engine=stored_on, mapping=OWN_LEADS.model_copy(update={"name": "Ours"}), actor=MANAGER)
    [entry] = _audit(stored_on, "save_mapping")
    assert (entry.actor, entry.entity, entry.entity_id) == ("Mia Manager", "saved_mapping", "Ours")
    assert "Ours" in saved_mappings(engine=stored_on)


def test_granting_a_role_is_audited(stored_on):
    set_user(engine=stored_on, actor=MANAGER, email="Ana@Example.com", role=Role.REP, name="Ana", rep="Ana Souza")
    [entry] = _audit(stored_on, "set_user")
    assert (entry.actor, entry.entity, entry.entity_id) == ("Mia Manager", "app_user", "ana@example.com")
    assert json.loads(entry.detail) == {"role": "rep", "name": "Ana", "rep": "Ana Souza"}


# --- the alert settings and a rep's digest (sla_model.alerts), on SQLite and PostgreSQL ------------------------

REP_ID = Actor("Ana Souza", Role.REP, rep="Ana Souza", id="ana@example.com")
SETTINGS = {"risk_hours": 4.0, "managers": ["mia@example.com"]}


@pytest.mark.parametrize("who", [REP_ID, VIEWER], ids=["rep", "viewer"])
@pytest.mark.parametrize("version", [0, 1], ids=["first-save", "later-save"])
def test_only_a_manager_may_change_the_alert_settings(stored_on, who, version):
    if version:
        save_settings(engine=stored_on, actor=MANAGER, settings={"risk_hours": 6.0}, expected_version=0)
    before = checksum(stored_on)
    with pytest.raises(PermissionDenied, match=r"may not change the alert settings: only managers can"):
        save_settings(engine=stored_on, actor=who, settings=SETTINGS, expected_version=version)
    assert checksum(stored_on) == before
    assert load_settings(engine=stored_on)[0].risk_hours == (6.0 if version else AlertSettings().risk_hours)


def test_a_change_of_the_alert_settings_is_audited_with_what_changed(stored_on):
    manager = Actor("Mia Manager", Role.MANAGER, id="mia@example.com")
    assert save_settings(engine=stored_on, actor=manager, settings=SETTINGS, expected_version=0) == 1
    [entry] = _audit(stored_on, "save_alert_settings")
    assert (entry.actor, entry.actor_id, entry.entity, entry.entity_id) == (
        "Mia Manager", "mia@example.com", "alert_settings", "1"
    )  # fmt: skip
    assert json.loads(entry.detail) == {
        "risk_hours": {"from": 8.0, "to": 4.0}, "managers": {"from": [], "to": ["mia@example.com"]}
    }  # fmt: skip
    assert load_settings(engine=stored_on) == (AlertSettings(**SETTINGS), 1)


@pytest.mark.parametrize("who", [MANAGER, VIEWER], ids=["manager", "viewer"])
def test_only_a_rep_may_mute_a_digest_and_only_their_own(stored_on, who):
    before = checksum(stored_on)
    with pytest.raises(PermissionDenied, match="has no digest of their own to mute: only reps do"):
        set_digest_muted(engine=stored_on, actor=who, muted=True)
    assert checksum(stored_on) == before and load_settings(engine=stored_on) == (AlertSettings(), 0)


def test_muting_and_unmuting_a_digest_is_audited_for_the_rep(stored_on):
    set_digest_muted(engine=stored_on, actor=REP_ID, muted=True)
    assert load_settings(engine=stored_on) == (AlertSettings(muted_digests=["Ana Souza"]), 1)
    set_digest_muted(engine=stored_on, actor=REP_ID, muted=False)
    assert load_settings(engine=stored_on) == (AlertSettings(), 2)
    [muted] = _audit(stored_on, "mute_digest")
    [unmuted] = _audit(stored_on, "unmute_digest")
    for entry, change in ((muted, ([], ["Ana Souza"])), (unmuted, (["Ana Souza"], []))):
        assert (entry.actor, entry.actor_id, entry.entity) == ("Ana Souza", "ana@example.com", "alert_settings")
        assert json.loads(entry.detail) == {"muted_digests": {"from": change[0], "to": change[1]}}
