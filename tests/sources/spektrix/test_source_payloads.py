"""Reading Spektrix payloads: the shapes Spektrix documents and peers captured (the files in
shared/realdata, used in place), links, postcodes, statements and Event IDs."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from source_kit import realdata_dir, running, sim_config

from houselights.sources.spektrix.client import SpektrixClient
from houselights.sources.spektrix.mapping import (
    CatalogueIndex,
    ProductionFields,
    event_code,
    map_catalogue,
    map_customer,
    map_order,
    map_preferences,
)
from houselights.sources.spektrix.payloads import (
    agreed_statements,
    customer_address_postcode,
    order_changed_utc,
    ticket_money,
    unknown_order_parts,
)
from houselights.sources.spektrix.settings import SpektrixSettings

KEY = "dGhpcyBpcyBhIHRlc3Q="


def _real(name: str) -> Any:
    return json.loads((realdata_dir() / "spektrix" / name).read_text(encoding="utf-8"))


def _paid_face(lines: list[dict[str, Any]]) -> list[tuple[str, Decimal, Decimal | None]]:
    return [(x["kind"], x["price_paid"], x["face_value"]) for x in lines]


def test_the_help_pages_order_maps_paid_from_total_and_face_from_price() -> None:
    order = _real("helpschema_constructed_order.json")
    row, lines = map_order(order, CatalogueIndex())
    assert _paid_face(lines) == [
        ("ticket", Decimal("15.00"), Decimal("20.00")),  # total after a 5.00 discount
        ("product", Decimal("2.00"), Decimal("2.00")),
        ("donation", Decimal("5.00"), Decimal("5.00")),
        ("membership", Decimal("40.00"), Decimal("40.00")),
    ]
    assert [x["status"] for x in lines] == ["issued"] * 4  # no line status: listed = held
    assert lines[0]["ticket_type"] == "Standard" and lines[0]["price_band"] == "A"
    assert lines[1]["item_id"] == "merchandise:S1" and lines[3]["item_id"] == "membership:MB1"
    assert row["channel"] == "other" and str(row["created_at"]) == "2024-03-03 14:17:40"
    assert list(unknown_order_parts(order)) == []  # every documented part is understood


def test_the_observed_order_shape_with_original_price_only() -> None:
    order = _real("dashboard_observed_order_shape.json")
    row, lines = map_order(order, CatalogueIndex())
    assert _paid_face(lines) == [
        ("ticket", Decimal("45.00"), Decimal("45.00")),
        ("ticket", Decimal("0.00"), Decimal("0.00")),
    ]
    # References as {id} and as bare strings.
    assert [(x["event_id"], x["instance_id"]) for x in lines] == [("EVT1", "INS1")] * 2
    assert lines[0]["ticket_type"] == "Adult"
    # Local first transaction, and its UTC companion read in the system's zone agree.
    assert str(row["created_at"]) == "2026-08-26 14:03:00"
    utc_only = {k: v for k, v in order.items() if k != "firstTransactionDate"}
    tz = ZoneInfo("America/Los_Angeles")
    assert map_order(utc_only, CatalogueIndex(), tz)[0]["created_at"] == row["created_at"]
    assert str(order_changed_utc(order, tz)) == "2026-08-26 21:03:00"
    assert list(unknown_order_parts(order)) == []  # an empty ticketSubscriptions is fine


def test_the_confirmed_on_script_shape() -> None:
    order = _real("confirmedOn_script_order_shape.json")
    row, lines = map_order(order, CatalogueIndex())
    assert _paid_face(lines) == [
        ("ticket", Decimal("20.00"), Decimal("20.00")),
        ("ticket", Decimal("20.00"), Decimal("20.00")),
        ("donation", Decimal("10.00"), Decimal("10.00")),
    ]
    # What the lines hold plus the transaction charges is the order's total.
    paid = sum(x["price_paid"] for x in lines)
    assert paid + Decimal(str(order["totalTransactionCharges"])) == Decimal(str(order["total"]))
    assert row["created_at"] is None  # no date at all: the exchange quarantines the order


def test_ticket_money_rules() -> None:
    overridden = {"price": 10, "discount": 0, "total": 10, "originalPrice": 20,
                  "priceOverridden": True}
    assert ticket_money(overridden) == (Decimal(20), Decimal(10))
    not_overridden = {"price": 20, "discount": 4, "originalPrice": 20, "priceOverridden": False}
    assert ticket_money(not_overridden) == (Decimal(20), Decimal(16))  # no total: price-discount
    # The first build's shape (kept raw by it): price paid, originalPrice before offers.
    assert ticket_money({"price": 0, "originalPrice": 20}) == (Decimal(20), Decimal(0))
    assert ticket_money({"type": {"name": "Adult"}}) == (None, Decimal(0))


def test_the_documented_orders_sync_sample_matches_the_simulator() -> None:
    sample = _real("docs_orders_sync_sample.json")
    with running(sim_config(tickets=300)) as sim:
        creds = sim.credentials()["clients"][0]
        settings = SpektrixSettings.model_validate(
            {k: creds[k] for k in ("client", "base_url", "api_login", "api_key")}
        )
        async def first_page() -> Any:
            async with SpektrixClient(settings) as client:
                return await client.get_json("orders/sync", {"since": "2000-01-01T00:00:00"})

        page = asyncio.run(first_page())
    assert set(page) == set(sample) and set(page["paging"]) == set(sample["paging"])
    assert set(sample["values"][0]) <= set(page["values"][0])
    assert page["paging"]["next"].startswith("/api/v3/orders/sync?since=")
    assert sample["paging"]["next"].startswith("/api/v3/orders/sync?since=")


@pytest.mark.parametrize(
    ("base_url", "link", "resolved"),
    [
        # The docs' form: host-relative without the client segment.
        ("https://system.spektrix.com", "/api/v3/orders/sync?since=2024-06-02T09:14:52.0000000",
         "https://system.spektrix.com/acme/api/v3/orders/sync?since=2024-06-02T09:14:52.0000000"),
        ("https://system.spektrix.com", "/acme/api/v3/orders/sync?since=X",
         "https://system.spektrix.com/acme/api/v3/orders/sync?since=X"),
        ("https://system.spektrix.com", "https://elsewhere.example/acme/api/v3/orders/sync",
         "https://elsewhere.example/acme/api/v3/orders/sync"),
        # A custom domain keeping the client path, given as a full API base.
        ("https://tickets.example.org/acme/api/v3", "/api/v3/orders/sync?since=X",
         "https://tickets.example.org/acme/api/v3/orders/sync?since=X"),
        ("https://system.spektrix.com", "orders/sync?since=X",
         "https://system.spektrix.com/acme/api/v3/orders/sync?since=X"),
    ],
)
def test_next_links_resolve_against_the_clients_root(
    base_url: str, link: str, resolved: str
) -> None:
    settings = SpektrixSettings.model_validate(
        {"client": "acme", "base_url": base_url, "api_login": "l", "api_key": KEY}
    )
    assert SpektrixClient(settings).resolve(link) == resolved


def test_postcodes_from_every_documented_address_place() -> None:
    def postcode(customer: dict[str, Any]) -> tuple[str | None, bool, bool]:
        return customer_address_postcode({"id": "C", **customer})

    assert postcode({"billingAddress": {"postcode": "LS6 2AB"}})[0] == "LS6 2AB"
    assert postcode({"billingAddress": None, "deliveryAddress": {"postCode": "M1 1AA"}})[0] == (
        "M1 1AA")
    assert postcode({"addresses": [{"line1": "x"}, {"postalCode": "BS1 4DJ"}]})[0] == "BS1 4DJ"
    assert postcode({"addresses": ["1 Mill St, Leeds, LS6 2AB"]})[0] == "LS6 2AB"
    assert postcode({"billingAddress": {"line1": "1 High St", "postcode": ""}}) == (
        None, True, False)  # an address without a postcode: a finding, not a silent null
    assert postcode({"billingAddress": None, "addresses": []}) == (None, False, False)


def test_non_uk_addresses_are_kept_not_mis_parsed() -> None:
    canadian = {"id": "C", "addresses": [{"postalCode": "v7v 2g7", "country": "Canada"}]}
    row = map_customer(canadian, privacy="minimal")
    assert row["postcode"] == "V7V 2G7" and row["region"] is None and row["postcode_area"] is None
    # A UK-looking code abroad is not given UK geography either.
    abroad = {"id": "C", "billingAddress": {"postcode": "M1 1AA", "country": {"name": "Ireland"}}}
    assert map_customer(abroad, privacy="minimal")["region"] is None
    # Real Canadian venue addresses (captured catalogue): the address kept, no UK postcode.
    venues = json.loads(
        (realdata_dir() / "spektrix" / "derived" / "venues_real.json").read_text("utf-8")
    )
    tables, _ = map_catalogue({"venues": venues}, ProductionFields())
    assert [v["postcode"] for v in tables["venues"]] == [None] * len(venues)
    assert [v["address"] for v in tables["venues"]] == [v["address"] for v in venues]
    uk = map_catalogue({"venues": [{"id": "V", "name": "H", "address": "1 X St, Leeds LS6 2AB"}]},
                       ProductionFields())[0]["venues"][0]
    assert uk["postcode"] == "LS6 2AB" and uk["region"] == "Yorkshire and The Humber"


def test_contact_preferences_from_agreed_statements() -> None:
    names = {"S1": "Email", "S2": "Post", "S3": "SMS"}
    objects = {"agreedStatements": [{"id": "S1", "name": "Email", "text": "…"}],
               "allStatements": [{"id": "S1", "name": "Email"}, {"id": "S2", "name": "Post"}]}
    assert agreed_statements(objects, names) == {"Email": True, "Post": False}
    # Bare ids, no allStatements: every catalogue statement is answered.
    assert agreed_statements({"agreedStatements": ["S2"]}, names) == {
        "Email": False, "Post": True, "SMS": False}
    # Text only (as GET statements documents them): the text names the statement.
    assert agreed_statements({"agreedStatements": [{"id": "S9", "text": "News by email"}]},
                             {}) == {"News by email": True}
    assert agreed_statements({"id": "C"}, names) is None  # not shown: the audit decides
    rows = map_preferences({"id": "C", "agreedStatements": ["S1"]}, CatalogueIndex(
        statements=names))
    assert rows is not None and {(r["statement"], r["opted_in"]) for r in rows} == {
        ("Email", True), ("Post", False), ("SMS", False)}
    assert all(r["changed_at"] is None for r in rows)  # when is the audit's to say


def test_event_codes() -> None:
    assert event_code("4607AHGJKLMNPQRSTVBCDGHJKLMNPQRST") == "4607"
    assert event_code("12BHGJKLMNPQRSTVBCDGHJKLMNPQRSTVB") == "-12"  # non-A separator
    assert event_code("E1") is None
    events = _real("derived/events_real.json")
    tables, _ = map_catalogue({"events": events}, ProductionFields())
    codes = [e["event_code"] for e in tables["events"]]
    assert all(c is not None and c.isdigit() for c in codes)
    assert all(e["event_id"].startswith(e["event_code"] + "A") for e in tables["events"])


def test_order_ids_and_urls_in_links_are_kept_whole() -> None:
    settings = SpektrixSettings.model_validate(
        {"client": "acme", "base_url": "https://system.spektrix.com", "api_login": "l",
         "api_key": KEY}
    )
    url = SpektrixClient(settings).resolve("/api/v3/orders/sync?since=2024-06-02T09:14:52.0000000"
                                           "&after=200006AKPB")
    assert urlsplit(url).query == "since=2024-06-02T09:14:52.0000000&after=200006AKPB"
