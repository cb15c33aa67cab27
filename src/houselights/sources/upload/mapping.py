"""Template lines → canonical rows, in chunks, for the exchange.

:class:`UploadMapper` takes one file line at a time (its line number and its non-blank
cells keyed by template column name) and either maps it or rejects it — never both, never
neither. :meth:`UploadMapper.flush` hands over what has accumulated as a
:class:`~houselights.exchange.batch.Batch` whose tables are ``pyarrow`` tables with the
canonical columns (without org_id/source/row_hash/load_id).

Rules (also in docs/upload-template.md):

* **Entities once.** Venues, events, instances, customers and items are emitted at
  their first occurrence in the file. Events, instances and venues are defined by ticket
  and supplementary lines only; other lines refer to them by id. A later line may leave a
  detail blank, but may not contradict it: the line is rejected (check ``consistent``).
  A customer's postcode comes from the customer's first line.
* **Orders.** The first mapped line of an order defines its date, customer and channel;
  later lines that contradict them are rejected. ``line_no`` counts the order's mapped
  lines 1, 2, … in file order, so the same file always gives the same rows.
* **Comps and concessions.** A Comp/Concession column value wins. Otherwise, on ticket
  lines, a ticket is a comp when its ticket type says so (comp, comps, complimentary) or
  when it was given away (price paid 0) although it has a face value above 0; it is a
  concession when its ticket type names a concession group (concession, student,
  senior, child, under 18, 60+ — an age from 50 up, so "Group 10+" is not —, unwaged,
  …). Other lines are neither.
* **Rejected lines** carry the file line number, a reason naming the column (as headed in
  the file) and the value, and the order id, so the exchange holds the whole order back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from houselights.exchange.batch import Batch, RawRecord, RejectedRow
from houselights.model.postcodes import normalise_any_postcode, normalise_postcode
from houselights.model.schema import CANONICAL_TABLES, LogicalType, Table
from houselights.model.ticket_types import is_comp_ticket_type, is_concession_ticket_type
from houselights.sources.kit.values import (
    CellValue,
    ValueProblem,
    cell_text,
    parse_count,
    parse_datetime,
    parse_flag,
    parse_money,
    parse_time,
    quoted,
)
from houselights.sources.upload.columns import (
    COLUMNS,
    COLUMNS_BY_NAME,
    TICKET_LINE_TYPES,
)
from houselights.sources.upload.parsing import parse_channel, parse_line_type, parse_status

__all__ = [
    "RAW_STREAM",
    "TABLES",
    "UploadMapper",
    "batches_from_raw",
    "slug",
]

RAW_STREAM = "upload_rows"
TABLES: tuple[str, ...] = (
    "venues", "events", "instances", "customers", "items", "orders", "order_lines",
)
"""The canonical tables an upload fills, in the order they appear in a batch."""

_ITEM_KIND = {"product": "product", "fee": "fee", "donation": "fund",
              "membership": "membership"}
_SERIAL_RE = re.compile(r"\d{5}(\.\d+)?")
_NEEDED_ALWAYS = tuple(c.name for c in COLUMNS if c.value_required == "always")
_NEEDED_ON_TICKETS = tuple(c.name for c in COLUMNS if c.value_required == "tickets")

_ARROW_TYPES: dict[LogicalType, pa.DataType] = {
    "text": pa.string(),
    "json": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "money": pa.decimal128(14, 2),
    "timestamp": pa.timestamp("us"),
    "double": pa.float64(),
}
_SKIP = {"org_id", "source", "row_hash", "load_id"}


def _arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([
        pa.field(c.name, _ARROW_TYPES[c.type], nullable=c.nullable)
        for c in table.columns if c.name not in _SKIP
    ])


_SCHEMAS: dict[str, pa.Schema] = {
    t.name: _arrow_schema(t) for t in CANONICAL_TABLES if t.name in TABLES
}


def slug(text: str) -> str:
    """A stable id made from a name: ``"Main House"`` → ``"main-house"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    made = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if made:
        return made
    # A name of symbols only: still a stable id, from its hash.
    return "x-" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:10]


