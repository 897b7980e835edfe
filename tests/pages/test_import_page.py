"""The import page: only managers may import; it works on an empty database; no file, no preview."""

from __future__ import annotations

import pytest


def _as(at, who: str):
    at.selectbox(key="identity").set_value(who).run()
    return at


def test_a_viewer_is_told_only_managers_import(sample_app):
    at = _as(sample_app("pages/import_data.py"), "Viewer (meeting screen)")
    assert not at.exception
    assert any("only managers can" in _plain(i.value) for i in at.info)
    assert not at.button  # no import button for a viewer


def test_a_rep_cannot_import_either(sample_app):
    at = _as(sample_app("pages/import_data.py"), "Derek Hale")
    assert any("only managers can" in _plain(i.value) for i in at.info)


@pytest.mark.parametrize("fixture", ["sample_app", "empty_app"])
def test_a_manager_gets_the_upload_prompt_even_on_an_empty_database(fixture, request):
    at = request.getfixturevalue(fixture)("pages/import_data.py")
    assert not at.exception
    assert at.title[0].value == "Import data"
    assert any("Choose a file to see a preview" in _plain(i.value) for i in at.info)


def _upload(at, name: str, data: bytes, key: str = "imp_file"):
    at.file_uploader(key=key).set_value((name, data, "text/csv"))
    return at.run()


def test_a_mapping_file_whose_column_is_missing_is_shown_as_an_error(empty_app):
    from pathlib import Path

    from sla_model.generator import sample_dir

    at = empty_app("pages/import_data.py")
    data = b"opportunity_id,sales_agent,deal stage,engage_date,close_date,close_value,account,product\n"
    data += b"X1,Ana,Won,2017-01-02,2017-03-01,5,Acme,GTX\n"
    _upload(at, "sales_pipeline.csv", data)
    toml = Path(sample_dir() / "mappings" / "maven_sales_pipeline.toml").read_bytes()
    at.file_uploader(key="imp_mapping_file").set_value(("maven.toml", toml, "application/toml"))
    at.run()
    assert not at.exception
    assert any(
        "the mapping's column 'deal_stage' (Lifecycle stage) is not in the file; closest: 'deal stage'"
        in _plain(e.value)
        for e in at.error
    ), [e.value for e in at.error]
    assert not any(b.key == "imp_go" for b in at.button)
    stage = next(s for s in at.selectbox if s.label == "Lifecycle stage")
    assert stage.value == "deal_stage"  # kept, and shown as not in the file, until another column is picked
    stage.set_value("deal stage").run()
    assert not at.error and any(b.key == "imp_go" for b in at.button)


def _leads(url: str):
    from sla_model.store.db import make_engine
    from sla_model.store.repository import load_leads

    return load_leads(engine=make_engine(url)).set_index("lead_id")


def test_a_file_without_a_creation_date_gets_a_fixed_one_checked_like_a_cell(empty_app, tmp_path):
    at = empty_app("pages/import_data.py")
    _upload(at, "nodates.csv", b"lead_id,channel\nN1,Email\n")
    assert not at.exception
    assert any(": 1 row, 2 columns" in c.value for c in at.caption)  # one row, in the singular
    fixed = next(t for t in at.text_input if t.label == "Created (fixed value)")  # offered for the required field
    fixed.set_value("soon").run()
    problems = next(d for d in at.dataframe if "Column" in d.value.columns and "Problem" in d.value.columns).value
    assert problems[["Column", "Value", "Problem"]].values.tolist() == [
        ["created_at (fixed value)", "soon", "not a date this import can read"]
    ]
    next(t for t in at.text_input if t.label == "Created (fixed value)").set_value("2024-01-01").run()
    assert not at.error
    at.button(key="imp_go").click().run()
    assert not at.exception
    assert _leads(f"sqlite:///{tmp_path / 'empty.db'}").loc["N1", "created_at"].isoformat() == "2024-01-01T00:00:00"


