"""Mapping rules: entities once, line numbers, comps and concessions, conflicts, replay."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from upload_helpers import table_rows

from houselights.exchange.batch import Batch, RawRecord
from houselights.model.ticket_types import is_comp_ticket_type, is_concession_ticket_type
from houselights.sources.kit.replay import replay_batches
from houselights.sources.kit.settings import ConnectionSettings
from houselights.sources.upload.mapping import (
    UploadMapper,
    batches_from_raw,
    slug,
)
from houselights.sources.upload.source import UploadSource


def ticket(**overrides: str) -> dict[str, str]:
    cells = {
        "order_id": "O1", "order_date": "2024-03-01 10:00", "customer_id": "C1",
        "customer_postcode": "ne14st", "event_id": "E1", "event_name": "Hamlet",
        "instance_id": "I1", "instance_start": "2024-04-02 19:30", "venue": "Main House",
        "line_type": "ticket", "ticket_type": "Full", "face_value": "20.00",
        "price_paid": "20.00",
    }
    cells.update(overrides)
    return {k: v for k, v in cells.items() if v != ""}


def item(kind: str, **overrides: str) -> dict[str, str]:
    cells = {"order_id": "O1", "order_date": "2024-03-01 10:00", "customer_id": "C1",
             "line_type": kind, "price_paid": "1.50"}
    cells.update(overrides)
    return {k: v for k, v in cells.items() if v != ""}


def run(lines: list[dict[str, str]], chunk: int = 10_000) -> tuple[dict[str, list[Any]],
                                                                   list[Batch]]:
    mapper = UploadMapper("f.csv")
    batches = []
    for number, cells in enumerate(lines, start=2):
        mapper.add(number, cells)
        if mapper.pending >= chunk:
            batches.append(mapper.flush())
    batches.append(mapper.flush())
    tables: dict[str, list[Any]] = {"rejected": []}
    for batch in batches:
        for name in batch.tables:
            tables.setdefault(name, []).extend(table_rows(batch, name))
        tables["rejected"].extend(batch.rejected)
    return tables, batches


def test_entities_once_and_line_numbers_per_order() -> None:
    tables, batches = run([
        ticket(),
        ticket(order_id="O2", customer_id="C2", customer_postcode="", venue="main house"),
        ticket(ticket_type="Student", price_paid="10"),
        item("fee", item_name="Booking fee"),
        item("donation", order_id="O2", customer_id="C2", item_id="FUND",
             item_name="Annual Fund", price_paid="5"),
    ], chunk=2)
    assert len(batches) == 3
    assert [(r["order_id"], r["line_no"], r["kind"]) for r in tables["order_lines"]] == [
        ("O1", 1, "ticket"), ("O2", 1, "ticket"), ("O1", 2, "ticket"), ("O1", 3, "fee"),
        ("O2", 2, "donation")]
    assert tables["events"] == [{"event_id": "E1", "name": "Hamlet", "season": None,
                                 "category": None, "event_type": None,
                                 "event_code": "E1"}]
    assert tables["venues"] == [{"venue_id": "main-house", "name": "Main House",
                                 "address": None, "postcode": None, "region": None}]
    assert tables["instances"] == [{
        "instance_id": "I1", "event_id": "E1", "venue_id": "main-house",
        "starts_at": datetime(2024, 4, 2, 19, 30), "capacity": None, "cancelled": False,
        "is_supplementary": False}]
    assert tables["customers"] == [
        {"customer_id": "C1", "postcode": "NE1 4ST", "postcode_area": "NE",
         "postcode_district": "NE1", "region": "North East", "first_name": None,
         "last_name": None, "email": None},
        {"customer_id": "C2", "postcode": None, "postcode_area": None,
         "postcode_district": None, "region": None, "first_name": None, "last_name": None,
         "email": None}]
    assert tables["items"] == [
        {"item_id": "booking-fee", "kind": "fee", "name": "Booking fee", "price": None},
        {"item_id": "FUND", "kind": "fund", "name": "Annual Fund", "price": None}]
    assert [o["order_id"] for o in tables["orders"]] == ["O1", "O2"]
    assert all(o["lines_hash"] == "" for o in tables["orders"])
    raw = [r for b in batches for r in b.raw]
    assert [(r.stream, r.record_key, r.payload["line"]) for r in raw] == [
        ("upload_rows", "O1", 2), ("upload_rows", "O2", 3), ("upload_rows", "O1", 4),
        ("upload_rows", "O1", 5), ("upload_rows", "O2", 6)]


def test_invalid_customer_postcode_is_stored_as_unknown() -> None:
    tables, _ = run([ticket(customer_postcode="ne1 4s"), ticket(order_id="O2",
                                                               customer_id="C9")])
    first, second = tables["customers"]
    assert first["postcode"] is None and first["region"] is None
    assert first["postcode_area"] is None and first["postcode_district"] is None
    assert second["postcode"] == "NE1 4ST"


def test_anonymous_orders_have_no_customer() -> None:
    tables, _ = run([ticket(customer_id="", customer_postcode="NE1 4ST")])
    assert tables["orders"][0]["customer_id"] is None
    assert "customers" not in tables


@pytest.mark.parametrize(
    ("overrides", "comp", "concession"),
    [
        ({}, False, False),
        ({"price_paid": "0"}, True, False),                        # given away, face 20
        ({"price_paid": "0", "face_value": "0"}, False, False),    # a free event
        ({"ticket_type": "Complimentary", "price_paid": "0"}, True, False),
        ({"ticket_type": "Press comps"}, True, False),
        ({"ticket_type": "Comp", "comp": "no", "price_paid": "0"}, False, False),
        ({"comp": "yes"}, True, False),
        ({"ticket_type": "Concession", "price_paid": "15"}, False, True),
        ({"ticket_type": "Student standby"}, False, True),
        ({"ticket_type": "Under 18s"}, False, True),
        ({"ticket_type": "U26"}, False, True),
        ({"ticket_type": "60+"}, False, True),
        ({"ticket_type": "Senior Citizen"}, False, True),
        ({"ticket_type": "Group 10+"}, False, False),
        ({"ticket_type": "Compass members"}, False, False),
        ({"ticket_type": "Student", "concession": "no"}, False, False),
        ({"ticket_type": "Full", "concession": "Y"}, False, True),
    ],
)
def test_comp_and_concession_rules(overrides: dict[str, str], comp: bool,
                                   concession: bool) -> None:
    tables, _ = run([ticket(**overrides)])
    line = tables["order_lines"][0]
    assert (line["is_comp"], line["is_concession"]) == (comp, concession)


def test_word_rules_directly() -> None:
    assert is_concession_ticket_type("Conc.") and is_concession_ticket_type("OAP")
    assert not is_concession_ticket_type("Concert package")
    assert is_comp_ticket_type("House comp") and not is_comp_ticket_type("Company")


def test_non_ticket_lines_are_neither_comp_nor_concession_and_need_no_event() -> None:
    tables, _ = run([item("product", price_paid="0", item_id="PROG", item_name="Programme",
                          ticket_type="Concession")])
    line = tables["order_lines"][0]
    assert (line["kind"], line["is_comp"], line["is_concession"]) == ("product", False, False)
    assert line["ticket_type"] is None and line["event_id"] is None
    assert line["item_id"] == "PROG"
    assert "events" not in tables and "instances" not in tables


def test_supplementary_lines_make_a_supplementary_instance() -> None:
    tables, _ = run([
        ticket(line_type="supplementary", instance_id="PARK1", event_id="PARK",
               event_name="Car park", ticket_type="Parking"),
        ticket(instance_id="PARK1", event_id="PARK", event_name="Car park"),
    ])
    assert tables["instances"][0]["is_supplementary"] is True
    assert tables["order_lines"][0]["kind"] == "supplementary"
    assert [r.reason for r in tables["rejected"]] == [
        "line 3, Line Type: ticket line for instance PARK1, which line 2 made a "
        "supplementary instance (an instance's tickets are all tickets or all "
        "supplementary)"]


def test_instance_time_column_completes_a_date() -> None:
    tables, _ = run([ticket(instance_start="02/04/2024", instance_time="19:30"),
                     ticket(instance_start="2024-04-02 19:30", instance_time="19:30")])
    assert tables["instances"][0]["starts_at"] == datetime(2024, 4, 2, 19, 30)
    assert tables["rejected"] == []
    tables, _ = run([ticket(instance_start="2024-04-02 14:30", instance_time="19:30")])
    assert [r.reason for r in tables["rejected"]] == [
        "line 2, Instance Time: '19:30' differs from the time in Instance Start "
        "'2024-04-02 14:30'"]


def test_missing_values_and_several_problems_in_one_reason() -> None:
    tables, _ = run([
        ticket(event_id="", price_paid="abc"),
        {"order_id": "O5", "line_type": "lunch"},
        item("donation", price_paid=""),
    ])
    reasons = [r.reason for r in tables["rejected"]]
    assert reasons == [
        "line 2, Event ID: missing (needed on ticket lines); Price Paid: 'abc' is not an "
        "amount of money (use 12.50 or £12.50)",
        "line 3, Line Type: 'lunch' is not a line type (use one of: ticket, supplementary, "
        "product, fee, donation, membership); Order Date: missing; Price Paid: missing",
        "line 4, Price Paid: missing",
    ]
    assert [r.order_id for r in tables["rejected"]] == ["O1", "O5", "O1"]
    assert {r.check_name for r in tables["rejected"]} == {"readable"}
    assert all(r.table == "order_lines" for r in tables["rejected"])
    assert [r.record_key for r in tables["rejected"]] == ["line 2", "line 3", "line 4"]
    assert tables["rejected"][0].record == {
        "line": 2, "file": "f.csv", "values": ticket(event_id="", price_paid="abc")}


def test_line_without_order_id_is_rejected_without_an_order() -> None:
    tables, batches = run([ticket(order_id="")])
    (rejected,) = tables["rejected"]
    assert rejected.order_id is None and rejected.reason == "line 2, Order ID: missing"
    assert batches[0].raw[0].record_key == "line 2"


def test_conflicts_with_earlier_lines_are_rejected() -> None:
    tables, _ = run([
        ticket(channel="online"),
        ticket(order_date="02/03/2024 10:00"),                     # order date differs
        ticket(customer_id="C2"),                                  # customer differs
        ticket(channel="phone"),                                   # channel differs
        ticket(order_date="01/03/2024 10:00", channel="Web"),      # same, other spelling
        ticket(order_id="O2", event_name="Macbeth"),               # event name differs
        ticket(order_id="O3", instance_start="2024-04-03 19:30"),  # instance start differs
        ticket(order_id="O4", event_id="E2", event_name="Other"),  # instance's event differs
        ticket(order_id="O5", venue="Studio"),                     # instance's venue differs
        ticket(order_id="O6", season="Spring 2024"),               # was blank for the event
        item("fee", order_id="O7", item_id="X1", item_name="Fee"),
        item("product", order_id="O7", item_id="X1", item_name="Fee"),  # item kind differs
    ])
    reasons = [r.reason for r in tables["rejected"]]
    assert reasons == [
        "line 3, Order Date: '02/03/2024 10:00' differs from the date of order O1 on line 2 "
        "(every line of an order must give the same order date)",
        "line 4, Customer ID: 'C2' differs from the customer of order O1 on line 2",
        "line 5, Channel: 'phone' differs from the channel of order O1 on line 2",
        "line 7, Event Name: 'Macbeth' differs from 'Hamlet' given for event E1 on line 2",
        "line 8, Instance Start: '2024-04-03 19:30:00' differs from '2024-04-02 19:30:00' "
        "given for instance I1 on line 2",
        "line 9, Event ID: 'E2' differs from 'E1' given for instance I1 on line 2",
        "line 10, Venue: 'Studio' differs from 'main-house' given for instance I1 on line 2",
        "line 11, Season: 'Spring 2024' but it was blank for event E1 on line 2 (its first "
        "line defines it)",
        "line 13, Line Type: 'product' differs from 'fee' given for item X1 on line 12",
    ]
    assert {r.check_name for r in tables["rejected"]} == {"consistent"}
    assert [(r["order_id"], r["line_no"]) for r in tables["order_lines"]] == [
        ("O1", 1), ("O1", 2), ("O7", 1)]
    assert [r.order_id for r in tables["rejected"]][:3] == ["O1", "O1", "O1"]


def test_venue_id_column_and_venue_conflicts() -> None:
    tables, _ = run([
        ticket(venue_id="V1", venue="Main House", venue_postcode="ne1 3af"),
        ticket(order_id="O2", instance_id="I2", venue_id="V1", venue="Big Hall"),
        ticket(order_id="O3", instance_id="I3", venue_id="V1", venue_postcode="NE2 1AA"),
    ])
    assert tables["venues"] == [{"venue_id": "V1", "name": "Main House", "address": None,
                                 "postcode": "NE1 3AF", "region": "North East"}]
    assert [r.reason for r in tables["rejected"]] == [
        "line 3, Venue: 'Big Hall' differs from 'Main House' given for venue V1 on line 2",
        "line 4, Venue Postcode: 'NE2 1AA' differs from 'NE1 3AF' given for venue V1 on "
        "line 2"]


def test_labels_from_the_file_are_used_in_reasons() -> None:
    mapper = UploadMapper("f.csv", {"price_paid": "Amount Paid"})
    mapper.add(7, ticket(price_paid="ten pounds"))
    (rejected,) = mapper.flush().rejected
    assert rejected.reason.startswith("line 7, Amount Paid: 'ten pounds' is not an amount")


def test_spreadsheet_serial_numbers_get_a_specific_message() -> None:
    tables, _ = run([ticket(order_date="45383.8125")])
    assert tables["rejected"][0].reason == (
        "line 2, Order Date: '45383.8125' looks like a spreadsheet date serial number; "
        "format the column as a date")


def test_statuses_channels_and_money_on_lines() -> None:
    tables, _ = run([ticket(status="Refunded", channel="Box Office", price_paid="-£20",
                            line_id="T-1", price_band="A")])
    line = tables["order_lines"][0]
    assert (line["status"], line["price_paid"], line["source_line_id"], line["price_band"]) \
        == ("returned", Decimal("-20.00"), "T-1", "A")
    assert tables["orders"][0]["channel"] == "box_office"


def test_replay_from_raw_payloads_gives_the_same_rows() -> None:
    lines = [ticket(), ticket(order_id="O2", price_paid="x"), item("fee"),
             ticket(order_id="O3", customer_id="C3", instance_id="I2")]
    tables, batches = run(lines)
    records = [r for b in batches for r in b.raw]
    replayed = list(batches_from_raw(reversed(records), chunk_rows=2))
    again: dict[str, list[Any]] = {}
    for batch in replayed:
        for name in batch.tables:
            again.setdefault(name, []).extend(table_rows(batch, name))
    for name in ("order_lines", "orders", "instances", "customers", "events", "venues"):
        assert again[name] == tables[name]
    assert [r.reason for b in replayed for r in b.rejected] == [
        r.reason for r in tables["rejected"]]


def test_slug() -> None:
    assert slug("Main House") == "main-house"
    assert slug("Queen's Hall, Hexham") == "queen-s-hall-hexham"
    assert slug("Théâtre") == "theatre"
    assert slug("***") == slug("***") and slug("***").startswith("x-")
    assert slug("***") != slug("+++")


def test_replay_of_two_uploads_equals_uploading_them_again() -> None:
    old = UploadMapper("old.csv")
    old.add(2, ticket(order_id="A", event_name="Old title"))
    old.add(3, ticket(order_id="A", event_name="Old title", price_paid="oops"))
    new = UploadMapper("new.csv")
    new.add(2, ticket(order_id="B", event_name="New title"))
    records = [
        RawRecord(r.stream, r.record_key, r.payload, run)
        for run, mapper in (("r1", old), ("r2", new))
        for r in mapper.flush().raw
    ]
    records.append(RawRecord("other_stream", "x", {"unknown": True}, "r2"))
    source = UploadSource(None, "org", ConnectionSettings.model_validate({}))  # type: ignore[arg-type]
    batches = list(replay_batches(source, lambda every_run: records))
    assert source.warnings == [  # kept, and said so: never dropped silently
        "Kept raw records that this version does not map were left as they are: "
        "1 of 'other_stream'."
    ]
    events = [row for b in batches for row in table_rows(b, "events")]
    assert events == [{"event_id": "E1", "name": "New title", "season": None,
                       "category": None, "event_type": None, "event_code": "E1"}]
    # The newer upload redefined the event; the older one's order stays, as it did when
    # the files were uploaded one after the other. Problems within a file stay problems.
    rejected = [r for b in batches for r in b.rejected]
    assert [r.record_key for r in rejected] == ["old.csv line 3"]  # unique across files
    assert sorted((x["order_id"], x["line_no"]) for b in batches
                  for x in table_rows(b, "order_lines")) == [("A", 1), ("B", 1)]
