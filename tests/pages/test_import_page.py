"""The import page: only managers may import; it works on an empty database; no file, no preview."""

from __future__ import annotations

import pytest


def _as(at, who: str):
    at.selectbox(key="identity").set_value(who).run()
    return at


def test_a_viewer_is_told_only_managers_import(sample_app):
    at = _as(sample_app("pages/import_data.py"), "Viewer (meeting screen)")
    assert not at.exception
    assert any("only managers can" in i.value for i in at.info)
    assert not at.button  # no import button for a viewer


def test_a_rep_cannot_import_either(sample_app):
    at = _as(sample_app("pages/import_data.py"), "Derek Hale")
    assert any("only managers can" in i.value for i in at.info)


@pytest.mark.parametrize("fixture", ["sample_app", "empty_app"])
def test_a_manager_gets_the_upload_prompt_even_on_an_empty_database(fixture, request):
    at = request.getfixturevalue(fixture)("pages/import_data.py")
    assert not at.exception
    assert at.title[0].value == "Import data"
    assert any("Choose a file to see a preview" in i.value for i in at.info)


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
        "the mapping's column 'deal_stage' (Lifecycle stage) is not in the file; closest: 'deal stage'" in e.value
        for e in at.error
    ), [e.value for e in at.error]
    assert not any(b.key == "imp_go" for b in at.button)
    stage = next(s for s in at.selectbox if s.label == "Lifecycle stage")
    assert stage.value == "deal_stage"  # kept, and shown as not in the file, until another column is picked
    stage.set_value("deal stage").run()
    assert not at.error and any(b.key == "imp_go" for b in at.button)
