"""The import engine: round trips through every supported format, the Maven data set, a corpus of bad files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from sla_model.__main__ import main
from sla_model.access import Actor, Role
from sla_model.generator import sample_dir
from sla_model.importing import importer
from sla_model.importing.csvfile import CsvFileError, read_csv
from sla_model.importing.mapping import (
    HUBSPOT,
    OWN_LEADS,
    SALESFORCE,
    MappingError,
    detect,
    load_mapping_file,
    parse_mapping,
)
from sla_model.metrics.progress import monthly_actuals
from sla_model.metrics.quality import acceptance, rejection_reasons
from sla_model.store.db import make_engine
from sla_model.store.repository import LEAD_COLUMNS, load_feedback, load_leads, load_touches, read_dataset
from tests.conftest import MAVEN
from tests.crm_exports import to_hubspot, to_salesforce

BAD = Path(__file__).parent / "data" / "bad_imports"


@pytest.fixture(scope="module")
def sample():
    leads, touches, feedback, _ = read_dataset(sample_dir())
    return leads, touches, feedback


def _import(engine, data: bytes, name: str, mapping=None, **kw):
    table = read_csv(data, name=name)
    prepared = importer.prepare(table, mapping or detect(table.headers))
    return prepared, importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), **kw)


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("lead_id").reset_index(drop=True)


def _months(leads: pd.DataFrame) -> pd.PeriodIndex:
    return pd.period_range("2025-11", "2026-11", freq="M")


# --- round trips -----------------------------------------------------------------------------------


def test_own_format_round_trip_is_exact_and_reimport_changes_nothing(engine, sample):
    leads, touches, feedback = sample
    for name in ("leads", "touches", "feedback"):
        prepared, result = _import(engine, (sample_dir() / f"{name}.csv.gz").read_bytes(), f"{name}.csv.gz")
        assert prepared.ok and result.inserted == prepared.rows_read
    stored = _by_id(load_leads(engine=engine))
    expected = _by_id(leads)
    for column in LEAD_COLUMNS:
        got = stored[column].astype(object).where(stored[column].notna(), None).tolist()
        want = expected[column].astype(object).where(expected[column].notna(), None).tolist()
        assert got == want, column
    assert len(load_touches(engine=engine)) == len(touches)
    assert len(load_feedback(engine=engine)) == len(feedback)
    pd.testing.assert_frame_equal(
        monthly_actuals(stored, _months(stored)), monthly_actuals(expected, _months(expected))
    )
    _, again = _import(engine, (sample_dir() / "leads.csv.gz").read_bytes(), "leads.csv.gz")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(leads))
    _, again = _import(engine, (sample_dir() / "touches.csv.gz").read_bytes(), "touches.csv.gz")
    assert (again.inserted, again.unchanged) == (0, len(touches))


def test_a_newer_export_updates_only_the_leads_that_changed(engine, sample):
    leads = sample[0].head(300)
    data = leads.to_csv(index=False).encode()
    _import(engine, data, "leads.csv")
    newer = leads.copy()
    newer.loc[newer.index[:7], "score"] = 99
    newer.loc[newer.index[7], "company"] = "Renamed GmbH"
    _, result = _import(engine, newer.to_csv(index=False).encode(), "leads.csv")
    assert (result.inserted, result.updated, result.unchanged) == (0, 8, 292)
    stored = load_leads(engine=engine).set_index("lead_id")
    assert stored.loc[newer["lead_id"].iloc[0], "score"] == 99
    assert stored.loc[newer["lead_id"].iloc[7], "company"] == "Renamed GmbH"
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT row_version, COUNT(*) FROM lead GROUP BY row_version")).all()
    assert sorted(versions) == [(0, 292), (1, 8)]


def test_an_export_with_fewer_columns_updates_only_what_it_carries(engine, sample):
    leads = sample[0].head(200)
    _import(engine, leads.to_csv(index=False).encode(), "full.csv")
    before = load_leads(engine=engine).set_index("lead_id").sort_index()
    narrow = leads[["lead_id", "created_at", "owner"]].copy()  # no score, channel, company, stage dates, ...
    narrow.loc[narrow.index[:5], "owner"] = "New Owner"
    prepared, result = _import(engine, narrow.to_csv(index=False).encode(), "owners.csv", OWN_LEADS)
    assert prepared.provided == ["lead_id", "created_at", "owner"]
    assert (result.inserted, result.updated, result.unchanged) == (0, 5, 195)
    after = load_leads(engine=engine).set_index("lead_id").sort_index()
    changed = narrow["lead_id"].iloc[:5]
    assert (after.loc[changed, "owner"] == "New Owner").all()
    kept = [c for c in after.columns if c not in ("owner", "row_version")]
    pd.testing.assert_frame_equal(after[kept], before[kept])  # scores, channels, milestone dates all kept
    assert after["owner"].drop(changed).astype(str).equals(before["owner"].drop(changed).astype(str))

    with_stage = leads[["lead_id", "created_at"]].assign(stage="won").head(3)  # a stage sets every milestone
    staged = OWN_LEADS.model_copy(update={"columns": {**OWN_LEADS.columns, "stage": "stage"},
                                          "values": {"stage": {"won": "won"}}})  # fmt: skip
    prepared, result = _import(engine, with_stage.to_csv(index=False).encode(), "won.csv", staged)
    assert {"mql_at", "won_at", "lost_at", "rejected_at"} <= set(prepared.provided)
    assert "score" not in prepared.provided
    won = load_leads(engine=engine).set_index("lead_id").loc[with_stage["lead_id"]]
    assert won["won_at"].notna().all() and won["lost_at"].isna().all()
    assert (won["score"] == before.loc[with_stage["lead_id"], "score"]).all()
    stored = before.loc[with_stage["lead_id"], "mql_at"]
    kept = stored.notna()  # a date implied by the stage fills an empty date, never replaces a stored one
    assert kept.any() and (won.loc[kept, "mql_at"] == stored[kept]).all()
    assert prepared.implied and "won_at" in prepared.implied

    unknown = leads[["lead_id", "created_at"]].assign(stage="partner").iloc[:20]  # a stage the mapping lacks
    _, result = _import(engine, unknown.to_csv(index=False).encode(), "partner.csv", staged)
    assert result.updated == 0  # nothing is cleared for a lead whose stage the file does not say
    after = load_leads(engine=engine).set_index("lead_id").sort_index()
    milestones = ["mql_at", "accepted_at", "rejected_at", "sql_at", "won_at", "lost_at"]
    pd.testing.assert_frame_equal(after.loc[unknown["lead_id"].iloc[3:], milestones],
                                  before.loc[unknown["lead_id"].iloc[3:], milestones])  # fmt: skip


def test_hubspot_export_round_trip_gives_the_same_metrics(engine, sample):
    leads = sample[0]
    table = read_csv(to_hubspot(leads), name="hubspot-contacts.csv")
    assert detect(table.headers) is HUBSPOT and table.encoding == "UTF-8 with BOM"
    prepared = importer.prepare(table, HUBSPOT)
    assert prepared.ok, prepared.problems.head()
    importer.write(engine, prepared, actor=Actor("test", Role.MANAGER))
    stored = load_leads(engine=engine)
    months = _months(leads)
    pd.testing.assert_frame_equal(monthly_actuals(stored, months), monthly_actuals(leads, months))
    assert acceptance(stored) == acceptance(leads)
    pd.testing.assert_frame_equal(rejection_reasons(stored), rejection_reasons(leads))


def test_salesforce_report_round_trip_gives_the_same_mql_sql_and_rejection_metrics(engine, sample):
    leads = sample[0]
    table = read_csv(to_salesforce(leads), name="salesforce-leads.csv")
    assert detect(table.headers) is SALESFORCE and table.encoding == "Windows-1252 (Latin-1)"
    prepared = importer.prepare(table, SALESFORCE)
    assert prepared.ok, prepared.problems.head()
    importer.write(engine, prepared, actor=Actor("test", Role.MANAGER))
    stored = load_leads(engine=engine)
    mqls = leads[leads["mql_at"].notna()]
    months = _months(leads)
    got, want = monthly_actuals(stored, months), monthly_actuals(mqls, months)
    pd.testing.assert_series_equal(got["mqls"], want["mqls"])
    pd.testing.assert_series_equal(got["sqls"], want["sqls"])
    assert acceptance(stored)["accepted"] == acceptance(mqls)["accepted"]
    assert acceptance(stored)["rejected"] == acceptance(mqls)["rejected"]
    pd.testing.assert_frame_equal(rejection_reasons(stored), rejection_reasons(mqls))


def test_the_maven_data_set_imports_through_a_mapping_and_both_date_variants_agree(tmp_path):
    mapping = load_mapping_file(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv")
    stored = []
    for i, name in enumerate(["sales_pipeline.csv", "sales_pipeline_mdy_dates.csv"]):
        engine = make_engine(f"sqlite:///{tmp_path / f'maven{i}.db'}")
        prepared, result = _import(engine, (MAVEN / name).read_bytes(), name, mapping)
        # prospects have no date at all: the mapping dates their creation at the data set's last day
        assert prepared.ok and not prepared.problem_counts and result.inserted == len(raw)
        stored.append(_by_id(load_leads(engine=engine)))
    undated = raw.loc[raw["engage_date"].isna(), "opportunity_id"]
    assert len(undated) == 500 and set(raw.loc[raw["engage_date"].isna(), "deal_stage"]) == {"Prospecting"}
    prospects = stored[0].set_index("lead_id").loc[undated]
    assert (prospects["created_at"] == pd.Timestamp("2017-12-31")).all()
    pd.testing.assert_frame_equal(stored[0], stored[1])
    leads = stored[0]
    assert leads["won_at"].notna().sum() == (raw["deal_stage"] == "Won").sum()
    assert (
        leads["amount"].where(leads["won_at"].notna()).sum() == raw.loc[raw["deal_stage"] == "Won", "close_value"].sum()
    )
    won = leads.set_index("lead_id").loc["1C1I7A6R"]
    assert (won["created_at"], won["won_at"]) == (pd.Timestamp("2016-10-20"), pd.Timestamp("2017-03-01"))


# --- reading and mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "delimiter", "encoding"),
    [
        (b"lead_id;created_at;channel\r\nL1;2026-03-01;Email\r\n", ";", "UTF-8"),
        (b"\xef\xbb\xbflead_id,created_at,channel\nL1,2026-03-01,Email\n", ",", "UTF-8 with BOM"),
        ("lead_id\tcreated_at\tchannel\nL1\t2026-03-01\tE-Mail Zoë\n".encode("utf-16"), "\t", "UTF-16"),
        ("lead_id,created_at,channel\nL1,2026-03-01,Zoë\n".encode("latin-1"), ",", "Windows-1252 (Latin-1)"),
    ],
)
def test_delimiters_and_encodings_are_detected(data, delimiter, encoding):
    table = read_csv(data, name="f.csv")
    assert (table.delimiter, table.encoding, table.headers) == (
        delimiter,
        encoding,
        ["lead_id", "created_at", "channel"],
    )
    assert len(table.frame) == 1


def test_quoted_newlines_stay_in_their_cell():
    table = read_csv(b'lead_id,note\r\nL1,"two\r\nlines, and a comma"\r\nL2,plain\r\n', name="f.csv")
    assert table.frame["note"].tolist() == ["two\r\nlines, and a comma", "plain"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2026-03-01", "2026-03-02"], ["2026-03-01 00:00", "2026-03-02 00:00"]),
        (["2026-03-01T10:30:00Z", "2026-03-01 12:00:00+02:00"], ["2026-03-01 10:30", "2026-03-01 10:00"]),
        (["2026-03-01T10:30:00", "2026-03-01 23:59:59.5"], ["2026-03-01 10:30", "2026-03-01 23:59"]),
        (["3/1/2026", "12/31/2026"], ["2026-03-01 00:00", "2026-12-31 00:00"]),
        (["2018.02.01", "2018.02.26 19:58"], ["2018-02-01 00:00", "2018-02-26 19:58"]),
        (["15 Apr, 2021 00:03:00"], ["2021-04-15 00:03"]),
        (["3/1/2026 4:05 PM"], ["2026-03-01 16:05"]),
    ],
)
def test_date_formats_seen_in_real_exports(cells, expected):
    data = "lead_id,created_at,channel\n" + "".join(f'L{i},"{c}",Email\n' for i, c in enumerate(cells))
    prepared = importer.prepare(read_csv(data.encode(), name="f.csv"), OWN_LEADS)
    assert prepared.ok, prepared.problems
    assert prepared.frame["created_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == expected


@given(
    st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)), min_size=1),
    st.sampled_from(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
)
@settings(max_examples=60, deadline=None)
def test_iso_times_read_by_arrow_equal_pandas_reading(times, fmt):
    cells = pd.Series([t.strftime(fmt) for t in times], dtype="str")
    fast = importer._iso_times(cells)
    assert fast is not None
    pd.testing.assert_series_equal(fast, pd.to_datetime(cells, format="ISO8601").astype("datetime64[ns]"))


def test_formula_cells_are_found_as_the_full_pattern_finds_them():
    cells = ["=HYPERLINK(\"x\")", " =1+1", "\xa0=x", "+SUM(A1)", "- cmd(", "-5", "+44 20 7946 0000", "@user", "a=b",
             "", "=", "Acme", "+ 5", "\t@x", "—=x"]  # fmt: skip
    values = pd.Series(cells, dtype="str")
    assert importer._formulas(values).tolist() == values.str.contains(importer.FORMULA, regex=True).tolist()
    assert importer._formulas(values).tolist() == [True, True, True, True, True, False, False, True, False, False,
                                                   True, False, False, True, False]  # fmt: skip


@pytest.mark.parametrize(
    ("date_format", "cells", "expected"),
    [  # plain ISO 8601 (read by Arrow), and a format the user names (read by pandas)
        ("auto", ["2026-07-01T12:00:00", "2026-01-01 12:00", "2026-03-29"],
         ["2026-07-01 10:00", "2026-01-01 11:00", "2026-03-28 23:00"]),
        ("%d.%m.%Y %H:%M", ["01.07.2026 12:00", "01.01.2026 12:00"], ["2026-07-01 10:00", "2026-01-01 11:00"]),
    ],
)  # fmt: skip
def test_times_without_a_zone_are_read_in_the_named_time_zone_and_stored_in_utc(date_format, cells, expected):
    mapping = OWN_LEADS.model_copy(update={"date_format": date_format, "timezone": "Europe/Berlin"})
    data = "lead_id,created_at,channel\n" + "".join(f"L{i},{cell},Email\n" for i, cell in enumerate(cells))
    prepared = importer.prepare(read_csv(data.encode(), name="f.csv"), mapping)
    assert prepared.frame["created_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"lead_id,created_at,channel,amount\nL1,2026-03-01,Email,1200.5\nL2,2026-03-01,Email,\n", [1200.5, None]),
        (b'lead_id,created_at,channel,amount\nL1,2026-03-01,Email,"$1,200.50"\nL2,2026-03-01,Email,7\n', [1200.5, 7.0]),
        (b"lead_id;created_at;channel;amount\nL1;2026-03-01;Email;1.200,5\nL2;2026-03-01;Email;7,25\n", [1200.5, 7.25]),
        (b"lead_id;created_at;channel;amount\nL1;2026-03-01;Email;1.200\n", [1200.0]),  # a thousands dot
    ],
)
def test_amounts_are_read_as_written(data, expected):
    prepared = importer.prepare(read_csv(data, name="f.csv"), OWN_LEADS)
    assert prepared.ok, prepared.problems
    assert [None if pd.isna(v) else v for v in prepared.frame["amount"]] == expected


@pytest.mark.parametrize("where", [10, 5_000])
# pyarrow decodes a bad row's text before it calls the row handler; a row that is not UTF-8 makes it print
# "Exception ignored" and stop, and the file is then read again in its own encoding (what this test checks)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_encoding_is_found_wherever_its_first_special_byte_is(where):
    rows = [f"L{i},2026-03-01,Email\n".encode() for i in range(where)]
    latin = b"lead_id,created_at,channel\n" + b"".join(rows) + "LX,2026-03-01,Zoë\n".encode("latin-1")
    table = read_csv(latin, name="f.csv")
    assert (table.encoding, table.frame["channel"].iloc[-1]) == ("Windows-1252 (Latin-1)", "Zoë")
    broken = latin + "LY,2026-03-01,José,extra\n".encode("latin-1")  # a row with a cell too many, not UTF-8
    table = read_csv(broken, name="f.csv")
    assert table.encoding == "Windows-1252 (Latin-1)" and len(table.frame) == where + 1
    assert [record.reason for record in table.bad_records] == ["has 4 cells where the header has 3"]
    head = "lead_id,created_at,channel\nL0,2026-03-01,Zoë\n".encode()
    mixed = head + b"".join(rows) + "LX,2026-03-01,Zoë\n".encode("latin-1")
    with pytest.raises(CsvFileError, match=f"mixed encodings: line {where + 3} has bytes that are not UTF-8"):
        read_csv(mixed, name="f.csv")


def test_a_named_date_format_also_reads_the_same_dates_with_a_time():
    mapping = OWN_LEADS.model_copy(update={"date_format": "%d.%m.%Y"})
    data = b"lead_id,created_at,channel\nL1,09.11.2026,Email\nL2,09.11.2026 08:30,Email\nL3,11/09/2026,Email\n"
    prepared = importer.prepare(read_csv(data, name="f.csv"), mapping)
    assert prepared.frame["created_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2026-11-09 00:00",
        "2026-11-09 08:30",
    ]
    assert prepared.problems[["row", "column", "value"]].values.tolist() == [[4, "created_at", "11/09/2026"]]


def test_unknown_stage_values_are_reported_not_fatal():
    data = (
        b"Record ID,Create Date,Original Source,Lifecycle Stage\n"
        b"1,2026-03-01,Email,marketingqualifiedlead\n"
        b"2,2026-03-01,Email,Partner Stage\n3,2026-03-02,Email,Partner Stage\n"
    )
    prepared = importer.prepare(read_csv(data, name="hs.csv"), HUBSPOT)
    assert prepared.ok and len(prepared.frame) == 3
    warning = prepared.problems.iloc[0]
    assert (warning["level"], warning["row"], warning["value"]) == ("warning", 3, "Partner Stage")
    assert "value on 2 rows;" in warning["reason"]
    assert prepared.frame["mql_at"].notna().tolist() == [True, False, False]


def test_a_mapping_file_with_a_wrong_stage_is_refused_clearly(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('kind = "leads"\n[columns]\nlead_id = "id"\n[values.stage]\nWon = "victory"\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"m.toml: values: stage: 'Won' maps to 'victory', which is not a stage"):
        load_mapping_file(path)
    with pytest.raises(MappingError, match="unknown field"):
        parse_mapping({"columns": {"colour": "x"}}, source="page")


# --- the corpus of bad files -----------------------------------------------------------------------------

EXPECTED = {
    "empty.csv": "the file is empty",
    "whitespace_only.csv": "the file is empty",
    "header_only.csv": "column names but no rows",
    "binary.csv": "binary file",
    "workbook_saved_as_csv.csv": "Excel workbook",
    "wrong_delimiter.csv": "has 1 cell where the header has 14",
    "mixed_encodings.csv": "mixed encodings: line 3",
    "duplicate_ids.csv": "row 4, column 'lead_id', value 'L1': duplicate ID, first on row 2",
    "mql_before_created.csv": "row 3, column 'mql_at', value '2026-01-15 08:00': became mql is before the lead was",
    "won_before_created.csv": "won is before the lead was created",
    "huge_field.csv": "row 2, column 'company': a cell of 20,000 characters",
    "formula_cell.csv": "row 3, column 'company', value '=HYPERLINK(",
    "at_formula_cell.csv": "spreadsheet formula",
    "bad_date.csv": "row 3, column 'created_at', value 'yesterday': not a date",
    "impossible_date.csv": "value '2026-02-30 10:00': not a date",
    "score_out_of_range.csv": "value '140': score outside 0–100",
    "negative_amount.csv": "column 'amount', value '-1200': negative",
    "missing_required_column.csv": "required column(s) 'created_at' are missing",
    "unknown_layout.csv": "match no known format",
    "not_a_number.csv": "value 'many': not a number",
    "fractional_count.csv": "value '2.5': not a whole number",
    "duplicate_headers.csv": "columns 3 and 4 are both named 'channel'",
    "ragged_rows.csv": "row 3 has 16 cells where the header has 14",
    "unclosed_quote.csv": 'quote (") opened on line 3 is never closed',
    "won_and_lost.csv": "both won and lost",
    "accepted_and_rejected.csv": "both accepted and rejected",
    "bad_yes_no.csv": "value 'maybe': not yes/no",
    "empty_id.csv": "row 3, column 'lead_id', value '': required value is empty",
    "id_too_long.csv": "longer than 64 characters",
    "damaged.csv.gz": "damaged gzip",
    "blank_first_line.csv": "first line is blank",
    "touches_for_unknown_lead.csv": "value 'NOPE-1': no lead with this ID",
    "sql_before_accepted.csv": "became sql is before accepted",
}


def _contents(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            t: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{t}"')).all()), key=repr)
            for t in ("lead", "touch", "feedback", "meta", "audit_log")
        }


def test_the_corpus_covers_every_file():
    assert len(EXPECTED) >= 25
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    """A small database with the sample leads' first 200 rows, shared by the corpus tests."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.db"
    engine = make_engine(f"sqlite:///{path}")
    leads = read_dataset(sample_dir())[0].head(200)
    _import(engine, leads.to_csv(index=False).encode(), "leads.csv")
    engine.dispose()
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(name, corpus_db, tmp_path, monkeypatch, capsys):
    path = tmp_path / "db.sqlite"
    shutil.copy(corpus_db, path)
    url = f"sqlite:///{path}"
    before = _contents(make_engine(url))
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["import", str(BAD / name)]) != 0
    out = capsys.readouterr()
    assert EXPECTED[name] in out.out + out.err
    assert "Traceback" not in out.err
    assert _contents(make_engine(url)) == before


