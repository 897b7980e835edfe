"""Import: bring a CRM export in (HubSpot, Salesforce, the app's format, or any CSV through a column mapping)."""

from __future__ import annotations

import tomllib

import streamlit as st

from sla_model.access import ActionError, PermissionDenied, require_manager
from sla_model.importing import importer
from sla_model.importing.csvfile import CsvFileError
from sla_model.importing.mapping import (
    OWN_BY_KIND,
    MappingError,
    no_match_message,
    parse_mapping,
    save_mapping,
    saved_mappings,
)
from sla_model.importing.wizard import digest as _digest
from sla_model.importing.wizard import mapping_file_name
from sla_model.store.repository import clock
from ui import fmt
from ui.data import get_dataset, get_engine
from ui.identity import current_actor
from ui.import_wizard import (
    KIND_LABELS,
    UPDATE_LABELS,
    P,
    file_caption,
    format_chooser,
    mapping_builder,
    preview,
    read_upload,
)
from ui.links import page_link


def main() -> None:
    st.title("Import data")
    st.caption(
        "Bring in a CSV export: HubSpot contacts, a Salesforce leads report, the app's own format, or any "
        "other CSV through a column mapping. Nothing is written until you press Import; the import is one "
        "transaction, so a failure leaves the data as it was. Leads are matched by their ID: importing a "
        "newer export updates the leads that changed."
    )
    actor = current_actor()
    try:
        require_manager(actor, "import data")
    except PermissionDenied as exc:
        st.info(
            fmt.literal(f"{exc}. Choose “Manager” under “You are” in the sidebar, or ask a manager."),
            icon=":material/lock:",
        )
        st.stop()
    flash = st.session_state.pop(P + "flash", None)
    if flash:
        st.success(fmt.literal(flash), icon=":material/check_circle:")
        page_link("pages/goal_progress.py", label="See it on Goal progress", icon=":material/flag:")

    upload = st.file_uploader(
        "CSV file (.csv, .txt or .csv.gz)", type=["csv", "txt", "gz"], key=P + "file",
        help="Up to the upload limit set in .streamlit/config.toml (server.maxUploadSize; see the README). "
        "Larger files: python -m sla_model import FILE.",
    )  # fmt: skip
    if upload is None:
        st.info("Choose a file to see a preview. Nothing is written before you confirm.", icon=":material/upload:")
        return
    data = upload.getvalue()
    try:
        digest, table = read_upload(data, upload.name)
    except CsvFileError as exc:
        st.error(fmt.literal(exc), icon=":material/error:")
        return
    st.caption(file_caption(upload.name, table))
    engine = get_engine()
    saved = saved_mappings(engine=engine)
    left, right = st.columns([2, 1])
    with left:
        choice, start = format_chooser(table, saved)
    with right:
        upload_mapping = st.file_uploader("…or a mapping file (.toml)", type=["toml"], key=P + "mapping_file")
    if upload_mapping is not None:
        try:
            start = parse_mapping(tomllib.loads(upload_mapping.getvalue().decode("utf-8")), source=upload_mapping.name)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:  # (nested thousands deep)
            st.error(fmt.literal(f"{upload_mapping.name}: not a TOML mapping file ({exc})"), icon=":material/error:")
            return
        except MappingError as exc:
            st.error(fmt.literal(exc), icon=":material/error:")
            return
        choice = "file"
    if start is None and choice == "detected":
        st.warning(
            fmt.literal(no_match_message(upload.name, table.headers) + ". Build a mapping below."),
            icon=":material/help:",
        )
    kind = start.kind if start is not None else "leads"
    kind = st.radio(
        "The file holds", list(KIND_LABELS), format_func=KIND_LABELS.get, index=list(KIND_LABELS).index(kind),
        horizontal=True, key=f"{P}kind_{choice}",
    )  # fmt: skip
    if start is not None and start.kind != kind:
        start = OWN_BY_KIND[kind]
    update_only = add_new = False
    # the mode belongs to the starting mapping: a deals file after a contacts file starts from its own format's
    started = _digest([choice, start.model_dump_json() if start is not None else ""])
    modes = {
        f"{P}update_only_{choice}": bool(start and start.update_only),
        f"{P}add_new_{choice}": bool(start and start.add_new),
    }
    if st.session_state.get(P + "mode_for") != started:
        # set, not dropped: a dropped key lets the browser send back the widget's old choice on a later rerun
        st.session_state[P + "mode_for"] = started
        st.session_state.update(modes)
    for key, value in modes.items():
        st.session_state.setdefault(key, value)
    if kind == "leads":
        update_only = st.radio(
            "What the file does", [False, True], horizontal=True,
            format_func=lambda u: UPDATE_LABELS[u], key=f"{P}update_only_{choice}",
            help="A file that belongs to leads imported before (deals or opportunities joined to them by the lead "
            "ID): only the lead ID is required, and stored leads get only what the file carries, never a new "
            "creation date unless you pick a column for it.",
        )  # fmt: skip
        if update_only:
            add_new = st.checkbox(
                "Also add the rows whose lead is not stored yet (they need a creation date: a column or a fixed "
                "value)", key=f"{P}add_new_{choice}",
            )  # fmt: skip
    gone = bool(start is not None and start.missing_columns(table.headers))
    with st.expander(
        "Column mapping", expanded=start is None or choice == "custom" or gone, icon=":material/table_edit:"
    ):
        mapping = mapping_builder(table, start, kind, update_only=update_only, add_new=add_new)
        own_name = mapping.name if mapping.name != "custom" else ""
        name = st.text_input(
            "Save this mapping as", value=own_name, key=f"{P}save_name_{_digest([own_name])}",
            placeholder="e.g. Our HubSpot portal",
        )  # fmt: skip
        named = mapping.model_copy(update={"name": name.strip()}) if name.strip() else mapping
        b1, b2 = st.columns(2)
        if b1.button("Save mapping", key=P + "save", icon=":material/save:", disabled=not name.strip()):
            try:
                save_mapping(engine=engine, mapping=named, actor=actor)
                st.toast(fmt.literal(f"Saved the mapping “{name.strip()}”"), icon=":material/save:")
            except (MappingError, ActionError, PermissionDenied) as exc:  # ActionError: the database gave up
                st.error(fmt.literal(exc), icon=":material/error:")
        b2.download_button(
            "Download mapping (.toml)", data=named.to_toml(), file_name=mapping_file_name(name or "mapping"),
            mime="application/toml", key=P + "mapping_download", icon=":material/download:",
        )  # fmt: skip

    known = importer.known_lead_ids(engine) if kind != "leads" else None
    digest += mapping.model_dump_json()
    try:
        cached = st.session_state.get(P + "prepared")
        if cached is None or cached[0] != digest:
            with st.spinner("Checking every row…"):
                stored = importer.stored_lead_dates(engine) if mapping.update_only else None
                prepared = importer.prepare(table, mapping, known_leads=known, stored_leads=stored)
                cached = (digest, prepared, importer.kept_decisions(engine, prepared))
            st.session_state[P + "prepared"] = cached
        prepared, kept = cached[1:]
    except ValueError as exc:
        st.error(fmt.literal(exc), icon=":material/error:")
        return
    st.subheader("Preview")
    preview(prepared, update_only=mapping.update_only, kept=kept)

    st.subheader("Import")
    replace = st.checkbox(
        "Replace all current leads, touches and decisions (e.g. the sample data)", key=P + "replace",
        help="Deletes them in the same transaction as the import: if the import fails, nothing is deleted.",
    )  # fmt: skip
    live_now = clock(engine=engine).live and not get_dataset().leads.empty
    live = st.checkbox(
        "This export is live: judge every figure as of now", value=live_now, key=P + "live",
        help="Leave it off for history (an old export, a data set): every figure is then judged as of the latest "
        "date in the data, so old leads never read as overdue. Tick it for a CRM in use today.",
    )  # fmt: skip
    skip = False
    if not prepared.ok:
        skip = st.checkbox(
            f"Import the {importer.counted(len(prepared.frame), 'valid row')} and skip the "
            f"{importer.counted(prepared.errors, 'row')} with errors",
            key=P + "skip",
        )
    ready = prepared.ok or skip
    blocked = not ready or prepared.frame.empty
    if st.button("Import", type="primary", key=P + "go", icon=":material/upload:", disabled=blocked):
        bar = st.progress(0.0, text="Starting…")
        try:
            result = importer.write(
                engine, prepared, actor=actor, replace=replace, allow_errors=skip, live=live,
                progress=lambda fraction, message: bar.progress(fraction, text=message.capitalize()),
            )  # fmt: skip
        except ValueError as exc:
            st.error(fmt.literal(exc), icon=":material/error:")
            return
        st.session_state.pop(P + "prepared", None)
        st.session_state[P + "flash"] = f"{upload.name}: {importer.summary(result)}."
        st.rerun()
    if not ready:
        st.caption("Fix the errors in the file, or choose to import the valid rows only.")


main()
