"""The two report files of the integration guide: the Customer Audit report and the
historical order-ID export.

* **Customer Audit** ("Raw (XML)", delivered as a link the Collect Report user fetches).
  The four fields User, Update method, Narrative, Date are confirmed (spec §9.1); the XML
  layout is not public, so :func:`parse_audit_report` reads the simulator's invented
  layout (``<Report name from to><Row><CustomerId/><User/><UpdateMethod/><Narrative/>
  <Date/></Row>…``) tolerantly: element names in any case, with or without spaces or
  underscores (``Customer_ID``, ``Update method``). Parsing uses defusedxml (no entity
  expansion, no external entities).
* **Historical order IDs** (a one-off CSV the organisation exports, guide step 4; columns
  not public): the column headed like "Order ID" (or "Id"), else the first column; blank
  lines and repeats are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from houselights.errors import InputError

__all__ = ["AuditReport", "OrderIdFile", "parse_audit_report", "read_order_ids"]

_FIELDS = {
    "customerid": "customer_id",
    "customer": "customer_id",
    "customerref": "customer_id",
    "user": "user",
    "updatemethod": "update_method",
    "method": "update_method",
    "narrative": "narrative",
    "date": "date",
    "datetime": "date",
}


def _fold(tag: str) -> str:
    return re.sub(r"[^a-z]", "", tag.rsplit("}", 1)[-1].lower())


@dataclass
class AuditReport:
    """A parsed Customer Audit report: its name, window and rows (oldest first)."""

    name: str | None
    start: str | None
    end: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def customer_ids(self) -> list[str]:
        """Distinct customers named in the report, in first-seen order."""
        return list(dict.fromkeys(r["customer_id"] for r in self.rows if r.get("customer_id")))


class AuditReportError(InputError):
    """The Customer Audit report could not be read."""


def parse_audit_report(body: bytes) -> AuditReport:
    """Parse a "Raw (XML)" Customer Audit report safely; rows sorted by date."""
    try:
        root: Element = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise AuditReportError(
            f"The Customer Audit report is not readable XML ({exc}).",
            hint="Check that the report schedule delivers 'File format: Raw (XML)' "
            "(integration guide step 2) and run `houselights check-setup SLUG`.",
        ) from exc
    rows = []
    for element in root.iter():
        if _fold(element.tag) != "row":
            continue
        row: dict[str, Any] = {}
        for child in element:
            name = _FIELDS.get(_fold(child.tag))
            if name:
                row[name] = (child.text or "").strip()
        if row.get("customer_id") and row.get("date"):
            rows.append(row)
    rows.sort(key=lambda r: str(r["date"]))
    return AuditReport(root.get("name"), root.get("from"), root.get("to"), rows)


@dataclass(frozen=True)
class OrderIdFile:
    """The ids of a historical order-ID export, in file order, and the file's hash."""

    path: Path
    ids: tuple[str, ...]
    sha256: str


def read_order_ids(path: Path) -> OrderIdFile:
    """Read the historical order-ID export (CSV, or one id per line)."""
    if not path.is_file():
        raise InputError(
            f"The order-ID file {path} does not exist.",
            hint="Give the path of the historical order-ID export (guide step 4).",
        )
    data = path.read_bytes()
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    column = 0
    if rows and rows[0]:
        header = [_fold(c) for c in rows[0]]
        for wanted in ("orderid", "id", "order"):
            if wanted in header:
                column = header.index(wanted)
                rows = rows[1:]
                break
    ids = dict.fromkeys(r[column].strip() for r in rows if len(r) > column and r[column].strip())
    if not ids:
        raise InputError(
            f"The order-ID file {path} lists no order ids.",
            hint="Export the historical order IDs from Spektrix (guide step 4).",
        )
    return OrderIdFile(path, tuple(ids), hashlib.sha256(data).hexdigest())
