"""Exports: every report in CSV, Parquet and XLSX parses back; formulas are neutralised."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from houselights.api import exports
from houselights.errors import InputError

from .data import FORMULA_EVENT, HTML_EVENT
from .world import Served

REPORTS = ("event-id", "sales-by-event", "sales-by-instance", "funder-quarterly", "ticketing")


def fetch(served: Served, report: str, fmt: str) -> bytes:
    response = served.get(
        f"/api/v1/orgs/alpha/exports/{report}", served.tokens["alpha"], period="2025/26", format=fmt
    )
    assert response.status_code == 200, response.text
    media = exports.MEDIA_TYPES[fmt]  # type: ignore[index]
    assert response.headers["content-type"].startswith(media.split(";")[0])
    assert f'filename="alpha-{report}-2025-26.{fmt}"' in response.headers["content-disposition"]
    return response.content


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(), newline="")))


def read_xlsx(body: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("report", REPORTS)
def test_formats_parse_back_to_the_same_table(served_duckdb: Served, report: str) -> None:
    table = pq.read_table(io.BytesIO(fetch(served_duckdb, report, "parquet")))
    assert table.num_rows > 0
    rows_csv = read_csv(fetch(served_duckdb, report, "csv"))
    rows_xlsx = read_xlsx(fetch(served_duckdb, report, "xlsx"))
    assert rows_csv[0] == table.column_names
    assert [str(c) for c in rows_xlsx[0]] == table.column_names
    assert len(rows_csv) - 1 == len(rows_xlsx) - 1 == table.num_rows
    # Same values cell by cell (as text; formulas neutralised the same way in both).
    for r, record in enumerate(table.to_pylist(), start=1):
        for c, name in enumerate(table.column_names):
            value = record[name]
            expected = exports.neutralise(value) if isinstance(value, str) else value
            if value is None:
                assert rows_csv[r][c] == "" and rows_xlsx[r][c] is None
            elif isinstance(value, float):
                assert float(rows_csv[r][c]) == pytest.approx(value)
                assert rows_xlsx[r][c] == pytest.approx(value)
            elif isinstance(value, bool | int):
                assert rows_csv[r][c] == str(value) and rows_xlsx[r][c] == value
            elif isinstance(value, str):
                assert rows_csv[r][c] == expected == rows_xlsx[r][c]
            elif isinstance(value, datetime):
                assert rows_csv[r][c] == value.isoformat() and rows_xlsx[r][c] == value
            else:  # a date: spreadsheets store it as midnight of that day
                assert rows_csv[r][c] == value.isoformat()
                assert rows_xlsx[r][c] == datetime.combine(value, datetime.min.time())


def test_formula_injection_is_neutralised_in_csv_and_xlsx(served_duckdb: Served) -> None:
    names_csv = [r[1] for r in read_csv(fetch(served_duckdb, "event-id", "csv"))[1:]]
    names_xlsx = [r[1] for r in read_xlsx(fetch(served_duckdb, "event-id", "xlsx"))[1:]]
    assert "'" + FORMULA_EVENT in names_csv and "'" + FORMULA_EVENT in names_xlsx
    assert FORMULA_EVENT not in names_csv and FORMULA_EVENT not in names_xlsx
    assert HTML_EVENT in names_csv  # not a formula: left as it is
    parquet = pq.read_table(io.BytesIO(fetch(served_duckdb, "event-id", "parquet")))
    assert FORMULA_EVENT in parquet.column("Event Name").to_pylist()  # typed data, unchanged


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_gets_an_apostrophe(start: str) -> None:
    assert exports.neutralise(f"{start}1+1") == f"'{start}1+1"
    table = pa.table({f"{start}head": [f"{start}cell", "safe", None], "n": [-1, 2, 3]})
    rows = read_csv(b"".join(exports.csv_chunks(table)))
    assert rows == [[f"'{start}head", "n"], [f"'{start}cell", "-1"], ["safe", "2"], ["", "3"]]
    sheet = read_xlsx(exports.xlsx_bytes(table))
    xml = start.replace("\r", "\n")  # XML (inside XLSX) normalises line ends to LF
    assert sheet == [[f"'{xml}head", "n"], [f"'{xml}cell", -1], ["safe", 2], [None, 3]]


def test_numbers_and_plain_text_are_untouched() -> None:
    assert exports.neutralise(-5) == -5
    assert exports.neutralise("Hamlet - the play") == "Hamlet - the play"


def test_too_many_rows_for_a_spreadsheet_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)
    with pytest.raises(InputError, match="do not fit in one spreadsheet"):
        exports.xlsx_bytes(pa.table({"a": [1, 2, 3]}))


def test_empty_export_still_has_its_header(served_duckdb: Served) -> None:
    response = served_duckdb.get(
        "/api/v1/orgs/alpha/exports/event-id", served_duckdb.tokens["alpha"], period="2019/20"
    )
    assert read_csv(response.content) == [
        ["Event ID", "Event Name", "First Instance", "Last Instance", "event_source_id"]
    ]


def test_ticketing_export_never_holds_a_full_postcode(served_duckdb: Served) -> None:
    body = fetch(served_duckdb, "ticketing", "csv").decode()
    assert "postcode_district" in body.splitlines()[0]
    assert "M1 1AE" not in body and "SW1A 1AA" not in body