def test_reading_errors_name_the_file():
    with pytest.raises(CsvFileError, match=r"^leads-2026\.csv: the file is empty$"):
        read_csv(b"", name="leads-2026.csv")


# --- writing ----------------------------------------------------------------------------------------------


def test_a_file_with_errors_is_refused_whole_or_imported_without_its_bad_rows(engine):
    data = (BAD / "bad_date.csv").read_bytes()
    table = read_csv(data, name="bad_date.csv")
    prepared = importer.prepare(table, detect(table.headers))
    with pytest.raises(ValueError, match="1 of 2 rows has an error; nothing was imported"):
        importer.write(engine, prepared, actor=Actor("test", Role.MANAGER))
    assert load_leads(engine=engine).empty
    result = importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), allow_errors=True)
    assert (result.inserted, result.skipped) == (1, 1)
    assert load_leads(engine=engine)["lead_id"].tolist() == ["L1"]


@pytest.mark.parametrize("stop_at", ["writing", "recording the import"])
def test_a_failed_write_leaves_the_database_as_it_was(engine, sample, stop_at):
    _import(engine, sample[0].head(50).to_csv(index=False).encode(), "leads.csv")
    before = _contents(engine)
    table = read_csv(sample[0].iloc[40:120].to_csv(index=False).encode(), name="more.csv")
    prepared = importer.prepare(table, OWN_LEADS)
    calls = []

    def fail_while_writing(fraction, message):
        calls.append(message)
        if message == stop_at:  # the last one comes after every row is written, just before the commit
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), progress=fail_while_writing)
    assert "writing rows (80)" in calls
    assert _contents(engine) == before


