"""How houselights reads Spektrix order and customer payloads: every documented shape and
every variant seen in the wild, and what it knows it does not read.

Spektrix documents (spec §14.1, §14.3) the order line collections ``tickets``,
``merchandiseItems``, ``donations``, ``membershipSubscriptions``, ``ticketSubscriptions``,
``giftVouchers``; money as ``price`` (nominal, before discounts), ``discount``, ``total``
(what was paid) and, on tickets, ``originalPrice`` (before a manual override) with
``priceOverridden``; owner-mode customers with ``billingAddress``, ``deliveryAddress``,
``addresses[]`` and ``agreedStatements[]``. Peers saw tickets with ``originalPrice`` and
no ``price``, and references as bare id strings (§6.7A). The first build of houselights
invented ``merchandise``/``memberships`` collections, line and order ``status``,
``salesChannel`` and ``lastModifiedUtc``; raw records kept from it are still read.

Everything else an order, line or customer carries is *unknown* to houselights:
:func:`unknown_order_parts` and :func:`unknown_customer_fields` name it, so the mapping
can count it as a finding instead of dropping it without a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "ITEM_COLLECTIONS",
    "UNMAPPED_COLLECTIONS",
    "agreed_statements",
    "customer_address_postcode",
    "item_money",
    "local_time",
    "order_changed_utc",
    "order_customer",
    "postcode_in_text",
    "ref",
    "ticket_money",
    "unknown_customer_fields",
    "unknown_order_parts",
]

ITEM_COLLECTIONS: dict[str, tuple[str, ...]] = {
    "merchandise": ("merchandiseItems", "merchandise"),
    "membership": ("membershipSubscriptions", "memberships"),
}
"""Documented collection names first, then the first build's invented ones (still read:
raw records kept by it are replayed)."""

UNMAPPED_COLLECTIONS = ("ticketSubscriptions", "giftVouchers")
"""Documented order collections houselights has no canonical line kind for (yet)."""

_MAPPED_COLLECTIONS = frozenset(
    {"tickets", "donations", *(n for names in ITEM_COLLECTIONS.values() for n in names)}
)
_ORDER_FIELDS = frozenset({
    "id", "customer", "customerId", "friendlyId", "channel",
    "firstTransactionDate", "firstTransactionDateUtc", "lastTransactionDate",
    "lastTransactionDateUtc", "confirmedOn", "total", "totalTransactionCharges",
    # the first build's invented fields (read when present, never relied on)
    "salesChannel", "status", "lastModifiedUtc",
})
_LINE_FIELDS: dict[str, frozenset[str]] = {
    "tickets": frozenset({
        "id", "event", "instance", "band", "type", "ticketType", "planId", "seatName",
        "barcode", "delivered", "price", "discount", "total", "originalPrice",
        "priceOverridden", "status",
    }),
    "merchandise": frozenset({
        "id", "stockItem", "price", "discount", "total", "barcode", "delivered", "status",
    }),
    "donations": frozenset({"id", "amount", "fund", "isAnonymous", "recognitionName", "status"}),
    "membership": frozenset({
        "id", "membership", "price", "discount", "total", "autoRenew", "startDate",
        "expiryDate", "isRenewal", "status",
    }),
}
_CUSTOMER_FIELDS = frozenset({
    "id", "friendlyId", "title", "firstName", "lastName", "name", "email", "mobile", "phone",
    "birthDate", "age", "billingAddress", "deliveryAddress", "addresses", "agreedStatements",
    "allStatements", "tags", "subscriptions", "orders", "creditBalance", "passwordSet",
    "giftAidDeclarationRequired", "createdDate",
})
_POSTCODE_KEYS = ("postcode", "postCode", "postalCode", "zip", "zipCode", "postcodeOrZip")
"""Inner address keys are not public (spec §14.3): the plausible names, in this order."""
_UK = frozenset({"united kingdom", "uk", "gb", "gbr", "great britain", "england", "scotland",
                 "wales", "northern ireland"})
_POSTCODE_IN_TEXT = re.compile(
    r"(?:^|[\s,])([A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})\s*$", re.IGNORECASE
)


def postcode_in_text(text: str) -> str | None:
    """The UK postcode at the end of a free-text address (``…, Leeds, LS6 2AB``), if any;
    a non-UK one (``…, BC V7V 2G7``) is not mistaken for one."""
    match = _POSTCODE_IN_TEXT.search(text.strip().rstrip(",."))
    return match.group(1) if match else None


def ref(value: Any) -> str | None:
    """The id of an ``{id}`` reference or of a bare id string (peers saw both)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def order_customer(order: Mapping[str, Any]) -> str | None:
    """The customer of an order: ``customer`` (``{id}`` or a string), else ``customerId``."""
    return ref(order.get("customer")) or ref(order.get("customerId"))


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Mapping):  # a Money object
        value = value.get("amount", value.get("value"))
        if value is None:
            return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def ticket_money(ticket: Mapping[str, Any]) -> tuple[Decimal | None, Decimal]:
    """``(face value, paid)`` of a ticket.

    Paid is ``total``; without it ``price`` − ``discount``; without a price (the shape a
    peer saw on live orders) ``originalPrice``. Face value is ``originalPrice`` when the
    price was overridden, or when no ``priceOverridden`` flag says otherwise (the first
    build kept the price before offers there), else ``price``.
    """
    price = _money(ticket.get("price"))
    original = _money(ticket.get("originalPrice"))
    total = _money(ticket.get("total"))
    discount = _money(ticket.get("discount")) or Decimal(0)
    if total is not None:
        paid = total
    elif price is not None:
        paid = price - discount
    else:
        paid = original if original is not None else Decimal(0)
    flag = ticket.get("priceOverridden")
    use_original = original is not None and (flag is True or flag is None or price is None)
    return (original if use_original else price), paid


