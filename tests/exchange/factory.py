"""Small canonical batches for exchange tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from houselights.exchange import Batch, RawRecord

BASE = datetime(2025, 5, 1, 19, 30)


def line(
    order_id: str, n: int, instance: str = "i1", price: str = "10.00", **kw: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": order_id,
        "line_no": n,
        "kind": "ticket",
        "instance_id": instance,
        "event_id": "e1",
        "ticket_type": "Standard",
        "face_value": Decimal("12.00"),
        "price_paid": Decimal(price),
        "is_concession": False,
        "is_comp": False,
        "status": "issued",
    }
    row.update(kw)
    return row


def catalogue(batch: Batch, capacity: int = 100) -> None:
    batch.add("venues", [{"venue_id": "v1", "name": "Main House", "postcode": "M1 1AA"}])
    batch.add("events", [{"event_id": "e1", "name": "Hamlet", "season": "Spring 2025"}])
    batch.add(
        "instances",
        [
            {
                "instance_id": f"i{k}",
                "event_id": "e1",
                "venue_id": "v1",
                "starts_at": BASE + timedelta(days=k),
                "capacity": capacity,
                "cancelled": False,
                "is_supplementary": False,
            }
            for k in (1, 2)
        ],
    )


def orders_batch(
    n_orders: int = 3, lines_per_order: int = 2, *, with_catalogue: bool = True, capacity: int = 100
) -> Batch:
    batch = Batch(records_in=n_orders)
    if with_catalogue:
        catalogue(batch, capacity)
    batch.add(
        "customers",
        [
            {
                "customer_id": f"c{k}",
                "postcode": "M1 1AA",
                "postcode_area": "M",
                "postcode_district": "M1",
                "region": "North West",
            }
            for k in range(n_orders)
        ],
    )
    batch.add(
        "orders",
        [
            {
                "order_id": f"o{k}",
                "customer_id": f"c{k}",
                "created_at": BASE - timedelta(days=10),
                "channel": "online",
                "lines_hash": "",
            }
            for k in range(n_orders)
        ],
    )
    batch.add(
        "order_lines",
        [line(f"o{k}", j + 1) for k in range(n_orders) for j in range(lines_per_order)],
    )
    batch.raw.extend(RawRecord("orders", f"o{k}", {"id": f"o{k}"}) for k in range(n_orders))
    return batch


def table_dump(
    session: Any, org_id: str, *, with_load: bool = True
) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table's rows for an org, sorted (optionally without load ids)."""
    from houselights.model.schema import CANONICAL_TABLES

    out = {}
    for table in CANONICAL_TABLES:
        cols = [c for c in table.column_names if with_load or c != "load_id"]
        rows = session.fetchall(
            f"SELECT {', '.join(cols)} FROM {table.name} WHERE org_id = ?", [org_id]
        )
        out[table.name] = sorted(rows, key=repr)
    return out
