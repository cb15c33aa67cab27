"""Spektrix payloads → canonical rows (pure functions, no I/O).

* **Catalogue.** Venues (postcode read from the free-text address), events with the
  production season / category / type from the configured fields (``attribute_Series``
  …), instances (venue and capacity through ``planId`` → plan, spec §6.2; flagged
  *AS Supplementary Event* → ``is_supplementary``), items: merchandise (``fee`` when
  *AS Product Type* is Fee, else ``product`` — untyped items with a warning), funds and
  memberships. Item ids are prefixed by their kind (``merchandise:…``, ``fund:…``,
  ``membership:…``) because Spektrix ids are unique only per entity type (spec §5.2).
* **Orders.** One line per ticket, merchandise item, donation and membership, numbered
  1…n in that order. Tickets for supplementary instances become ``supplementary`` lines
  (product income, not attendance). Line statuses Issued / Returned / Cancelled map to
  issued / returned / cancelled.
* **Customers.** Postcode normalised (billing address, else delivery address); names and
  email only with ``privacy = standard``.
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

from houselights.model.postcodes import normalise_postcode
from houselights.model.ticket_types import is_comp_ticket_type, is_concession_ticket_type

from .attributes import is_supplementary, product_type

__all__ = [
    "CATALOGUE_LISTS",
    "CatalogueIndex",
    "ProductionFields",
    "item_id",
    "map_audit",
    "map_catalogue",
    "map_customer",
    "map_order",
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
_POSTCODE_IN_TEXT = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})\s*$", re.IGNORECASE)
_MONEY_CENT = Decimal("0.01")


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


def _ref(value: Any) -> str | None:
    """An ``{id}`` stub or a bare id string (peers saw both, spec §6.7A)."""
    if isinstance(value, Mapping):
        return _text(value.get("id"))
    return _text(value)


def _local(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    return datetime.fromisoformat(text[:19])


def venue_postcode(address: str | None) -> str | None:
    """The UK postcode at the end of a free-text venue address, if there is one."""
    if not address:
        return None
    match = _POSTCODE_IN_TEXT.search(address.strip().rstrip(",."))
    return match.group(1) if match else None


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
    tables = {"venues": venues, "events": events, "instances": instances, "items": items}
    return tables, index


def _status(value: Any) -> str:
    text = str(value or "Issued").strip().lower()
    return text if text in ("issued", "returned", "cancelled") else "issued"


def map_order(
    order: Mapping[str, Any],
    index: CatalogueIndex,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One order row and its lines (numbered 1…n: tickets, merchandise, donations,
    memberships)."""
    oid = order["id"]
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

    for t in order.get("tickets") or []:
        instance = _ref(t.get("instance"))
        ticket_type = (
            _text((t.get("type") or {}).get("name"))
            if isinstance(t.get("type"), Mapping)
            else _text(t.get("type"))
        )
        face, paid = _money(t.get("originalPrice")), _money(t.get("price")) or Decimal("0.00")
        comp = bool(ticket_type and is_comp_ticket_type(ticket_type)) or (
            face is not None and face > 0 and paid == 0
        )
        line(
            "supplementary" if instance in index.supplementary else "ticket",
            instance_id=instance,
            event_id=_ref(t.get("event")),
            ticket_type=ticket_type,
            price_band=_text((t.get("band") or {}).get("name")),
            is_concession=bool(ticket_type and is_concession_ticket_type(ticket_type)),
            is_comp=comp,
            face_value=face,
            price_paid=paid,
            status=_status(t.get("status")),
            source_line_id=_text(t.get("id")),
        )
    for m in order.get("merchandise") or []:
        stock = _ref(m.get("stockItem")) or ""
        price = _money(m.get("price")) or Decimal("0.00")
        line(
            index.item_kinds.get(stock, "product"),
            item_id=item_id("merchandise", stock),
            face_value=price,
            price_paid=price,
            status=_status(m.get("status")),
            source_line_id=_text(m.get("id")),
        )
    for d in order.get("donations") or []:
        amount = _money(d.get("amount")) or Decimal("0.00")
        line(
            "donation",
            item_id=item_id("fund", _ref(d.get("fund")) or ""),
            face_value=amount,
            price_paid=amount,
            status=_status(d.get("status")),
            source_line_id=_text(d.get("id")),
        )
    for s in order.get("memberships") or []:
        price = _money(s.get("price")) or Decimal("0.00")
        line(
            "membership",
            item_id=item_id("membership", _ref(s.get("membership")) or ""),
            face_value=price,
            price_paid=price,
            status=_status(s.get("status")),
            source_line_id=_text(s.get("id")),
        )
    channel = _CHANNELS.get(str(order.get("salesChannel") or "").strip().lower(), "other")
    row = {
        "order_id": oid,
        "customer_id": _ref(order.get("customer")),
        "created_at": _local(order.get("firstTransactionDate")),
        "channel": channel,
    }
    return row, lines


def map_customer(customer: Mapping[str, Any], *, privacy: str) -> dict[str, Any]:
    """One customer row: normalised postcode and geography; names/email by privacy."""
    raw = None
    for key in ("billingAddress", "deliveryAddress"):
        address = customer.get(key)
        if isinstance(address, Mapping) and _text(address.get("postcode")):
            raw = _text(address.get("postcode"))
            break
    info = normalise_postcode(raw)
    row: dict[str, Any] = {
        "customer_id": customer["id"],
        "postcode": info.postcode,
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
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Canonical changes and the latest contact preference per customer and statement.

    ``rows`` are in report order (oldest first); a later row for the same preference wins.
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
        if parsed:
            key = (customer, parsed[0])
            current = latest.get(key)
            if current is None or current["changed_at"] <= when:
                latest[key] = {
                    "customer_id": customer,
                    "statement": parsed[0],
                    "opted_in": parsed[1],
                    "changed_at": when,
                }
    return list(changes.values()), list(latest.values())
