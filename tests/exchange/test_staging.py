"""Staging: row hashes computed off the warehouse equal the warehouse's own SQL hash."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from houselights.exchange.stage import (
    TABLES_BY_NAME,
    Stager,
    _hash_expr,
    _hashed_columns,
    stage_name,
)
from houselights.warehouse import Warehouse

from .factory import orders_batch


def test_staged_hashes_equal_the_warehouse_sql_hash(warehouse: Warehouse) -> None:
    # Every canonical type, NULLs, a fractional timestamp and non-ASCII text: the
    # in-process hash must match what the warehouse computes for the same row, so rows
    # published before this change compare equal (no spurious re-publish).
    batch = orders_batch(n_orders=4)
    batch.add(
        "order_lines",
        [
            {
                "order_id": "o0",
                "line_no": 9,
                "kind": "ticket",
                "instance_id": None,
                "ticket_type": "Entrée — ½ price",
                "face_value": Decimal("12.50"),
                "price_paid": Decimal("0.00"),
                "is_concession": True,
                "is_comp": False,
                "status": "issued",
            }
        ],
    )
    batch.add(
        "instances",
        [
            {
                "instance_id": "i9",
                "event_id": "e1",
                "starts_at": datetime(2025, 1, 2, 19, 30, 15, 250000),
                "capacity": None,
                "cancelled": True,
                "is_supplementary": False,
            }
        ],
    )
    with warehouse.connect() as s, s.transaction():
        stager = Stager(s)
        stager.create()
        for name, rows in batch.tables.items():
            stager.load(name, rows)
        stager.finalise()
        checked = 0
        for name in ("order_lines", "instances", "customers", "events", "venues"):
            expr = _hash_expr(_hashed_columns(TABLES_BY_NAME[name]))
            rows = s.fetchall(f"SELECT row_hash, {expr} FROM {stage_name(name)}")
            assert rows and all(staged == sql for staged, sql in rows), name
            checked += len(rows)
        assert checked == 9 + 3 + 4 + 1 + 1
        # Orders: their line-set hash is what each warehouse computed in SQL before (so
        # orders published then compare equal now), and their row hash covers it.
        number = (
            "md5_number_lower(l.row_hash)"
            if s.dialect == "duckdb"
            else "CAST(CAST('x' || substr(l.row_hash, 1, 16) AS BIT(64)) AS BIGINT)"
        )
        orders = s.fetchall(
            "SELECT o.lines_hash, CAST(SUM("
            + number
            + ") AS VARCHAR) || ':' || CAST(COUNT(*) AS VARCHAR), o.row_hash, "
            + _hash_expr(["o." + c for c in _hashed_columns(TABLES_BY_NAME["orders"])])
            + " FROM stage_orders o JOIN stage_order_lines l ON l.order_id = o.order_id"
            " GROUP BY o.order_id, o.customer_id, o.created_at, o.channel, o.lines_hash,"
            " o.row_hash"
        )
        assert len(orders) == 4
        assert all(lh == sql_lh and rh == sql_rh for lh, sql_lh, rh, sql_rh in orders)
