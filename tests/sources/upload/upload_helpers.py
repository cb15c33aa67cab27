"""Helpers for the upload-source tests: write template files, read them back.

(A uniquely named module, not conftest, so test files can import it.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from houselights.exchange.batch import Batch, RejectedRow
from houselights.sources.upload.reader import UploadReader, read_upload

WriteCsv = Callable[..., Path]
"""The ``write_csv`` fixture: ``write_csv(rows, header=None, *, name=…, delimiter=…)``."""

MINIMAL_HEADER = [
    "Order ID", "Order Date", "Customer ID", "Customer Postcode", "Event ID", "Event Name",
    "Instance ID", "Instance Start", "Venue", "Line Type", "Ticket Type", "Face Value",
    "Price Paid",
]


def ticket_line(**overrides: str) -> dict[str, str]:
    """A valid ticket line keyed by MINIMAL_HEADER labels."""
    line = {
        "Order ID": "O1", "Order Date": "2024-03-01 10:00", "Customer ID": "C1",
        "Customer Postcode": "NE1 4ST", "Event ID": "E1", "Event Name": "Hamlet",
        "Instance ID": "I1", "Instance Start": "2024-04-02 19:30", "Venue": "Main House",
        "Line Type": "ticket", "Ticket Type": "Full", "Face Value": "20.00",
        "Price Paid": "20.00",
    }
    line.update(overrides)
    return line


def csv_bytes(header: list[str], rows: list[dict[str, str]] | list[list[str]], *,
              delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    """A CSV file's bytes (rows as dicts keyed by header, or as lists)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return buffer.getvalue().encode(encoding)


def table_rows(batch: Batch, name: str) -> list[dict[str, Any]]:
    """A batch table's rows as dicts (empty if the batch has no such table)."""
    table = batch.tables.get(name)
    if table is None:
        return []
    return table if isinstance(table, list) else table.to_pylist()


@dataclass
class ReadResult:
    """Everything a reader produced, with tables as lists of dicts."""

    reader: UploadReader
    batches: list[Batch]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rejected: list[RejectedRow] = field(default_factory=list)

    def reasons(self) -> list[str]:
        return [r.reason for r in self.rejected]


def read_all(path: Path, **kwargs: Any) -> ReadResult:
    """Read a file fully with read_upload."""
    reader = read_upload(path, **kwargs)
    result = ReadResult(reader, list(reader))
    for batch in result.batches:
        for name in batch.tables:
            result.tables.setdefault(name, []).extend(table_rows(batch, name))
        result.rejected.extend(batch.rejected)
    return result