def test_app_writes_go_through_while_an_import_receives_its_rows(tmp_path, sample):
    """The SQLite import takes the write lock only once its rows have arrived, to compare and store them."""
    import sqlite3

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _import(engine, sample[0].head(50).to_csv(index=False).encode(), "leads.csv")
    table = read_csv(sample[0].iloc[40:5_040].to_csv(index=False).encode(), name="more.csv")
    prepared = importer.prepare(table, OWN_LEADS)
    other = sqlite3.connect(tmp_path / "db.sqlite", timeout=0, isolation_level=None)  # a writer that never waits
    wrote = []

    def write_meanwhile(fraction, message):
        # The 5,000 rows are one batch, far more than a pipe holds: the writer process is reading them now.
        if message.startswith("writing rows"):
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the import held the write lock already
            other.execute("INSERT INTO meta (key, value) VALUES ('meanwhile', 'yes')")
            other.execute("COMMIT")
            wrote.append(message)

    result = importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), progress=write_meanwhile)
    other.close()
    assert wrote == ["writing rows (5,000)"]
    assert (result.inserted, result.updated + result.unchanged) == (4_990, 10)
    assert len(load_leads(engine=engine)) == 5_040
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'meanwhile'")).scalar() == "yes"
    engine.dispose()


def test_replace_swaps_the_sample_data_for_the_file_in_one_step(seeded_engine, sample):
    mine = sample[0].head(10).assign(lead_id=lambda f: "MINE-" + f["lead_id"])
    _, result = _import(seeded_engine, mine.to_csv(index=False).encode(), "mine.csv", replace=True)
    assert result.inserted == 10
    assert sorted(load_leads(engine=seeded_engine)["lead_id"]) == sorted(mine["lead_id"])
    assert load_touches(engine=seeded_engine).empty
    latest = mine[[c for c in mine.columns if c.endswith("_at")]].max().max()
    with seeded_engine.connect() as conn:  # the sample's moment is gone: the file is judged as of its latest event
        snapshot = conn.execute(text("SELECT value FROM meta WHERE key = 'snapshot_at'")).scalar()
        assert snapshot == latest.isoformat(timespec="seconds")
        audit = conn.execute(text("SELECT actor, action, entity_id FROM audit_log WHERE action = 'import'")).all()
    assert audit == [("test", "import", "mine.csv")]


