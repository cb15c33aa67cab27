"""Customers of a simulated account: names, addresses and postcodes as box offices hold them.

Postcodes are UK postcodes or Irish Eircodes in valid formats, except on purpose: some
are blank, some invalid (``N/A``, ``Dublin 4``, an outward code alone), and a few valid
ones are typed lower-case or without their space — what a loader must cope with.
Emails use the reserved ``example.com/.org/.net`` domains only.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import datetime
from typing import NamedTuple

from houselights.sources.simulation.names import (
    FIRST_NAMES,
    IRISH_FIRST_NAMES,
    IRISH_LAST_NAMES,
    LAST_NAMES,
)

from .places import IE_AREAS, UK_AREAS, Area, Organisation, eircode, uk_postcode

__all__ = ["POSTCODE_KINDS", "CustomerSnapshot", "make_customer", "update_customer"]

POSTCODE_KINDS = ("eircode", "uk", "blank", "invalid")
"""How a customer's postcode is classified in the truth."""

_INVALID = ("N/A", "none", "D2", "Dublin 4", "12345", "BT48", "XXX", "T12", "000000", "LA1")
_TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "")
_DOMAINS = ("example.com", "example.org", "example.net")


class CustomerSnapshot(NamedTuple):
    """A customer as at ``updated`` (one row of a customer export)."""

    id: int
    title: str
    first_name: str
    last_name: str
    email: str
    line1: str
    town: str
    county: str
    postcode: str
    postcode_kind: str
    country: str
    opt_in: bool
    created: datetime
    updated: datetime


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", folded.lower())


def _irish_share(org: Organisation) -> float:
    return {"Ireland": 0.8, "Northern Ireland": 0.5}.get(org.country, 0.15)


def _address(rng: random.Random, org: Organisation) -> tuple[str, str, str, str, str, str]:
    """(line1, town, county, postcode, kind, country) of a new or moving customer."""
    roll = rng.random()
    if roll < 0.72:
        area = rng.choice(org.local_areas)
    elif roll < 0.84:
        area = rng.choice(IE_AREAS if org.country == "Ireland" else UK_AREAS)
    elif roll < 0.88:
        area = rng.choice(UK_AREAS if org.country == "Ireland" else IE_AREAS)
    else:
        area = rng.choice(org.local_areas)
        line1 = f"{rng.randint(1, 120)} {rng.choice(org.streets)}"
        if roll < 0.96:  # blank: sometimes the whole address is missing
            if rng.random() < 0.5:
                return "", "", "", "", "blank", ""
            return line1, area.town, area.county, "", "blank", area.country
        return line1, area.town, area.county, rng.choice(_INVALID), "invalid", area.country
    return _valid_address(rng, org, area)


def _valid_address(
    rng: random.Random, org: Organisation, area: Area
) -> tuple[str, str, str, str, str, str]:
    key = rng.choice(area.codes)
    if area.country == "Ireland":
        code, kind = eircode(rng, key), "eircode"
    else:
        code, kind = uk_postcode(rng, key), "uk"
    if rng.random() < 0.03:  # typed carelessly, still a valid code
        code = code.lower() if rng.random() < 0.5 else code.replace(" ", "")
    street = rng.choice(org.streets) if area in org.local_areas else "Main Street"
    return f"{rng.randint(1, 120)} {street}", area.town, area.county, code, kind, area.country


def make_customer(
    rng: random.Random, customer_id: int, org: Organisation, at: datetime
) -> CustomerSnapshot:
    """A new customer created at ``at``."""
    irish = rng.random() < _irish_share(org)
    first = rng.choice(IRISH_FIRST_NAMES if irish else FIRST_NAMES)
    last = rng.choice(IRISH_LAST_NAMES if irish else LAST_NAMES)
    email = ""
    if rng.random() < 0.9:
        email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 999)}@{rng.choice(_DOMAINS)}"
    line1, town, county, postcode, kind, country = _address(rng, org)
    return CustomerSnapshot(
        id=customer_id, title=rng.choice(_TITLES), first_name=first, last_name=last,
        email=email, line1=line1, town=town, county=county, postcode=postcode,
        postcode_kind=kind, country=country, opt_in=rng.random() < 0.55, created=at,
        updated=at,
    )


def update_customer(
    rng: random.Random, current: CustomerSnapshot, org: Organisation, at: datetime
) -> CustomerSnapshot:
    """The customer after moving house or changing their e-mail consent at ``at``."""
    if rng.random() < 0.5:
        return current._replace(opt_in=not current.opt_in, updated=at)
    line1, town, county, postcode, kind, country = _address(rng, org)
    return current._replace(line1=line1, town=town, county=county, postcode=postcode,
                   postcode_kind=kind, country=country, updated=at)
