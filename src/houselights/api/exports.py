"""Write an Arrow table as CSV, Parquet or XLSX, neutralising spreadsheet formulas.

Text cells that a spreadsheet would evaluate get a leading apostrophe (the one
neutraliser, :func:`houselights.safe_output.neutralise`, shared with the CLI). Parquet
keeps typed values unchanged: it is read by data tools, not spreadsheets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from houselights.errors import InputError
from houselights.safe_output import neutralise

__all__ = [
    "EXPORT_FORMATS",
    "MEDIA_TYPES",
    "XLSX_MAX_ROWS",
    "ExportFormat",
    "csv_chunks",
    "neutralise",
    "parquet_bytes",
    "xlsx_bytes",
]

ExportFormat = Literal["csv", "parquet", "xlsx"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet", "xlsx")
MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_MAX_ROWS = 1_048_575  # a worksheet holds 1,048,576 rows, one of them the header

def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return neutralise(value)


def csv_chunks(table: pa.Table, *, batch_rows: int = 50_000) -> Iterator[bytes]:
    """``table`` as UTF-8 CSV with a header row, in chunks (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; quotes any CR or LF
    writer.writerow([neutralise(n) for n in table.column_names])
    for batch in table.to_batches(max_chunksize=batch_rows):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        writer.writerows([_csv_cell(v) for v in row] for row in zip(*columns, strict=True))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of a table without batches
        yield buffer.getvalue().encode()


def parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as a Parquet file."""
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        # openpyxl refuses control characters; they have no place in a report cell.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones
    return value


def xlsx_bytes(table: pa.Table, *, sheet: str = "data") -> bytes:
    """``table`` as an XLSX workbook with one sheet (header row, then the rows)."""
    if table.num_rows > XLSX_MAX_ROWS:
        raise InputError(
            f"{table.num_rows:,} rows do not fit in one spreadsheet (the limit is "
            f"{XLSX_MAX_ROWS:,}).",
            hint="Export as CSV or Parquet, or choose a shorter period.",
        )
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append([_xlsx_cell(n) for n in table.column_names])
    for batch in table.to_batches(max_chunksize=50_000):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for row in zip(*columns, strict=True):
            ws.append([_xlsx_cell(v) for v in row])
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()