def test_the_command_line_imports_reimports_and_checks(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    files = [str(sample_dir() / f"{n}.csv.gz") for n in ("leads", "touches")]
    assert main(["import", *files]) == 0
    out = capsys.readouterr().out
    touches = len(pd.read_csv(files[1]))  # counted from the file itself
    assert "20,000 new leads" in out and f"{touches:,} new touches" in out
    assert main(["import", files[0]]) == 0
    assert "0 new leads, 0 updated, 20,000 unchanged" in capsys.readouterr().out
    problems = tmp_path / "problems.csv"
    assert main(["import", "--dry-run", "--problems", str(problems), str(BAD / "formula_cell.csv")]) == 1
    assert "'=HYPERLINK" in problems.read_text(encoding="utf-8-sig")  # the report is safe to open too
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "--skip-invalid" in capsys.readouterr().out


def test_progress_is_reported_in_order(engine, sample):
    seen = []
    _import(engine, sample[0].head(250_000).to_csv(index=False).encode(), "leads.csv",
            progress=lambda f, m: seen.append(f))  # fmt: skip
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 4


def test_the_problem_list_is_capped_but_counted():
    rows = "".join(f"L{i},yesterday,Email\n" for i in range(importer.MAX_LISTED + 10))
    prepared = importer.prepare(read_csv(("lead_id,created_at,channel\n" + rows).encode(), name="f.csv"), OWN_LEADS)
    assert len(prepared.problems) == importer.MAX_LISTED
    assert prepared.problem_counts == {"not a date this import can read": importer.MAX_LISTED + 10}
    assert prepared.errors == importer.MAX_LISTED + 10


def test_awkward_text_survives_the_first_import_and_the_upsert_alike(engine):
    """A first import writes straight into the empty table, a later one goes through staging: same values."""
    awkward = 'Zoë, "Söhne" & Co\nsecond line'
    data = (
        "lead_id,created_at,channel,company,owner,first_name,score\n"
        f'A1,2026-03-01 10:00:00,Email,"{awkward.replace(chr(34), chr(34) * 2)}",,"",40\n'
        "A2,2026-03-01 11:00:00,Email,Plain,Ana Souza,Ana,70\n"
    ).encode()
    _, first = _import(engine, data, "first.csv")
    assert (first.inserted, first.updated) == (2, 0)
    stored = _by_id(load_leads(engine=engine))
    assert stored["company"].tolist() == [awkward, "Plain"]
    assert stored["owner"].isna().tolist() == [True, False]
    assert stored["first_name"].tolist() == ["", "Ana"]
    _, again = _import(engine, data.replace(b",40\n", b",45\n"), "second.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    stored = _by_id(load_leads(engine=engine))
    assert stored["company"].tolist() == [awkward, "Plain"] and stored["score"].tolist() == [45, 70]


def test_a_first_import_keeps_every_index_of_the_lead_table(engine, sample):
    from sqlalchemy import inspect

    def indexes():
        return sorted((i["name"], tuple(i["column_names"])) for i in inspect(engine).get_indexes("lead"))

    before = indexes()
    assert before  # created_at, channel, owner, mql_at
    _import(engine, sample[0].head(500).to_csv(index=False).encode(), "leads.csv")
    assert indexes() == before


def test_a_first_import_that_fails_half_way_leaves_the_empty_table_and_its_indexes(engine, sample):
    from sqlalchemy import inspect

    before = sorted(i["name"] for i in inspect(engine).get_indexes("lead"))

    def fail(fraction, message):
        if message.startswith("writing rows"):
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="the disk is full"):
        _import(engine, sample[0].head(500).to_csv(index=False).encode(), "leads.csv", progress=fail)
    assert load_leads(engine=engine).empty
    assert sorted(i["name"] for i in inspect(engine).get_indexes("lead")) == before


# --- SQLite: the bulk writer runs in a process of its own and locks the file like any other writer -------------


@pytest.fixture
def sqlite_engine(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    yield eng
    eng.dispose()


def test_an_import_waits_for_another_writer_and_both_writes_are_kept(sqlite_engine, sample):
    import sqlite3
    import threading

    _import(sqlite_engine, sample[0].head(20).to_csv(index=False).encode(), "first.csv")
    holder = sqlite3.connect(sqlite_engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another user's write in progress
    holder.execute("INSERT INTO meta (key, value) VALUES ('other_user', 'kept')")
    timer = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    timer.start()
    try:
        _, result = _import(sqlite_engine, sample[0].iloc[10:60].to_csv(index=False).encode(), "second.csv")
    finally:
        timer.join()
        holder.close()
    assert (result.inserted, result.unchanged) == (40, 10)
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'other_user'")).scalar() == "kept"
        assert conn.execute(text("SELECT COUNT(*) FROM lead")).scalar() == 60


def test_an_import_that_cannot_get_the_write_lock_says_so_and_changes_nothing(sqlite_engine, sample, monkeypatch):
    import sqlite3

    _import(sqlite_engine, sample[0].head(20).to_csv(index=False).encode(), "first.csv")
    before = _contents(sqlite_engine)
    monkeypatch.setattr(importer, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(sqlite_engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        locked = (r"second.csv: the import could not be written: the database is locked by another write that did "
                  r"not finish within 0.2 s .*; nothing was imported")  # fmt: skip
        with pytest.raises(ValueError, match=locked):
            # far more rows than a pipe holds: the writer stops reading while they are still being sent
            _import(sqlite_engine, sample[0].iloc[10:8000].to_csv(index=False).encode(), "second.csv")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _contents(sqlite_engine) == before


def test_a_reader_keeps_its_snapshot_while_an_import_commits(sqlite_engine, sample):
    _import(sqlite_engine, sample[0].head(20).to_csv(index=False).encode(), "first.csv")
    with sqlite_engine.connect() as reader:  # a page reading in the app's process, in a read transaction
        assert reader.execute(text("SELECT COUNT(*) FROM lead")).scalar() == 20
        _, result = _import(sqlite_engine, sample[0].head(500).to_csv(index=False).encode(), "more.csv")
        assert reader.execute(text("SELECT COUNT(*) FROM lead")).scalar() == 20
    assert result.inserted == 480
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM lead")).scalar() == 500
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_a_failure_while_sending_the_rows_stops_the_writer_and_changes_nothing(sqlite_engine, sample, monkeypatch):
    import threading

    _import(sqlite_engine, sample[0].head(20).to_csv(index=False).encode(), "first.csv")
    before = _contents(sqlite_engine)
    real = importer._batches

    def failing(table, **kw):
        yield next(iter(real(table, **kw)))
        raise pa.ArrowMemoryError("out of memory while sorting")  # an Arrow error, not a broken pipe

    monkeypatch.setattr(importer, "_batches", failing)
    raised = []
    worker = threading.Thread(target=lambda: raised.append(_attempt(sqlite_engine, sample)))
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "the import hung: the writer kept waiting for rows"
    assert raised == ["out of memory while sorting"]
    assert _contents(sqlite_engine) == before
    with sqlite_engine.connect() as conn:  # the write lock was released
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('after', '1')"))
        conn.commit()


def _attempt(engine, sample) -> str | None:
    try:
        _import(engine, sample[0].iloc[10:300].to_csv(index=False).encode(), "second.csv")
    except pa.ArrowMemoryError as exc:
        return str(exc)
    return None


_RECORD = st.tuples(
    st.sampled_from(["good", "bad score", "blank line", "too few cells", "quoted break"]),
    st.sampled_from(["plain", '27" Displays', '"two\nlines"', '"a, comma"', '"say ""hi"""']),  # as written
)


@given(
    records=st.lists(_RECORD, min_size=1, max_size=30),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    breaks_at_end=st.integers(0, 2),
)
@settings(max_examples=150, deadline=None)
def test_problems_name_the_row_a_spreadsheet_shows(records, newline, breaks_at_end):
    # Python's csv module numbers records as a spreadsheet does (a blank line is a row, a quoted line break is
    # not): every problem's row must be the row where that lead's record is. IDs are numbers, so that one
    # record's text is often part of another's ("1,2026-03-01" in "11,2026-03-01").
    lines = ["lead_id,created_at,score,note"]
    for i, (kind, note) in enumerate(records, 1):
        cell = note.replace("\n", newline)
        lines.append({
            "good": f"{i},2026-03-01,50,{cell}",
            "bad score": f"{i},2026-03-01,lots,{cell}",
            "blank line": "",
            "too few cells": f"{i},2026-03-01",
            "quoted break": f'{i},2026-03-01,50,"line one{newline}line two"',
        }[kind])  # fmt: skip
    lines.append("9999,2026-03-01,50,plain")  # the file always has a row to read
    data = (newline.join(lines) + newline * breaks_at_end).encode()
    spreadsheet = {row[0]: number for number, row in enumerate(csv.reader(io.StringIO(data.decode(), newline="")), 1)
                   if row}  # fmt: skip
    prepared = importer.prepare(read_csv(data, name="f.csv"), OWN_LEADS)
    problems = prepared.problems
    column = {"bad score": "score", "too few cells": "(whole row)"}
    expected = {(spreadsheet[str(i)], column[kind]) for i, (kind, _) in enumerate(records, 1) if kind in column}
    assert set(zip(problems["row"], problems["column"], strict=True)) == expected
    for row, reason in zip(problems["row"], problems["reason"], strict=True):
        if "cells" in reason:
            assert reason.startswith(f"row {row} ")
    assert not any("could not be matched" in note for note in prepared.notes)


def test_a_left_out_record_is_not_mistaken_for_an_earlier_row_that_contains_its_text():
    data = (b"lead_id,created_at,channel,company\n11,2026-03-01,Email,Acme\n12,yesterday,Email,Beta\n"
            b"1,2026-03-01,Email\n13,2026-03-02,Email,Gamma\n14,someday,Email,Delta\n")  # fmt: skip
    problems = importer.prepare(read_csv(data, name="f.csv"), OWN_LEADS).problems
    assert problems[["row", "column"]].values.tolist() == [[3, "created_at"], [4, "(whole row)"], [6, "created_at"]]


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_quote_inside_an_unquoted_cell_is_text_not_an_unclosed_quote(encoding):
    data = 'lead_id,created_at,company\nL1,2026-03-01,27" Displays Zoë\n\nL2,yesterday,Beta\n'.encode(encoding)
    table = read_csv(data, name="f.csv")
    assert table.frame["company"].tolist() == ['27" Displays Zoë', "Beta"]
    assert importer.prepare(table, OWN_LEADS).problems[["row", "value"]].values.tolist() == [[4, "yesterday"]]


def test_rows_that_cannot_be_placed_one_by_one_are_said_to_be_approximate(monkeypatch):
    import sla_model.importing.csvfile as csvfile

    def unreadable(*args, **kwargs):
        raise csv.Error("field larger than field limit")
        yield

    monkeypatch.setattr(csvfile, "_records", unreadable)
    table = read_csv(b"lead_id,created_at\nL1,2026-03-01\n\nL2,later\n", name="f.csv")
    assert (table.rows, table.rows_exact) == (None, False)
    prepared = importer.prepare(table, OWN_LEADS)
    assert prepared.problems["row"].tolist() == [3]  # its position + 2, and the preview says so
    assert any("could not be matched one by one" in note for note in prepared.notes)


def test_a_header_with_a_quoted_line_break_is_one_row():
    data = b'lead_id,"created\nat",channel\nL1,2026-03-01,Email\nL2,yesterday,Email\n'
    table = read_csv(data, name="f.csv")
    assert (table.headers, table.bad_records, len(table.frame)) == (["lead_id", "created\nat", "channel"], [], 2)
    assert table.row_numbers([0, 1]).tolist() == [2, 3]


def test_blank_lines_at_the_end_need_no_record_by_record_reading():
    rows = "".join(f'"L{i}","2026-03-01","Email"\r\n' for i in range(50))  # every cell quoted, as CRMs export
    table = read_csv(f"lead_id,created_at,channel\r\n{rows}\r\n\r\n".encode(), name="f.csv")
    assert table.rows is None and len(table.frame) == 50  # the rows are positions + 2, found with one count


@pytest.mark.parametrize(
    "data",
    [b"lead_id,created_at\nL1,2026-03-01\n\nL2,later", b"lead_id,created_at\r\nL1,2026-03-01\r\n\r\nL2,later\r\n"],
)
def test_a_blank_line_is_a_row_whether_or_not_the_file_ends_with_a_line_break(data):
    problems = importer.prepare(read_csv(data, name="f.csv"), OWN_LEADS).problems
    assert problems[["row", "value"]].values.tolist() == [[4, "later"]]


def test_a_record_left_out_is_named_by_its_row_and_its_line():
    data = b'lead_id,created_at,note\nL1,2026-03-01,"two\nlines"\n\nL2,2026-03-01\nL3,yesterday,x\n'
    problems = importer.prepare(read_csv(data, name="f.csv"), OWN_LEADS).problems
    assert problems[["row", "column"]].values.tolist() == [[4, "(whole row)"], [5, "created_at"]]
    assert problems["reason"][0] == "row 4 (line 5 of the file) has 2 cells where the header has 3; it was left out"


def test_an_overlong_cell_is_named_by_its_own_row_and_length():
    data = "lead_id,company\nL1,ok\nL2," + "x" * 10_500 + "\nL3," + "y" * 20_000 + "\n"
    with pytest.raises(CsvFileError, match=r"f.csv: row 3, column 'company': a cell of 10,500 characters"):
        read_csv(data.encode(), name="f.csv")


# --- dates a stage implies ----------------------------------------------------------------------------------

_STAGED = OWN_LEADS.model_copy(
    update={
        "columns": {**OWN_LEADS.columns, "stage": "stage", "stage_at": "stage_at"},
        "values": {"stage": {"won": "won", "lost": "lost", "mql": "mql", "opportunity": "opportunity"}},
    }
)


def test_an_implied_milestone_is_dated_at_the_latest_date_known_before_it_never_a_later_one():
    data = (
        b"lead_id,created_at,channel,stage,stage_at,sql_at\n"
        b"W1,2016-10-20,Email,won,2017-03-01,\n"  # like a Maven deal: engaged in October, won in March
        b"W2,2016-10-20,Email,won,2017-03-01,2017-01-15\n"  # the file gives the SQL date
        b"L1,2016-11-02,Email,lost,,\n"  # no stage date: the latest earlier date known
        b"M1,2016-11-03,Email,mql,2016-11-05,\n"  # the stage's own milestone takes the stage date
    )
    prepared = importer.prepare(read_csv(data, name="f.csv"), _STAGED)
    assert prepared.ok, prepared.problems
    got = prepared.frame.set_index("lead_id")
    day = pd.Timestamp
    w1 = got.loc["W1"]
    assert [w1[c] for c in ("mql_at", "accepted_at", "sql_at", "opportunity_at", "won_at")] == [
        day("2016-10-20"), day("2016-10-20"), day("2016-10-20"), day("2016-10-20"), day("2017-03-01")
    ]  # fmt: skip
    w2 = got.loc["W2"]
    assert [w2[c] for c in ("mql_at", "accepted_at", "sql_at", "opportunity_at", "won_at")] == [
        day("2016-10-20"), day("2016-10-20"), day("2017-01-15"), day("2017-01-15"), day("2017-03-01")
    ]  # fmt: skip
    l1 = got.loc["L1"]
    assert {l1[c] for c in ("mql_at", "accepted_at", "sql_at", "opportunity_at", "lost_at")} == {day("2016-11-02")}
    assert got.loc["M1", "mql_at"] == day("2016-11-05")
    assert "3 leads had no MQL date: dated at their creation (implied by the stage)" in prepared.notes
    assert "1 lead had no opportunity date: dated at its SQL date (implied by the stage)" in prepared.notes
    assert "2 leads had no won date: dated at their stage date (implied by the stage)" in prepared.notes
    assert "1 lead had no lost date: dated at its creation (implied by the stage)" in prepared.notes
    assert set(prepared.implied) >= {"mql_at", "accepted_at", "opportunity_at", "won_at", "lost_at"}


def test_maven_mqls_and_sqls_fall_in_the_month_the_deal_was_engaged_not_won():
    mapping = load_mapping_file(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    prepared = importer.prepare(read_csv((MAVEN / "sales_pipeline.csv").read_bytes(), name="p.csv"), mapping)
    won = prepared.frame[prepared.frame["won_at"].notna()]
    assert len(won) and (won["mql_at"] == won["created_at"]).all() and (won["sql_at"] == won["created_at"]).all()
    assert (won["won_at"] >= won["sql_at"]).all()


# --- a mapping's own columns ---------------------------------------------------------------------------------


def _maven_renamed(old: str, new: str) -> bytes:
    data = (MAVEN / "sales_pipeline.csv").read_bytes()
    header, rest = data.split(b"\n", 1)
    return header.replace(old.encode(), new.encode()) + b"\n" + rest


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("deal_stage", "deal stage", "the mapping's column 'deal_stage' (Lifecycle stage) is not in the file; "
                                     "closest: 'deal stage'"),
        ("close_value", "value_usd", "the mapping's column 'close_value' (Amount) is not in the file; closest: "
                                     "'close_date'"),
    ],
)  # fmt: skip
def test_a_column_the_mapping_names_that_is_missing_from_the_file_is_an_error(old, new, message):
    mapping = load_mapping_file(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    table = read_csv(_maven_renamed(old, new), name="sales_pipeline.csv")
    with pytest.raises(ValueError, match=re.escape(f"sales_pipeline.csv: {message}")):
        importer.prepare(table, mapping)


def test_a_built_in_formats_alternatives_stay_optional():
    data = b"Record ID,Create Date,Original Source\n1,2026-03-01,Email\n"  # no stage, score, names, ...
    prepared = importer.prepare(read_csv(data, name="hs.csv"), HUBSPOT)
    assert prepared.ok and len(prepared.frame) == 1
    narrow = b"lead_id,created_at\nL1,2026-03-01\n"  # the app's own format without most of its columns
    assert importer.prepare(read_csv(narrow, name="own.csv"), OWN_LEADS).ok


def test_the_command_line_refuses_a_mapping_whose_column_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "sales_pipeline.csv"
    path.write_bytes(_maven_renamed("deal_stage", "deal stage"))
    mapping = str(sample_dir() / "mappings" / "maven_sales_pipeline.toml")
    assert main(["import", "--mapping", mapping, str(path)]) == 2
    err = capsys.readouterr().err
    assert "the mapping's column 'deal_stage' (Lifecycle stage) is not in the file; closest: 'deal stage'" in err
    assert load_leads(engine=make_engine(f"sqlite:///{tmp_path / 'cli.db'}")).empty


# --- every date column is checked; problems show the cell as written ----------------------------------------


def test_an_unreadable_stage_date_is_reported_with_its_row_column_and_value():
    data = b"lead_id,created_at,channel,stage,stage_at\nL1,2017-01-02,Email,lost,2017-13-45\n"
    data += b"L2,2017-01-02,Email,lost,\n"
    prepared = importer.prepare(read_csv(data, name="f.csv"), _STAGED)
    assert prepared.problems[["row", "column", "value", "reason", "level"]].values.tolist() == [
        [2, "stage_at", "2017-13-45", "not a date this import can read", "error"]
    ]
    assert prepared.frame["lead_id"].tolist() == ["L2"]  # the lead is not imported lost on its creation date


def test_a_bad_cell_feeding_two_fields_is_reported_once():
    mapping = _STAGED.model_copy(update={"columns": {**_STAGED.columns, "lost_at": "stage_at"}})
    data = b"lead_id,created_at,channel,stage,stage_at\nL1,2017-01-02,Email,lost,2017-13-45\n"
    problems = importer.prepare(read_csv(data, name="f.csv"), mapping).problems
    assert problems[["row", "column", "value"]].values.tolist() == [[2, "stage_at", "2017-13-45"]]


@pytest.mark.parametrize(
    ("cell", "column"),
    [("15.01.2026 08:00", "mql_at"), ("2026-01-15T08:00:00", "mql_at"), ("01/15/2026", "won_at")],
)
def test_the_problem_list_shows_a_date_as_written_in_the_file(cell, column):
    fmt = "%d.%m.%Y" if "." in cell else "auto"
    mapping = OWN_LEADS.model_copy(update={"date_format": fmt})
    created = "01.03.2026 09:00" if "." in cell else "2026-03-01 09:00"
    data = f"lead_id,created_at,channel,{column}\nL1,{created},Email,{cell}\n".encode()
    problems = importer.prepare(read_csv(data, name="f.csv"), mapping).problems
    assert problems[["column", "value"]].values.tolist() == [[column, cell]]
    assert "before the lead was created" in problems["reason"][0]


# --- two files that belong together: contacts, then the deals that update them --------------------------------

_CONTACTS = (
    "Record ID,Create Date,Original Source,Lifecycle Stage,Became a Marketing Qualified Lead Date,Contact owner\n"
    "C1,2026-01-05 09:00,Organic Search,marketingqualifiedlead,2026-01-10 10:00,Ana Souza\n"
    "C2,2026-01-06 09:00,Paid Search,marketingqualifiedlead,2026-02-01 08:00,Ana Souza\n"
    "C3,2026-01-07 09:00,Email,marketingqualifiedlead,2026-01-20 12:00,Derek Hale\n"
    "C4,2026-02-01 09:00,Email,lead,,\n"
)
_DEALS = (  # won and lost deals; the contacts export has no SQL or accepted dates for them
    "Deal ID,Contact ID,Deal Stage,Close Date,Amount,Deal owner\n"
    "D1,C1,closedwon,2026-03-15,1200.50,Bo Chen\n"
    "D2,C2,closedlost,2026-03-20,,Derek Hale\n"
    "D3,C3,closedwon,2026-04-02,900,Derek Hale\n"
)
_DEALS_MAPPING = {
    "name": "HubSpot deals",
    "kind": "leads",
    "update_only": True,
    "columns": {"lead_id": "Contact ID", "stage": "Deal Stage", "stage_at": "Close Date", "amount": "Amount",
                "owner": "Deal owner"},
    "values": {"stage": {"closedwon": "won", "closedlost": "lost"}},
}  # fmt: skip


def _rows(text_: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text_)))


def _update(engine, data: str, mapping: dict, **kw):
    table = read_csv(data.encode(), name="deals.csv")
    prepared = importer.prepare(
        table, parse_mapping(mapping, source="test"), stored_leads=importer.stored_lead_dates(engine)
    )
    return prepared, importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), **kw)


def test_a_deals_file_updates_the_stored_contacts_by_id_and_touches_nothing_else(engine):
    _import(engine, _CONTACTS.encode(), "contacts.csv", HUBSPOT)
    before = load_leads(engine=engine).set_index("lead_id")
    prepared, result = _update(engine, _DEALS, _DEALS_MAPPING)
    assert prepared.ok, prepared.problems
    assert "created_at" not in prepared.provided and "channel" not in prepared.provided
    assert (result.inserted, result.updated, result.unchanged) == (0, 3, 0)
    after = load_leads(engine=engine).set_index("lead_id")
    contacts = {r["Record ID"]: r for r in _rows(_CONTACTS)}
    for deal in _rows(_DEALS):
        lead, contact = after.loc[deal["Contact ID"]], contacts[deal["Contact ID"]]
        created, mql = (
            pd.Timestamp(contact["Create Date"]),
            pd.Timestamp(contact["Became a Marketing Qualified Lead Date"]),
        )
        closed = pd.Timestamp(deal["Close Date"])
        assert lead["created_at"] == created and lead["mql_at"] == mql  # kept as the contacts file says
        assert lead["channel"] == contact["Original Source"]
        assert lead["owner"] == deal["Deal owner"]
        won, lost = (
            (lead["won_at"], lead["lost_at"])
            if deal["Deal Stage"] == "closedwon"
            else (lead["lost_at"], lead["won_at"])
        )
        assert won == closed and pd.isna(lost)
        # the milestones between the MQL and the close are dated at the latest date known before them: the MQL
        for name in ("accepted_at", "sql_at", "opportunity_at"):
            assert lead[name] == max(created, mql), (deal["Contact ID"], name)
        assert (lead["amount"] == float(deal["Amount"])) if deal["Amount"] else pd.isna(lead["amount"])
    pd.testing.assert_series_equal(after.loc["C4"], before.loc["C4"])
    _, again = _update(engine, _DEALS, _DEALS_MAPPING)  # the same deals again change nothing
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)


