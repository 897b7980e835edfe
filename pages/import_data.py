"""Import: bring a CRM export in (HubSpot, Salesforce, the app's format, or any CSV through a column mapping)."""

from __future__ import annotations

import hashlib
import re
import tomllib

import pandas as pd
import streamlit as st

from sla_model.access import PermissionDenied, require_manager
from sla_model.exports import safe_csv
from sla_model.importing import importer
from sla_model.importing.csvfile import CsvFileError, CsvTable, read_csv
from sla_model.importing.mapping import (
    BUILT_IN,
    EXTRA_FIELDS,
    FIELD_LABELS,
    KIND_FIELDS,
    OWN_BY_KIND,
    REQUIRED,
    Mapping,
    MappingError,
    Stage,
    detect,
    no_match_message,
    parse_mapping,
    save_mapping,
    saved_mappings,
)
from sla_model.store.repository import clock
from ui import fmt
from ui.data import get_dataset, get_engine
from ui.identity import current_actor
from ui.links import page_link

P = "imp_"  # widget key prefix
NONE = "—"
UPDATE_LABELS = {
    False: "Add and update leads (a leads export: every row needs a creation date)",
    True: "Update stored leads only (e.g. deals joined to imported contacts by their ID)",
}
KIND_LABELS = {"leads": "Leads", "touches": "Touches (contact attempts)", "feedback": "Accept/reject decisions"}
STAGES = [s.value for s in Stage]
PREVIEW_ROWS = 20
#: The date formats offered by name (any strptime format can be typed instead).
DATE_CHOICES = {
    "auto": "Detect (ISO, m/d/yyyy, yyyy.mm.dd, …)",
    "%d/%m/%Y": "dd/mm/yyyy",
    "%d.%m.%Y": "dd.mm.yyyy",
    "%m/%d/%Y %I:%M %p": "m/d/yyyy h:mm AM/PM",
    "other": "Other (type a format)",
}
ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Chicago",
         "America/Denver", "America/Los_Angeles", "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney"]  # fmt: skip


def _read(data: bytes, name: str) -> tuple[str, CsvTable]:
    """The uploaded file read once per upload (kept in the session, not re-read on every rerun)."""
    digest = hashlib.sha1(data).hexdigest()
    cached = st.session_state.get(P + "table")
    if cached is None or cached[0] != digest:
        with st.spinner("Reading the file…"):
            cached = (digest, read_csv(data, name=name))
        st.session_state[P + "table"] = cached
    return cached


def _distinct(table: CsvTable, column: str, limit: int = 60) -> list[str]:
    values = table.frame[column].value_counts().head(limit).index
    return [v for v in values if v != ""]


def _starting_mapping(table: CsvTable, saved: dict[str, Mapping]) -> tuple[str, Mapping | None]:
    """The format chooser's options and the mapping it starts from."""
    choices = {
        "detected": "Detected from the columns",
        **{k: m.name for k, m in BUILT_IN.items()},
        **{f"saved:{k}": f"Saved: {k}" for k in saved},
        "custom": "Build a mapping for this file",
    }
    choice = st.selectbox(
        "Format", list(choices), format_func=choices.get, key=P + "format",
        help="How the file's columns become leads. A mapping you build can be saved and reused.",
    )  # fmt: skip
    if choice == "detected":
        return choice, detect(table.headers)
    if choice.startswith("saved:"):
        return choice, saved[choice.removeprefix("saved:")]
    if choice == "custom":
        return choice, None
    return choice, BUILT_IN[choice]


def _guess(field: str, headers: list[str], start: Mapping | None) -> str:
    if start is not None:
        found = start.resolve(headers).get(field)
        if found:
            return found
    lowered = {h.lower().replace(" ", "_"): h for h in headers}
    return lowered.get(field, NONE)


