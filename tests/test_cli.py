"""The command line: generate a data set, load it into an empty database, refuse a bad folder clearly."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from sla_model.__main__ import main
from sla_model.generator import sample_dir
from sla_model.store.db import make_engine
from sla_model.store.repository import counts, load_leads
from tests.conftest import MAVEN


def test_generate_then_init_loads_the_folder(tmp_path, monkeypatch, capsys):
    out = tmp_path / "data"
    assert main(["generate", "--leads", "500", "--out", str(out)]) == 0
    assert "wrote 500 leads" in capsys.readouterr().out
    shutil.copytree(sample_dir() / "sla", out / "sla")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init", "--data", str(out)]) == 0
    assert "loaded" in capsys.readouterr().out
    got = counts(engine=make_engine(url))
    assert got["leads"] == 500 and got["sla_versions"] == 2 and got["touches"] > 0
    assert main(["init", "--data", str(out)]) == 2  # a database with data is never added to
    assert "the database is not empty (500 leads" in capsys.readouterr().err
    assert counts(engine=make_engine(url)) == got


def test_init_refuses_a_folder_without_an_sla(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["init", "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "no SLA file" in err and "missing" in err


def test_init_names_the_bad_field_of_an_sla_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "sla").mkdir()
    text = (sample_dir() / "sla" / "v1.toml").read_text(encoding="utf-8").replace("mqls = 650", "mqls = -5", 1)
    (tmp_path / "sla" / "v1.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["init", "--data", str(tmp_path)]) == 2
    assert "v1.toml: quotas.mqls: Input should be greater than or equal to 0 (got -5)" in capsys.readouterr().err


def test_user_grants_a_role(tmp_path, monkeypatch, capsys):
    from sla_model.access import Actor, Role, actor_for_email

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["user", "Ana@Example.com", "--role", "rep", "--rep", "Ana Souza", "--name", "Ana Souza"]) == 0
    assert "ana@example.com is now a rep working as Ana Souza" in capsys.readouterr().out
    assert actor_for_email(engine=make_engine(url), email="ana@example.com") == Actor(
        "Ana Souza", Role.REP, "Ana Souza", id="ana@example.com"
    )
    assert main(["user", "x@example.com", "--role", "rep"]) == 2
    assert "a rep needs the lead owner name" in capsys.readouterr().err


def test_init_refuses_a_database_that_already_has_leads(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    leads = tmp_path / "leads.csv"
    leads.write_text("lead_id,created_at,channel\nMINE-1,2026-03-01,Email\nMINE-2,2026-03-02,Email\n")
    assert main(["import", str(leads)]) == 0  # imported leads, no SLA version yet
    capsys.readouterr()
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert "the database is not empty (2 leads" in err and "Traceback" not in err
    assert sorted(load_leads(engine=make_engine(url))["lead_id"]) == ["MINE-1", "MINE-2"]
    assert counts(engine=make_engine(url))["sla_versions"] == 0


def test_init_with_a_folder_of_sla_files_only_loads_the_sla_versions(tmp_path, monkeypatch, capsys):
    shutil.copytree(sample_dir() / "sla", tmp_path / "data" / "sla")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init", "--data", str(tmp_path / "data")]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "no leads.csv" in out.out
    assert counts(engine=make_engine(url)) == {"sla_versions": 2, "leads": 0, "touches": 0, "feedback": 0}


def _two_files(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text("lead_id,created_at,channel\nA1,2026-03-01,Email\nA2,2026-03-02,Email\n")
    touches = tmp_path / "t.csv"  # touches of the leads in a.csv, which are not stored yet
    touches.write_text("lead_id,rep,at,kind,outcome\nA1,Ana,2026-03-03 10:00,call,\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("lead_id,created_at,channel\nB1,2026-03-01,Email\nB2,yesterday,Email\n")
    return str(good), str(touches), str(bad)


def test_one_import_command_checks_every_file_before_it_writes_any(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    good, touches, bad = _two_files(tmp_path)
    assert main(["import", good, touches, bad]) == 1
    captured = capsys.readouterr()
    assert "bad.csv: 1 row has errors" in captured.err and "nothing was imported" in captured.err
    assert counts(engine=make_engine(url))["leads"] == 0 and counts(engine=make_engine(url))["touches"] == 0
    assert main(["import", good, touches]) == 0  # the touches refer to leads of the same command
    assert counts(engine=make_engine(url))["touches"] == 1
    assert main(["import", "--skip-invalid", bad]) == 0
    assert sorted(load_leads(engine=make_engine(url))["lead_id"]) == ["A1", "A2", "B1"]


@pytest.mark.parametrize("name", ["sales_pipeline.csv", "sales_pipeline_mdy_dates.csv"])
def test_the_readme_maven_command_imports_every_opportunity(name, tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    command = "python -m sla_model import --mapping sample_data/mappings/maven_sales_pipeline.toml sales_pipeline.csv"
    assert command in readme
    url = f"sqlite:///{tmp_path / 'maven.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    shutil.copy(MAVEN / name, tmp_path / "sales_pipeline.csv")
    args = command.split()[3:]
    args[-1] = str(tmp_path / "sales_pipeline.csv")
    assert main(args) == 0, capsys.readouterr().err
    with open(MAVEN / name, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    stages = Counter(r["deal_stage"] for r in rows)
    leads = load_leads(engine=make_engine(url))
    assert len(leads) == len(rows) == 8800
    assert leads["won_at"].notna().sum() == stages["Won"]
    assert leads["lost_at"].notna().sum() == stages["Lost"]
    engaging = leads["opportunity_at"].notna() & leads["won_at"].isna() & leads["lost_at"].isna()
    assert engaging.sum() == stages["Engaging"]
    prospects = leads["mql_at"].notna() & leads["opportunity_at"].isna()
    assert prospects.sum() == stages["Prospecting"]
    won_value = sum(float(r["close_value"]) for r in rows if r["deal_stage"] == "Won")
    assert leads.loc[leads["won_at"].notna(), "amount"].sum() == pytest.approx(won_value)


def test_a_contacts_file_and_its_deals_file_import_in_one_command(tmp_path, monkeypatch, capsys):
    from sla_model.importing.mapping import parse_mapping
    from tests.test_import import _CONTACTS, _DEALS, _DEALS_MAPPING

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    (tmp_path / "contacts.csv").write_text(_CONTACTS)
    (tmp_path / "deals.csv").write_text(_DEALS + "D9,C9,closedwon,2026-04-10,50,Bo Chen\n")
    plain = {k: v for k, v in _DEALS_MAPPING.items() if k != "update_only"}  # the flag says it
    (tmp_path / "deals.toml").write_text(parse_mapping(plain, source="t").to_toml())
    deals = ["--mapping", str(tmp_path / "deals.toml"), "--update-only", str(tmp_path / "deals.csv")]
    assert main(["import", *deals]) == 1  # C9 is not stored, and no contact is stored yet
    err = capsys.readouterr()
    assert "no stored lead with this ID" in err.out and "nothing was imported" in err.err
    assert main(["import", str(tmp_path / "contacts.csv")]) == 0
    assert main(["import", "--skip-invalid", *deals]) == 0
    leads = load_leads(engine=make_engine(url)).set_index("lead_id")
    assert leads["won_at"].notna().sum() == 2 and "C9" not in leads.index
    assert leads.loc["C1", "sql_at"] == pd.Timestamp("2026-01-10 10:00")


def test_upgrade_brings_an_old_database_to_this_release_and_says_so(tmp_path, monkeypatch, capsys):
    from tests.test_migrations import make_release_1

    url = f"sqlite:///{tmp_path / 'old.db'}"
    make_release_1(url).dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SMARKETING_AUTO_UPGRADE", "0")
    assert main(["user", "ana@example.com", "--role", "manager"]) == 2  # refused, naming the command to run
    assert "Back the database up, then run: python -m sla_model upgrade" in capsys.readouterr().err
    assert main(["upgrade"]) == 0
    from sla_model.store.schema import head

    assert f"upgraded the database from schema revision release 1 (unversioned) to {head()}" in capsys.readouterr().out
    assert main(["upgrade"]) == 0
    assert f"the database is up to date (schema revision {head()})" in capsys.readouterr().out
    assert main(["user", "ana@example.com", "--role", "manager"]) == 0


def test_the_command_line_acts_as_a_manager_level_operator_and_is_audited(tmp_path, monkeypatch, capsys):
    from sqlmodel import Session, select

    from sla_model.store.models import AuditEntry

    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "acts as a manager-level local operator" in " ".join(capsys.readouterr().out.split())
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b"lead_id,created_at,channel\nL1,2026-03-01,Web\n")
    assert main(["import", str(leads)]) == 0
    assert main(["user", "ana@example.com", "--role", "viewer"]) == 0
    with Session(make_engine(url)) as session:
        audited = session.exec(select(AuditEntry.action, AuditEntry.actor).order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in audited] == [("import", "command line"), ("set_user", "command line")]


def test_init_refuses_a_wrong_cell_with_its_file_row_and_column_and_no_traceback(tmp_path, monkeypatch, capsys):
    """Before: the message reached the user as a Python traceback (the load's ValueError was not caught)."""
    out = tmp_path / "data"
    shutil.copytree(sample_dir(), out)
    leads = pd.read_csv(out / "leads.csv.gz", dtype=str, keep_default_na=False).head(5)
    leads.loc[2, "score"] = "high"
    (out / "leads.csv.gz").unlink()
    leads.to_csv(out / "leads.csv", index=False)
    for name in ("touches", "feedback"):
        (out / f"{name}.csv.gz").unlink()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["init", "--data", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"error: {out / 'leads.csv'}: row 4, column 'score': 'high' is not a whole number; nothing was loaded\n"
    )
    assert counts(engine=make_engine(url)) == {"sla_versions": 0, "leads": 0, "touches": 0, "feedback": 0}