def test_a_row_for_a_lead_not_stored_is_an_error_unless_the_user_asks_to_add_it(engine):
    _import(engine, _CONTACTS.encode(), "contacts.csv", HUBSPOT)
    before = load_leads(engine=engine).set_index("lead_id")
    deals = _DEALS + "D9,C9,closedwon,2026-04-10,50,Bo Chen\n"
    table = read_csv(deals.encode(), name="deals.csv")
    prepared = importer.prepare(
        table, parse_mapping(_DEALS_MAPPING, source="t"), stored_leads=importer.stored_lead_dates(engine)
    )
    assert prepared.problems[["row", "column", "value", "reason"]].values.tolist() == [
        [5, "Contact ID", "C9", "no stored lead with this ID (import the leads file first, or choose to add them)"]
    ]
    adding = {**_DEALS_MAPPING, "add_new": True}
    prepared = importer.prepare(
        table, parse_mapping(adding, source="t"), stored_leads=importer.stored_lead_dates(engine)
    )
    assert "no creation date to add it with" in prepared.problems["reason"][0]
    fixed = {**adding, "constants": {"created_at": "2026-04-01"}}  # a fixed creation date, for new leads only
    prepared, result = _update(engine, deals, fixed)
    assert prepared.ok and (result.inserted, result.updated) == (1, 3)
    after = load_leads(engine=engine).set_index("lead_id")
    assert after.loc["C9", "created_at"] == pd.Timestamp("2026-04-01")
    assert after.loc["C9", "won_at"] == pd.Timestamp("2026-04-10") and after.loc["C9", "channel"] == "Unknown"
    assert (after.loc[before.index, "created_at"] == before["created_at"]).all()  # never moved by the fixed value