def mapping_builder(
    table: CsvTable, start: Mapping | None, kind: str, *, update_only: bool = False, add_new: bool = False
) -> Mapping:
    """The column-by-column mapping editor; returns the mapping it describes (with the update mode given)."""
    headers = table.headers
    base = start or Mapping(kind=kind)
    # the editor's widgets belong to this file's columns and this starting mapping: another file (or format)
    # starts from its own guesses, while the same columns again (a newer export) keep the picks made
    scope = _digest([*headers, base.model_dump_json(), kind])
    fields = [*KIND_FIELDS[kind], *EXTRA_FIELDS[kind]]
    columns: dict[str, str] = {}
    constants: dict[str, str] = dict(base.constants)
    st.caption("Pick the column that holds each field; fields marked * are required. Unused fields stay empty.")
    grid = st.columns(3)
    # a column the starting mapping names that the file lacks stays picked (and the preview says it is missing)
    # until another column is picked for its field
    absent = base.missing_columns(headers)
    for i, field in enumerate(fields):
        options = [NONE, *headers, *([absent[field]] if field in absent else [])]
        guess = absent.get(field) or _guess(field, headers, base)
        gone = absent.get(field)
        required = ["lead_id"] if update_only else REQUIRED[kind]
        label = FIELD_LABELS.get(field, field) + (" *" if field in required else "")
        with grid[i % 3]:
            picked = st.selectbox(
                label, options, index=options.index(guess) if guess in options else 0, key=f"{P}col_{scope}_{field}",
                format_func=lambda o, gone=gone: f"{o} (not in the file)" if o == gone else o,
            )  # fmt: skip
        if picked != NONE:
            columns[field] = picked
    if kind == "leads":
        constants["channel"] = st.text_input(
            "Channel for rows without one",
            value=base.constants.get("channel", "Unknown"),
            key=f"{P}channel_const_{scope}",
        )
    constants.update(_fixed_values(fields, columns, base, kind, scope, update_only=update_only, add_new=add_new))
    values = {k: dict(v) for k, v in base.values.items()}
    for target in ("stage", "status"):
        if target in columns and columns[target] in headers:
            # the picks made so far, by value: an editor keeps its edits by row position, so a file whose
            # values come in another order gets an editor of its own, filled from these
            picks = st.session_state.setdefault(f"{P}picks_{scope}_{target}_{columns[target]}", {})
            known = {k.lower(): v for k, v in base.values.get(target, {}).items()} | picks
            seen = _distinct(table, columns[target])
            editor = pd.DataFrame(
                {"In the file": seen, "Stage in the app": [known.get(v.lower(), "ignore") for v in seen]}
            )
            st.markdown(f"**{FIELD_LABELS[target]} values** (column '{fmt.md_escape(columns[target])}')")
            edited = st.data_editor(
                editor, hide_index=True, width="stretch", key=f"{P}values_{scope}_{target}_{_digest(seen)}",
                disabled=["In the file"],
                column_config={"Stage in the app": st.column_config.SelectboxColumn(options=STAGES, required=True)},
            )  # fmt: skip
            values[target] = dict(zip(edited["In the file"], edited["Stage in the app"], strict=True))
            picks.update({value.lower(): stage for value, stage in values[target].items()})
    left, mid, right = st.columns(3)
    with left:
        # the starting mapping's own format and zone are offered as they are: an uploaded mapping loses neither
        dates = {**DATE_CHOICES, **({} if base.date_format in DATE_CHOICES else {base.date_format: base.date_format})}
        date_choice = st.selectbox(
            "Dates", list(dates), format_func=dates.get, key=f"{P}date_choice_{scope}",
            index=list(dates).index(base.date_format),
        )  # fmt: skip
        date_format = date_choice
        if date_choice == "other":
            date_format = st.text_input("Date format (strptime)", value="%Y-%m-%d %H:%M", key=f"{P}date_other_{scope}")
    with mid:
        zones = ZONES if base.timezone in ZONES else [*ZONES, base.timezone]
        zone = st.selectbox(
            "Time zone of times without one", zones, key=f"{P}zone_{scope}", index=zones.index(base.timezone),
        )  # fmt: skip
    with right:
        day_first = st.checkbox("Day before month (03/04 = 3 April)", value=base.day_first, key=f"{P}day_first_{scope}")
    document = {
        "name": base.name if base.name not in {m.name for m in BUILT_IN.values()} else "custom",
        "kind": kind,
        "columns": columns,
        "constants": {k: v for k, v in constants.items() if v},
        "values": {k: v for k, v in values.items() if k in columns or k in absent},
        "date_format": date_format,
        "day_first": day_first,
        "timezone": zone,
        "update_only": update_only,
        "add_new": add_new and update_only,
    }
    try:
        return parse_mapping(document, source="the mapping")
    except MappingError as exc:
        st.error(fmt.literal(exc), icon=":material/error:")
        st.stop()


