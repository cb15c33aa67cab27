"""Fetched payloads → exchange :class:`Batch` objects of canonical rows.

Raw streams and their record keys: the catalogue lists (``events``, ``instances``,
``plans``, ``venues``, ``stock_items``, ``funds``, ``memberships``, ``statements``) keyed
by Spektrix id; ``orders`` and ``customers`` by id; ``audit`` by the row's ``change_id``.
The kit's runner keeps the raw records of every page; replay maps them here again.

Nothing is dropped without a word: what an order, line or customer carries that the
mapping does not read (a ``giftVouchers`` collection, an unknown field), and customers
whose address holds no postcode houselights can find, are counted as findings — quality
warnings beside the checks, the records themselves kept raw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from houselights.exchange.batch import Batch, RawRecord, StreamCursor

from .mapping import (
    CATALOGUE_LISTS,
    CatalogueIndex,
    ProductionFields,
    change_id,
    map_audit,
    map_catalogue,
    map_customer,
    map_order,
    map_preferences,
)
from .payloads import customer_address_postcode, unknown_customer_fields, unknown_order_parts

__all__ = [
    "CATALOGUE_TABLES_OF",
    "RECORDS_STATE",
    "audit_batch",
    "audit_records",
    "catalogue_batch",
    "catalogue_digests",
    "orders_batch",
    "payload_records",
    "records_cursors",
]

CATALOGUE_TABLES_OF: dict[str, tuple[str, ...]] = {
    "venues": ("venues",),
    "plans": ("instances",),
    "events": ("events",),
    "instances": ("instances",),
    "stock_items": ("items",),
    "funds": ("items",),
    "memberships": ("items",),
    "statements": (),
}
"""Which canonical tables a catalogue list feeds (plans give instances their venue)."""


def catalogue_digests(
    lists: Mapping[str, list[dict[str, Any]]],
    fields: ProductionFields,
) -> dict[str, str]:
    """A digest per catalogue list (and the mapping settings it depends on)."""
    salt = json.dumps([fields.season, fields.category, fields.event_type])
    out = {}
    for name in CATALOGUE_LISTS:
        text = json.dumps(
            sorted(lists.get(name, []), key=lambda p: str(p.get("id"))), sort_keys=True, default=str
        )
        out[name] = hashlib.sha256((salt + text).encode()).hexdigest()[:32]
    return out


def catalogue_batch(
    lists: Mapping[str, list[dict[str, Any]]],
    fields: ProductionFields,
    *,
    changed: Iterable[str] | None = None,
) -> tuple[Batch, CatalogueIndex, list[str]]:
    """The catalogue as a batch (only the ``changed`` lists, default all), its index and
    warnings (untyped merchandise)."""
    names = set(CATALOGUE_LISTS if changed is None else changed)
    tables, index = map_catalogue(lists, fields)
    wanted = {t for n in names for t in CATALOGUE_TABLES_OF[n]}
    batch = Batch(records_in=sum(len(lists.get(n, [])) for n in names))
    for table, rows in tables.items():
        if table in wanted:
            batch.add(table, rows)
    warnings = []
    if index.untyped_items:
        shown = ", ".join(sorted(index.untyped_items.values())[:5])
        warnings.append(
            f"{len(index.untyped_items)} merchandise item(s) have no AS Product Type value "
            f"and are counted as products ({shown}); set 'Fee' on any that are fees."
        )
    return batch, index, warnings


class _Findings:
    """Counts what the mapping noticed, with a few sample ids each."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str], list[str]] = {}

    def add(self, name: str, table: str, description: str, sample: str) -> None:
        self.counts.setdefault((name, table, description), []).append(sample)

    def note(self, batch: Batch) -> None:
        for (name, table, description), ids in self.counts.items():
            batch.note(name, table, len(ids), description, tuple(ids[:5]))


def orders_batch(
    orders: Iterable[dict[str, Any]],
    customers: Iterable[dict[str, Any]],
    index: CatalogueIndex,
    *,
    privacy: str,
    zone: ZoneInfo | None = None,
) -> Batch:
    """Orders with their lines, customers and their contact preferences, as one batch
    (with findings for what the mapping does not read)."""
    batch = Batch()
    found = _Findings()
    order_rows, line_rows = [], []
    for order in orders:
        row, lines = map_order(order, index, zone)
        order_rows.append(row)
        line_rows.extend(lines)
        for name, table, description in set(unknown_order_parts(order)):
            found.add(name, table, description, row["order_id"])
    customer_rows, preference_rows = [], []
    no_postcode: list[str] = []
    for customer in customers:
        row = map_customer(customer, privacy=privacy)
        customer_rows.append(row)
        preference_rows.extend(map_preferences(customer, index) or [])
        for field_name in unknown_customer_fields(customer):
            found.add(
                f"customers.unknown_field.{field_name}", "customers",
                f"customers carry the field {field_name}, which houselights does not read "
                "(kept in the raw records)",
                row["customer_id"],
            )
        raw, has_address, _ = customer_address_postcode(customer)
        if has_address and raw is None:
            no_postcode.append(row["customer_id"])
    for cid in no_postcode:
        found.add(
            "customers.postcode_not_found", "customers",
            "customers have an address but no postcode houselights could find in it "
            "(no geography for them)",
            cid,
        )
    batch.add("orders", order_rows)
    batch.add("order_lines", line_rows)
    batch.add("customers", customer_rows)
    if preference_rows:
        batch.add("contact_preferences", preference_rows)
    found.note(batch)
    batch.records_in = len(order_rows) + len(customer_rows)
    return batch


def audit_batch(rows: list[dict[str, Any]], *, current: bool = True) -> Batch:
    """Customer Audit rows as changes, and (with ``current``: for systems whose customer
    records show no agreed statements) the current contact preferences they imply."""
    changes, preferences = map_audit(rows, current=current)
    batch = Batch(records_in=len(rows))
    batch.add("contact_preference_changes", changes)
    batch.add("contact_preferences", preferences)
    return batch


def audit_records(rows: Iterable[dict[str, Any]]) -> list[RawRecord]:
    """Audit rows as raw records keyed by their change id (a repeated row kept once)."""
    out: dict[str, RawRecord] = {}
    for row in rows:
        key = change_id(row)
        out.setdefault(key, RawRecord("audit", key, row))
    return list(out.values())


def payload_records(stream: str, payloads: Iterable[dict[str, Any]]) -> list[RawRecord]:
    """Payloads as raw records of ``stream``, keyed by their ``id`` (callers drop, with a
    warning, the rare payload without one)."""
    return [RawRecord(stream, str(p["id"]), p) for p in payloads if p.get("id") is not None]


RECORDS_STATE = "customer_records"
"""The stream state recording what this system's customer records show."""


def records_cursors(customers: Iterable[dict[str, Any]]) -> list[StreamCursor]:
    """The ``customer_records`` cursor when a customer record shows agreed statements
    (committed with the page that proves it, so a resumed sync knows it too)."""
    if any(isinstance(c.get("agreedStatements"), list) for c in customers):
        return [StreamCursor(RECORDS_STATE, "agreedStatements", {"agreed_statements": True})]
    return []