def _seconds(value: datetime) -> int:
    return (value.toordinal() * 86_400 + value.hour * 3600 + value.minute * 60
            + value.second)


def _compact_key(identifier: str) -> str | int:
    """A dedupe key: an id of plain digits becomes an int (half the memory of the str)."""
    if (len(identifier) <= 18 and identifier.isascii() and identifier.isdigit()
            and (identifier == "0" or identifier[0] != "0")):
        return int(identifier)
    return identifier


_CHANNEL_CODE = {None: 0, "online": 1, "box_office": 2, "phone": 3, "agent": 4, "other": 5}


FIRST_REJECTED_KEPT = 50
"""Rejected lines a mapper keeps for the message of a file refused as a whole."""


class _OrderIndex:
    """Per order: line count, first line, and a compact fingerprint of its header.

    A large upload has hundreds of thousands of orders, so each is one int rather than
    an object: exact order time (seconds), channel code, a 32-bit hash of the customer
    id, the first line and the count of mapped lines. A contradiction is found unless a
    different customer id collides on 32 bits (about one in four billion).
    """

    def __init__(self) -> None:
        self._orders: dict[str | int, int] = {}

    def __len__(self) -> int:
        return len(self._orders)

    @staticmethod
    def _customer_hash(customer_id: str | None) -> int:
        if customer_id is None:
            return 0
        return (hash(customer_id) & 0xFFFFFFFF) | 1

    def get(self, order_id: str) -> tuple[int, int, int, int, int] | None:
        """``(seconds, channel code, customer hash, first line, count)`` or ``None``."""
        packed = self._orders.get(_compact_key(order_id))
        if packed is None:
            return None
        count = packed & 0xFFFFFF
        first = (packed >> 24) & 0xFFFFFFFF
        customer = (packed >> 56) & 0xFFFFFFFF
        channel = (packed >> 88) & 0x7
        seconds = packed >> 91
        return seconds, channel, customer, first, count

    def put(self, order_id: str, seconds: int, channel: int, customer: int, first: int,
            count: int) -> None:
        """Store an order's state."""
        self._orders[_compact_key(order_id)] = (
            (seconds << 91) | (channel << 88) | (customer << 56) | (first << 24) | count
        )


class _Line:
    """The parsed values of one line (only what the mapper needs)."""

    __slots__ = (
        "channel", "comp", "concession", "customer_id", "event_id", "face_value",
        "instance_id", "item_id", "kind", "order_date", "order_id", "postcode", "price_paid",
        "starts_at", "status", "venue_id",
    )

    def __init__(self) -> None:
        self.order_id: str | None = None
        self.kind: str | None = None
        self.order_date: datetime | None = None
        self.starts_at: datetime | None = None
        self.price_paid: Decimal | None = None
        self.face_value: Decimal | None = None
        self.channel: str | None = None
        self.status = "issued"
        self.comp: bool | None = None
        self.concession: bool | None = None
        self.customer_id: str | None = None
        self.event_id: str | None = None
        self.instance_id: str | None = None
        self.item_id: str | None = None
        self.venue_id: str | None = None
        self.postcode: str | None = None


