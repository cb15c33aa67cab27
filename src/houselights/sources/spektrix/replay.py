"""Replay: rebuild canonical rows from the kept raw Spektrix records, without calling
Spektrix (after a mapping fix, or a change of the production fields).

The registry (:mod:`houselights.sources.registry`) hands over, for every
``(stream, record_key)``, the payload of the latest run that fetched it; the catalogue
lists, orders, customers and audit rows are mapped exactly as a sync maps them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from houselights.context import Houselights
from houselights.exchange.batch import Batch
from houselights.orgs.service import get_connection

from .batches import audit_batch, catalogue_batch, merge, orders_batch
from .connection import SOURCE
from .mapping import CATALOGUE_LISTS, ProductionFields

__all__ = ["map_raw_records"]


def map_raw_records(
    hl: Houselights,
    org_id: str,
    records: list[tuple[str, str, Any]],
) -> Iterable[Batch]:
    """Map raw ``(stream, record_key, payload)`` records back into one batch."""
    with hl.warehouse.connect() as session:
        settings = get_connection(session, org_id, SOURCE).settings
    fields = ProductionFields(
        settings.get("season_field"), settings.get("category_field"), settings.get("type_field")
    )
    by_stream: dict[str, dict[str, Any]] = {}
    for stream, key, payload in records:
        by_stream.setdefault(stream, {})[key] = payload  # a later payload of a key wins
    lists = {name: list(by_stream.get(name, {}).values()) for name in CATALOGUE_LISTS}
    catalogue, index, _ = catalogue_batch(lists, fields)
    orders = list(by_stream.get("orders", {}).values())
    customers = list(by_stream.get("customers", {}).values())
    audit_rows = sorted(by_stream.get("audit", {}).values(), key=lambda r: str(r.get("date")))
    yield merge(
        [
            catalogue,
            orders_batch(orders, customers, index, privacy=hl.settings.privacy),
            audit_batch(audit_rows),
        ]
    )
