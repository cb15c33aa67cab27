"""Orders: by id, by transaction window (with the repeated-page quirk), and orders/sync."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from houselights.sources.spektrix.simulator import SimulatorConfig, SpektrixSimulator


def _in_window(order: dict[str, Any], start: str, end: str) -> bool:
    """Orders whose first or last transaction date (local) falls inside the window."""
    days = {order["firstTransactionDate"][:10], order["lastTransactionDate"][:10]}
    return any(start <= d <= end for d in days)


def sync_all(partner: Any, since: str) -> list[dict[str, Any]]:
    """Follow paging.next until a page comes back short."""
    values: list[dict[str, Any]] = []
    envelope = partner.get_json("orders/sync", {"since": since})
    while True:
        assert set(envelope) == {"paging", "values"}
        assert envelope["paging"]["limit"] == 100 and len(envelope["values"]) <= 100
        values.extend(envelope["values"])
        if len(envelope["values"]) < 100:
            return values
        nxt = envelope["paging"]["next"]
        assert nxt.startswith(f"/{partner.creds['client']}/api/v3/orders/sync?since=")
        params = {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()}
        envelope = partner.get_json("orders/sync", params)


def test_order_shape(partner: Any, shared_truth: Any) -> None:
    order = next(o for o in shared_truth.orders if o["tickets"] and o["customer"])
    got = partner.get_json(f"orders/{order['id']}")
    assert got == order
    assert len(got["id"]) == 33
    assert re.match(r"^I-[0-9A-Z]{4}-[0-9A-Z]{4}$", got["customer"]["id"])
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$", got["lastModifiedUtc"])
    ticket = got["tickets"][0]
    assert {"id", "event", "instance", "type", "band", "originalPrice", "price", "status"} <= (
        ticket.keys())
    assert set(ticket["type"]) == {"id", "name"}
    assert ticket["status"] in ("Issued", "Returned", "Cancelled")
    assert partner.get("orders/1ABCD").status_code == 404


def test_order_lines_cover_every_kind(shared_truth: Any) -> None:
    orders = shared_truth.orders
    assert len(orders) == len({o["id"] for o in orders})
    assert shared_truth.ticket_count == 6_000
    statuses = {t["status"] for o in orders for t in o["tickets"]}
    assert statuses == {"Issued", "Returned", "Cancelled"}
    assert any(o["status"] == "Cancelled" for o in orders)
    assert any(o["donations"] and not o["tickets"] for o in orders)
    assert any(o["memberships"] for o in orders)
    fee_ids = {i["id"] for i in shared_truth.stock_items if i["attribute_ASProductType"] == "Fee"}
    merch = [m["stockItem"]["id"] for o in orders for m in o["merchandise"]]
    assert any(m in fee_ids for m in merch) and any(m not in fee_ids for m in merch)
    comps = [t for o in orders for t in o["tickets"] if t["type"]["name"] == "Complimentary"]
    assert comps and all(t["originalPrice"] == 0 for t in comps)
    concessions = [t for o in orders for t in o["tickets"] if t["type"]["name"] == "Concession"]
    assert concessions and all(t["price"] <= t["originalPrice"] for t in concessions)
    supp_instances = {i["id"] for i in shared_truth.instances
                      if i["attribute_ASSupplementaryEvent"]}
    assert any(t["instance"]["id"] in supp_instances for o in orders for t in o["tickets"])
    assert any(o["customer"] is None for o in orders)  # anonymous box-office sales


def test_tickets_never_exceed_capacity(shared_truth: Any) -> None:
    capacity = {p["id"]: p["capacity"] for p in shared_truth.plans}
    plan_of = {i["id"]: i["planId"] for i in shared_truth.instances}
    sold: dict[str, int] = {}
    for order in shared_truth.orders:
        for ticket in order["tickets"]:
            sold[ticket["instance"]["id"]] = sold.get(ticket["instance"]["id"], 0) + 1
    assert all(n <= capacity[plan_of[i]] for i, n in sold.items())


def test_orders_by_date_window_match_transactions(partner: Any, shared_truth: Any) -> None:
    window = ("2024-06-01", "2024-06-04")
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        chunk = partner.get_json("orders", {"DateFrom": window[0], "DateTo": window[1],
                                            "page": page, "pageSize": 10})
        rows.extend(chunk)
        if len(chunk) < 10:
            break
        page += 1
    expected = [o for o in shared_truth.orders if _in_window(o, *window)]
    assert expected and rows == expected
    assert partner.get("orders", {"DateFrom": "2024-06-01"}).status_code == 400
    backwards = {"DateFrom": "2024-06-04", "DateTo": "2024-06-01"}
    assert partner.get("orders", backwards).status_code == 400
    assert partner.get("orders", {"DateFrom": "2024-06-01", "DateTo": "2024-06-04",
                                  "pageSize": 501}).status_code == 400


def test_repeated_page_quirk_for_long_windows(http_client: httpx.Client, make_partner: Any) -> None:
    from houselights.sources.spektrix.simulator import ClientConfig, ScaleConfig

    config = SimulatorConfig(clients=(ClientConfig(scale=ScaleConfig(tickets=4_000)),),
                             repeat_pages_over_days=5)
    with SpektrixSimulator(config).running() as sim:
        p = make_partner(sim.credentials()["clients"][0])
        long = {"DateFrom": "2024-01-01", "DateTo": "2024-12-31", "pageSize": 20}
        first = p.get_json("orders", {**long, "page": 1})
        second = p.get_json("orders", {**long, "page": 2})
        assert len(first) == 20 and second == first  # the same orders on every page
        short = {"DateFrom": "2024-06-01", "DateTo": "2024-06-04", "pageSize": 2}
        assert p.get_json("orders", {**short, "page": 1}) != p.get_json(
            "orders", {**short, "page": 2})


def test_sync_pages_through_every_order_once_oldest_first(
    partner: Any, shared_truth: Any
) -> None:
    values = sync_all(partner, "2000-01-01T00:00:00.0000000")
    ids = [v["orderId"] for v in values]
    assert sorted(ids) == sorted(shared_truth.order_ids)
    assert len(ids) == len(set(ids))
    stamps = [v["lastModifiedUtc"] for v in values]
    assert stamps == sorted(stamps)
    # Equal modification instants exist (a bulk return) and still page exactly once.
    assert len(set(stamps)) < len(stamps)
    value = values[0]
    assert set(value) == {"orderId", "orderFriendlyId", "customerId", "customerFriendlyId",
                          "lastModifiedUtc", "order"}
    assert value["order"]["id"] == value["orderId"]
    truth = {o["id"]: o for o in shared_truth.orders}
    assert all(v["order"] == truth[v["orderId"]] for v in values)


def test_sync_since_is_inclusive_and_validated(partner: Any) -> None:
    values = partner.get_json("orders/sync", {"since": "2024-01-01T00:00:00"})["values"]
    stamp = values[5]["lastModifiedUtc"]
    again = partner.get_json("orders/sync", {"since": stamp})["values"]
    assert again[0]["lastModifiedUtc"] == stamp
    assert partner.get("orders/sync").status_code == 400
    assert partner.get("orders/sync", {"since": "yesterday"}).status_code == 400
    assert partner.get("orders/sync", {"since": stamp, "after": "nope"}).status_code == 400
    tail = partner.get_json("orders/sync", {"since": "2099-01-01T00:00:00"})
    assert tail["values"] == [] and "since=2099-01-01T00:00:00.0000000" in tail["paging"]["next"]


def test_advancing_the_clock_creates_new_and_changed_orders(
    sim: SpektrixSimulator, own_partner: Any, http_client: httpx.Client
) -> None:
    before = sim.truth()
    high_water = max(o["lastModifiedUtc"] for o in before.orders)
    tail = sync_all(own_partner, high_water)
    assert {v["lastModifiedUtc"] for v in tail} == {high_water}
    counts = sim.advance("demo", days=20)
    assert counts["new_orders"] > 0 and counts["changed_orders"] > 0
    after = sim.truth()
    fresh = [v for v in sync_all(own_partner, high_water) if v["lastModifiedUtc"] > high_water]
    old_ids = {o["id"] for o in before.orders}
    new_ids = {v["orderId"] for v in fresh} - old_ids
    changed = {v["orderId"] for v in fresh} & old_ids
    assert len(new_ids) == counts["new_orders"]
    # Some changes hit orders created in the same period (or one order twice).
    assert 0 < len(changed) <= counts["changed_orders"]
    truth = {o["id"]: o for o in after.orders}
    previous = {o["id"]: o for o in before.orders}
    for order_id in changed:
        assert truth[order_id] != previous[order_id]
        assert truth[order_id]["lastTransactionDate"] > previous[order_id]["lastTransactionDate"]
    assert all(v["order"] == truth[v["orderId"]] for v in fresh)
    assert after.now > before.now
    # The admin endpoint does the same for out-of-process drivers.
    response = http_client.post(f"{sim.root_url}/_simulator/demo/advance", params={"days": 2})
    assert response.status_code == 200 and response.json()["now"] > after.now
    assert http_client.post(f"{sim.root_url}/_simulator/demo/advance").status_code == 400