def item_money(item: Mapping[str, Any]) -> tuple[Decimal | None, Decimal]:
    """``(face value, paid)`` of a merchandise item or membership subscription (``price``,
    ``discount``, ``total``) or a donation (``amount``)."""
    if "amount" in item and "price" not in item:
        amount = _money(item.get("amount")) or Decimal(0)
        return amount, amount
    price = _money(item.get("price"))
    total = _money(item.get("total"))
    if total is None:
        total = (price or Decimal(0)) - (_money(item.get("discount")) or Decimal(0))
    return price, total


def local_time(value: Any) -> datetime | None:
    """A Spektrix local date-time (``YYYY-MM-DDTHH:MM:SS``, no offset), or ``None``."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.fromisoformat(value[:19])
    except ValueError:
        return None


def _utc_text(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return datetime.fromisoformat(value.rstrip("Z")[:26] if "." in value else value[:19])
    except ValueError:
        return None


def order_changed_utc(order: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    """When an order last changed, in UTC (naive), as far as its payload tells.

    ``lastModifiedUtc`` where a system shows it (no public model does); else the last
    transaction (``lastTransactionDateUtc``, or ``lastTransactionDate`` read in the
    connection's time zone); else the first transaction.
    """
    for key in ("lastModifiedUtc", "lastTransactionDateUtc"):
        found = _utc_text(order.get(key))
        if found is not None:
            return found
    for key in ("lastTransactionDate", "firstTransactionDate"):
        local = local_time(order.get(key))
        if local is not None:
            return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return _utc_text(order.get("firstTransactionDateUtc"))


def unknown_order_parts(order: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """``(finding name, table, description)`` for each part of ``order`` houselights does
    not map: a documented collection it has no line kind for, a collection or field it
    does not know, a line field it does not read. Names are unique per part (a load
    records one check result per name)."""
    for key, value in order.items():
        if key in _MAPPED_COLLECTIONS or key in _ORDER_FIELDS:
            continue
        if key in UNMAPPED_COLLECTIONS:
            if value:
                yield (
                    f"orders.unmapped_collection.{key}", "orders",
                    f"orders carry {key}, which houselights does not map yet "
                    "(kept in the raw records)",
                )
        elif isinstance(value, list):
            if value:
                yield (
                    f"orders.unknown_collection.{key}", "orders",
                    f"orders carry {key}, a collection houselights does not know "
                    "(kept in the raw records)",
                )
        else:
            yield (
                f"orders.unknown_field.{key}", "orders",
                f"orders carry the field {key}, which houselights does not read "
                "(kept in the raw records)",
            )
    for key, known in (("tickets", "tickets"), ("donations", "donations"),
                       *((n, kind) for kind, names in ITEM_COLLECTIONS.items() for n in names)):
        lines = order.get(key)
        if not isinstance(lines, list):
            continue
        fields = _LINE_FIELDS[known]
        seen = {k for line in lines if isinstance(line, Mapping) for k in line} - fields
        for name in sorted(seen):
            if name.startswith("attribute_"):
                continue
            yield (
                f"order_lines.unknown_field.{key}.{name}", "order_lines",
                f"orders have {key} carrying the field {name}, which houselights does not "
                "read (kept in the raw records)",
            )


def unknown_customer_fields(customer: Mapping[str, Any]) -> list[str]:
    """Fields of ``customer`` houselights does not know (custom ``attribute_*`` fields
    are known: kept raw, not mapped)."""
    return sorted(
        k for k in customer if k not in _CUSTOMER_FIELDS and not k.startswith("attribute_")
    )


def _addresses(customer: Mapping[str, Any]) -> list[Any]:
    found: list[Any] = [customer.get("billingAddress"), customer.get("deliveryAddress")]
    extra = customer.get("addresses")
    if isinstance(extra, list):
        found.extend(extra)
    return [a for a in found if a]


def _country(address: Mapping[str, Any]) -> str | None:
    value = address.get("country")
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("code") or value.get("id")
    return str(value).strip() if value else None


def customer_address_postcode(
    customer: Mapping[str, Any],
) -> tuple[str | None, bool, bool]:
    """``(postcode as given, has an address, outside the UK)`` for a customer.

    Every documented address place is read — ``billingAddress``, ``deliveryAddress``,
    then ``addresses[]`` — each under any of the plausible postcode keys; an address given
    as one free-text string yields a UK postcode at its end. The first postcode found
    wins. "Outside the UK" is true when that address names another country.
    """
    addresses = _addresses(customer)
    for address in addresses:
        if isinstance(address, str):
            found = postcode_in_text(address)
            if found:
                return found, True, False
            continue
        if not isinstance(address, Mapping):
            continue
        for key in _POSTCODE_KEYS:
            value = address.get(key)
            if isinstance(value, str) and value.strip():
                country = _country(address)
                abroad = country is not None and country.lower() not in _UK
                return value.strip(), True, abroad
    return None, bool(addresses), False


def agreed_statements(
    customer: Mapping[str, Any], names: Mapping[str, str]
) -> dict[str, bool] | None:
    """Contact preferences read from the customer record: statement → agreed.

    ``agreedStatements`` (documented, §14.3) lists the statements agreed to; the others
    of ``allStatements`` (or, without it, of the catalogue's statements ``names``) are not
    agreed. Items may be statement objects or bare ids; a statement is named by its
    ``name``, the catalogue's name for its id, its ``text``, or its id. ``None`` when the
    record does not show agreed statements at all.
    """
    agreed = customer.get("agreedStatements")
    if not isinstance(agreed, list):
        return None

    def label(item: Any) -> str | None:
        ident = ref(item)
        if isinstance(item, Mapping):
            given = item.get("name") or (names.get(ident) if ident else None) or item.get("text")
            return str(given).strip() if given else ident
        return names.get(ident, ident) if ident else None

    every = customer.get("allStatements")
    universe = [label(s) for s in every] if isinstance(every, list) else list(names.values())
    out = {name: False for name in universe if name}
    for item in agreed:
        name = label(item)
        if name:
            out[name] = True
    return out