def _fixed_values(
    fields: list[str],
    columns: dict[str, str],
    base: Mapping,
    kind: str,
    scope: str,
    *,
    update_only: bool,
    add_new: bool,
) -> dict[str, str]:
    """Fixed values for fields no column holds (a file without a creation date, say); checked like a cell."""
    unmapped = [f for f in fields if f not in columns and f != "channel"]
    needed = REQUIRED[kind] if not update_only else ["created_at"] if add_new else []
    wanted = [f for f in unmapped if f in base.constants or f in needed]
    chosen = st.multiselect(
        "Fixed values for fields the file has no column for", unmapped, default=wanted,
        format_func=lambda f: FIELD_LABELS.get(f, f), key=f"{P}fixed_fields_{scope}",
        help="Every row gets the value you type (dates as 2024-01-01, yes/no for yes-or-no fields). It is checked "
        "like a cell of the file. In a mapping file: a [constants] table; there a fixed value for a field that has "
        "a column fills the cells the file leaves empty.",
    )  # fmt: skip
    out = {}
    grid = st.columns(3)
    for i, field in enumerate(chosen):
        with grid[i % 3]:
            value = st.text_input(
                f"{FIELD_LABELS.get(field, field)} (fixed value)", value=base.constants.get(field, ""),
                key=f"{P}fixed_{scope}_{field}", placeholder="2024-01-01" if field.endswith("_at") else "",
            )  # fmt: skip
        if value.strip():
            out[field] = value.strip()
    return out


def _file_name(name: str) -> str:
    """A mapping's download file name, from the name the user gave it."""
    stem = re.sub(r"[^\w.-]+", "-", name.strip(), flags=re.UNICODE).strip("-.").lower()
    return f"{stem or 'mapping'}.toml"


def preview(prepared: importer.Prepared, *, update_only: bool = False) -> None:
    """What will be stored, and every problem found."""
    warnings = prepared.warnings  # counted in full, beyond the problems listed
    tiles = st.columns(4)
    tiles[0].metric("Rows in the file", fmt.count(prepared.rows_read))
    tiles[1].metric("Ready to import", fmt.count(len(prepared.frame)))
    tiles[2].metric("Rows with errors", fmt.count(prepared.errors))
    tiles[3].metric("Warnings", fmt.count(warnings))
    mapped = pd.DataFrame(
        [(FIELD_LABELS.get(f, f), c) for f, c in prepared.mapped.items()], columns=["Field", "Column in the file"]
    )
    left, right = st.columns([1, 2])
    with left:
        st.markdown("**Columns used**")
        st.dataframe(mapped, hide_index=True, width="stretch", height=_height(mapped))
        if prepared.unmapped_columns:
            st.caption("Not used: " + fmt.md_escape(", ".join(prepared.unmapped_columns[:30])))
    with right:
        shown = min(PREVIEW_ROWS, len(prepared.frame))
        preview = prepared.frame.head(PREVIEW_ROWS)
        if update_only:  # a stored lead gets only these fields; the rest stay as they are
            preview = preview[["lead_id", *[c for c in prepared.provided if c != "lead_id"]]]
            st.markdown(f"**The first {shown} rows: the fields they will update**")
        else:
            st.markdown(f"**The first {shown} rows as they will be stored**")
        st.dataframe(preview, hide_index=True, width="stretch", height=_height(preview))
    for note in prepared.notes:
        st.caption(":material/info: " + fmt.md_escape(note))
    if not prepared.problems.empty:
        st.markdown("**Problems found**")
        if prepared.problem_counts:
            counts = pd.DataFrame(
                sorted(prepared.problem_counts.items(), key=lambda kv: -kv[1]), columns=["Problem", "Rows"]
            )
            st.dataframe(counts, hide_index=True, width="stretch")
        table = prepared.problems.rename(
            columns={"row": "Row", "column": "Column", "value": "Value", "reason": "Problem", "level": "Level"}
        )
        st.dataframe(table, hide_index=True, width="stretch", height=_height(table))
        st.download_button(
            "Download every problem (CSV)", data=safe_csv(table), file_name=f"{prepared.source}-problems.csv",
            mime="text/csv", icon=":material/download:", key=P + "problems_csv",
        )  # fmt: skip


