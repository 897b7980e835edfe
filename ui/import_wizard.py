"""The import page's sections: reading the upload, the format chooser, the mapping builder and the preview.

The computations behind them are in :mod:`sla_model.importing.wizard`; ``pages/import_data.py`` lays these out.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_model.exports import safe_csv
from sla_model.importing import importer
from sla_model.importing.csvfile import CsvTable, read_csv
from sla_model.importing.mapping import (
    BUILT_IN,
    EXTRA_FIELDS,
    FIELD_LABELS,
    KIND_FIELDS,
    REQUIRED,
    Mapping,
    MappingError,
    Stage,
    parse_mapping,
)
from sla_model.importing.wizard import (
    NONE,
    digest,
    distinct_values,
    file_digest,
    format_choices,
    guess_column,
    kept_note,
    starting_mapping,
)
from ui import fmt

P = "imp_"  # widget key prefix
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


def read_upload(data: bytes, name: str) -> tuple[str, CsvTable]:
    """The uploaded file read once per upload (kept in the session, not re-read on every rerun).

    The upload limit caps what is read too: a small .gz file that expands past it is refused. A refused file
    drops the one read before (its rows and preview) from the session.

    Raises:
        CsvFileError: the file cannot be read (the message names it and the problem).
    """
    key = file_digest(data)
    cached = st.session_state.get(P + "table")
    if cached is None or cached[0] != key:
        st.session_state.pop(P + "table", None)
        st.session_state.pop(P + "prepared", None)
        with st.spinner("Reading the file…"):
            cached = (key, read_csv(data, name=name, max_bytes=st.get_option("server.maxUploadSize") << 20))
        st.session_state[P + "table"] = cached
    return cached


def file_caption(name: str, table: CsvTable) -> str:
    """What was read: rows (and records that could not be read), columns, encoding, delimiter."""
    unread = f" (of which {fmt.count(len(table.bad_records))} could not be read)" if table.bad_records else ""
    return (
        f"{fmt.md_escape(name)}: {importer.rows_text(len(table.frame) + len(table.bad_records))}{unread}, "
        f"{len(table.headers)} columns, {table.encoding}, "
        f"delimiter {'tab' if table.delimiter == chr(9) else repr(table.delimiter)}"
    )


def format_chooser(table: CsvTable, saved: dict[str, Mapping]) -> tuple[str, Mapping | None]:
    """The format chooser; returns its choice and the mapping it starts from."""
    choices = format_choices(saved)
    choice = st.selectbox(
        "Format", list(choices), format_func=choices.get, key=P + "format",
        help="How the file's columns become leads. A mapping you build can be saved and reused.",
    )  # fmt: skip
    return choice, starting_mapping(choice, table, saved)


def mapping_builder(
    table: CsvTable, start: Mapping | None, kind: str, *, update_only: bool = False, add_new: bool = False
) -> Mapping:
    """The column-by-column mapping editor; returns the mapping it describes (with the update mode given)."""
    headers = table.headers
    base = start or Mapping(kind=kind)
    # the editor's widgets belong to this file's columns and this starting mapping: another file (or format)
    # starts from its own guesses, while the same columns again (a newer export) keep the picks made
    scope = digest([*headers, base.model_dump_json(), kind])
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
        guess = absent.get(field) or guess_column(field, headers, base)
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
            seen = distinct_values(table, columns[target])
            editor = pd.DataFrame(
                {"In the file": seen, "Stage in the app": [known.get(v.lower(), "ignore") for v in seen]}
            )
            st.markdown(f"**{FIELD_LABELS[target]} values** (column '{fmt.md_escape(columns[target])}')")
            edited = st.data_editor(
                editor, hide_index=True, width="stretch", key=f"{P}values_{scope}_{target}_{digest(seen)}",
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


def preview(prepared: importer.Prepared, *, update_only: bool = False, kept: int = 0) -> None:
    """What will be stored, every problem found, and how many stored leads keep a decision made in the app."""
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
    for note in [*prepared.notes, *filter(None, [kept_note(kept)])]:
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


def _height(frame: pd.DataFrame) -> str | int:
    """A table's height: just its rows when they are few, else a fixed height that scrolls."""
    return "content" if len(frame) <= 10 else 420
