"""The read-only routes the dashboard draws from: both bases everywhere, trends, one
event's page, the map, definitions and benchmark recipients — on both backends.

Expected figures are counted here with plain SQL over the published tables (not through
the insights library), or reconciled with another route answering the same question.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from houselights.api.routes.metrics import FAMILIES
from houselights.model.postcodes import postcode_areas

from .world import Served

ORG = "/api/v1/orgs/alpha"


def get(served: Served, path: str, **params: Any) -> Any:
    response = served.get(path, served.tokens["admin"], **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_metric_route_accepts_both_bases(served: Served) -> None:
    paths = [
        *(f"{ORG}/insights/{name}" for name in FAMILIES),
        f"{ORG}/insights/geography",
        f"{ORG}/insights/geography-map",
        f"{ORG}/insights/trends",
        f"{ORG}/reports/funder-quarterly",
        f"{ORG}/reports/sales-by-event",
        f"{ORG}/reports/sales-by-instance",
        f"{ORG}/metrics/M07",
        f"{ORG}/exports/sales-by-event",
    ]
    for path in paths:
        for basis in ("performance", "transaction"):
            response = served.get(path, served.tokens["admin"], period="2024/25", basis=basis)
            assert response.status_code == 200, (path, basis, response.text)
    # Capacity is only defined by performance date: the answer says which basis it used.
    by_order = {"period": "2024/25", "basis": "transaction"}
    volume = get(served, f"{ORG}/insights/volume-capacity", **by_order)
    quarterly = get(served, f"{ORG}/reports/funder-quarterly", **by_order)
    assert volume["basis"] == quarterly["basis"] == "performance"
    assert get(served, f"{ORG}/insights/ticket-sales", **by_order)["basis"] == "transaction"


def _published_tickets(served: Served, org: str) -> list[tuple[Any, ...]]:
    """Valid ticket lines counted here: (month of performance, price paid, ...)."""
    with served.hl.warehouse.connect() as s:
        return s.fetchall(
            "SELECT i.starts_at, o.created_at, l.price_paid, l.ticket_type, l.instance_id,"
            " i.event_id"
            " FROM order_lines l JOIN orders o ON o.org_id = l.org_id AND o.order_id = l.order_id"
            " JOIN instances i ON i.org_id = l.org_id AND i.instance_id = l.instance_id"
            " WHERE l.org_id = ? AND l.kind = 'ticket' AND l.status = 'issued'"
            " AND NOT i.cancelled AND NOT i.is_supplementary",
            [org],
        )


def test_trends_are_the_monthly_figures_of_the_same_lines(served: Served) -> None:
    trends = get(served, f"{ORG}/insights/trends", period="2025/26")
    assert trends["basis"] == "performance" and trends["months"] == 36
    assert trends["period"]["start"] == "2023-04-01" and trends["period"]["end"] == "2026-04-01"
    months = sorted({r["month"] for r in trends["rows"]})
    assert len(months) == 36 and months[0] == "2023-04" and months[-1] == "2026-03"
    expected_tickets: Counter[str] = Counter()
    expected_income: Counter[str] = Counter()
    for starts_at, _created, price, *_ in _published_tickets(served, "alpha"):
        month = f"{starts_at.year:04d}-{starts_at.month:02d}"
        expected_tickets[month] += 1
        expected_income[month] += Decimal(price)
    tickets = {r["month"]: r for r in trends["rows"] if r["kind"] == "ticket"}
    assert {m: r["lines"] for m, r in tickets.items() if r["lines"]} == dict(expected_tickets)
    assert {m: r["income"] for m, r in tickets.items() if r["lines"]} == {
        m: float(v) for m, v in expected_income.items()
    }
    # A financial year's months add up to that year's KPI.
    kpi = get(served, f"{ORG}/insights/ticket-sales", period="2024/25")
    in_year = [r for m, r in tickets.items() if "2024-04" <= m <= "2025-03"]
    assert sum(r["lines"] for r in in_year) == kpi["tickets_issued"]
    assert sum(r["income"] for r in in_year) == pytest.approx(kpi["gross_ticket_income"])


def test_event_page_counts_performances_price_types_and_the_booking_curve(
    served: Served,
) -> None:
    event = get(served, f"{ORG}/events/e0")
    tickets = [t for t in _published_tickets(served, "alpha") if t[5] == "e0"]
    assert event["event_name"] == "Hamlet"
    assert event["tickets"] == len(tickets) > 0
    per_instance = Counter(t[4] for t in tickets)
    assert {i["instance_id"]: i["tickets"] for i in event["instances"]} == {
        i: per_instance.get(i, 0) for i in ("i0", "i3")
    }
    assert event["capacity"] == 80 and event["performances"] == 2
    types = Counter(t[3] for t in tickets)
    assert {p["ticket_type"]: p["tickets"] for p in event["price_types"]} == dict(types)
    days = Counter((t[0].date() - t[1].date()).days for t in tickets)
    curve = event["booking_curve"]
    assert {d["days_before"]: d["tickets"] for d in curve} == dict(days)
    assert [d["days_before"] for d in curve] == sorted(days, reverse=True)
    assert curve[-1]["cumulative"] == len(tickets) and curve[-1]["cumulative_share"] == 1.0
    missing = served.get(f"{ORG}/events/nope", served.tokens["admin"])
    assert missing.status_code == 404 and "no event" in missing.json()["error"]["message"]


def test_the_map_places_known_areas_and_suppresses_small_numbers(served: Served) -> None:
    placed = get(served, f"{ORG}/insights/geography-map", period="2024/25")
    plain = get(served, f"{ORG}/insights/geography", period="2024/25", level="area")
    counts = {c["label"]: c["bookers"] for c in plain["cells"]}
    assert placed["threshold"] == 10 and placed["bookers"] == plain["bookers"]
    assert {c["code"] for c in placed["cells"]} == set(counts) - {"unknown"}
    for cell in placed["cells"]:
        assert 49 < cell["lat"] < 61 and -9 < cell["lon"] < 2
        assert cell["suppressed"] == (counts[cell["code"]] < 10)
        assert (cell["bookers"] is None) == cell["suppressed"]
    assert placed["suppressed_cells"] == sum(1 for c in placed["cells"] if c["suppressed"])
    everywhere = get(served, "/api/v1/geography/places")["places"]
    assert len(everywhere) == len(postcode_areas())  # every area has a point
    regions = get(served, f"{ORG}/insights/geography-map", period="2024/25", level="region")
    assert {c["code"] for c in regions["cells"]} <= {
        a.region for a in postcode_areas() if a.region
    }


def test_definitions_cover_every_metric_in_the_catalogue(served: Served) -> None:
    found = get(served, "/api/v1/definitions")
    keys = {d["key"] for d in found["definitions"]}
    assert {m["metric_id"] for m in get(served, "/api/v1/metrics")} <= keys
    assert {"funder_quarterly_report", "monthly_trends", "event_detail", "map_cells"} <= keys
    m07 = next(d for d in found["definitions"] if d["key"] == "M07")
    assert m07["name"] == "Utilisation" and "÷ M06" in m07["formula"]
    assert "Basis" in found["common_rules"]


def test_benchmark_recipients_are_the_organisations_grants(served: Served) -> None:
    assert get(served, f"{ORG}/benchmark-recipients")["recipients"] == ["arts-council"]
    mine = served.get(f"{ORG}/benchmark-recipients", served.tokens["arts-council"])
    assert mine.status_code == 200 and mine.json()["recipients"] == ["arts-council"]
    refused = served.get(f"{ORG}/benchmark-recipients", served.tokens["stranger"])
    assert refused.status_code in (403, 404)
