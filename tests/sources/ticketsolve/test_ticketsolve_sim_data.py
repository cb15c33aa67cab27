"""Synthetic data: deterministic from the seed, exact counts at any scale, and sales that
reconcile with the catalogue (price types, face value, price paid, availability)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from ticketsolve_helpers import TINY, tiny_config

from houselights.errors import ConfigError
from houselights.sources.ticketsolve.simulator import (
    ORGANISATIONS,
    SCALE_PRESETS,
    ClientConfig,
    ClientDataset,
    ScaleConfig,
    SimulatorConfig,
    TicketsolveSimulator,
    TicketsolveTruth,
    parse_scale,
)
from houselights.sources.ticketsolve.simulator.ids import IdSpace

EIRCODE = re.compile(r"^(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}$", re.IGNORECASE)
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}$", re.IGNORECASE)


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    first, again = TicketsolveSimulator(tiny_config()), TicketsolveSimulator(tiny_config())
    assert first.shows_xml() == again.shows_xml()
    perf = first.truth().performances[5]
    assert first.event_xml(perf.show_id, perf.event_id) == \
        again.event_xml(perf.show_id, perf.event_id)
    assert first.truth() == again.truth()
    other = TicketsolveSimulator(tiny_config(client=ClientConfig(scale=TINY, seed=2)))
    assert other.shows_xml() != first.shows_xml()
    renamed = TicketsolveSimulator(tiny_config(client=ClientConfig(name="other", scale=TINY,
                                                                   organisation="galway")))
    assert {s.show_id for s in renamed.truth().shows}.isdisjoint(
        {s.show_id for s in first.truth().shows})


def test_counts_are_exact_at_the_benchmark_scale() -> None:
    ds = ClientDataset(ClientConfig(scale=SCALE_PRESETS["medium"]))
    truth = ds.truth()
    assert len(truth.shows) == 2_000 and len(truth.performances) == 20_000
    assert len({p.event_id for p in truth.performances}) == 20_000
    assert len({s.show_id for s in truth.shows}) == 2_000
    assert all(re.fullmatch(r"\d{9,10}", i) for i in (truth.shows[0].show_id,
                                                      truth.performances[0].event_id))
    assert 40_000 < truth.ticket_count <= 60_000  # approximate: capacity caps some shows


@pytest.mark.parametrize(("text", "overrides", "expected"), [
    ("tiny", {}, (12, 60, 1_500)),
    ("medium", {}, (2_000, 20_000, 60_000)),
    ("small", {"shows": "50"}, (50, 375, 20_000)),
    ("tiny", {"shows": 2_000, "performances": "20k", "tickets": "1k"}, (2_000, 20_000, 1_000)),
])
def test_parse_scale(text: str, overrides: dict[str, object], expected: tuple[int, ...]) -> None:
    scale = parse_scale(text, **overrides)  # type: ignore[arg-type]
    assert (scale.shows, scale.performances, scale.tickets) == expected


@pytest.mark.parametrize(("text", "overrides"), [
    ("huge", {}), ("tiny", {"shows": "many"}), ("tiny", {"shows": 10, "performances": 5}),
    ("tiny", {"shows": 0}),
])
def test_bad_scales_say_what_to_do(text: str, overrides: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_scale(text, **overrides)  # type: ignore[arg-type]
    assert info.value.hint


def test_id_spaces_never_repeat() -> None:
    space = IdSpace(3, "event", 100_000_000, 12)
    ids = [space(n) for n in range(1 << 12)]
    assert len(set(ids)) == len(ids) and min(ids) >= 100_000_000
    with pytest.raises(ValueError, match="outside"):
        space(1 << 12)


@pytest.fixture(scope="module")
def truth() -> TicketsolveTruth:
    config = SimulatorConfig(clients=(ClientConfig(
        scale=ScaleConfig(shows=40, performances=300, tickets=8_000), organisation="derry"),))
    return TicketsolveSimulator(config).truth()


def test_sales_lines_reconcile_with_the_catalogue(truth: TicketsolveTruth) -> None:
    shows = {s.show_id: s for s in truth.shows}
    for line in truth.sales:
        perf = truth.performance(line.event_id)
        assert line.show_id == perf.show_id and line.venue_id == perf.venue_id
        assert line.currency == truth.currency == "GBP"
        if line.kind == "fee":
            assert line.price_type == "" and line.face == shows[line.show_id].fee
            assert line.paid == line.face * line.quantity
            continue
        prices = {p.type: p for p in perf.prices}
        if line.status == "comp" or line.price_type == "Complimentary":
            assert line.price_type == "Complimentary" and line.paid == 0
        else:
            # The price list a line was sold at can change later ("prices" edits); at
            # generation time it equals the performance's list.
            assert line.price_type in prices
            assert line.face == prices[line.price_type].face
            assert abs(line.paid) == prices[line.price_type].selling
        assert line.quantity == (-1 if line.status == "refund" else 1)
        assert (line.paid < 0) == (line.status == "refund" and line.paid != 0)


def test_availability_is_capacity_less_holds_less_net_sales(truth: TicketsolveTruth) -> None:
    net: Counter[str] = Counter()
    for line in truth.sales:
        if line.kind == "ticket":
            net[line.event_id] += line.quantity
    for perf in truth.performances:
        assert perf.sold == net[perf.event_id]
        if perf.cancelled:
            assert perf.available == 0 and perf.sold == 0 and perf.status == "cancelled"
        else:
            assert perf.available == perf.capacity - perf.held - perf.sold >= 0
    assert any(p.cancelled for p in truth.performances)


def test_the_sales_mix_is_realistic(truth: TicketsolveTruth) -> None:
    statuses = Counter(s.status for s in truth.sales)
    assert statuses["paid"] and statuses["comp"] and statuses["refund"]
    kinds = Counter(s.kind for s in truth.sales)
    assert kinds["fee"] > 0
    types = {s.price_type for s in truth.sales if s.kind == "ticket"}
    assert {"Standard", "Complimentary"} <= types and len(types) >= 4
    discounted = [p for perf in truth.performances for p in perf.prices if p.selling < p.face]
    assert discounted  # concessions sell below face value
    channels = Counter(s.channel for s in truth.sales)
    assert set(channels) == {"Online", "Box Office", "Phone"}
    assert any(s.customer_id is None for s in truth.sales)  # anonymous walk-ups
    assert all(s.kind == "ticket" or s.channel != "Box Office" for s in truth.sales
               if s.status != "refund")
    assert truth.total_paid > Decimal("10000")


def test_refunds_match_an_earlier_line(truth: TicketsolveTruth) -> None:
    sold: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    for line in truth.sales:
        key = (line.order_id, line.event_id, line.price_type)
        if line.status == "refund":
            assert -line.paid in sold[key], line
            sold[key].remove(-line.paid)
        else:
            sold[key].append(line.paid)


def test_customers_repeat_and_postcodes_are_realistic(truth: TicketsolveTruth) -> None:
    ids = {c.customer_id for c in truth.customers}
    orders: defaultdict[str, set[str]] = defaultdict(set)
    for line in truth.sales:
        if line.customer_id is not None:
            assert line.customer_id in ids
            orders[line.customer_id].add(line.order_id)
    assert sum(len(o) > 1 for o in orders.values()) > len(orders) / 10
    kinds = Counter(c.postcode_kind for c in truth.customers)
    assert set(kinds) == {"eircode", "uk", "blank", "invalid"}  # Derry: both sides of the border
    for c in truth.customers:
        if c.postcode_kind == "eircode":
            assert EIRCODE.match(c.postcode) and c.country == "Ireland"
        elif c.postcode_kind == "uk":
            assert UK_POSTCODE.match(c.postcode) and not EIRCODE.match(c.postcode)
        elif c.postcode_kind == "blank":
            assert c.postcode == ""
        else:
            assert not EIRCODE.match(c.postcode) and not UK_POSTCODE.match(c.postcode)
        assert c.email == "" or re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(com|org|net)",
                                             c.email)
    assert any(c.postcode != c.postcode.upper() or " " not in c.postcode
               for c in truth.customers if c.postcode_kind in ("eircode", "uk"))


def test_every_organisation_generates_valid_venue_postcodes() -> None:
    for org in ORGANISATIONS:
        truth = TicketsolveSimulator(tiny_config(client=ClientConfig(
            scale=TINY, organisation=org.key, postcodeless_venues=0))).truth()
        pattern = EIRCODE if org.country == "Ireland" else UK_POSTCODE
        assert all(v.postcode and pattern.match(v.postcode) for v in truth.venues), org.key
        assert truth.currency == ("EUR" if org.country == "Ireland" else "GBP")


def test_unknown_organisation_and_bad_client_names_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown organisation"):
        TicketsolveSimulator(tiny_config(client=ClientConfig(scale=TINY, organisation="paris")))
    with pytest.raises(ConfigError) as info:
        ClientConfig(name="Bad_Name")
    assert "subdomain" in info.value.hint
