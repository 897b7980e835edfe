"""Markdown and Streamlit directives in data are shown as the literal text they are, wherever data reaches a message.

Each payload goes into one piece of data (a file name, a user's name, a mapping name, a typed target, a lead ID),
and the message that shows it must hold it escaped for markdown (:func:`ui.fmt.literal`): the reader sees the
characters as typed, never bold text, a link, a colour, a formula or HTML.
"""

from __future__ import annotations

import re

import pytest

from sla_model.access import Actor, Role
from sla_model.importing import importer
from sla_model.importing.csvfile import read_csv
from sla_model.importing.mapping import OWN_LEADS
from sla_model.store.db import make_engine
from tests.pages.test_meeting import open_section
from tests.pages.test_my_leads import _as, _page, _select, _small_queue
from ui import fmt

PAYLOADS = ["**bold**", "[x](http://evil)", ":red[x]", "$x$", "<b>x</b>", "http://evil.example"]
MANAGER = Actor("Mia Manager", Role.MANAGER)
LEADS = "lead_id,created_at,channel,owner\nX1,2026-11-02 10:00,Web,{owner}\n"


def _read(body: str) -> str:
    """Markdown source as the reader sees it: escapes read, the invisible joiner unseen."""
    return re.sub(r"\\(.)", r"\1", body).replace(fmt.JOINER, "")


def _literal(shown: list[str], payload: str) -> None:
    """One of the messages ``shown`` (markdown source) holds ``payload`` escaped, none holds it as markup."""
    assert not any(payload in body for body in shown), shown  # unescaped, it would render as markup
    assert any(fmt.md_escape(payload) in body for body in shown), shown
    assert any(payload in _read(body) for body in shown), shown  # as the reader sees it


def _owner(payload: str) -> None:
    """Add a lead owned by ``payload`` to the app's database: a rep of that name can then be chosen."""
    import os

    table = read_csv(LEADS.format(owner=payload.replace('"', '""')).encode(), name="owner.csv")
    importer.write(make_engine(os.environ["DATABASE_URL"]), importer.prepare(table, OWN_LEADS), actor=MANAGER)


def _import_success(runner, payload: str) -> list[str]:
    at = runner("pages/import_data.py")
    at.file_uploader(key="imp_file").set_value((f"{payload}.csv", LEADS.format(owner="Ana Souza").encode(), "text/csv"))
    at.run()
    next(b for b in at.button if b.key == "imp_go").click().run()
    assert not at.exception, at.exception
    return [s.value for s in at.success]


def _import_denial(runner, payload: str) -> list[str]:
    _owner(payload)
    at = runner("pages/import_data.py")
    at.selectbox(key="identity").set_value(payload).run()
    assert not at.exception, at.exception
    return [i.value for i in at.info if "only managers can" in i.value]


def _what_if_as(runner, payload: str):
    """What if… as the rep named ``payload``."""
    _owner(payload)
    at = runner("pages/what_if.py")
    at.selectbox(key="identity").set_value(payload).run()
    return at


def _publish_denial(runner, payload: str) -> list[str]:
    at = _what_if_as(runner, payload)
    at.text_area(key="wi_note").input("A change note")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error if "only managers can" in e.value]


def _propose_denial(runner, payload: str) -> list[str]:
    at = _what_if_as(runner, payload)
    at.text_input(key="wi_proposal_title").input("Score 65")
    next(b for b in at.button if b.label == "Propose").click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error if "may not propose" in e.value]


def _mapping_toast(runner, payload: str) -> list[str]:
    at = runner("pages/import_data.py")
    at.file_uploader(key="imp_file").set_value(("leads.csv", LEADS.format(owner="Ana Souza").encode(), "text/csv"))
    at.run()
    next(t for t in at.text_input if t.label == "Save this mapping as").input(payload)
    at.run()
    next(b for b in at.button if b.key == "imp_save").click().run()
    assert not at.exception, at.exception
    return [t.value for t in at.toast]


def _meeting_target(runner, payload: str) -> list[str]:
    at = open_section(runner, "changes")
    at.text_area(key="mt_text").input("Something")
    at.selectbox(key="mt_metric").select("acceptance")
    at.text_input(key="mt_target").input(payload)
    next(b for b in at.button if b.label == "Record").click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error]


def _sla_history(runner, payload: str) -> list[str]:
    """The SLA page's history table (its cells are markdown): a version authored and noted with ``payload``."""
    import os

    from sla_model.actions import publish_sla
    from sla_model.generator import sample_slas

    sla = sample_slas()[-1]
    meta = sla.meta.model_copy(update={"version": sla.meta.version + 1, "author": payload, "change_note": payload})
    publish_sla(
        engine=make_engine(os.environ["DATABASE_URL"]), actor=MANAGER, sla=sla.model_copy(update={"meta": meta})
    )
    at = runner("pages/sla.py")
    assert not at.exception, at.exception
    history = next(t.value for t in at.table if "Change note" in t.value.columns)
    return [history["Author"].iloc[0], history["Change note"].iloc[0]]


SITES = {
    "import-success-file-name": _import_success,
    "import-denial-actor": _import_denial,
    "publish-denial-actor": _publish_denial,
    "propose-denial-actor": _propose_denial,
    "save-mapping-toast-name": _mapping_toast,
    "meeting-target-error": _meeting_target,
    "sla-history-table": _sla_history,
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("site", [*SITES, "my-leads-selected-ids"])
def test_markdown_in_data_is_shown_as_literal_text(writable_app, tmp_path, monkeypatch, site, payload):
    if site == "my-leads-selected-ids":
        _small_queue(tmp_path, monkeypatch, 2, lead_id=payload)
        at = _as(_page(), "Ana Souza")
        at = _select(at, [at.dataframe[0].value["Lead"].tolist().index(payload)])
        assert not at.exception, at.exception
        shown = [c.value for c in at.caption if c.value.startswith("1 selected")]
    else:
        shown = SITES[site](writable_app, payload)
    _literal(shown, payload)


#: What Streamlit's markdown still makes of text once escapes are read: GitHub's autolinks (a plain URL or an
#: email address becomes a link), and icon and emoji codes (``:material/warning:``, ``:smile:``).
AFTER_ESCAPES = [r"(https?|ftp)://", r"www\.", r":material/\w+:", r":[a-z_+-]+:"]


@pytest.mark.parametrize(
    "text", ["http://evil.example", "see https://evil.example/x?a=1", "www.evil.example", ":material/warning:",
             "a :smile: b", "HTTP://EVIL.EXAMPLE", "WWW.evil.example"],
)  # fmt: skip
def test_a_plain_url_or_an_icon_code_in_data_stays_text(text):
    """Before: escaped text still became a link or an icon (seen in Chromium: the SLA history, My leads' per-rep
    line, Handoff timing)."""
    escaped = fmt.md_escape(text)
    assert _read(escaped) == text  # reads as typed
    read = re.sub(r"\\(.)", r"\1", escaped)  # what the markdown parser hands on
    assert not any(re.search(pattern, read, re.IGNORECASE) for pattern in AFTER_ESCAPES), read
