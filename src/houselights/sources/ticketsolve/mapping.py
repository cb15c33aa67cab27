"""Ticketsolve records → canonical rows: pure functions over JSON-ready payloads.

Raw records keep what was read, as plain JSON (so replay rebuilds the same rows):

* a **venue** (``ticketsolve_venues``, key venue id) from ``shows.xml``;
* a **show** (``ticketsolve_shows``, key show id): its ``shows.xml`` entry with, for each
  event, the per-performance document fetched for it;
* an **order** (``ticketsolve_sales``, key order id): every sales-export line of the
  order known so far (a refund in a later export re-states the whole order);
* a **customer** (``ticketsolve_customers``, key customer id): its latest export line.

Mapping (``docs/ticketsolve.md``):

* venue → ``venues`` (the feed has no address: postcode only from the connection's
  ``venue_postcodes``, or an ``<address>`` a feed may carry);
* show → ``events`` (``category`` = ``event_category``; ``season`` = the show's tags,
  joined **[invented]**: Ticketsolve tags are free labels, often the season);
* event → ``instances`` (start as local wall-clock time of its ``@zone``, capacity from
  the performance document, cancelled from either document's status) and its prices →
  ``price_types`` (face value, selling price, discount = face − selling; a concession
  when it sells below face);
* sales lines → ``orders`` and ``order_lines``: a refund line (quantity −1) marks the
  line it refunds ``returned`` (same kind, performance, price type and amount; earliest
  first) — the canonical model keeps the price that was paid, never a negative one;
  booking fees are ``fee`` lines of the item ``booking-fee``; comps are lines with
  status Complimentary (price 0);
* customers → ``customers`` with UK postcode or Irish Eircode geography, kept as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from houselights.exchange.batch import Batch, RawRecord, RejectedRow
from houselights.model.postcodes import normalise_any_postcode
from houselights.model.ticket_types import is_comp_ticket_type, is_concession_ticket_type
from houselights.sources.kit.values import (
    EUROS_AND_POUNDS,
    CellValue,
    ValueProblem,
    cell_text,
    parse_datetime,
    parse_money,
)

from .feed import Money, Performance, Show, Venue, ZonedTime

__all__ = [
    "CUSTOMERS_STREAM",
    "FEE_ITEM",
    "SALES_STREAM",
    "SHOWS_STREAM",
    "VENUES_STREAM",
    "Known",
    "SalesLine",
    "catalogue_batch",
    "customer_row",
    "order_rows",
    "parse_sales_line",
    "show_payload",
    "venue_payload",
]

VENUES_STREAM = "ticketsolve_venues"
SHOWS_STREAM = "ticketsolve_shows"
SALES_STREAM = "ticketsolve_sales"
CUSTOMERS_STREAM = "ticketsolve_customers"
FEE_ITEM = "booking-fee"
"""The item every booking-fee line names."""

_CHANNELS = {"online": "online", "web": "online", "internet": "online",
             "boxoffice": "box_office", "counter": "box_office", "phone": "phone",
             "telephone": "phone", "agent": "agent"}


# --- catalogue payloads ------------------------------------------------------------------


def _money(m: Money | None) -> dict[str, str | None] | None:
    return None if m is None else {"amount": str(m.amount), "currency": m.currency}


def _time(t: ZonedTime | None) -> dict[str, str | None] | None:
    if t is None:
        return None
    return {"text": t.text, "zone": t.zone, "at": t.at.isoformat()}


def venue_payload(venue: Venue) -> dict[str, Any]:
    """A venue of ``shows.xml`` as a raw record payload."""
    address = venue.address
    return {
        "id": venue.id,
        "name": venue.name,
        "address": None if address is None else {
            "line1": address.line1, "town": address.town, "county": address.county,
            "postcode": address.postcode, "country": address.country,
        },
    }


def performance_payload(doc: Performance) -> dict[str, Any]:
    """A per-performance document as a raw record payload."""
    return {
        "id": doc.id,
        "starts": _time(doc.starts),
        "duration": doc.duration,
        "capacity": doc.capacity,
        "available": doc.available,
        "status": doc.status,
        "fee": _money(doc.fee),
        "prices": [
            {"type": p.type, "face": _money(p.face), "selling": _money(p.selling)}
            for p in doc.prices
        ],
    }


def show_payload(show: Show, docs: Mapping[str, Performance]) -> dict[str, Any]:
    """A show of ``shows.xml`` with the documents of its events, as a raw record payload."""
    return {
        "id": show.id,
        "venue_id": show.venue.id,
        "name": show.name,
        "category": show.category,
        "tags": list(show.tags),
        "version": show.version,
        "events": [
            {
                "id": e.id,
                "name": e.name,
                "starts": _time(e.starts),
                "status": e.status,
                "document": performance_payload(docs[e.id]) if e.id in docs else None,
            }
            for e in show.events
        ],
    }


# --- catalogue rows ----------------------------------------------------------------------


@dataclass
class Known:
    """Catalogue keys already published or in this sync's catalogue: sales lines define
    a venue, event or instance only when the catalogue has not (performances that left
    the feed before houselights first read it)."""

    venues: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    instances: set[str] = field(default_factory=set)


def _local(start: Mapping[str, Any] | None, zone: ZoneInfo) -> datetime | None:
    """A feed time as the venue's local wall-clock time.

    A time written with a non-zero offset (``19:30:00 +0100``) is the local time as
    written. A time at offset zero (``Z``, ``+0000``) may be UTC: it is converted to its
    ``@zone`` when that names a real place, else to the connection's zone (both give the
    same wall-clock time in an Irish or UK winter). The only public ``@zone`` value is
    ``GMT`` (a third-party fixture), so ``GMT``/``UTC`` never override the connection.
    """
    if not start:
        return None
    at = datetime.fromisoformat(str(start["at"]))
    if at.tzinfo is None:
        return at
    offset = at.utcoffset()
    if offset is not None and offset != timedelta(0):
        return at.replace(tzinfo=None)
    named = str(start.get("zone") or "").strip()
    target = zone
    if named and named.upper() not in _UTC_NAMES:
        try:
            target = ZoneInfo(named)
        except (ValueError, KeyError, OSError):
            target = zone
    return at.astimezone(target).replace(tzinfo=None)


_UTC_NAMES = frozenset({"GMT", "UTC", "Z", "ETC/UTC", "ETC/GMT"})


def _amount(m: Mapping[str, Any] | None) -> Decimal | None:
    return None if not m else Decimal(str(m["amount"]))


def _venue_row(payload: Mapping[str, Any], postcodes: Mapping[str, str]) -> dict[str, Any]:
    address = payload.get("address") or {}
    raw = postcodes.get(str(payload["id"])) or address.get("postcode")
    info = normalise_any_postcode(raw)
    postcode = info.postcode if info.valid else (raw.strip().upper() if raw else None)
    parts = [address.get(k) for k in ("line1", "town", "county")]
    text = ", ".join(str(p) for p in parts if p) or None
    return {"venue_id": str(payload["id"]), "name": payload.get("name") or str(payload["id"]),
            "address": text, "postcode": postcode, "region": info.region}


def catalogue_batch(
    venues: Iterable[Mapping[str, Any]],
    shows: Iterable[Mapping[str, Any]],
    *,
    zone: ZoneInfo,
    postcodes: Mapping[str, str],
    known: Known,
) -> Batch:
    """Canonical rows of venue and show payloads (records in; ``known`` is filled)."""
    batch = Batch()
    venue_rows = [_venue_row(v, postcodes) for v in venues]
    events: list[dict[str, Any]] = []
    instances: list[dict[str, Any]] = []
    prices: list[dict[str, Any]] = []
    count = len(venue_rows)
    for show in shows:
        count += 1
        show_id = str(show["id"])
        tags = [str(t) for t in show.get("tags") or [] if str(t).strip()]
        events.append({
            "event_id": show_id, "name": show.get("name") or show_id,
            "season": ", ".join(tags) or None, "category": show.get("category"),
            "event_type": None, "event_code": None,
        })
        known.events.add(show_id)
        for event in show.get("events") or []:
            doc = event.get("document") or {}
            starts = _local(doc.get("starts") or event.get("starts"), zone)
            if starts is None:
                continue  # no start time: nothing a performance row can say (counted)
            statuses = {str(event.get("status") or "").casefold(),
                        str(doc.get("status") or "").casefold()}
            instance_id = str(event["id"])
            instances.append({
                "instance_id": instance_id, "event_id": show_id,
                "venue_id": str(show.get("venue_id")), "starts_at": starts,
                "capacity": doc.get("capacity"), "cancelled": "cancelled" in statuses,
                "is_supplementary": False,
            })
            known.instances.add(instance_id)
            seen: set[str] = set()
            for price in doc.get("prices") or []:
                name = str(price.get("type") or "").strip()
                if not name or name in seen:
                    continue
                seen.add(name)
                face, selling = _amount(price.get("face")), _amount(price.get("selling"))
                discount = face - selling if face is not None and selling is not None else None
                currency = (price.get("selling") or price.get("face") or {}).get("currency")
                prices.append({
                    "instance_id": instance_id, "price_type": name, "event_id": show_id,
                    "face_value": face, "selling_price": selling, "discount": discount,
                    "is_concession": bool(discount is not None and discount > 0),
                    "currency": currency,
                })
    for row in venue_rows:
        known.venues.add(row["venue_id"])
    batch.add("venues", venue_rows)
    batch.add("events", events)
    batch.add("instances", instances)
    batch.add("price_types", prices)
    batch.records_in = count
    return batch


# --- sales lines -------------------------------------------------------------------------


@dataclass(frozen=True)
class SalesLine:
    """One parsed line of the sales export."""

    line_id: str
    order_id: str
    at: datetime
    channel: str | None
    customer_id: str | None
    show_id: str
    show_name: str | None
    event_id: str
    event_date: datetime
    venue_id: str | None
    venue: str | None
    kind: str
    price_type: str | None
    quantity: int
    face: Decimal | None
    paid: Decimal
    status: str

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        """Time, then the line id (numerically when it is a number)."""
        number = int(self.line_id) if self.line_id.isdigit() else 0
        return self.at, number, self.line_id


def _text(cells: Mapping[str, Any], name: str) -> str | None:
    value = cells.get(name)
    if value is None:
        return None
    text = cell_text(value).strip() if not isinstance(value, str) else value.strip()
    return text or None


def _when(cells: Mapping[str, Any], name: str, label: str) -> datetime:
    value = cells.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueProblem(f"{label}: missing")
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return datetime.fromisoformat(value)  # a kept raw value (ISO)
    try:
        return parse_datetime(value)[0]
    except ValueProblem as problem:
        raise ValueProblem(f"{label}: {problem}") from None


def _money_cell(cells: Mapping[str, Any], name: str, label: str) -> Decimal | None:
    text = _text(cells, name)
    if text is None:
        return None
    try:
        return parse_money(text, EUROS_AND_POUNDS)
    except ValueProblem as problem:
        raise ValueProblem(f"{label}: {problem}") from None


def parse_sales_line(cells: Mapping[str, CellValue | str]) -> SalesLine:
    """A sales-export line (cells by profile column name) → :class:`SalesLine`;
    :class:`ValueProblem` names the column and the value when it cannot be read."""
    problems: list[str] = []

    def need(name: str, label: str) -> str:
        text = _text(cells, name)
        if text is None:
            problems.append(f"{label}: missing")
            return ""
        return text

    line_id = need("line_id", "Line ID")
    order_id = need("order_id", "Order ID")
    show_id = need("show_id", "Show ID")
    event_id = need("event_id", "Event ID")
    kind_text = (need("line_type", "Line Type")).casefold().replace(" ", "")
    kind = {"ticket": "ticket", "bookingfee": "fee", "fee": "fee",
            "transactionfee": "fee"}.get(kind_text)
    if kind is None and kind_text:
        problems.append(f"Line Type: {cell_text(cells['line_type'])!r} is not Ticket or "
                        "Booking Fee")
    at = event_date = datetime.min
    try:
        at = _when(cells, "transaction_date", "Transaction Date")
    except ValueProblem as problem:
        problems.append(str(problem))
    try:
        event_date = _when(cells, "event_date", "Event Date")
    except ValueProblem as problem:
        problems.append(str(problem))
    quantity = 0
    qty_text = need("quantity", "Quantity")
    if qty_text:
        try:
            quantity = int(Decimal(qty_text))
        except ArithmeticError:
            problems.append(f"Quantity: {qty_text!r} is not a whole number")
        if quantity not in (1, -1):
            problems.append(f"Quantity: {qty_text!r} is not 1 or -1 (one line per ticket)")
    paid: Decimal | None = None
    face: Decimal | None = None
    try:
        paid = _money_cell(cells, "price_paid", "Price Paid")
        if paid is None:
            problems.append("Price Paid: missing")
    except ValueProblem as problem:
        problems.append(str(problem))
    try:
        face = _money_cell(cells, "face_value", "Face Value")
    except ValueProblem as problem:
        problems.append(str(problem))
    if problems:
        raise ValueProblem("; ".join(problems))
    assert kind is not None and paid is not None
    status = (_text(cells, "status") or "").casefold()
    channel_text = _text(cells, "channel")
    channel = None
    if channel_text:
        channel = _CHANNELS.get("".join(ch for ch in channel_text.casefold() if ch.isalnum()),
                                "other")
    return SalesLine(
        line_id=line_id, order_id=order_id, at=at, channel=channel,
        customer_id=_text(cells, "customer_id"), show_id=show_id,
        show_name=_text(cells, "show_name"), event_id=event_id, event_date=event_date,
        venue_id=_text(cells, "venue_id"), venue=_text(cells, "venue"), kind=kind,
        price_type=_text(cells, "price_type"), quantity=quantity, face=face, paid=paid,
        status=status,
    )


def line_payload(cells: Mapping[str, CellValue]) -> dict[str, str]:
    """A line's cells as kept in the raw record (dates in ISO form)."""
    out: dict[str, str] = {}
    for name, value in cells.items():
        if isinstance(value, datetime):
            out[name] = value.isoformat()
        else:
            text = cell_text(value) if not isinstance(value, str) else value
            if text.strip():
                out[name] = text.strip()
    return out