def test_a_deals_file_updates_the_stored_contacts_when_the_page_is_told_so(empty_app, tmp_path):
    from sla_model.access import Actor, Role
    from sla_model.importing import importer
    from sla_model.importing.csvfile import read_csv
    from sla_model.importing.mapping import HUBSPOT, parse_mapping
    from sla_model.store.db import make_engine
    from tests.test_import import _CONTACTS, _DEALS, _DEALS_MAPPING

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    importer.write(
        engine, importer.prepare(read_csv(_CONTACTS.encode(), name="c.csv"), HUBSPOT), actor=Actor("t", Role.MANAGER)
    )
    at = empty_app("pages/import_data.py")
    _upload(at, "deals.csv", _DEALS.encode())
    toml = parse_mapping(_DEALS_MAPPING, source="t").to_toml().encode()
    at.file_uploader(key="imp_mapping_file").set_value(("deals.toml", toml, "application/toml"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    mode = at.radio(key="imp_update_only_file")
    assert mode.value is True  # the mapping file says the file updates stored leads
    assert not any(s.label == "Created *" for s in at.selectbox)  # only the lead ID is required
    name = next(t for t in at.text_input if t.label == "Save this mapping as")
    assert name.value == "HubSpot deals"
    at.button(key="imp_go").click().run()
    assert not at.exception
    assert any("deals.csv: 0 new leads, 3 updated" in _plain(s.value) for s in at.success)
    leads = _leads(url)
    assert leads.loc["C1", "won_at"].isoformat() == "2026-03-15T00:00:00"
    assert leads.loc["C1", "created_at"].isoformat() == "2026-01-05T09:00:00"

    mode = at.radio(key="imp_update_only_file")
    mode.set_value(False).run()  # as a leads file it needs a creation date
    assert any("missing required column(s): Created" in _plain(e.value) for e in at.error)


def test_a_saved_mapping_downloads_under_its_name(empty_app, monkeypatch):
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    downloads = {}
    real = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        downloads[filename] = path_or_data
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    at = empty_app("pages/import_data.py")
    _upload(at, "x.csv", b"id,made\nX1,2026-03-01\n")
    next(s for s in at.selectbox if s.label == "Lead ID *").set_value("id").run()
    next(s for s in at.selectbox if s.label == "Created *").set_value("made").run()
    downloads.clear()
    next(t for t in at.text_input if t.label == "Save this mapping as").set_value("Our CRM (EU)").run()
    assert not at.exception
    assert 'name = "Our CRM (EU)"' in downloads["our-crm-eu.toml"].decode()


def _plain(markdown: str) -> str:
    """A message as the reader sees it: data in it is escaped for markdown (ui.fmt.literal)."""
    return markdown.replace("\\", "")


def test_an_uploaded_mapping_keeps_its_date_format_and_time_zone(empty_app):
    """Before: a mapping file with date_format '%d-%m-%Y %H.%M' and zone 'Europe/Madrid' became 'auto' and UTC."""
    from sla_model.importing.mapping import parse_mapping

    data = b"id,created,source\nA1,05-03-2026 09.30,Email\n"
    mapping = parse_mapping({"name": "Our CRM", "kind": "leads", "date_format": "%d-%m-%Y %H.%M",
                             "timezone": "Europe/Madrid",
                             "columns": {"lead_id": "id", "created_at": "created", "channel": "source"}},
                            source="t")  # fmt: skip
    at = empty_app("pages/import_data.py")
    _upload(at, "crm.csv", data)
    at.file_uploader(key="imp_mapping_file").set_value(("crm.toml", mapping.to_toml().encode(), "application/toml"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert next(s for s in at.selectbox if s.label == "Dates").value == "%d-%m-%Y %H.%M"
    assert next(s for s in at.selectbox if s.label == "Time zone of times without one").value == "Europe/Madrid"
    at.button(key="imp_go").click().run()
    assert not at.exception
    import pandas as pd

    from sla_model.store.db import make_engine
    from sla_model.store.repository import load_leads

    stored = load_leads(engine=make_engine()).set_index("lead_id")
    assert stored.loc["A1", "created_at"] == pd.Timestamp("2026-03-05 08:30")  # 09:30 in Madrid is 08:30 UTC


def test_a_gzip_file_that_expands_past_the_upload_limit_is_refused_and_the_last_file_dropped(empty_app):
    import gzip

    from streamlit import config

    at = empty_app("pages/import_data.py")
    _upload(at, "leads.csv", b"lead_id,created_at,channel\nL1,2026-03-01,Web\n")
    assert any(s.value == "Preview" for s in at.subheader)
    limit = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)
    try:
        _upload(at, "bomb.csv.gz", gzip.compress(b"lead_id,created_at,channel\n" + b"L1,2026-03-01,Web\n" * 200_000))
    finally:
        config.set_option("server.maxUploadSize", limit)
    assert not at.exception
    assert [_plain(e.value) for e in at.error] == [
        "bomb.csv.gz: expands to more than 1 MB when decompressed (the limit is 1 MB); import a smaller file, or "
        "from the command line with a higher --max-size"
    ]
    assert not any(s.value == "Preview" for s in at.subheader)
    assert "imp_table" not in at.session_state and "imp_prepared" not in at.session_state


def test_the_preview_says_how_many_leads_keep_a_decision_made_in_the_app(tmp_path, monkeypatch):
    import datetime as dt

    import pandas as pd

    from sla_model.access import Actor, Role
    from sla_model.actions import decide
    from sla_model.generator import sample_slas
    from sla_model.store.db import make_engine
    from tests.pages.conftest import _runner, use_database

    t = pd.Timestamp("2026-11-10 10:00")
    leads = {"lead_id": ["L1", "L2"], "created_at": [t, t], "channel": ["Email"] * 2, "owner": ["Ana Souza"] * 2,
             "mql_at": [t + pd.Timedelta(hours=1)] * 2}  # fmt: skip
    url = use_database(monkeypatch, tmp_path / "decided.db", slas=sample_slas(), leads=leads)
    ana = Actor("Ana Souza", Role.REP, rep="Ana Souza")
    decide(engine=make_engine(url), actor=ana, lead_ids=["L1"], accept=True, now=dt.datetime(2026, 11, 20, 9))
    at = _runner("pages/import_data.py")
    export = "lead_id,created_at,channel,owner,mql_at,accepted_at\n"
    export += (
        "L1,2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,\nL2,2026-11-10 10:00,Email,Ana Souza,2026-11-10 11:00,\n"
    )
    _upload(at, "old-export.csv", export.encode())
    assert not at.exception
    notes = [_plain(c.value) for c in at.caption]
    assert any(
        "1 lead decided in the app after the latest date of its row in this file keeps that decision: the file is "
        "older" in n
        for n in notes
    ), notes


def test_saving_a_mapping_the_database_gives_up_on_says_nothing_was_stored(empty_app, monkeypatch):
    """Before: a locked database showed a traceback (OperationalError) on the Import page."""
    import os
    import sqlite3

    from sla_model.actions import DB_BUSY
    from sla_model.importing.mapping import saved_mappings
    from sla_model.store import db

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    at = empty_app("pages/import_data.py")
    _upload(at, "x.csv", b"id,made\nX1,2026-03-01\n")
    next(s for s in at.selectbox if s.label == "Lead ID *").set_value("id").run()
    next(s for s in at.selectbox if s.label == "Created *").set_value("made").run()
    next(t for t in at.text_input if t.label == "Save this mapping as").set_value("Our CRM").run()
    other = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        at.button(key="imp_save").click().run()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert not at.exception
    assert [_plain(e.value) for e in at.error] == [DB_BUSY]
    assert not at.toast
    assert saved_mappings(engine=db.make_engine(os.environ["DATABASE_URL"])) == {}
