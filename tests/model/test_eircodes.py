"""Irish Eircodes: normalised and kept as such, never confused with UK postcodes.

Examples are real Eircode shapes (routing key + four characters; D6W is the one routing
key with a letter in third place); the expected forms are written out by hand.
"""

from __future__ import annotations

import pytest

from houselights.exchange.checks.rules import EIRCODE_PATTERN, UK_POSTCODE_PATTERN
from houselights.model.postcodes import (
    normalise_any_postcode,
    normalise_eircode,
    normalise_postcode,
)


@pytest.mark.parametrize(
    ("raw", "code", "key"),
    [
        ("D02 X285", "D02 X285", "D02"),
        ("d02x285", "D02 X285", "D02"),
        ("  h91  e2k3 ", "H91 E2K3", "H91"),
        ("D6W Y2A4", "D6W Y2A4", "D6W"),
        ("T12XK34", "T12 XK34", "T12"),
        ("a91 p2c0", "A91 P2C0", "A91"),
    ],
)
def test_eircodes_are_normalised(raw: str, code: str, key: str) -> None:
    info = normalise_eircode(raw)
    assert (info.valid, info.postcode, info.area, info.district) == (True, code, key, key)
    assert info.region is None and info.system == "eircode"
    assert normalise_any_postcode(raw) == info
    assert not normalise_postcode(raw).valid  # never read as a UK postcode


@pytest.mark.parametrize(
    "raw",
    ["", "D2", "DUBLIN 4", "N/A", "D02 X28", "D02 X2856", "B02 X285", "D02 X2O5", "D7W X285",
     "SW1A 1AA", None],
)
def test_what_is_not_an_eircode(raw: str | None) -> None:
    assert not normalise_eircode(raw).valid


def test_uk_postcodes_still_win_and_keep_their_region() -> None:
    info = normalise_any_postcode("bt48 6dq")
    assert (info.postcode, info.region, info.system) == ("BT48 6DQ", "Northern Ireland", "uk")
    assert not normalise_any_postcode("Dublin 4").valid


def test_the_postcode_check_accepts_both_formats() -> None:
    import re

    for good in ("D02 X285", "D6W Y2A4", "BT48 6DQ", "SW1A 1AA"):
        assert re.match(UK_POSTCODE_PATTERN, good) or re.match(EIRCODE_PATTERN, good)
    for bad in ("D02X285", "DUBLIN 4", "N/A", "BT48"):
        assert not (re.match(UK_POSTCODE_PATTERN, bad) or re.match(EIRCODE_PATTERN, bad))