def _is_comp(line: SalesLine) -> bool:
    if line.status.startswith("comp") or is_comp_ticket_type(line.price_type or ""):
        return True
    return line.paid == 0 and line.face is not None and line.face > 0


def order_rows(lines: Sequence[SalesLine]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``orders`` row and the ``order_lines`` rows of one order's full line set."""
    ordered = sorted(lines, key=lambda x: x.sort_key)
    sales = [x for x in ordered if x.quantity > 0]
    refunds = [x for x in ordered if x.quantity < 0]
    first = (sales or ordered)[0]
    customer = next((x.customer_id for x in ordered if x.customer_id), None)
    order = {"order_id": first.order_id, "customer_id": customer, "created_at": first.at,
             "channel": first.channel, "lines_hash": ""}
    returned: set[int] = set()
    unmatched: list[SalesLine] = []
    for refund in refunds:
        match = next(
            (i for i, x in enumerate(sales) if i not in returned and x.kind == refund.kind
             and x.event_id == refund.event_id and x.price_type == refund.price_type
             and x.paid == -refund.paid),
            None,
        )
        if match is None:
            unmatched.append(refund)  # its sale is in an export not loaded (yet)
        else:
            returned.add(match)
    rows: list[dict[str, Any]] = []
    for i, x in enumerate([*sales, *unmatched]):
        is_refund = x.quantity < 0
        status = "returned" if is_refund or i in returned else "issued"
        ticket = x.kind == "ticket"
        rows.append({
            "order_id": x.order_id, "line_no": len(rows) + 1, "kind": x.kind,
            "instance_id": x.event_id if ticket else None,
            "event_id": x.show_id if ticket else None,
            "item_id": None if ticket else FEE_ITEM,
            "ticket_type": x.price_type if ticket else None, "price_band": None,
            "is_concession": ticket and is_concession_ticket_type(x.price_type or ""),
            "is_comp": ticket and _is_comp(x), "face_value": x.face,
            "price_paid": -x.paid if is_refund else x.paid, "status": status,
            "source_line_id": x.line_id,
        })
    return order, rows


def sales_batch(
    orders: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    known: Known,
    rejected: Sequence[RejectedRow] = (),
) -> Batch:
    """Canonical rows of orders (order id → its line payloads, parsed again here), with
    the venues, shows and performances the catalogue does not know, from their first line.
    """
    batch = Batch()
    order_list: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    venues: dict[str, dict[str, Any]] = {}
    events: dict[str, dict[str, Any]] = {}
    instances: dict[str, dict[str, Any]] = {}
    fee = False
    parsed_orders = []
    for order_id, payloads in orders.items():
        parsed_orders.append((order_id, [parse_sales_line(p) for p in payloads]))
    every = sorted((x for _, lines in parsed_orders for x in lines), key=lambda x: x.sort_key)
    for x in every:
        if x.kind != "ticket":
            continue
        if x.event_id not in known.instances and x.event_id not in instances:
            instances[x.event_id] = {
                "instance_id": x.event_id, "event_id": x.show_id, "venue_id": x.venue_id,
                "starts_at": x.event_date, "capacity": None, "cancelled": False,
                "is_supplementary": False,
            }
        if x.show_id not in known.events and x.show_id not in events:
            events[x.show_id] = {"event_id": x.show_id, "name": x.show_name or x.show_id,
                                 "season": None, "category": None, "event_type": None,
                                 "event_code": None}
        if x.venue_id and x.venue_id not in known.venues and x.venue_id not in venues:
            venues[x.venue_id] = {"venue_id": x.venue_id, "name": x.venue or x.venue_id,
                                  "address": None, "postcode": None, "region": None}
    for _, lines in parsed_orders:
        order, rows = order_rows(lines)
        order_list.append(order)
        line_rows.extend(rows)
        fee = fee or any(r["kind"] == "fee" for r in rows)
    batch.add("venues", list(venues.values()))
    batch.add("events", list(events.values()))
    batch.add("instances", list(instances.values()))
    if fee:
        batch.add("items", [{"item_id": FEE_ITEM, "kind": "fee", "name": "Booking fee",
                             "price": None}])
    batch.add("orders", order_list)
    batch.add("order_lines", line_rows)
    batch.rejected.extend(rejected)
    batch.records_in = sum(len(p) for p in orders.values())
    return batch


# --- customers ---------------------------------------------------------------------------


def customer_row(cells: Mapping[str, Any], *, privacy: str) -> dict[str, Any]:
    """A customer-export line → a ``customers`` row (names and e-mail by privacy)."""
    raw = _text(cells, "postcode")
    info = normalise_any_postcode(raw)
    postcode = info.postcode if info.valid else (raw.upper() if raw else None)
    keep = privacy == "standard"
    return {
        "customer_id": _text(cells, "customer_id"), "postcode": postcode,
        "postcode_area": info.area, "postcode_district": info.district,
        "region": info.region,
        "first_name": _text(cells, "first_name") if keep else None,
        "last_name": _text(cells, "last_name") if keep else None,
        "email": _text(cells, "email") if keep else None,
    }


def customers_batch(records: Iterable[RawRecord], *, privacy: str) -> Batch:
    """Canonical ``customers`` rows of kept customer records (the last of each id wins)."""
    rows: dict[str, dict[str, Any]] = {}
    count = 0
    for record in records:
        count += 1
        row = customer_row(record.payload, privacy=privacy)
        rows[str(row["customer_id"])] = row
    batch = Batch()
    batch.add("customers", list(rows.values()))
    batch.records_in = count
    return batch
