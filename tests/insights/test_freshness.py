"""No stale numbers: a load published by the exchange, or a revoked grant, shows at the
very next call — for organisation metrics, their rollups and the benchmark aggregates —
on both backends."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from houselights.exchange import Batch, ExchangeRun
from houselights.insights import (
    Filters,
    benchmark_distribution,
    benchmark_kpis,
    financial_year,
    geographic_distribution,
    income_by_kind,
    lead_time,
    loyalty,
    reach,
    ticket_sales,
    volume_and_capacity,
)
from houselights.warehouse import Warehouse

FY24 = financial_year(2024)
ORGS = ("o1", "o2", "o3", "o4", "o5")


def _batch(org: str, price: str, postcode: str | None = "M1 1AA") -> Batch:
    """12 bookers each buying one ticket at ``price`` for one performance."""
    batch = Batch()
    batch.add("events", [{"event_id": "E1", "name": "Show"}])
    batch.add(
        "instances",
        [
            {
                "instance_id": "I1",
                "event_id": "E1",
                "starts_at": datetime(2024, 6, 1, 19, 30),
                "capacity": 100,
                "cancelled": False,
                "is_supplementary": False,
            }
        ],
    )
    batch.add(
        "customers",
        [
            {
                "customer_id": f"C{k}",
                "postcode": postcode,
                "postcode_area": "M" if postcode else None,
                "postcode_district": "M1" if postcode else None,
                "region": "North West" if postcode else None,
            }
            for k in range(12)
        ],
    )
    batch.add(
        "orders",
        [
            {
                "order_id": f"O{k}",
                "customer_id": f"C{k}",
                "created_at": datetime(2024, 5, 1, 10, 0),
                "channel": "online",
            }
            for k in range(12)
        ],
    )
    batch.add(
        "order_lines",
        [
            {
                "order_id": f"O{k}",
                "line_no": 1,
                "kind": "ticket",
                "instance_id": "I1",
                "event_id": "E1",
                "face_value": Decimal(price),
                "price_paid": Decimal(price),
                "is_concession": False,
                "is_comp": False,
                "status": "issued",
            }
            for k in range(12)
        ],
    )
    return batch


def _publish(wh: Warehouse, org: str, batch: Batch) -> None:
    with ExchangeRun(wh, org, source="test", kind="incremental") as run:
        run.publish(batch)


def _grants(wh: Warehouse) -> None:
    with wh.connect() as s, s.transaction():
        for org in ORGS:
            s.execute(
                "INSERT INTO organisations (org_id, name, created_at) VALUES (?, ?, ?)",
                [org, org, datetime(2024, 1, 1)],
            )
            s.execute(
                "INSERT INTO grants (grant_id, org_id, recipient, scope, granted_at, granted_by)"
                " VALUES (?, ?, 'funder', 'benchmarks', ?, 'admin')",
                [f"g-{org}", org, datetime(2024, 1, 1)],
            )


def _answers(wh: Warehouse) -> dict[str, Any]:
    f = Filters(org_id="o1", period=FY24)
    with wh.connect() as s:
        kpis = {k.metric: k for k in benchmark_kpis(s, "funder", FY24, org_id="o1").kpis}
        region = benchmark_distribution(s, "funder", FY24, "region", org_id="o1")
        return {
            "income": ticket_sales(s, f).gross_ticket_income,
            "by_kind": income_by_kind(s, f).total_income,
            "volume": volume_and_capacity(s, f).gross_ticket_income,
            "postcodes": reach(s, f).bookers_with_postcode,
            "regions": [(c.label, c.bookers) for c in geographic_distribution(s, f).cells],
            "lead": lead_time(s, f).median_days,
            "new": loyalty(s, f).new_bookers,
            "yield": kpis["M10"].org_value,
            "own_region_share": {c.label: c.org_share for c in region.cells}["North West"],
        }


def test_a_new_load_shows_at_the_next_call(warehouse: Warehouse) -> None:
    _grants(warehouse)
    for org in ORGS:
        _publish(warehouse, org, _batch(org, "10.00"))
    before = _answers(warehouse)
    assert before["income"] == before["by_kind"] == before["volume"] == 120.0
    assert before["yield"] == pytest.approx(10.0)
    assert before["postcodes"] == 12 and before["own_region_share"] == pytest.approx(1.0)
    # The same rows, same counts, different values: a price change and lost postcodes.
    _publish(warehouse, "o1", _batch("o1", "15.00", postcode=None))
    after = _answers(warehouse)
    assert after["income"] == after["by_kind"] == after["volume"] == 180.0
    assert after["yield"] == pytest.approx(15.0)
    assert after["postcodes"] == 0
    assert after["regions"] == [("unknown", 12)]
    assert after["own_region_share"] == 0.0
    assert (after["lead"], after["new"]) == (before["lead"], before["new"]) == (31.0, 12)


def test_a_revoked_grant_shows_at_the_next_call(warehouse: Warehouse) -> None:
    _grants(warehouse)
    for org in ORGS:
        _publish(warehouse, org, _batch(org, "10.00"))
    with warehouse.connect() as s:
        assert benchmark_kpis(s, "funder", FY24).status == "ok"
        assert benchmark_distribution(s, "funder", FY24, "channel").status == "ok"
        s.execute(
            "UPDATE grants SET revoked_at = ?, revoked_by = 'o5' WHERE org_id = 'o5'",
            [datetime(2025, 1, 1)],
        )
        assert benchmark_kpis(s, "funder", FY24).status == "not_enough_organisations"
        dist = benchmark_distribution(s, "funder", FY24, "channel")
        assert dist.status == "not_enough_organisations" and dist.cohort_size == 4
