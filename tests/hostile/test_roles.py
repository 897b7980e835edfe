"""Every import-side write checks the role itself and is audited in its own transaction, whoever calls it."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from sla_model.access import Actor, PermissionDenied, Role, set_user
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
def test_only_a_manager_may_write_and_a_refusal_changes_nothing(stored, who, write):
    before = checksum(stored)
    with pytest.raises(PermissionDenied, match="only managers can"):
        write(stored, who)
    assert checksum(stored) == before


def test_an_import_is_audited_with_the_actor(stored):
    importer.write(stored, importer.prepare(read_csv(ROWS, name="f.csv"), OWN_LEADS), actor=MANAGER)
    assert [e.actor for e in _audit(stored, "import")] == ["Mia Manager", "Mia Manager"]  # the fixture's and this


def test_saving_a_mapping_is_audited(stored):
    save_mapping(engine=stored, mapping=OWN_LEADS.model_copy(update={"name": "Ours"}), actor=MANAGER)
    [entry] = _audit(stored, "save_mapping")
    assert (entry.actor, entry.entity, entry.entity_id) == ("Mia Manager", "saved_mapping", "Ours")
    assert "Ours" in saved_mappings(engine=stored)


def test_granting_a_role_is_audited(stored):
    set_user(engine=stored, actor=MANAGER, email="Ana@Example.com", role=Role.REP, name="Ana", rep="Ana Souza")
    [entry] = _audit(stored, "set_user")
    assert (entry.actor, entry.entity, entry.entity_id) == ("Mia Manager", "app_user", "ana@example.com")
    assert json.loads(entry.detail) == {"role": "rep", "name": "Ana", "rep": "Ana Souza"}
