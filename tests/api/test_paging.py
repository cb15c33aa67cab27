"""Lists come in pages: ``limit`` / ``offset`` in, ``items`` and ``next`` out."""

from __future__ import annotations

from typing import Any

from .world import Served


def walk(served: Served, path: str, token: str, **params: Any) -> list[Any]:
    """Every item of a list, following ``next`` links; checks each page's bounds."""
    items: list[Any] = []
    response = served.get(path, token, **params)
    while True:
        page = response.json()
        assert len(page["items"]) <= page["limit"]
        items.extend(page["items"])
        if page["next"] is None:
            return items
        assert len(page["items"]) == page["limit"]
        response = served.http.get(page["next"], headers={"Authorization": f"Bearer {token}"})


def test_pages_of_organisations(served: Served) -> None:
    admin = served.tokens["admin"]
    first = served.get("/api/v1/orgs", admin, limit=4).json()
    assert first["limit"] == 4 and first["offset"] == 0 and len(first["items"]) == 4
    assert first["next"] == "/api/v1/orgs?limit=4&offset=4"
    everything = walk(served, "/api/v1/orgs", admin, limit=4)
    assert [o["org_id"] for o in everything] == [
        o["org_id"] for o in served.get("/api/v1/orgs", admin).json()["items"]
    ]
    last = served.get("/api/v1/orgs", admin, limit=4, offset=4).json()
    assert len(last["items"]) == 2 and last["next"] is None
    beyond = served.get("/api/v1/orgs", admin, limit=4, offset=40).json()
    assert beyond["items"] == [] and beyond["next"] is None


def test_paging_keeps_the_filters(served: Served) -> None:
    alpha = served.tokens["alpha"]
    whole = served.get(
        "/api/v1/orgs/alpha/reports/sales-by-instance", alpha, period="2024/25", limit=500
    ).json()["items"]
    assert len(whole) == 3
    first = served.get(
        "/api/v1/orgs/alpha/reports/sales-by-instance", alpha, period="2024/25", limit=2
    ).json()
    assert "period=2024%2F25" in first["next"]
    walked = walk(
        served, "/api/v1/orgs/alpha/reports/sales-by-instance", alpha, period="2024/25", limit=2
    )
    assert walked == whole


def test_every_list_route_pages(served: Served) -> None:
    alpha = served.tokens["alpha"]
    for path in (
        "/runs",
        "/checks",
        "/quarantine",
        "/connections",
        "/reports/event-id",
        "/reports/sales-by-event",
        "/reports/sales-by-instance",
    ):
        whole = served.get(f"/api/v1/orgs/alpha{path}", alpha, period="2025/26", limit=500).json()[
            "items"
        ]
        assert whole, path
        walked = walk(served, f"/api/v1/orgs/alpha{path}", alpha, period="2025/26", limit=1)
        assert walked == whole, path