class UploadMapper:
    """Maps template lines to canonical rows and rejects the lines it cannot map.

    ``labels`` maps template column names to the headers as written in the file, so
    reasons speak the user's words. Feed lines with :meth:`add` (or :meth:`reject` for a
    line the reader already knows is broken); take batches with :meth:`flush`.
    """

    def __init__(self, file_name: str, labels: Mapping[str, str] | None = None) -> None:
        self.file_name = file_name
        # Rejected rows are keyed "line N"; replaying several files needs the file too.
        self.qualify_keys = False
        self._labels = {c.name: c.label for c in COLUMNS}
        self._labels.update(labels or {})
        self._orders = _OrderIndex()
        self._customers: set[str | int] = set()
        self._venues: dict[str, tuple[str, str | None, str | None, int]] = {}
        self._events: dict[str, tuple[str, str | None, str | None, str | None, int]] = {}
        self._instances: dict[
            str, tuple[str, str, datetime, int | None, bool, bool, int]
        ] = {}
        self._items: dict[str, tuple[str, str, int]] = {}
        self._reset()
        self.lines_mapped = 0
        self.lines_rejected = 0
        # The first rejected line's reason: a file refused for its junk lines quotes it.
        self.first_rejection: str | None = None

    # ----------------------------------------------------------------- batches
    def _reset(self) -> None:
        self._rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        self._raw: list[RawRecord] = []
        self._rejected: list[RejectedRow] = []
        # The first rejected lines, kept across flushes: a refused file lists them.
        self.first_rejected: list[RejectedRow] = []
        self._records_in = 0

    @property
    def pending(self) -> int:
        """Lines taken since the last :meth:`flush`."""
        return self._records_in

    def flush(self) -> Batch:
        """The rows, raw records and rejections accumulated since the last flush."""
        tables: dict[str, list[dict[str, Any]] | pa.Table] = {}
        for name in TABLES:
            rows = self._rows[name]
            if not rows:
                continue
            schema = _SCHEMAS[name]
            columns = list(zip(*rows, strict=True))
            tables[name] = pa.Table.from_arrays(
                [pa.array(col, type=field.type) for col, field in zip(columns, schema,
                                                                        strict=True)],
                schema=schema,
            )
        batch = Batch(tables=tables, raw=self._raw, rejected=self._rejected,
                      records_in=self._records_in)
        self._reset()
        return batch

    # ------------------------------------------------------------------- lines
    def _label(self, name: str) -> str:
        return self._labels[name]

    def _record(self, line_no: int, cells: Mapping[str, CellValue]) -> dict[str, Any]:
        values: Mapping[str, CellValue] = cells
        if not isinstance(cells, dict) or not all(isinstance(v, str) for v in cells.values()):
            values = {k: cell_text(v) for k, v in cells.items()}
        # A text-only cells dict is kept as it is: a large chunk holds one per line, and a
        # copy would double that memory. Callers hand over a fresh dict per line.
        return {"line": line_no, "file": self.file_name, "values": values}

    def reject(self, line_no: int, cells: Mapping[str, CellValue], reason: str,
               check_name: str = "readable", *, structural: bool = False) -> None:
        """Reject a line with ``reason`` (which should start with ``line N``).

        ``structural`` marks a problem the cells alone do not show (a line with more
        values than the header): the reason is kept in the raw record so replay rejects
        the line again.
        """
        record = self._record(line_no, cells)
        if structural:
            record["problem"] = reason
        order_id = cells.get("order_id")
        order_key = cell_text(order_id).strip() if order_id is not None else None
        self._raw.append(RawRecord(RAW_STREAM, order_key or f"line {line_no}", record))
        rejected = RejectedRow(
            table="order_lines",
            record_key=(f"{self.file_name} line {line_no}" if self.qualify_keys
                        else f"line {line_no}"),
            reason=reason,
            record=record, check_name=check_name, order_id=order_key or None,
        )
        self._rejected.append(rejected)
        if len(self.first_rejected) < FIRST_REJECTED_KEPT:
            self.first_rejected.append(rejected)
        self._records_in += 1
        self.lines_rejected += 1
        if self.first_rejection is None:
            self.first_rejection = reason

    def add(self, line_no: int, cells: Mapping[str, CellValue]) -> None:
        """Map one line (its non-blank cells by template column name), or reject it.

        ``cells`` becomes part of the line's raw record: pass a fresh dict per line.
        """
        values: dict[str, CellValue] = {}
        for name, value in cells.items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            values[name] = value
        problems: list[str] = []
        line = self._parse(values, problems)
        if problems:
            self.reject(line_no, cells, self._reason(line_no, problems))
            return
        self._check_consistency(line, values, problems)
        if problems:
            self.reject(line_no, cells, self._reason(line_no, problems), "consistent")
            return
        self._emit(line_no, line, values, cells)

    @staticmethod
    def _reason(line_no: int, problems: list[str]) -> str:
        return f"line {line_no}, " + "; ".join(problems)

    # ----------------------------------------------------------------- parsing
    @staticmethod
    def _text(values: Mapping[str, CellValue], name: str) -> str | None:
        """A stripped, non-blank value as text, or ``None``."""
        value = values.get(name)
        if value is None or isinstance(value, str):
            return value
        return cell_text(value)

    def _parse(self, cells: Mapping[str, CellValue], problems: list[str]) -> _Line:
        line = _Line()
        line.order_id = self._text(cells, "order_id")
        raw_kind = cells.get("line_type")
        if raw_kind is not None:
            try:
                line.kind = parse_line_type(raw_kind)
            except ValueProblem as exc:
                problems.append(f"{self._label('line_type')}: {exc}")
        is_ticket = line.kind in TICKET_LINE_TYPES
        for name in _NEEDED_ALWAYS:
            if name not in cells:
                problems.append(f"{self._label(name)}: missing")
        if is_ticket:
            for name in _NEEDED_ON_TICKETS:
                if name not in cells:
                    problems.append(f"{self._label(name)}: missing (needed on {line.kind} lines)")

        def parsed(name: str, parse: Any) -> Any:
            value = cells.get(name)
            if value is None:
                return None
            try:
                return parse(value)
            except ValueProblem as exc:
                message = str(exc)
                if parse is parse_datetime and _SERIAL_RE.fullmatch(cell_text(value).strip()):
                    message = (f"{quoted(value)} looks like a spreadsheet date serial "
                               "number; format the column as a date")
                problems.append(f"{self._label(name)}: {message}")
                return None

        order_date = parsed("order_date", parse_datetime)
        line.order_date = order_date[0] if order_date else None
        line.price_paid = parsed("price_paid", parse_money)
        line.face_value = parsed("face_value", parse_money)
        line.channel = parsed("channel", parse_channel)
        status = parsed("status", parse_status)
        line.status = status or "issued"
        line.customer_id = self._text(cells, "customer_id")
        if is_ticket:
            line.comp = parsed("comp", parse_flag)
            line.concession = parsed("concession", parse_flag)
            line.event_id = self._text(cells, "event_id")
            line.instance_id = self._text(cells, "instance_id")
            start = parsed("instance_start", parse_datetime)
            start_time = parsed("instance_time", parse_time)
            if start is not None:
                starts_at, has_time = start
                if start_time is not None:
                    if has_time and starts_at.time() not in (start_time, starts_at.min.time()):
                        problems.append(
                            f"{self._label('instance_time')}: "
                            f"{quoted(cells['instance_time'])} differs from the time in "
                            f"{self._label('instance_start')} "
                            f"{quoted(cells['instance_start'])}"
                        )
                    starts_at = datetime.combine(starts_at.date(), start_time)
                line.starts_at = starts_at
            parsed("capacity", parse_count)
            parsed("instance_cancelled", parse_flag)
            venue = self._text(cells, "venue")
            venue_id = self._text(cells, "venue_id")
            line.venue_id = venue_id or (slug(venue) if venue else None)
        else:
            line.event_id = self._text(cells, "event_id")
            line.instance_id = self._text(cells, "instance_id")
            item_id = self._text(cells, "item_id")
            item_name = self._text(cells, "item_name")
            line.item_id = item_id or (slug(item_name) if item_name else None)
        return line

    # ------------------------------------------------------------- consistency
    def _differs(self, problems: list[str], name: str, given: str, before: str,
                 what: str, first_line: int) -> None:
        if before:
            problems.append(
                f"{self._label(name)}: {quoted(given)} differs from {quoted(before)} given "
                f"for {what} on line {first_line}"
            )
        else:
            problems.append(
                f"{self._label(name)}: {quoted(given)} but it was blank for {what} on line "
                f"{first_line} (its first line defines it)"
            )

    def _check_consistency(self, line: _Line, cells: Mapping[str, CellValue],
                           problems: list[str]) -> None:
        assert line.order_id is not None and line.order_date is not None
        known = self._orders.get(line.order_id)
        if known is not None:
            seconds, channel, customer, first, _ = known
            what = f"order {line.order_id}"
            if seconds != _seconds(line.order_date):
                problems.append(
                    f"{self._label('order_date')}: {quoted(cells['order_date'])} differs "
                    f"from the date of {what} on line {first} (every line of an order "
                    "must give the same order date)"
                )
            if line.customer_id is not None and customer != _OrderIndex._customer_hash(
                line.customer_id
            ):
                problems.append(
                    f"{self._label('customer_id')}: {quoted(line.customer_id)} differs from the "
                    f"customer of {what} on line {first}"
                )
            if line.channel is not None and channel != _CHANNEL_CODE[line.channel]:
                problems.append(
                    f"{self._label('channel')}: {quoted(cells['channel'])} differs from "
                    f"the channel of {what} on line {first}"
                )
        if line.kind in TICKET_LINE_TYPES:
            self._check_ticket_entities(line, cells, problems)
        elif line.item_id is not None:
            item = self._items.get(line.item_id)
            if item is not None:
                kind, name, first = item
                assert line.kind is not None
                if kind != _ITEM_KIND[line.kind]:
                    self._differs(problems, "line_type", cell_text(cells["line_type"]), kind,
                                  f"item {line.item_id}", first)
                item_name = self._text(cells, "item_name")
                if item_name is not None and "item_id" in cells and item_name != name:
                    self._differs(problems, "item_name", item_name, name,
                                  f"item {line.item_id}", first)

    def _check_ticket_entities(self, line: _Line, cells: Mapping[str, CellValue],
                               problems: list[str]) -> None:
        assert line.event_id and line.instance_id and line.venue_id and line.starts_at
        event = self._events.get(line.event_id)
        if event is not None:
            what = f"event {line.event_id}"
            first = event[4]
            for name, before in zip(("event_name", "season", "category", "event_type"),
                                    event[:4], strict=True):
                given = self._text(cells, name)
                if given is not None and given != before:
                    self._differs(problems, name, given, before or "", what, first)
        venue = self._venues.get(line.venue_id)
        if venue is not None:
            what = f"venue {line.venue_id}"
            v_name, v_postcode, v_address, first = venue
            given_name = self._text(cells, "venue")
            if "venue_id" in cells and given_name is not None and given_name != v_name:
                self._differs(problems, "venue", given_name, v_name, what, first)
            postcode = self._postcode(cells, "venue_postcode")
            if postcode is not None and postcode != v_postcode:
                self._differs(problems, "venue_postcode", postcode, v_postcode or "", what,
                              first)
            address = self._text(cells, "venue_address")
            if address is not None and address != v_address:
                self._differs(problems, "venue_address", address, v_address or "", what,
                              first)
        instance = self._instances.get(line.instance_id)
        if instance is None:
            return
        event_id, venue_id, starts_at, capacity, cancelled, supplementary, first = instance
        what = f"instance {line.instance_id}"
        if line.event_id != event_id:
            self._differs(problems, "event_id", line.event_id, event_id, what, first)
        if line.venue_id != venue_id:
            self._differs(problems, "venue", cell_text(cells["venue"]), venue_id, what, first)
        if line.starts_at != starts_at:
            self._differs(problems, "instance_start", line.starts_at.isoformat(" "),
                          starts_at.isoformat(" "), what, first)
        if "capacity" in cells and parse_count(cells["capacity"]) != capacity:
            self._differs(problems, "capacity", cell_text(cells["capacity"]),
                          str(capacity if capacity is not None else ""), what, first)
        if "instance_cancelled" in cells and parse_flag(cells["instance_cancelled"]) != (
            cancelled
        ):
            self._differs(problems, "instance_cancelled", cell_text(cells["instance_cancelled"]),
                          "yes" if cancelled else "no", what, first)
        if (line.kind == "supplementary") != supplementary:
            problems.append(
                f"{self._label('line_type')}: {line.kind} line for {what}, which line {first} "
                f"made {'a supplementary' if supplementary else 'an ordinary'} instance "
                "(an instance's tickets are all tickets or all supplementary)"
            )

    def _postcode(self, cells: Mapping[str, CellValue], name: str) -> str | None:
        text = self._text(cells, name)
        if text is None:
            return None
        info = normalise_postcode(text)
        return info.postcode if info.valid else text.upper()

    # ---------------------------------------------------------------- emitting
    def _emit(self, line_no: int, line: _Line, cells: Mapping[str, CellValue],
              original: Mapping[str, CellValue]) -> None:
        assert line.order_id is not None and line.order_date is not None
        assert line.kind is not None and line.price_paid is not None
        rows = self._rows
        text = self._text
        if line.kind in TICKET_LINE_TYPES:
            self._emit_ticket_entities(line_no, line, cells)
        elif line.item_id is not None and line.item_id not in self._items:
            kind = _ITEM_KIND[line.kind]
            name = text(cells, "item_name") or line.item_id
            self._items[line.item_id] = (kind, name, line_no)
            rows["items"].append((line.item_id, kind, name, None))
        customer_id = line.customer_id
        if customer_id is not None and (key := _compact_key(customer_id)) not in self._customers:
            self._customers.add(key)
            # A UK postcode or an Irish Eircode, normalised; anything else is stored as NULL
            # (metrics.md, M22: not a captured postcode). The raw record keeps it as written.
            info = normalise_any_postcode(text(cells, "customer_postcode"))
            rows["customers"].append((
                customer_id, info.postcode, info.area, info.district, info.region, None, None, None,
            ))
        known = self._orders.get(line.order_id)
        if known is None:
            seconds = _seconds(line.order_date)
            channel = _CHANNEL_CODE[line.channel]
            customer = _OrderIndex._customer_hash(customer_id)
            first, count = line_no, 0
            rows["orders"].append((line.order_id, customer_id, line.order_date, line.channel,
                                   ""))
        else:
            seconds, channel, customer, first, count = known
        count += 1
        self._orders.put(line.order_id, seconds, channel, customer, first, count)

        if line.kind in TICKET_LINE_TYPES:
            ticket_type = text(cells, "ticket_type") or ""
            comp = line.comp
            if comp is None:
                comp = is_comp_ticket_type(ticket_type) or (
                    line.price_paid == 0 and line.face_value is not None
                    and line.face_value > 0
                )
            concession = line.concession
            if concession is None:
                concession = is_concession_ticket_type(ticket_type)
            row: tuple[Any, ...] = (
                line.order_id, count, line.kind, line.instance_id, line.event_id, None,
                ticket_type, text(cells, "price_band"), concession, comp, line.face_value,
                line.price_paid, line.status, text(cells, "line_id"),
            )
        else:
            row = (
                line.order_id, count, line.kind, line.instance_id, line.event_id,
                line.item_id, None, None, False, False, line.face_value, line.price_paid,
                line.status, text(cells, "line_id"),
            )
        rows["order_lines"].append(row)
        self._raw.append(RawRecord(RAW_STREAM, line.order_id,
                                   self._record(line_no, original)))
        self._records_in += 1
        self.lines_mapped += 1

    def _emit_ticket_entities(self, line_no: int, line: _Line,
                              cells: Mapping[str, CellValue]) -> None:
        assert line.event_id and line.instance_id and line.venue_id and line.starts_at
        text = self._text
        rows = self._rows
        if line.event_id not in self._events:
            event = (
                text(cells, "event_name") or "", text(cells, "season"),
                text(cells, "category"), text(cells, "event_type"),
            )
            self._events[line.event_id] = (*event, line_no)
            rows["events"].append((line.event_id, *event, line.event_id))  # + event_code
        if line.venue_id not in self._venues:
            name = text(cells, "venue") or ""
            postcode = self._postcode(cells, "venue_postcode")
            address = text(cells, "venue_address")
            self._venues[line.venue_id] = (name, postcode, address, line_no)
            region = normalise_postcode(postcode).region if postcode else None
            rows["venues"].append((line.venue_id, name, address, postcode, region))
        if line.instance_id not in self._instances:
            capacity = parse_count(cells["capacity"]) if "capacity" in cells else None
            cancelled = (
                parse_flag(cells["instance_cancelled"]) if "instance_cancelled" in cells
                else False
            )
            supplementary = line.kind == "supplementary"
            self._instances[line.instance_id] = (
                line.event_id, line.venue_id, line.starts_at, capacity, cancelled,
                supplementary, line_no,
            )
            rows["instances"].append((
                line.instance_id, line.event_id, line.venue_id, line.starts_at, capacity,
                cancelled, supplementary,
            ))

    # ------------------------------------------------------------------- stats
    @property
    def entity_counts(self) -> dict[str, int]:
        """How many distinct entities the file has defined so far, per table."""
        return {
            "venues": len(self._venues), "events": len(self._events),
            "instances": len(self._instances), "customers": len(self._customers),
            "items": len(self._items), "orders": len(self._orders),
        }


