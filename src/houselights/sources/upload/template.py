"""Write the empty upload template: a header row and one example line, as CSV or XLSX.

Both come from :data:`~houselights.sources.upload.columns.COLUMNS`, so the template, the
reader and the docs never disagree. The XLSX has a second sheet, *Columns*, describing
every column; the reader only reads the sheet named
:data:`~houselights.sources.upload.reader.TEMPLATE_SHEET`.
"""

from __future__ import annotations

import csv
from pathlib import Path

from houselights.sources.upload.columns import COLUMNS
from houselights.sources.upload.reader import TEMPLATE_SHEET

__all__ = ["example_row", "header_row", "write_template"]

_VALUE_NEEDED = {"always": "every line", "tickets": "ticket lines", "never": "no"}


def header_row() -> list[str]:
    """The template's header: every column's label, in order."""
    return [c.label for c in COLUMNS]


def example_row() -> list[str]:
    """One example line (a concession ticket) that maps without problems."""
    return [c.example for c in COLUMNS]


def write_template(path: Path) -> Path:
    """Write the template to ``path``: XLSX if it ends in ``.xlsx``, otherwise CSV.

    The CSV is UTF-8 with a BOM so that Excel opens the ``£`` sign and accents correctly.
    """
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(header_row())
            writer.writerow(example_row())
    return path


def _write_xlsx(path: Path) -> None:
    from openpyxl import Workbook  # heavy; only needed here

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = TEMPLATE_SHEET
    sheet.append(header_row())
    sheet.append(example_row())
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.label) + 4)
    about = book.create_sheet("Columns")
    about.append(["Column", "In header", "Value needed on", "Also accepted as", "Meaning"])
    for column in COLUMNS:
        about.append([
            column.label,
            "required" if column.required else "optional",
            _VALUE_NEEDED[column.value_required],
            ", ".join(column.aliases),
            column.description,
        ])
    book.save(path)