def _digest(values: list[str]) -> str:
    """A short fingerprint of ``values``, for widget keys."""
    return hashlib.sha1("\x1f".join(values).encode()).hexdigest()[:12]


def _height(frame: pd.DataFrame) -> str | int:
    """A table's height: just its rows when they are few, else a fixed height that scrolls."""
    return "content" if len(frame) <= 10 else 420


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
        digest, table = _read(data, upload.name)
    except CsvFileError as exc:
        st.error(fmt.literal(exc), icon=":material/error:")
        return
    unread = f" (of which {fmt.count(len(table.bad_records))} could not be read)" if table.bad_records else ""
    st.caption(
        f"{fmt.md_escape(upload.name)}: {importer.rows_text(len(table.frame) + len(table.bad_records))}{unread}, "
        f"{len(table.headers)} columns, {table.encoding}, "
        f"delimiter {'tab' if table.delimiter == chr(9) else repr(table.delimiter)}"
    )
    engine = get_engine()
    saved = saved_mappings(engine=engine)
    left, right = st.columns([2, 1])
    with left:
        choice, start = _starting_mapping(table, saved)
    with right:
        upload_mapping = st.file_uploader("…or a mapping file (.toml)", type=["toml"], key=P + "mapping_file")
    if upload_mapping is not None:
        try:
            start = parse_mapping(tomllib.loads(upload_mapping.getvalue().decode("utf-8")), source=upload_mapping.name)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
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
    if st.session_state.get(P + "mode_for") != started:
        st.session_state[P + "mode_for"] = started
        for key in (f"{P}update_only_{choice}", f"{P}add_new_{choice}"):
            st.session_state.pop(key, None)
    if kind == "leads":
        update_only = st.radio(
            "What the file does", [False, True], index=int(bool(start and start.update_only)), horizontal=True,
            format_func=lambda u: UPDATE_LABELS[u], key=f"{P}update_only_{choice}",
            help="A file that belongs to leads imported before (deals or opportunities joined to them by the lead "
            "ID): only the lead ID is required, and stored leads get only what the file carries, never a new "
            "creation date unless you pick a column for it.",
        )  # fmt: skip
        if update_only:
            add_new = st.checkbox(
                "Also add the rows whose lead is not stored yet (they need a creation date: a column or a fixed "
                "value)", value=bool(start and start.add_new), key=f"{P}add_new_{choice}",
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
                save_mapping(engine=engine, mapping=named, actor=actor.name)
                st.toast(fmt.literal(f"Saved the mapping “{name.strip()}”"), icon=":material/save:")
            except MappingError as exc:
                st.error(fmt.literal(exc), icon=":material/error:")
        b2.download_button(
            "Download mapping (.toml)", data=named.to_toml(), file_name=_file_name(name or "mapping"),
            mime="application/toml", key=P + "mapping_download", icon=":material/download:",
        )  # fmt: skip

    known = importer.known_lead_ids(engine) if kind != "leads" else None
    digest += mapping.model_dump_json()
    try:
        cached = st.session_state.get(P + "prepared")
        if cached is None or cached[0] != digest:
            with st.spinner("Checking every row…"):
                stored = importer.stored_lead_dates(engine) if mapping.update_only else None
                cached = (digest, importer.prepare(table, mapping, known_leads=known, stored_leads=stored))
            st.session_state[P + "prepared"] = cached
        prepared = cached[1]
    except ValueError as exc:
        st.error(fmt.literal(exc), icon=":material/error:")
        return
    st.subheader("Preview")
    preview(prepared, update_only=mapping.update_only)

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
                engine, prepared, actor=actor.name, replace=replace, allow_errors=skip, live=live,
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
