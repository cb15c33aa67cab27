"""Report exports: the sales and customer files an organisation downloads from Ticketsolve.

Ticketsolve has no public sales API and its report layouts are not public (spec §4), so
**every column here is [invented]**: a plausible box-office export, declared once so
that a column profile can be written against it. Files are written per *period* (a
week or month of the season before the simulated start, then one per ``advance``), in
CSV (UTF-8 with BOM, CRLF, as spreadsheet tools write) and/or XLSX (one sheet).

Dates are the venue's local wall-clock time, day first (``14/09/2025 19:30:00``); money
is two decimals without a currency sign, with a separate ``Currency`` column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .clock import local_to_utc, utc_to_local
from .customers import CustomerSnapshot
from .sales import SaleLine

__all__ = [
    "CUSTOMER_EXPORT_COLUMNS",
    "EXPORT_DATE_FORMAT",
    "SALES_EXPORT_COLUMNS",
    "ExportPeriod",
    "customer_rows",
    "history_periods",
    "sales_rows",
    "write_table",
]

SALES_EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Line ID", "unique id of the line, stable across exports"),
    ("Order ID", "the order (transaction) the line belongs to; a refund keeps it"),
    ("Transaction Date", "local date-time of the sale or refund, DD/MM/YYYY HH:MM:SS"),
    ("Channel", "Online, Box Office or Phone"),
    ("Customer ID", "the buyer; blank for anonymous box-office sales"),
    ("Show ID", "show@id in shows.xml"),
    ("Show Name", "the show's name when the line was made"),
    ("Event ID", "event@id in shows.xml: the performance"),
    ("Event Date", "local start of the performance, DD/MM/YYYY HH:MM:SS"),
    ("Venue ID", "venue@id in shows.xml"),
    ("Venue", "the venue's name"),
    ("Line Type", "Ticket or Booking Fee"),
    ("Price Type", "a price type of the performance document, Complimentary for comps; "
                   "blank for fees"),
    ("Quantity", "1, or -1 on a refund line"),
    ("Face Value", "face value of one ticket (the fee for a fee line), never negative"),
    ("Price Paid", "amount charged: 0 for comps, negative on a refund line"),
    ("Currency", "EUR or GBP"),
    ("Status", "Paid, Complimentary or Refunded"),
    ("Payment Method", "Card, Cash, Gift Voucher or Complimentary"),
)
"""Columns of the sales export, in file order: (header, meaning). [invented]"""

CUSTOMER_EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Customer ID", "the customer, as in the sales export"),
    ("Title", "Mr, Mrs, Ms, Miss, Dr or blank"),
    ("First Name", "given name"),
    ("Last Name", "family name"),
    ("Email", "e-mail address (example.* domains only); may be blank"),
    ("Address Line 1", "house number and street; may be blank"),
    ("Town", "town or city (Dublin districts as 'Dublin 7')"),
    ("County", "county"),
    ("Postcode", "UK postcode or Irish Eircode as typed: may be blank, lower-case, "
                 "without its space, or invalid"),
    ("Country", "Ireland, Northern Ireland, England, Scotland or Wales"),
    ("Email Opt In", "Yes or No"),
    ("Created", "local date-time the customer record was created"),
    ("Last Updated", "local date-time of the change that put the customer in this file"),
)
"""Columns of the customer export (customers created or changed in the period). [invented]"""

EXPORT_DATE_FORMAT = "%d/%m/%Y %H:%M:%S"
_XLSX_DATE_FORMAT = "DD/MM/YYYY HH:MM:SS"
_STATUS = {"paid": "Paid", "comp": "Complimentary", "refund": "Refunded"}
_KIND = {"ticket": "Ticket", "fee": "Booking Fee"}

Cell = str | int | Decimal | datetime | None


@dataclass(frozen=True)
class ExportPeriod:
    """The instants ``[start, end)`` whose lines and customer changes one file pair holds."""

    index: int
    start: datetime
    end: datetime
    zone: str

    @property
    def label(self) -> str:
        """``003_2025-06-16_2025-06-22``: number and local first/last day."""
        first = utc_to_local(self.start, self.zone).date()
        last = utc_to_local(self.end - timedelta(seconds=1), self.zone).date()
        return f"{self.index:03d}_{first}_{last}"

    def file_name(self, client: str, report: str, fmt: str) -> str:
        """``demo-sales-003_2025-06-16_2025-06-22.csv``."""
        return f"{client}-{report}-{self.label}.{fmt}"


def history_periods(first: datetime, now: datetime, zone: str, period: str) -> list[ExportPeriod]:
    """Weeks (from Monday) or calendar months covering ``[first, now)``, the last partial."""
    local = utc_to_local(first, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        local -= timedelta(days=local.weekday())
    else:
        local = local.replace(day=1)
    out: list[ExportPeriod] = []
    start = local_to_utc(local, zone)
    while start < now:
        if period == "week":
            local += timedelta(days=7)
        else:
            local = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(now, local_to_utc(local, zone))
        out.append(ExportPeriod(len(out), start, end, zone))
        start = end
    return out


def sales_rows(lines: Sequence[SaleLine], zone: str, currency: str) -> list[list[Cell]]:
    """Rows of the sales export, in :data:`SALES_EXPORT_COLUMNS` order."""
    return [
        [line.line_id, line.order_id, utc_to_local(line.at, zone), line.channel,
         line.customer_id, line.show_id, line.show_name, line.event_id,
         utc_to_local(line.event_start, zone), line.venue_id, line.venue_name,
         _KIND[line.kind], line.price_type, line.quantity, line.face, line.paid, currency,
         _STATUS[line.status], line.payment]
        for line in lines
    ]


def customer_rows(customers: Sequence[CustomerSnapshot], zone: str) -> list[list[Cell]]:
    """Rows of the customer export, in :data:`CUSTOMER_EXPORT_COLUMNS` order."""
    return [
        [c.id, c.title, c.first_name, c.last_name, c.email, c.line1, c.town, c.county,
         c.postcode, c.country, "Yes" if c.opt_in else "No", utc_to_local(c.created, zone),
         utc_to_local(c.updated, zone)]
        for c in customers
    ]


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(EXPORT_DATE_FORMAT)
    return str(value)


def _write_csv(path: Path, headers: list[str], rows: list[list[Cell]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _write_xlsx(path: Path, sheet: str, headers: list[str], rows: list[list[Cell]],
                stamp: datetime) -> None:
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet)
    ws.append(headers)
    for row in rows:
        cells: list[object] = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value)
                cell.number_format = _XLSX_DATE_FORMAT
                cells.append(cell)
            elif isinstance(value, Decimal):
                cell = WriteOnlyCell(ws, value)
                cell.number_format = "0.00"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    raw = io.BytesIO()
    workbook.save(raw)
    # openpyxl stamps the zip entries and docProps with the wall clock; pin both to the
    # period's end so the same period always gives the same bytes.
    fixed = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(rb"\g<1>" + fixed + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    path.write_bytes(out.getvalue())


def write_table(path: Path, columns: Sequence[tuple[str, str]], rows: list[list[Cell]], *,
                sheet: str, stamp: datetime) -> Path:
    """Write one export file; the format follows the suffix (``.csv`` or ``.xlsx``)."""
    headers = [header for header, _ in columns]
    if path.suffix == ".xlsx":
        _write_xlsx(path, sheet, headers, rows, stamp)
    else:
        _write_csv(path, headers, rows)
    return path