def test_an_update_file_moves_a_creation_date_only_when_a_column_is_mapped_to_it(engine):
    _import(engine, _CONTACTS.encode(), "contacts.csv", HUBSPOT)
    data = "Contact ID,Created\nC1,2025-12-31 08:00\nC2,\n"
    mapping = {"kind": "leads", "update_only": True, "columns": {"lead_id": "Contact ID", "created_at": "Created"}}
    prepared, result = _update(engine, data, mapping)
    assert prepared.ok and prepared.provided == ["lead_id", "created_at"] and result.updated == 1
    after = load_leads(engine=engine).set_index("lead_id")
    assert after.loc["C1", "created_at"] == pd.Timestamp("2025-12-31 08:00")
    assert after.loc["C2", "created_at"] == pd.Timestamp("2026-01-06 09:00")  # an empty cell keeps the stored date


def test_update_only_is_saved_in_the_mapping_file(tmp_path):
    path = tmp_path / "deals.toml"
    path.write_text(parse_mapping({**_DEALS_MAPPING, "add_new": True}, source="t").to_toml(), encoding="utf-8")
    loaded = load_mapping_file(path)
    assert (loaded.update_only, loaded.add_new) == (True, True)
    with pytest.raises(MappingError, match="update_only is for leads files only"):
        parse_mapping({"kind": "touches", "update_only": True}, source="t")