_ENTITY_TABLES = ("venues", "events", "instances", "customers", "items")
_TABLES = {t.name: t for t in CANONICAL_TABLES}


class _Newer:
    """What newer uploads already gave, while replaying from the newest run back."""

    def __init__(self) -> None:
        self.entities: dict[str, set[tuple[Any, ...]]] = {t: set() for t in _ENTITY_TABLES}
        self.orders: set[str] = set()

    def older(self, batch: Batch) -> Batch:
        """``batch`` without what a newer upload replaced: an entity a newer file defined,
        an order a newer file restated (lines are replaced per order)."""
        for table in _ENTITY_TABLES:
            key = [c for c in _TABLES[table].key if c != "org_id"]
            self._keep(batch, table, lambda row, key=key, table=table: self._first(table, key, row))
        for table in ("orders", "order_lines"):
            self._keep(batch, table, lambda row: str(row["order_id"]) not in self.orders)
        batch.rejected = [r for r in batch.rejected if r.order_id not in self.orders]
        return batch

    def _first(self, table: str, key: list[str], row: dict[str, Any]) -> bool:
        k = tuple(row[c] for c in key)
        if k in self.entities[table]:
            return False
        self.entities[table].add(k)
        return True

    @staticmethod
    def _keep(batch: Batch, table: str, wanted: Any) -> None:
        rows = batch.tables.get(table)
        if rows is None:
            return
        items = rows.to_pylist() if isinstance(rows, pa.Table) else rows
        kept = [row for row in items if wanted(row)]
        if len(kept) != len(items):
            batch.tables[table] = pa.Table.from_pylist(kept, schema=_SCHEMAS[table])


