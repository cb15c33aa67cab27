"""Orders: the documented shapes by id, by transaction window (with the repeated-page
quirk), and orders/sync (references, host-relative next) — plus each payload variation."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from houselights.errors import ConfigError
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    PayloadVariations,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
    variations_from,
)

TICKET_KEYS = {"id", "event", "instance", "type", "band", "planId", "seatName", "barcode",
               "delivered", "price", "discount", "total", "originalPrice", "priceOverridden"}
COLLECTIONS = {"tickets", "merchandiseItems", "donations", "membershipSubscriptions",
               "ticketSubscriptions", "giftVouchers"}
REFERENCE_KEYS = {"orderId", "orderFriendlyId", "customerId", "customerFriendlyId"}


def _in_window(order: dict[str, Any], start: str, end: str) -> bool:
    """Orders whose first or last transaction date (local) falls inside the window."""
    days = {order["firstTransactionDate"][:10], order["lastTransactionDate"][:10]}
    return any(start <= d <= end for d in days)


def sync_all(partner: Any, since: str, *, prefix: str = "/api/v3/orders/sync?since=") -> list[
    dict[str, Any]
]:
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
        assert nxt.startswith(prefix)
        params = {k: v[0] for k, v in parse_qs(urlsplit(nxt).query).items()}
        envelope = partner.get_json("orders/sync", params)


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def test_order_shape(partner: Any, shared_truth: Any) -> None:
    order = next(o for o in shared_truth.orders if o["tickets"] and o["customer"])
    got = partner.get_json(f"orders/{order['id']}")
    assert got == order
    assert len(got["id"]) == 33
    assert re.match(r"^I-[0-9A-Z]{4}-[0-9A-Z]{4}$", got["customer"]["id"])
    assert got.keys() >= COLLECTIONS
    # No public model shows these: the documented default does not serve them.
    for invented in ("status", "salesChannel", "lastModifiedUtc", "merchandise", "memberships"):
        assert invented not in got
    ticket = got["tickets"][0]
    assert set(ticket) == TICKET_KEYS
    assert set(ticket["type"]) == {"id", "name"} and set(ticket["band"]) == {"id", "name"}
    assert partner.get("orders/1ABCD").status_code == 404


def test_money_is_documented_price_discount_total(shared_truth: Any) -> None:
    tickets = [t for o in shared_truth.orders for t in o["tickets"]]
    for t in tickets:
        assert _money(t["total"]) == _money(t["price"]) - _money(t["discount"])
        if not t["priceOverridden"]:
            assert t["originalPrice"] == t["price"]
    assert any(t["discount"] > 0 for t in tickets)  # offers
    overridden = [t for t in tickets if t["priceOverridden"]]
    assert overridden and all(t["originalPrice"] > t["price"] for t in overridden)
    for name in ("merchandiseItems", "membershipSubscriptions"):
        items = [m for o in shared_truth.orders for m in o[name]]
        assert items and all(
            _money(m["total"]) == _money(m["price"]) - _money(m["discount"]) for m in items
        )
    merch = [m for o in shared_truth.orders for m in o["merchandiseItems"]]
    assert any(m["discount"] > 0 for m in merch)
    for order in shared_truth.orders:
        paid = sum(
            (_money(x["total"]) for k in ("tickets", "merchandiseItems",
                                          "membershipSubscriptions") for x in order[k]),
            start=sum((_money(d["amount"]) for d in order["donations"]), start=Decimal(0)),
        )
        assert _money(order["total"]) == paid
        # What the truth says each line is worth agrees with the payload.
        lines = shared_truth.lines[order["id"]]
        assert sum(x.paid for x in lines) == int(paid * 100)


def test_order_lines_cover_every_kind(shared_truth: Any, shared_sim: SpektrixSimulator) -> None:
    orders = shared_truth.orders
    assert len(orders) == len({o["id"] for o in orders})
    assert shared_truth.ticket_count == 6_000
    assert any(o["donations"] and not o["tickets"] for o in orders)
    assert any(o["membershipSubscriptions"] for o in orders)
    fee_ids = {i["id"] for i in shared_truth.stock_items if i["attribute_ASProductType"] == "Fee"}
    merch = [m["stockItem"]["id"] for o in orders for m in o["merchandiseItems"]]
    assert any(m in fee_ids for m in merch) and any(m not in fee_ids for m in merch)
    comps = [t for o in orders for t in o["tickets"] if t["type"]["name"] == "Complimentary"]
    assert comps and all(t["originalPrice"] == 0 == t["total"] for t in comps)
    supp_instances = {i["id"] for i in shared_truth.instances
                      if i["attribute_ASSupplementaryEvent"]}
    assert any(t["instance"]["id"] in supp_instances for o in orders for t in o["tickets"])
    assert any(o["customer"] is None for o in orders)  # anonymous box-office sales
    # Returned tickets and cancelled orders' lines are not listed (no line status).
    store = shared_sim.datasets["demo"].orders
    records = [store.get(r) for r in range(store.n_total)]
    returned = [r for r in records if any(t.status == 1 for t in r.tickets) and not r.cancelled]
    cancelled = [r for r in records if r.cancelled]
    assert returned and cancelled
    by_id = {o["id"]: o for o in orders}
    for record in returned[:20]:
        order = by_id[store.order_id(record.row)]
        assert len(order["tickets"]) == sum(1 for t in record.tickets if t.status == 0)
    for record in cancelled[:20]:
        order = by_id[store.order_id(record.row)]
        assert not any(order[k] for k in COLLECTIONS) and order["total"] == 0


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
    stamps = [shared_truth.modified[i] for i in ids]
    assert stamps == sorted(stamps)
    # Equal modification instants exist (a bulk return) and still page exactly once.
    assert len(set(stamps)) < len(stamps)
    # Values are references to orders, as the orders-sync docs show (spec §14.2).
    assert all(set(v) == REFERENCE_KEYS for v in values)
    orders = {o["id"]: o for o in shared_truth.orders}
    for value in values[:50]:
        customer = orders[value["orderId"]]["customer"]
        assert value["customerId"] == (customer["id"] if customer else None)


def test_sync_since_is_inclusive_and_validated(partner: Any, shared_truth: Any) -> None:
    values = partner.get_json("orders/sync", {"since": "2024-01-01T00:00:00"})["values"]
    stamp = shared_truth.modified[values[5]["orderId"]]
    again = partner.get_json("orders/sync", {"since": stamp})["values"]
    assert shared_truth.modified[again[0]["orderId"]] == stamp
    assert partner.get("orders/sync").status_code == 400
    assert partner.get("orders/sync", {"since": "yesterday"}).status_code == 400
    assert partner.get("orders/sync", {"since": stamp, "after": "nope"}).status_code == 400
    tail = partner.get_json("orders/sync", {"since": "2099-01-01T00:00:00"})
    assert tail["values"] == []
    assert tail["paging"]["next"] == "/api/v3/orders/sync?since=2099-01-01T00:00:00.0000000"


def test_advancing_the_clock_creates_new_and_changed_orders(
    sim: SpektrixSimulator, own_partner: Any, http_client: httpx.Client
) -> None:
    before = sim.truth()
    high_water = max(before.modified.values())
    tail = sync_all(own_partner, high_water)
    assert {before.modified[v["orderId"]] for v in tail} == {high_water}
    counts = sim.advance("demo", days=20)
    assert counts["new_orders"] > 0 and counts["changed_orders"] > 0
    after = sim.truth()
    fresh = [v["orderId"] for v in sync_all(own_partner, high_water)
             if after.modified[v["orderId"]] > high_water]
    old_ids = {o["id"] for o in before.orders}
    new_ids = set(fresh) - old_ids
    changed = set(fresh) & old_ids
    assert len(new_ids) == counts["new_orders"]
    # Some changes hit orders created in the same period (or one order twice).
    assert 0 < len(changed) <= counts["changed_orders"]
    truth = {o["id"]: o for o in after.orders}
    previous = {o["id"]: o for o in before.orders}
    for order_id in changed:
        assert truth[order_id] != previous[order_id]
        assert truth[order_id]["lastTransactionDate"] > previous[order_id]["lastTransactionDate"]
    assert after.now > before.now
    # The admin endpoint does the same for out-of-process drivers.
    response = http_client.post(f"{sim.root_url}/_simulator/demo/advance", params={"days": 2})
    assert response.status_code == 200 and response.json()["now"] > after.now
    assert http_client.post(f"{sim.root_url}/_simulator/demo/advance").status_code == 400


def _variant_sim(*names: str, tickets: int = 1_500) -> SpektrixSimulator:
    setup, payload = variations_from(list(names))
    client = ClientConfig(scale=ScaleConfig(tickets=tickets), variations=setup, payload=payload)
    return SpektrixSimulator(SimulatorConfig(clients=(client,)))


@pytest.mark.parametrize(
    ("variation", "prefix"),
    [
        ("sync-next-with-client", "/demo/api/v3/orders/sync?since="),
        ("sync-next-absolute", "http://127.0.0.1:"),
    ],
)
def test_sync_next_forms(variation: str, prefix: str, make_partner: Any) -> None:
    with _variant_sim(variation).running() as sim:
        partner = make_partner(sim.credentials()["clients"][0])
        values = sync_all(partner, "2000-01-01T00:00:00", prefix=prefix)
        assert sorted(v["orderId"] for v in values) == sorted(sim.truth().order_ids)


def test_variations_of_the_order_shapes() -> None:
    sim = _variant_sim("invented-fields", "legacy-collection-names", "bare-refs",
                       "sync-values-embed-order", "gift-vouchers", "ticket-subscriptions",
                       "unknown-fields")  # data only: no server needed
    truth = sim.truth()
    store = sim.datasets["demo"].orders
    orders = truth.orders
    assert {"merchandise", "memberships", "salesChannel", "status",
            "lastModifiedUtc"} <= orders[0].keys()
    assert "merchandiseItems" not in orders[0]
    # Returned lines stay listed with their (invented) status.
    assert {t["status"] for o in orders for t in o["tickets"]} == {
        "Issued", "Returned", "Cancelled"}
    ticket = next(t for o in orders for t in o["tickets"])
    assert isinstance(ticket["event"], str) and isinstance(ticket["instance"], str)
    assert all(isinstance(i["event"], str) for i in truth.instances)
    assert any(o["giftVouchers"] for o in orders) and any(
        o["ticketSubscriptions"] for o in orders)
    assert any("packages" in o for o in orders)
    assert any("accessRequirement" in t for o in orders for t in o["tickets"])
    assert any("preferredPronouns" in c for c in truth.customers)
    value = store.sync_value(store.get(0))
    assert value["order"] == orders[0] and "lastModifiedUtc" in value


def test_tickets_with_original_price_only() -> None:
    sim = _variant_sim("ticket-original-price-only")
    truth = sim.truth()
    tickets = [t for o in truth.orders for t in o["tickets"]]
    assert tickets and all(
        set(t) == {"id", "event", "instance", "type", "originalPrice"} for t in tickets
    )
    lines = [x for o in truth.orders for x in truth.lines[o["id"]] if x.kind == "ticket"]
    assert all(x.paid == x.face for x in lines)  # no discounts or overrides shown


def test_customer_variations() -> None:
    sim = _variant_sim("no-agreed-statements", "address-in-addresses", "postcode-as-postalCode")
    customers = sim.truth().customers
    assert not any("agreedStatements" in c for c in customers)
    assert all(c["billingAddress"] is None for c in customers)
    with_address = [c for c in customers if c["addresses"]]
    assert with_address and all("postalCode" in c["addresses"][0] for c in with_address)


def test_default_variations_are_the_documented_shapes() -> None:
    assert PayloadVariations() == variations_from([])[1]
    with pytest.raises(ConfigError, match="unknown variation"):
        variations_from(["no-such-thing"])