def test_a_hubspot_deals_export_is_recognised_and_updates_its_contacts(engine):
    """A deals export (it has a Create Date too) is not taken for a contacts export that would move creations."""
    from sla_model.importing.mapping import HUBSPOT_DEALS

    _import(engine, _CONTACTS.encode(), "contacts.csv", HUBSPOT)
    deals = (
        "Record ID,Deal Name,Deal Stage,Create Date,Close Date,Amount,Associated Contact IDs\n"
        "D1,Acme,closedwon,2026-02-20 10:00,2026-03-15,1200.50,C1\n"
        "D2,Beta,Closed Lost,2026-02-21 10:00,2026-03-20,,C2\n"
        "D3,Gamma,contractsent,2026-03-01 10:00,2026-06-30,900,C3\n"
    )
    table = read_csv(deals.encode(), name="deals.csv")
    assert detect(table.headers) is HUBSPOT_DEALS
    prepared = importer.prepare(table, HUBSPOT_DEALS, stored_leads=importer.stored_lead_dates(engine))
    assert prepared.ok, prepared.problems
    importer.write(engine, prepared, actor=Actor("test", Role.MANAGER))
    leads = load_leads(engine=engine).set_index("lead_id")
    contacts = {r["Record ID"]: r for r in _rows(_CONTACTS)}
    for deal in _rows(deals):
        lead = leads.loc[deal["Associated Contact IDs"]]
        assert lead["created_at"] == pd.Timestamp(contacts[lead.name]["Create Date"])  # never the deal's
        assert lead["opportunity_at"] == pd.Timestamp(deal["Create Date"])
    assert leads.loc["C1", "won_at"] == pd.Timestamp("2026-03-15") and leads.loc["C1", "amount"] == 1200.5
    assert leads.loc["C2", "lost_at"] == pd.Timestamp("2026-03-20") and pd.isna(leads.loc["C2", "won_at"])
    # an open deal's Close Date is only expected: it dates nothing
    assert pd.isna(leads.loc["C3", "won_at"]) and pd.isna(leads.loc["C3", "lost_at"])
    assert leads.loc["C3", "sql_at"] <= leads.loc["C3", "opportunity_at"]


