"""Synthetic data: determinism, scale, setup variations, and the id codecs."""

from __future__ import annotations

import dataclasses

import pytest

from houselights.errors import ConfigError
from houselights.sources.spektrix.simulator import (
    SETUP_VARIATIONS,
    ClientConfig,
    ClientDataset,
    ScaleConfig,
    SetupVariations,
    SimulatorConfig,
    apply_variation,
    parse_scale,
)
from houselights.sources.spektrix.simulator.ids import (
    CustomerIdCodec,
    catalogue_id,
    catalogue_number,
)

SMALL = ScaleConfig(tickets=2_000)


def test_same_seed_same_data_different_seed_different() -> None:
    a = ClientDataset(ClientConfig(seed=3, scale=SMALL)).truth()
    b = ClientDataset(ClientConfig(seed=3, scale=SMALL)).truth()
    c = ClientDataset(ClientConfig(seed=4, scale=SMALL)).truth()
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert a.orders != c.orders and a.customers != c.customers and a.events != c.events


def test_advance_is_deterministic() -> None:
    one = ClientDataset(ClientConfig(seed=3, scale=SMALL))
    two = ClientDataset(ClientConfig(seed=3, scale=SMALL))
    assert one.advance(86_400 * 5) == two.advance(86_400 * 5)
    assert dataclasses.asdict(one.truth()) == dataclasses.asdict(two.truth())
    with pytest.raises(ValueError, match="forward"):
        one.advance(0)


def test_client_name_changes_the_data() -> None:
    a = ClientDataset(ClientConfig(name="north", seed=3, scale=SMALL)).truth()
    b = ClientDataset(ClientConfig(name="south", seed=3, scale=SMALL)).truth()
    assert a.orders != b.orders


@pytest.mark.parametrize("tickets", [100, 2_345, 30_000])
def test_ticket_count_is_exact(tickets: int) -> None:
    dataset = ClientDataset(ClientConfig(scale=ScaleConfig(tickets=tickets)))
    assert len(dataset.orders.base.tickets) == tickets


def test_scale_parsing() -> None:
    assert parse_scale("large").tickets == 1_000_000
    assert parse_scale("250k").tickets == 250_000
    assert parse_scale("1.5M").tickets == 1_500_000
    assert parse_scale("12_000").tickets == 12_000
    for bad in ("huge", "-5", "10", "1e9"):
        with pytest.raises(ConfigError) as info:
            parse_scale(bad)
        assert info.value.hint


def test_variations_break_what_a_setup_check_must_catch() -> None:
    def stock(variations: SetupVariations) -> list[dict[str, object]]:
        config = ClientConfig(scale=ScaleConfig(tickets=300), variations=variations)
        return ClientDataset(config).catalogue.stock_items

    def apply(name: str) -> SetupVariations:
        return apply_variation(SetupVariations(), name)

    assert all("attribute_ASProducttype" in i for i in stock(apply("product-type-misspelt")))
    trailing = stock(apply("product-type-trailing-space"))
    assert {i["attribute_ASProductType"] for i in trailing} == {"Fee ", "Product ", ""}
    no_fee = stock(apply("fee-without-value"))
    exchange = next(i for i in no_fee if i["name"] == "Exchange Fee")
    assert exchange["attribute_ASProductType"] == ""
    supp = ClientDataset(ClientConfig(scale=ScaleConfig(tickets=300),
                                      variations=apply("supplementary-misspelt"))).catalogue
    assert all("attribute_ASSupplementaryevent" in i for i in supp.instances)
    assert not any("attribute_ASSupplementaryEvent" in i for i in supp.instances)
    venues = ClientDataset(ClientConfig(scale=ScaleConfig(tickets=300),
                                        variations=apply("no-venue-addresses"))).catalogue.venues
    assert all(v["address"] is None for v in venues)
    assert not apply("report-user-without-collect-role").report_user_has_collect_role
    assert not apply("api-user-not-system-owner").api_user_is_system_owner
    assert not apply("partner-access-off").partner_access
    assert len(SETUP_VARIATIONS) == 8
    with pytest.raises(ConfigError):
        apply("no-such-variation")


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        ClientConfig(name="Has Spaces")
    with pytest.raises(ConfigError):
        SimulatorConfig(clients=(ClientConfig(name="a"), ClientConfig(name="a")))
    with pytest.raises(ConfigError):
        SimulatorConfig(clients=())
    with pytest.raises(ConfigError):
        SimulatorConfig(rate_limit=0)


def test_id_codecs_round_trip() -> None:
    for n in (1, 201, 50_001, 1_000_001, 987_654_321):
        value = catalogue_id(n)
        assert len(value) == 33 and catalogue_number(value) == n
    assert catalogue_id(201) == catalogue_id(201)  # a function of the integer only
    assert catalogue_number("201" + "A" * 30) is None
    assert catalogue_number("short") is None
    codec = CustomerIdCodec(seed=5)
    ids = {codec.customer_id(r) for r in range(5_000)}
    assert len(ids) == 5_000
    assert all(codec.row(codec.customer_id(r)) == r for r in (0, 1, 4_999))
    assert codec.row("I-AK11-1ATK") is not None and codec.row("X-AK11-1ATK") is None
