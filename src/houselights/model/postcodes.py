"""UK postcodes: validation, normalisation, and postcode area → region.

A full UK postcode is an *outward* code (area letters + district, e.g. ``SW1A``) and an
*inward* code (sector digit + unit letters, e.g. ``1AA``). :func:`normalise_postcode`
accepts any case and any spacing (``sw1a1aa``, `` SW1A  1AA``, ``SW1A-1AA``) and returns a
:class:`PostcodeInfo` with the normalised form ``"SW1A 1AA"``, the area (``SW``), the
district (``SW1A``) and the area's UK region.

A postcode is *valid* when it matches :data:`POSTCODE_REGEX` (the Royal Mail format
rules: which letters may stand in which position) **and** its area is one of the
postcode areas in ``data/postcode_areas.csv``. ``GIR 0AA`` (the old Girobank code) is
valid but has no area or region. BFPO numbers are out of scope and invalid.

Regions are the 12 ITL1 regions of the UK (the nine English regions, Wales, Scotland,
Northern Ireland). About twenty areas straddle a regional border; each is assigned to the
region where most of its districts lie, and the CSV's ``note`` column says which
districts fall elsewhere. The Crown Dependencies (``GY`` Guernsey, ``JE`` Jersey, ``IM``
Isle of Man) use UK-format postcodes but belong to no UK region: their ``region`` is
``None`` and their ``country`` names the island.

This is area-level geography only; finer enrichment (ONSPD, IMD) is separate.

**Irish Eircodes** are kept as such (Ticketsolve serves Irish venues):
:func:`normalise_eircode` accepts an Eircode in any case and spacing (``d02x285``) and
returns ``"D02 X285"`` with its *routing key* (``D02``) as both area and district, and no
UK region (``region`` ``None``; ``system`` ``"eircode"``). :func:`normalise_any_postcode`
tries a UK postcode first, then an Eircode. The two formats never overlap: an Eircode's
unique identifier has four characters, a UK inward code three.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "CROWN_DEPENDENCIES",
    "EIRCODE_REGEX",
    "POSTCODE_REGEX",
    "REGIONS",
    "PostcodeArea",
    "PostcodeInfo",
    "normalise_any_postcode",
    "normalise_eircode",
    "normalise_postcode",
    "postcode_area",
    "postcode_areas",
    "region_for_area",
]

REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Wales",
    "Scotland",
    "Northern Ireland",
)
"""The 12 ITL1 regions of the UK, in the ONS's usual order."""

CROWN_DEPENDENCIES: tuple[str, ...] = ("GY", "IM", "JE")
"""Postcode areas of the Crown Dependencies: UK-format postcodes, no UK region."""

# Letters allowed in each position (Royal Mail / BS 7666): first letter never Q, V, X;
# second never I, J, Z; a letter after a one-letter area's digit only A-H J K P S T U W;
# after a two-letter area's digit only A B E H M N P R V W X Y; inward letters never
# C I K M O V. Plain character classes so the same pattern works in Python, DuckDB (RE2)
# and PostgreSQL (ARE) — the exchange's postcode-format check renders it to SQL.
_INWARD = "[0-9][ABD-HJLNP-UW-Z]{2}"
POSTCODE_REGEX = (
    "^(GIR 0AA|"
    f"[A-PR-UWYZ][0-9][0-9]? {_INWARD}|"
    f"[A-PR-UWYZ][A-HK-Y][0-9][0-9]? {_INWARD}|"
    f"[A-PR-UWYZ][0-9][A-HJKPSTUW] {_INWARD}|"
    f"[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY] {_INWARD})$"
)
"""A full UK postcode in normalised form (upper case, one space before the inward code)."""

_POSTCODE_RE = re.compile(POSTCODE_REGEX)

# Eircode: a routing key (a letter of A C D E F H K N P R T V W X Y and two digits, or
# D6W) and a unique identifier of four characters from 0-9 and those letters.
_EIRCODE_CHARS = "0-9AC-FHKNPRTV-Y"
EIRCODE_REGEX = f"^([AC-FHKNPRTV-Y][0-9]{{2}}|D6W) [{_EIRCODE_CHARS}]{{4}}$"
"""A full Irish Eircode in normalised form (upper case, one space after the routing key)."""
_EIRCODE_RE = re.compile(EIRCODE_REGEX)
_AREA_RE = re.compile(r"[A-Z]{1,2}")
_WHITESPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class PostcodeArea:
    """One postcode area: its letters, its usual name, its region and country."""

    area: str
    name: str
    region: str | None
    country: str
    note: str = ""

    @property
    def is_crown_dependency(self) -> bool:
        """Whether the area is Guernsey, Jersey or the Isle of Man."""
        return self.area in CROWN_DEPENDENCIES


