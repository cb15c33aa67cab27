"""Client budget and retries, mapping rules and report readers, one rule at a time."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest
from source_kit import running, sim_config

from houselights.errors import InputError
from houselights.sources.kit.budget import TokenBucket
from houselights.sources.kit.http import HttpOptions
from houselights.sources.spektrix.client import SpektrixClient
from houselights.sources.spektrix.mapping import (
    ProductionFields,
    map_audit,
    map_catalogue,
    map_customer,
    map_order,
    parse_preference_change,
)
from houselights.sources.spektrix.reports import parse_audit_report, read_order_ids
from houselights.sources.spektrix.settings import SpektrixSettings
from houselights.sources.spektrix.simulator import FaultConfig
from houselights.sources.spektrix.simulator.faults import FaultKind


def test_token_bucket_keeps_the_rate() -> None:
    async def take(n: int) -> float:
        bucket = TokenBucket(100.0, burst=1)
        began = time.perf_counter()
        await asyncio.gather(*(bucket.acquire() for _ in range(n)))
        return time.perf_counter() - began

    assert asyncio.run(take(31)) >= 0.29


def _client(
    creds: dict[str, str], *, budget: float = 0, concurrency: int = 16, backoff: float = 0.5
) -> SpektrixClient:
    settings = SpektrixSettings.model_validate(
        {
            "client": creds["client"],
            "base_url": creds["base_url"],
            "api_login": creds["api_login"],
            "api_key": creds["api_key"],
            "request_budget": budget,
        }
    )
    return SpektrixClient(
        settings, options=HttpOptions(concurrency=concurrency, backoff_base=backoff)
    )


def test_budget_never_draws_a_429_and_retry_after_is_honoured() -> None:
    with running(
        sim_config(tickets=300, rate_limit=20, faults=FaultConfig(retry_after_seconds=1))
    ) as sim:
        creds = sim.credentials()["clients"][0]
        ids = sim.truth("demo").order_ids[:40]

        async def go() -> tuple[float, int, int]:
            async with _client(creds, budget=20, concurrency=8) as client:
                began = time.perf_counter()
                await asyncio.gather(*(client.get_json(f"orders/{i}") for i in ids))
                return time.perf_counter() - began, client.stats.rate_limited, client.stats.requests

        elapsed, limited, requests = asyncio.run(go())
        assert limited == 0 and requests == 40
        assert elapsed >= 39 / 20 * 0.9  # no faster than the budget

        sim.faults.set_rate_limit(None)
        sim.faults.script(FaultKind.RATE_LIMIT, "orders/{id}", {1})

        async def once() -> tuple[float, int]:
            async with _client(creds, backoff=0.01) as client:
                began = time.perf_counter()
                await client.get_json(f"orders/{ids[0]}")
                return time.perf_counter() - began, client.stats.rate_limited

        waited, limited = asyncio.run(once())
        assert limited == 1 and waited >= 1.0  # Retry-After: 1


CATALOGUE = {
    "venues": [
        {"id": "V1", "name": "Main House", "address": "1 Mill St, Leeds, ls6 2ab"},
        {"id": "V2", "name": "Garden", "address": None},
    ],
    "plans": [{"id": "P1", "venue": {"id": "V1"}, "capacity": 300}],
    "events": [
        {
            "id": "E1",
            "name": "Hamlet",
            "attribute_Series": "Autumn",
            "attribute_Category": "Theatre",
            "attribute_Type": "",
        }
    ],
    "instances": [
        {
            "id": "I1",
            "event": {"id": "E1"},
            "planId": "P1",
            "start": "2025-01-02T19:30:00",
            "cancelled": False,
            "attribute_ASSupplementaryEvent": False,
        },
        {
            "id": "I2",
            "event": {"id": "E1"},
            "planId": "P1",
            "start": "2025-01-02T19:30:00",
            "cancelled": False,
            "attribute_ASSupplementaryevent": True,
        },
    ],  # a near miss
    "stock_items": [
        {"id": "S1", "name": "Exchange Fee", "price": 2.0, "attribute_ASProductType": "Fee "},
        {"id": "S2", "name": "Tote", "price": 10.0, "attribute_ASProductType": ""},
    ],
    "funds": [{"id": "F1", "name": "Annual Fund", "defaultDonationAmount": 5.0}],
    "memberships": [{"id": "M1", "name": "Friend", "price": 40.0}],
}


def test_catalogue_mapping() -> None:
    tables, index = map_catalogue(CATALOGUE, ProductionFields())
    venue = tables["venues"][0]
    assert venue["postcode"] == "LS6 2AB" and venue["region"] == "Yorkshire and The Humber"
    assert tables["venues"][1]["postcode"] is None
    event = tables["events"][0]
    assert (event["season"], event["category"], event["event_type"]) == ("Autumn", "Theatre", None)
    assert [i["is_supplementary"] for i in tables["instances"]] == [False, True]
    assert tables["instances"][0]["venue_id"] == "V1" and tables["instances"][0]["capacity"] == 300
    assert index.item_kinds == {"S1": "fee", "S2": "product"} and index.untyped_items == {
        "S2": "Tote"
    }
    assert {i["item_id"] for i in tables["items"]} == {
        "merchandise:S1",
        "merchandise:S2",
        "fund:F1",
        "membership:M1",
    }


def test_order_mapping_kinds_statuses_and_comps() -> None:
    _, index = map_catalogue(CATALOGUE, ProductionFields())
    order = {
        "id": "O1",
        "customer": {"id": "C1"},
        "salesChannel": "Box Office",
        "firstTransactionDate": "2025-01-01T10:00:00",
        "tickets": [
            {
                "id": "T1",
                "instance": {"id": "I1"},
                "event": {"id": "E1"},
                "type": {"name": "Concession"},
                "band": {"name": "A"},
                "originalPrice": 20.0,
                "price": 16.0,
                "status": "Issued",
            },
            {
                "id": "T2",
                "instance": {"id": "I1"},
                "event": {"id": "E1"},
                "type": {"name": "Standard"},
                "originalPrice": 20.0,
                "price": 0.0,
                "status": "Returned",
            },
            {
                "id": "T3",
                "instance": "I2",
                "event": "E1",
                "type": {"name": "Standard"},
                "originalPrice": 5.0,
                "price": 5.0,
                "status": "Issued",
            },
        ],
        "merchandise": [
            {"id": "X1", "stockItem": {"id": "S1"}, "price": 2.0, "status": "Issued"},
            {"id": "X2", "stockItem": {"id": "S2"}, "price": 10.0, "status": "Cancelled"},
        ],
        "donations": [{"id": "D1", "fund": {"id": "F1"}, "amount": 5.0, "status": "Issued"}],
        "memberships": [
            {"id": "Y1", "membership": {"id": "M1"}, "price": 40.0, "status": "Issued"}
        ],
    }
    row, lines = map_order(order, index)
    assert row["channel"] == "box_office" and row["customer_id"] == "C1"
    assert [(x["line_no"], x["kind"], x["status"]) for x in lines] == [
        (1, "ticket", "issued"),
        (2, "ticket", "returned"),
        (3, "supplementary", "issued"),
        (4, "fee", "issued"),
        (5, "product", "cancelled"),
        (6, "donation", "issued"),
        (7, "membership", "issued"),
    ]
    assert lines[0]["is_concession"] and not lines[0]["is_comp"]
    assert lines[1]["is_comp"]  # given away although its face value is 20
    assert lines[0]["price_paid"] == Decimal("16.00") and lines[0]["face_value"] == Decimal("20.00")
    assert lines[5]["item_id"] == "fund:F1"


def test_customer_privacy_and_postcodes() -> None:
    customer = {
        "id": "C1",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "a@b.org",
        "billingAddress": {"postcode": "sw1a1aa"},
    }
    minimal = map_customer(customer, privacy="minimal")
    assert minimal["postcode"] == "SW1A 1AA" and minimal["region"] == "London"
    assert "email" not in minimal
    assert map_customer(customer, privacy="standard")["email"] == "a@b.org"
    # An invalid postcode is kept as given (the postcode check flags it), without geography.
    kept = map_customer({"id": "C2", "billingAddress": {"postcode": "n/a"}}, privacy="minimal")
    assert kept["postcode"] == "N/A" and kept["region"] is None and kept["postcode_area"] is None


def test_audit_narratives_and_latest_preference() -> None:
    assert parse_preference_change("Contact preference 'Email' changed from No to Yes") == (
        "Email",
        True,
    )
    assert parse_preference_change("Withdrew agreement to statement: Post") == ("Post", False)
    assert parse_preference_change("Billing address updated") is None
    rows = [
        {
            "customer_id": "C1",
            "date": "2025-01-01T10:00:00",
            "user": "Web",
            "update_method": "User",
            "narrative": "Agreed to statement: Email",
        },
        {
            "customer_id": "C1",
            "date": "2025-01-03T10:00:00",
            "user": "Web",
            "update_method": "User",
            "narrative": "Contact preference 'Email' changed from Yes to No",
        },
        {
            "customer_id": "C1",
            "date": "2025-01-02T10:00:00",
            "user": "spektrix\\autotagging",
            "update_method": "AutoTag",
            "narrative": "Tag 'Theatre' added",
        },
    ]
    changes, prefs = map_audit(rows)
    assert len(changes) == 3 and prefs == [
        {
            "customer_id": "C1",
            "statement": "Email",
            "opted_in": False,
            "changed_at": prefs[0]["changed_at"],
        }
    ]
    assert str(prefs[0]["changed_at"]) == "2025-01-03 10:00:00"


def test_audit_report_is_parsed_safely() -> None:
    report = parse_audit_report(
        b'<?xml version="1.0"?><Report name="R" from="2025-01-01T00:00:00" to="x">'
        b"<Row><Customer_ID>C1</Customer_ID><User>Web</User><Update_Method>User</Update_Method>"
        b"<Narrative>Agreed to statement: Email</Narrative><Date>2025-01-01T10:00:00</Date>"
        b"</Row></Report>"
    )
    assert report.name == "R" and report.rows[0]["update_method"] == "User"
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<Report><Row><CustomerId>&b;</CustomerId></Row></Report>"
    )
    with pytest.raises(InputError, match="not readable XML"):
        parse_audit_report(bomb)
    with pytest.raises(InputError, match="Raw \\(XML\\)"):
        parse_audit_report(b"<Report><Row>")


def test_order_id_file(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "Order Date,Order ID\n2024-01-01,A1\n2024-01-02,B2\n,\n2024-01-02,A1\n", encoding="utf-8"
    )
    read = read_order_ids(path)
    assert read.ids == ("A1", "B2") and len(read.sha256) == 64
    (tmp_path / "plain.txt").write_text("X1\nX2\n", encoding="utf-8")
    assert read_order_ids(tmp_path / "plain.txt").ids == ("X1", "X2")
    with pytest.raises(InputError):
        read_order_ids(tmp_path / "missing.csv")
