"""The command line: generate a data set, load it into an empty database, refuse a bad folder clearly."""

from __future__ import annotations

import shutil

from sla_model.__main__ import main
from sla_model.db import make_engine
from sla_model.generator import sample_dir
from sla_model.repository import counts


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
    assert main(["init", "--data", str(out)]) == 0
    assert "already has data" in capsys.readouterr().out
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
        "Ana Souza", Role.REP, "Ana Souza"
    )
    assert main(["user", "x@example.com", "--role", "rep"]) == 2
    assert "a rep needs the lead owner name" in capsys.readouterr().err