def test_an_update_files_fixed_values_never_overwrite_a_stored_leads_own(engine):
    """Before: the Import page's 'Channel for rows without one' (Unknown) replaced every updated lead's channel."""
    _import(engine, _CONTACTS.encode(), "contacts.csv", HUBSPOT)
    with_default = {**_DEALS_MAPPING, "constants": {"channel": "Unknown", "country": "Germany"}}
    _update(engine, _DEALS, with_default)
    leads = load_leads(engine=engine).set_index("lead_id")
    contacts = {r["Record ID"]: r for r in _rows(_CONTACTS)}
    for lead_id in ("C1", "C2", "C3"):
        assert leads.loc[lead_id, "channel"] == contacts[lead_id]["Original Source"]
        assert pd.isna(leads.loc[lead_id, "country"]) or leads.loc[lead_id, "country"] != "Germany"
    adding = {**with_default, "add_new": True, "constants": {**with_default["constants"], "created_at": "2026-04-01"}}
    _update(engine, _DEALS + "D9,C9,closedwon,2026-04-10,50,Bo Chen\n", adding)
    added = load_leads(engine=engine).set_index("lead_id").loc["C9"]
    assert (added["channel"], added["country"]) == ("Unknown", "Germany")  # a lead the update adds takes them


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("company_size", "1e30", "company size outside 0–10,000,000"),
        ("page_views", "99999999999999999999", "page views outside 0–1,000,000,000"),
        ("form_submissions", "9223372036854775808", "form submissions outside 0–1,000,000,000"),
        ("amount", "1e309", "not a finite number"),
        ("amount", "inf", "not a finite number"),
        ("company_size", "Infinity", "not a finite number"),
        ("score", "140", "score outside 0–100"),
    ],
)
def test_absurd_numbers_are_problems_naming_row_column_and_value_and_nothing_absurd_is_stored(engine, column, cell,
                                                                                               reason):  # fmt: skip
    """Before: 1e30 employees and 2^63 forms were stored as -9223372036854775808, $inf revenue was accepted, and
    'Infinity' failed with a raw pandas message."""
    data = f"lead_id,created_at,channel,{column}\nA1,2026-03-01,Email,5\nA2,2026-03-01,Email,{cell}\n".encode()
    prepared = importer.prepare(read_csv(data, name="absurd.csv"), OWN_LEADS)
    assert prepared.problems[["row", "column", "value", "reason"]].values.tolist() == [[3, column, cell, reason]]
    assert prepared.errors == 1
    importer.write(engine, prepared, actor=Actor("test", Role.MANAGER), allow_errors=True)
    stored = load_leads(engine=engine).set_index("lead_id")
    assert list(stored.index) == ["A1"] and stored.loc["A1", column] == 5


@pytest.mark.parametrize("cell", ["9999-12-31", "1500-01-01", "12/31/9999", "01.01.3000 10:00"])
def test_a_date_in_a_year_no_timestamp_holds_is_named_not_a_raw_pandas_error(cell):
    """Before: '9999-12-31' stopped the import with only 'Out of bounds nanosecond timestamp'."""
    data = f"lead_id,created_at,channel\nA1,2026-03-01,Email\nA2,{cell},Email\n".encode()
    prepared = importer.prepare(read_csv(data, name="far.csv"), OWN_LEADS)
    assert prepared.problems[["row", "column", "value", "reason"]].values.tolist() == [
        [3, "created_at", cell, "a date outside the years 1678–2261"]
    ]
    assert prepared.frame["lead_id"].tolist() == ["A1"]


def test_far_year_detection_reads_the_year_not_a_time_fraction_or_a_zone():
    data = b"lead_id,created_at,channel\nA1,2017-03-01 10:00:00.1234,Email\nA2,2017-03-01T10:00:00+0100,Email\n"
    prepared = importer.prepare(read_csv(data, name="ok.csv"), OWN_LEADS)
    assert prepared.ok, prepared.problems


def test_warnings_are_counted_in_full_past_the_problems_listed():
    """Before: the preview said 'Warnings 999' for 5,999 unknown stage values (errors capped at 5,000 listed)."""
    rows = "".join(f"W{i},2026-03-01,Email,Stage {i % 3}\n" for i in range(5_999))
    dups = "".join(f"W{i},2026-03-01,Email,Lead\n" for i in range(5_500))  # 5,500 duplicate IDs: errors
    data = ("lead_id,created_at,channel,stage\n" + rows + dups).encode()
    mapping = parse_mapping({"name": "t", "kind": "leads", "columns": {"lead_id": "lead_id", "created_at": "created_at",
                             "channel": "channel", "stage": "stage"}, "values": {"stage": {"lead": "lead"}}},
                            source="t")  # fmt: skip
    prepared = importer.prepare(read_csv(data, name="many.csv"), mapping)
    assert prepared.warnings == 5_999
    assert prepared.problem_counts["duplicate ID"] == 5_500
    assert len(prepared.problems) == importer.MAX_LISTED  # listed: capped; counted: in full


def test_the_command_line_spells_out_control_characters_in_cells(tmp_path, monkeypatch, capsys):
    """Before: a cell with ESC and BEL was printed raw, so the file could drive the terminal."""
    from sla_model.__main__ import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "esc.csv"
    path.write_bytes(b"lead_id,created_at,channel\nA1,\x1b[2J\x07not-a-date,Email\n")
    assert main(["import", "--dry-run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert r"value '\x1b[2J\x07not-a-date'" in out
