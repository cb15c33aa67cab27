"""Spektrix payloads → canonical rows (pure functions, no I/O).

* **Catalogue.** Venues (postcode read from the free-text address), events with the
  production season / category / type from the configured fields (``attribute_Series``
  …), instances (venue and capacity through ``planId`` → plan, spec §6.2; flagged
  *AS Supplementary Event* → ``is_supplementary``), items: merchandise (``fee`` when
  *AS Product Type* is Fee, else ``product`` — untyped items with a warning), funds and
  memberships. Item ids are prefixed by their kind (``merchandise:…``, ``fund:…``,
  ``membership:…``) because Spektrix ids are unique only per entity type (spec §5.2).
* **Events** also get their ``event_code``: the numeric Event ID people see in Spektrix's
  reports and give Illuminate (4607), the integer before the ``A`` of the 33-character id
  (spec §14.5).
* **Orders.** One line per ticket, merchandise item, donation and membership
  subscription, numbered 1…n in that order (:mod:`.payloads` reads every documented and
  observed shape). Paid is what the line's ``total`` says, face value its nominal (or,
  when overridden, original) price. Tickets for supplementary instances become
  ``supplementary`` lines (product income, not attendance). A line is ``issued`` unless
  a line ``status`` (which no public model shows) says Returned or Cancelled; the order's
  channel is ``other`` unless a sales channel is given.
* **Customers.** The postcode from the first documented address place that has one
  (billing, delivery, ``addresses[]``), normalised when it is a UK postcode and kept as
  given otherwise (non-UK addresses are not mis-parsed); names and email only with
  ``privacy = standard``. Contact preferences come from ``agreedStatements``.
* **Customer Audit.** Every row becomes a change (``change_id`` = hash of its fields);
  rows that change a contact preference also update the current preference.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from houselights.model.postcodes import normalise_postcode
from houselights.model.ticket_types import is_comp_ticket_type, is_concession_ticket_type

from .attributes import is_supplementary, product_type
from .payloads import (
    ITEM_COLLECTIONS,
    agreed_statements,
    customer_address_postcode,
    item_money,
    local_time,
    order_customer,
    postcode_in_text,
    ticket_money,
)
from .payloads import ref as _ref

__all__ = [
    "CATALOGUE_LISTS",
    "CatalogueIndex",
    "ProductionFields",
    "event_code",
    "item_id",
    "map_audit",
    "map_catalogue",
    "map_customer",
    "map_order",
    "map_preferences",
    "parse_preference_change",
]

CATALOGUE_LISTS: tuple[str, ...] = (
    "venues",
    "plans",
    "events",
    "instances",
    "stock_items",
    "funds",
    "memberships",
    "statements",
)
"""Catalogue lists in the order they are fetched and mapped (raw stream names)."""

_CHANNELS = {
    "web": "online",
    "online": "online",
    "box office": "box_office",
    "phone": "phone",
    "telephone": "phone",
    "agent": "agent",
}
_MONEY_CENT = Decimal("0.01")
_EVENT_CODE = re.compile(r"^(\d+)([A-Z])")


@dataclass(frozen=True)
class ProductionFields:
    """Which event fields hold the production season, category and type (guide step 5)."""

    season: str | None = "attribute_Series"
    category: str | None = "attribute_Category"
    event_type: str | None = "attribute_Type"


@dataclass
class CatalogueIndex:
    """What mapping an order needs to know about the catalogue."""

    supplementary: set[str] = field(default_factory=set)
    item_kinds: dict[str, str] = field(default_factory=dict)
    untyped_items: dict[str, str] = field(default_factory=dict)
    """Merchandise without a usable AS Product Type: id → name (mapped as products)."""
    statements: dict[str, str] = field(default_factory=dict)
    """Contact-preference statements: id → name (or text)."""


def item_id(kind: str, spektrix_id: str) -> str:
    """The canonical id of a merchandise item, fund or membership."""
    return f"{kind}:{spektrix_id}"


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(_MONEY_CENT)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _local(value: Any) -> datetime | None:
    return local_time(_text(value))


def event_code(event_id: str) -> str | None:
    """The numeric Event ID people see (``4607``) from a 33-character id (``4607AHGJ…``).

    The integer before the separator letter is the legacy id ("shorten 1234ABCD… to
    1234", spec §5.2); a separator other than ``A`` makes it negative, as one peer
    decodes it [observed]. ``None`` for ids of another form.
    """
    match = _EVENT_CODE.match(event_id)
    if match is None:
        return None
    number, letter = match.groups()
    return number if letter == "A" else f"-{number}"


def venue_postcode(address: str | None) -> str | None:
    """The UK postcode at the end of a free-text venue address, if there is one."""
    return postcode_in_text(address) if address else None


def map_catalogue(
    lists: Mapping[str, list[dict[str, Any]]],
    fields: ProductionFields,
) -> tuple[dict[str, list[dict[str, Any]]], CatalogueIndex]:
    """Canonical venues, events, instances and items, and the index orders need."""
    index = CatalogueIndex()
    venues = []
    for v in lists.get("venues", []):
        info = normalise_postcode(venue_postcode(v.get("address")))
        venues.append(
            {
                "venue_id": v["id"],
                "name": _text(v.get("name")) or v["id"],
                "address": _text(v.get("address")),
                "postcode": info.postcode,
                "region": info.region,
            }
        )
    plans = {p["id"]: p for p in lists.get("plans", [])}
    events = [
        {
            "event_id": e["id"],
            "event_code": event_code(str(e["id"])),
            "name": _text(e.get("name")) or e["id"],
            "season": _text(e.get(fields.season)) if fields.season else None,
            "category": _text(e.get(fields.category)) if fields.category else None,
            "event_type": _text(e.get(fields.event_type)) if fields.event_type else None,
        }
        for e in lists.get("events", [])
    ]
    instances = []
    for i in lists.get("instances", []):
        plan = plans.get(_text(i.get("planId")) or "", {})
        supplementary = is_supplementary(i)
        if supplementary:
            index.supplementary.add(i["id"])
        instances.append(
            {
                "instance_id": i["id"],
                "event_id": _ref(i.get("event")),
                "venue_id": _ref(plan.get("venue")),
                "starts_at": _local(i.get("start")),
                "capacity": plan.get("capacity"),
                "cancelled": bool(i.get("cancelled")),
                "is_supplementary": supplementary,
            }
        )
    items = []
    for s in lists.get("stock_items", []):
        kind = product_type(s)
        if kind is None:
            index.untyped_items[s["id"]] = _text(s.get("name")) or s["id"]
            kind = "product"
        index.item_kinds[s["id"]] = kind
        items.append(
            {
                "item_id": item_id("merchandise", s["id"]),
                "kind": kind,
                "name": _text(s.get("name")) or s["id"],
                "price": _money(s.get("price")),
            }
        )
    for f in lists.get("funds", []):
        items.append(
            {
                "item_id": item_id("fund", f["id"]),
                "kind": "fund",
                "name": _text(f.get("name")) or f["id"],
                "price": _money(f.get("defaultDonationAmount")),
            }
        )
    for m in lists.get("memberships", []):
        items.append(
            {
                "item_id": item_id("membership", m["id"]),
                "kind": "membership",
                "name": _text(m.get("name")) or m["id"],
                "price": _money(m.get("price")),
            }
        )
    for st in lists.get("statements", []):
        label = _text(st.get("name")) or _text(st.get("text"))
        if st.get("id") is not None and label:
            index.statements[str(st["id"])] = label
    tables = {"venues": venues, "events": events, "instances": instances, "items": items}
    return tables, index


def _status(value: Any) -> str:
    # No public model shows a line status (spec §14.1): a listed line is held (issued).
    text = str(value or "Issued").strip().lower()
    return text if text in ("issued", "returned", "cancelled") else "issued"


def _lines_of(order: Mapping[str, Any], names: tuple[str, ...]) -> list[Mapping[str, Any]]:
    return [
        line
        for name in names
        if isinstance(order.get(name), list)
        for line in order[name]
        if isinstance(line, Mapping)
    ]


def _created_at(order: Mapping[str, Any], zone: ZoneInfo | None) -> datetime | None:
    """The first transaction, local: ``firstTransactionDate``, else its UTC companion in
    the connection's zone, else ``confirmedOn``."""
    found = _local(order.get("firstTransactionDate"))
    if found is not None:
        return found
    utc = local_time(str(order.get("firstTransactionDateUtc") or "").rstrip("Z"))
    if utc is not None and zone is not None:
        return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    return utc or _local(order.get("confirmedOn"))


def map_order(
    order: Mapping[str, Any],
    index: CatalogueIndex,
    zone: ZoneInfo | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One order row and its lines (numbered 1…n: tickets, merchandise, donations,
    membership subscriptions). ``zone`` reads a UTC-only first transaction locally."""
    oid = str(order["id"])
    lines: list[dict[str, Any]] = []

    def line(kind: str, **values: Any) -> None:
        base = {
            "order_id": oid,
            "line_no": len(lines) + 1,
            "kind": kind,
            "is_concession": False,
            "is_comp": False,
        }
        lines.append({**base, **values})

    for t in _lines_of(order, ("tickets",)):
        instance = _ref(t.get("instance"))
        kind_of = t.get("type") if t.get("type") is not None else t.get("ticketType")
        ticket_type = (
            _text(kind_of.get("name")) if isinstance(kind_of, Mapping) else _text(kind_of)
        )
        face, paid = ticket_money(t)
        face, paid = _cents(face), _cents(paid) or Decimal("0.00")
        comp = bool(ticket_type and is_comp_ticket_type(ticket_type)) or (
            face is not None and face > 0 and paid == 0
        )
        band = t.get("band")
        line(
            "supplementary" if instance in index.supplementary else "ticket",
            instance_id=instance,
            event_id=_ref(t.get("event")),
            ticket_type=ticket_type,
            price_band=_text(band.get("name")) if isinstance(band, Mapping) else _text(band),
            is_concession=bool(ticket_type and is_concession_ticket_type(ticket_type)),
            is_comp=comp,
            face_value=face,
            price_paid=paid,
            status=_status(t.get("status")),
            source_line_id=_text(t.get("id")),
        )
    for m in _lines_of(order, ITEM_COLLECTIONS["merchandise"]):
        stock = _ref(m.get("stockItem")) or ""
        face, paid = item_money(m)
        line(
            index.item_kinds.get(stock, "product"),
            item_id=item_id("merchandise", stock),
            face_value=_cents(face),
            price_paid=_cents(paid) or Decimal("0.00"),
            status=_status(m.get("status")),
            source_line_id=_text(m.get("id")),
        )
    for d in _lines_of(order, ("donations",)):
        face, paid = item_money(d)
        line(
            "donation",
            item_id=item_id("fund", _ref(d.get("fund")) or ""),
            face_value=_cents(face),
            price_paid=_cents(paid) or Decimal("0.00"),
            status=_status(d.get("status")),
            source_line_id=_text(d.get("id")),
        )
    for s in _lines_of(order, ITEM_COLLECTIONS["membership"]):
        face, paid = item_money(s)
        line(
            "membership",
            item_id=item_id("membership", _ref(s.get("membership")) or ""),
            face_value=_cents(face),
            price_paid=_cents(paid) or Decimal("0.00"),
            status=_status(s.get("status")),
            source_line_id=_text(s.get("id")),
        )
    sold_by = order.get("salesChannel", order.get("channel"))
    row = {
        "order_id": oid,
        "customer_id": order_customer(order),
        "created_at": _created_at(order, zone),
        "channel": _CHANNELS.get(str(sold_by or "").strip().lower(), "other"),
    }
    return row, lines


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_MONEY_CENT)


def map_customer(customer: Mapping[str, Any], *, privacy: str) -> dict[str, Any]:
    """One customer row: the postcode (normalised when a UK one, else kept as given) and
    its geography; names and email by privacy."""
    raw, _, abroad = customer_address_postcode(customer)
    info = normalise_postcode(None if abroad else raw)
    kept = " ".join(raw.split()).upper() if raw else None
    row: dict[str, Any] = {
        "customer_id": customer["id"],
        "postcode": info.postcode if info.valid else kept,
        "postcode_area": info.area,
        "postcode_district": info.district,
        "region": info.region,
    }
    if privacy == "standard":
        row.update(
            first_name=_text(customer.get("firstName")),
            last_name=_text(customer.get("lastName")),
            email=_text(customer.get("email")),
        )
    return row


def map_preferences(
    customer: Mapping[str, Any], index: CatalogueIndex
) -> list[dict[str, Any]] | None:
    """Current contact preferences from the customer record's ``agreedStatements``
    (``None`` when the record does not show them). When each was agreed is not in the
    record: ``changed_at`` is left empty; the Customer Audit keeps the history."""
    states = agreed_statements(customer, index.statements)
    if states is None:
        return None
    return [
        {"customer_id": customer["id"], "statement": name, "opted_in": on, "changed_at": None}
        for name, on in states.items()
    ]


_PREFERENCE_PATTERNS: tuple[tuple[re.Pattern[str], bool | None], ...] = (
    (
        re.compile(
            r"contact preference '(?P<s>.+?)' changed from (yes|no) to (?P<v>yes|no)", re.IGNORECASE
        ),
        None,
    ),
    (re.compile(r"^\s*agreed to statement:\s*(?P<s>.+?)\s*$", re.IGNORECASE), True),
    (re.compile(r"^\s*withdrew agreement to statement:\s*(?P<s>.+?)\s*$", re.IGNORECASE), False),
    (re.compile(r"^\s*opted in to\s*'?(?P<s>.+?)'?\s*$", re.IGNORECASE), True),
    (re.compile(r"^\s*opted out of\s*'?(?P<s>.+?)'?\s*$", re.IGNORECASE), False),
)


def parse_preference_change(narrative: str) -> tuple[str, bool] | None:
    """``(statement, opted_in)`` if the narrative records a contact-preference change.

    The real wording is not public (spec §9.1), so several phrasings are accepted.
    """
    for pattern, value in _PREFERENCE_PATTERNS:
        match = pattern.search(narrative)
        if match:
            opted = value if value is not None else match.group("v").lower() == "yes"
            return match.group("s").strip(), opted
    return None


def change_id(row: Mapping[str, Any]) -> str:
    """Stable id of one audit row: a hash of all its fields."""
    text = "|".join(
        str(row.get(k) or "") for k in ("customer_id", "date", "user", "update_method", "narrative")
    )
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:24]


def map_audit(
    rows: Iterable[Mapping[str, Any]],
    *,
    current: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Canonical changes and (with ``current``) the latest contact preference per customer
    and statement.

    ``rows`` are in report order (oldest first); a later row for the same preference wins.
    Current preferences are derived from the narratives only for systems whose customer
    records do not show ``agreedStatements`` (where they do, the record is the current
    state and the audit its history).
    """
    changes: dict[str, dict[str, Any]] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        when = _local(row.get("date"))
        customer = _text(row.get("customer_id"))
        if when is None or customer is None:
            continue
        narrative = _text(row.get("narrative")) or ""
        parsed = parse_preference_change(narrative)
        cid = change_id(row)
        changes[cid] = {
            "change_id": cid,
            "customer_id": customer,
            "changed_at": when,
            "statement": parsed[0] if parsed else None,
            "opted_in": parsed[1] if parsed else None,
            "changed_by": _text(row.get("user")),
            "update_method": _text(row.get("update_method")),
            "narrative": narrative,
        }
        if parsed and current:
            key = (customer, parsed[0])
            seen = latest.get(key)
            if seen is None or seen["changed_at"] <= when:
                latest[key] = {
                    "customer_id": customer,
                    "statement": parsed[0],
                    "opted_in": parsed[1],
                    "changed_at": when,
                }
    return list(changes.values()), list(latest.values())