def batches_from_raw(records: Iterable[RawRecord], *, chunk_rows: int = 50_000) -> Iterator[Batch]:
    """Rebuild batches from the kept ``upload_rows`` raw records of every upload run (for
    replay), equal to what uploading the files again, oldest first, publishes.

    Each run's lines are mapped in line order by a mapper of their own, exactly as the
    reader mapped the file. Runs go newest first, and what a newer upload replaced is not
    emitted again from an older one: an entity (venue, event, instance, customer, item) it
    defined, an order it restated.
    """
    runs: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        runs.setdefault(record.run_id or str(record.payload["file"]), []).append(record.payload)
    newer = _Newer()
    for payloads in reversed(list(runs.values())):
        mapper = UploadMapper(str(payloads[0]["file"]))
        mapper.qualify_keys = len(runs) > 1
        restated: set[str] = set()
        for payload in sorted(payloads, key=lambda p: int(p["line"])):
            cells = {k: str(v) for k, v in payload["values"].items() if k in COLUMNS_BY_NAME}
            if "order_id" in cells:
                restated.add(cells["order_id"].strip())
            if "problem" in payload:
                mapper.reject(int(payload["line"]), cells, str(payload["problem"]),
                              structural=True)
            else:
                mapper.add(int(payload["line"]), cells)
            if mapper.pending >= chunk_rows:
                yield newer.older(mapper.flush())
        if mapper.pending:
            yield newer.older(mapper.flush())
        newer.orders |= restated
