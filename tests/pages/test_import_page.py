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