@dataclass(frozen=True)
class PostcodeInfo:
    """What a raw postcode value tells us.

    ``postcode`` is the normalised form (``"SW1A 1AA"``) or ``None`` when ``raw`` is
    missing or not a valid full UK postcode; ``area``, ``district`` and ``region`` are
    ``None`` then too. ``raw`` is the value as given. ``system`` says which format a
    valid code is in: ``"uk"`` or ``"eircode"`` (an Eircode's area and district are its
    routing key; it has no UK region).
    """

    raw: str | None
    postcode: str | None
    valid: bool
    area: str | None
    district: str | None
    region: str | None
    system: str = "uk"


@functools.cache
def _areas() -> dict[str, PostcodeArea]:
    text = (
        resources.files("houselights.model")
        .joinpath("data", "postcode_areas.csv")
        .read_text(encoding="utf-8")
    )
    areas: dict[str, PostcodeArea] = {}
    for row in csv.DictReader(io.StringIO(text)):
        areas[row["area"]] = PostcodeArea(
            area=row["area"],
            name=row["name"],
            region=row["region"] or None,
            country=row["country"],
            note=row["note"],
        )
    return areas


def postcode_areas() -> list[PostcodeArea]:
    """Every UK postcode area (incl. the Crown Dependencies), sorted by area letters."""
    return sorted(_areas().values(), key=lambda a: a.area)


def postcode_area(area: str) -> PostcodeArea | None:
    """The :class:`PostcodeArea` for ``area`` letters (any case), or ``None``."""
    return _areas().get(area.strip().upper())


def region_for_area(area: str | None) -> str | None:
    """The UK region of a postcode area (``"NE"`` → ``"North East"``), else ``None``.

    ``None`` for unknown areas and for the Crown Dependencies.
    """
    if not area:
        return None
    found = postcode_area(area)
    return found.region if found else None


def _invalid(raw: str | None) -> PostcodeInfo:
    return PostcodeInfo(raw=raw, postcode=None, valid=False, area=None, district=None,
                        region=None)


@functools.lru_cache(maxsize=8_192)
def normalise_postcode(raw: str | None) -> PostcodeInfo:
    """Validate and normalise a UK postcode given in any case and spacing.

    >>> normalise_postcode(" sw1a1aa ").postcode
    'SW1A 1AA'
    >>> normalise_postcode("SW1A 1AA").region
    'London'
    >>> normalise_postcode("not a postcode").valid
    False
    """
    if raw is None:
        return _invalid(None)
    compact = _WHITESPACE_RE.sub("", raw).upper()
    if compact[-4:-3] == "-":  # "SW1A-1AA": a hyphen written in place of the space
        compact = compact[:-4] + compact[-3:]
    if not 5 <= len(compact) <= 7:
        return _invalid(raw)
    postcode = f"{compact[:-3]} {compact[-3:]}"
    if not _POSTCODE_RE.match(postcode):
        return _invalid(raw)
    district = compact[:-3]
    if district == "GIR":
        # Girobank's non-geographic code: a real postcode with no area.
        return PostcodeInfo(raw=raw, postcode=postcode, valid=True, area=None,
                            district=None, region=None)
    match = _AREA_RE.match(district)
    area = match.group(0) if match else ""
    found = _areas().get(area)
    if found is None:
        return _invalid(raw)
    return PostcodeInfo(raw=raw, postcode=postcode, valid=True, area=area, district=district,
                        region=found.region)


@functools.lru_cache(maxsize=8_192)
def normalise_eircode(raw: str | None) -> PostcodeInfo:
    """Validate and normalise an Irish Eircode given in any case and spacing.

    >>> normalise_eircode(" d02x285 ").postcode
    'D02 X285'
    >>> normalise_eircode("D02 X285").area
    'D02'
    >>> normalise_eircode("SW1A 1AA").valid
    False
    """
    if raw is None:
        return _invalid(None)
    compact = _WHITESPACE_RE.sub("", raw).upper()
    if len(compact) != 7:
        return _invalid(raw)
    code = f"{compact[:3]} {compact[3:]}"
    if not _EIRCODE_RE.match(code):
        return _invalid(raw)
    key = compact[:3]
    return PostcodeInfo(raw=raw, postcode=code, valid=True, area=key, district=key,
                        region=None, system="eircode")


def normalise_any_postcode(raw: str | None) -> PostcodeInfo:
    """A UK postcode, else an Irish Eircode (see :func:`normalise_postcode` and
    :func:`normalise_eircode`); invalid when it is neither."""
    info = normalise_postcode(raw)
    if info.valid:
        return info
    eircode = normalise_eircode(raw)
    return eircode if eircode.valid else info
