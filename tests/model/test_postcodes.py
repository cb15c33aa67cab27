"""UK postcode validation, normalisation and area → region."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from houselights.model.postcodes import (
    CROWN_DEPENDENCIES,
    POSTCODE_REGEX,
    REGIONS,
    normalise_postcode,
    postcode_area,
    postcode_areas,
    region_for_area,
)


@pytest.mark.parametrize(
    ("raw", "postcode", "area", "district", "region"),
    [
        ("SW1A 1AA", "SW1A 1AA", "SW", "SW1A", "London"),
        ("sw1a1aa", "SW1A 1AA", "SW", "SW1A", "London"),
        ("  Sw1A   1aA ", "SW1A 1AA", "SW", "SW1A", "London"),
        ("NE1 4ST", "NE1 4ST", "NE", "NE1", "North East"),
        ("M1 1AE", "M1 1AE", "M", "M1", "North West"),
        ("B33 8TH", "B33 8TH", "B", "B33", "West Midlands"),
        ("CR2 6XH", "CR2 6XH", "CR", "CR2", "London"),
        ("DN55 1PT", "DN55 1PT", "DN", "DN55", "Yorkshire and The Humber"),
        ("W1A 0AX", "W1A 0AX", "W", "W1A", "London"),
        ("EC1A 1BB", "EC1A 1BB", "EC", "EC1A", "London"),
        ("BT1 5GS", "BT1 5GS", "BT", "BT1", "Northern Ireland"),
        ("EH1 1YZ", "EH1 1YZ", "EH", "EH1", "Scotland"),
        ("CF10 1EP", "CF10 1EP", "CF", "CF10", "Wales"),
        ("ne1\t4st", "NE1 4ST", "NE", "NE1", "North East"),
        ("NE1\u00a04ST", "NE1 4ST", "NE", "NE1", "North East"),
        ("SW1A-1AA", "SW1A 1AA", "SW", "SW1A", "London"),  # a hyphen for the space
        ("sw1a - 1aa", "SW1A 1AA", "SW", "SW1A", "London"),
    ],
)
def test_valid_postcodes_are_normalised(raw: str, postcode: str, area: str, district: str,
                                         region: str) -> None:
    info = normalise_postcode(raw)
    assert info.valid
    assert (info.postcode, info.area, info.district, info.region) == (
        postcode, area, district, region)
    assert info.raw == raw


@pytest.mark.parametrize("raw", ["GY1 1AA", "JE2 3AB", "IM1 1AA"])
def test_crown_dependencies_are_valid_without_a_region(raw: str) -> None:
    info = normalise_postcode(raw)
    assert info.valid and info.postcode == raw
    assert info.area in CROWN_DEPENDENCIES
    assert info.region is None


def test_girobank_code_is_valid_with_no_area() -> None:
    info = normalise_postcode("gir0aa")
    assert info.valid and info.postcode == "GIR 0AA"
    assert info.area is None and info.region is None


@pytest.mark.parametrize(
    "raw",
    [
        None, "", "   ", "N/A", "unknown", "NE1", "NE1 4S", "12345", "SW1A--1AA", "SW-1A1AA",
        "QA1 1AA",    # Q never starts a postcode
        "AI1 1AA",    # I never second
        "NE1 4CT",    # C never in the unit
        "NE1 44T",
        "ZZ1 1AA",    # no such area (Z not second letter)
        "ZA1 1AA",    # well-formed but no such area
        "XX1 1AA",
        "BFPO 1234",
        "SW1A 1AAA",
        "NE1 4ST extra",
    ],
)
def test_invalid_postcodes(raw: str | None) -> None:
    info = normalise_postcode(raw)
    assert not info.valid
    assert info.postcode is None and info.area is None and info.district is None
    assert info.region is None
    assert info.raw == raw


def test_every_area_has_one_of_the_12_regions_or_is_a_crown_dependency() -> None:
    areas = postcode_areas()
    assert len(areas) == 124  # 121 UK areas + Guernsey, Jersey, Isle of Man
    assert len({a.area for a in areas}) == len(areas)
    assert len(REGIONS) == 12
    for area in areas:
        assert re.fullmatch(r"[A-Z]{1,2}", area.area)
        if area.area in CROWN_DEPENDENCIES:
            assert area.region is None and area.is_crown_dependency
        else:
            assert area.region in REGIONS, area
            assert not area.is_crown_dependency
    used = {a.region for a in areas if a.region}
    assert used == set(REGIONS)  # every region has areas


def test_straddling_areas_say_so() -> None:
    chester = postcode_area("ch")
    assert chester is not None
    assert chester.region == "North West" and "Wales" in chester.note


@pytest.mark.parametrize(
    ("area", "region"),
    [("NE", "North East"), ("ne", "North East"), ("BT", "Northern Ireland"),
     ("AB", "Scotland"), ("SA", "Wales"), ("LS", "Yorkshire and The Humber"),
     ("NG", "East Midlands"), ("CB", "East of England"), ("OX", "South East"),
     ("PL", "South West"), ("GY", None), ("QQ", None), ("", None), (None, None)],
)
def test_region_for_area(area: str | None, region: str | None) -> None:
    assert region_for_area(area) == region


_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@given(
    area=st.sampled_from([a.area for a in postcode_areas()]),
    district=st.integers(min_value=1, max_value=99),
    sector=st.integers(min_value=0, max_value=9),
    unit=st.text(alphabet=_LETTERS, min_size=2, max_size=2),
    spaces=st.sampled_from(["", " ", "  ", "\t"]),
    lower=st.booleans(),
)
def test_any_spacing_and_case_normalises_to_one_form(
    area: str, district: int, sector: int, unit: str, spaces: str, lower: bool
) -> None:
    canonical = f"{area}{district} {sector}{unit}"
    raw = f"{area}{district}{spaces}{sector}{unit}"
    info = normalise_postcode(raw.lower() if lower else raw)
    assert info.valid
    assert info.postcode == canonical
    assert re.fullmatch(POSTCODE_REGEX, canonical)
    assert info.area == area and info.district == f"{area}{district}"
    assert info.region == region_for_area(area)
