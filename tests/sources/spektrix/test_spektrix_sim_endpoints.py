"""Every endpoint's shape, ids, datetimes, paging and filters, over HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

CATALOGUE_ID = re.compile(r"^[1-9]\d*A[BCDGHJKLMNPQRSTV]+$")
CUSTOMER_ID = re.compile(r"^I-[0-9A-Z]{4}-[0-9A-Z]{4}$")
LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def assert_catalogue_id(value: str) -> None:
    assert len(value) == 33 and CATALOGUE_ID.match(value), value


@pytest.mark.parametrize("path", [
    "events", "instances", "plans", "venues", "stock-items", "funds", "memberships",
    "statements", "tags", "tag-groups",
])
def test_lists_are_bare_arrays_paged_by_page_and_page_size(partner: Any, path: str) -> None:
    everything = partner.get_json(path)
    assert isinstance(everything, list) and everything
    for item in everything:
        assert_catalogue_id(item["id"])
    size = max(1, len(everything) // 3)
    pages: list[Any] = []
    page = 1
    while True:
        chunk = partner.get_json(path, {"page": page, "pageSize": size})
        pages.extend(chunk)
        if len(chunk) < size:  # a short page is the end
            break
        page += 1
    assert pages == everything
    assert partner.get(path, {"page": 0, "pageSize": 5}).status_code == 400
    assert partner.get(path, {"pageSize": "x"}).status_code == 400


def test_event_shape(partner: Any) -> None:
    event = partner.get_json("events")[0]
    for key in ("id", "name", "description", "htmlDescription", "duration", "imageUrl",
                "thumbnailUrl", "isOnSale", "instanceDates", "webEventId",
                "firstInstanceDateTime", "lastInstanceDateTime", "attribute_Series",
                "attribute_Category", "attribute_Type"):
        assert key in event, key
    assert LOCAL.match(event["firstInstanceDateTime"])
    assert re.match(r"^(Spring|Summer|Autumn) \d{4}$", event["attribute_Series"])
    single = partner.get_json(f"events/{event['id']}")
    assert single == event


def test_instance_shape_and_links(partner: Any) -> None:
    instances = partner.get_json("instances")
    plans = {p["id"]: p for p in partner.get_json("plans")}
    venues = {v["id"]: v for v in partner.get_json("venues")}
    events = {e["id"] for e in partner.get_json("events")}
    for inst in instances:
        assert inst["event"]["id"] in events
        plan = plans[inst["planId"]]  # instance -> plan -> venue (no venue on instances)
        assert plan["venue"]["id"] in venues
        assert LOCAL.match(inst["start"]) and LOCAL.match(inst["startUtc"])
        assert inst["startSellingAtWebUtc"].endswith("Z")  # the observed mixed suffix
        assert isinstance(inst["attribute_ASSupplementaryEvent"], bool)
        assert_catalogue_id(inst["priceList"]["id"])
    summer = [i for i in instances if i["start"][5:7] == "07"]
    assert any(i["start"][11:13] == "19" and i["startUtc"][11:13] == "18" for i in summer)
    assert partner.get_json(f"instances/{instances[0]['id']}") == instances[0]
    supplementary = [i for i in instances if i["attribute_ASSupplementaryEvent"]]
    assert supplementary
    event_names = {e["id"]: e["name"] for e in partner.get_json("events")}
    assert {event_names[i["event"]["id"]] for i in supplementary} <= {
        "Interval Drinks", "Souvenir Programme"}


def test_plans_venues_and_items(partner: Any) -> None:
    plans = partner.get_json("plans")
    assert all(p["type"] in ("Reserved", "Unreserved") and p["capacity"] > 0 for p in plans)
    venues = partner.get_json("venues")
    without = [v for v in venues if not v["address"]]
    assert len(without) == 1  # the one venue without an address
    with_address = [v for v in venues if v["address"]]
    assert all(re.search(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$", v["address"])
               for v in with_address)
    items = partner.get_json("stock-items")
    fees = [i for i in items if i["attribute_ASProductType"] == "Fee"]
    assert {"Exchange Fee", "Transaction Fee"} <= {i["name"] for i in fees}
    assert {i["attribute_ASProductType"] for i in items} == {"Fee", "Product", ""}
    assert all({"id", "name", "description", "code"} <= f.keys()
               for f in partner.get_json("funds"))
    assert all({"id", "name", "price"} <= m.keys() for m in partner.get_json("memberships"))
    assert all({"id", "name", "text"} <= s.keys() for s in partner.get_json("statements"))
    groups = partner.get_json("tag-groups")
    assert all({"id", "name", "tags"} <= g.keys() for g in groups)
    assert partner.get_json(f"venues/{venues[0]['id']}") == venues[0]
    assert partner.get_json(f"plans/{plans[0]['id']}") == plans[0]


def test_event_filters(partner: Any, shared_truth: Any) -> None:
    everything = partner.get_json("events")
    march = partner.get_json("events", {"instanceStart_from": "2024-03-01",
                                        "instanceStart_to": "2024-03-31"})
    instances = shared_truth.instances
    expected = {i["event"]["id"] for i in instances
                if "2024-03-01" <= i["start"][:10] <= "2024-03-31"}
    assert {e["id"] for e in march} == expected
    theatre = partner.get_json("events", {"attribute_Category": "Theatre"})
    assert theatre and all(e["attribute_Category"] == "Theatre" for e in theatre)
    assert len(theatre) < len(everything)
    web = partner.get_json("events", {"attribute_Website": "true"})
    assert all(e["attribute_Website"] is True for e in web)
    assert partner.get_json("events", {"attribute_NoSuchThing": "x"}) == []
    with_supp = partner.get_json("events", {"instanceattribute_ASSupplementaryEvent": "true"})
    assert {e["name"] for e in with_supp} <= {"Interval Drinks", "Souvenir Programme"}
    assert partner.get("events", {"instanceStart_from": "March"}).status_code == 400


def test_instance_filters(partner: Any) -> None:
    event = next(e for e in partner.get_json("events")
                 if e["firstInstanceDateTime"] != e["lastInstanceDateTime"])
    mine = partner.get_json(f"events/{event['id']}/instances")
    assert mine and all(i["event"]["id"] == event["id"] for i in mine)
    first_day = mine[0]["start"][:10]
    day = partner.get_json(f"events/{event['id']}/instances",
                           {"start_from": first_day, "start_to": first_day})
    assert day and all(i["start"][:10] == first_day for i in day)
    # The help page's names for the instances list (spec §14.4).
    documented = partner.get_json("instances", {"startFrom": first_day, "startTo": first_day})
    assert documented and all(i["start"][:10] == first_day for i in documented)
    assert {i["id"] for i in day} <= {i["id"] for i in documented}
    supp = partner.get_json("instances", {"attribute_ASSupplementaryEvent": "true"})
    assert supp and all(i["attribute_ASSupplementaryEvent"] for i in supp)


def test_customers_by_id_and_email(partner: Any, shared_truth: Any) -> None:
    customer = next(c for c in shared_truth.customers if c["email"])
    assert CUSTOMER_ID.match(customer["id"])
    assert partner.get_json(f"customers/{customer['id']}") == customer
    by_email = partner.get_json("customers", {"email": customer["email"].upper()})
    assert by_email == customer  # one object, never a list
    assert partner.get("customers", {"email": "nobody@example.com"}).status_code == 404
    assert partner.get("customers/I-0000-0000").status_code == 404
    assert partner.get("customers").status_code == 400
    # The owner-mode model (spec §14.3): no friendlyId or createdDate.
    for key in ("id", "title", "firstName", "lastName", "name", "email", "mobile", "phone",
                "birthDate", "billingAddress", "deliveryAddress", "addresses",
                "agreedStatements", "allStatements", "tags", "creditBalance"):
        assert key in customer
    assert "friendlyId" not in customer and "createdDate" not in customer
    assert set(customer["creditBalance"]) == {"amount", "currency"}  # a Money object
    statements = {s["id"] for s in shared_truth.statements}
    assert [s["id"] for s in customer["allStatements"]] == [
        s["id"] for s in shared_truth.statements
    ]
    agreed = {s["id"] for s in customer["agreedStatements"]}
    assert agreed <= statements
    assert agreed == {k for k, v in shared_truth.contact_preferences[customer["id"]].items() if v}
    assert any(c["agreedStatements"] for c in shared_truth.customers)
    assert any(c["tags"] for c in shared_truth.customers)


def test_customer_postcodes_are_realistically_messy(shared_truth: Any) -> None:
    postcodes = [c["billingAddress"]["postcode"] if c["billingAddress"] else None
                 for c in shared_truth.customers]
    valid = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}$")
    assert sum(1 for p in postcodes if p and valid.match(p)) > 0.7 * len(postcodes)
    assert any(p is None for p in postcodes)
    assert any(p == "" for p in postcodes)
    assert any(p and p == p.lower() and " " not in p for p in postcodes)
    assert any(p and not valid.match(p) and p != p.lower() for p in postcodes)


def test_second_client_is_separate(shared_sim: Any, make_partner: Any) -> None:
    creds = {c["client"]: c for c in shared_sim.credentials()["clients"]}
    first, second = make_partner(creds["demo"]), make_partner(creds["second"])
    assert second.base.endswith("/second/api/v3")
    assert first.get_json("events") != second.get_json("events")
    # Each client's key works only for its own system.
    crossed = make_partner({**creds["second"], "api_key": creds["demo"]["api_key"]})
    assert crossed.get("events").status_code == 401
