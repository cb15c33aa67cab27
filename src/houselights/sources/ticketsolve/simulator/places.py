"""Organisations, venues and home areas of the simulated accounts (Ireland and the UK).

Venue names and street addresses are made up; towns, counties, Eircode routing keys and
UK outward codes are real, so geography derived from a postcode behaves as with real
data. Every fixed Eircode and UK postcode here has a valid format.
"""

from __future__ import annotations

import random
from typing import NamedTuple

__all__ = [
    "EIRCODE_CHARS",
    "IE_AREAS",
    "ORGANISATIONS",
    "UK_AREAS",
    "Area",
    "Organisation",
    "Site",
    "eircode",
    "uk_postcode",
]

EIRCODE_CHARS = "0123456789ACDEFHKNPRTVWXY"
"""Characters of an Eircode's unique identifier (letters that cannot be misread)."""
_EIRCODE_LETTERS = "ACDEFHKNPRTVWXY"
_UK_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class Area(NamedTuple):
    """A home area of customers: town, county, country and its postcode prefixes."""

    town: str
    county: str
    country: str
    codes: tuple[str, ...]
    """Eircode routing keys (``H91``) or UK outward codes (``LA1``)."""


class Site(NamedTuple):
    """A venue of an organisation, with its full address."""

    name: str
    line1: str
    town: str
    county: str
    postcode: str
    layouts: tuple[str, ...]
    capacity: tuple[int, int]
    outdoor: bool = False


class Organisation(NamedTuple):
    """A simulated Ticketsolve client: an arts organisation and its venues."""

    key: str
    name: str
    country: str
    currency: str
    zone: str
    sites: tuple[Site, ...]
    local_areas: tuple[Area, ...]
    streets: tuple[str, ...]
    fees: tuple[str, ...]
    """Transaction fees it charges online and by phone (as decimal strings)."""


def eircode(rng: random.Random, routing_key: str) -> str:
    """A well-formed Eircode such as ``H91 X2T4`` for the given routing key."""
    unique = rng.choice(_EIRCODE_LETTERS) + "".join(rng.choice(EIRCODE_CHARS) for _ in "123")
    return f"{routing_key} {unique}"


def uk_postcode(rng: random.Random, outward: str) -> str:
    """A well-formed UK postcode such as ``LA1 4YW`` for the given outward code."""
    return f"{outward} {rng.randint(1, 9)}{rng.choice(_UK_INWARD_LETTERS)}" \
           f"{rng.choice(_UK_INWARD_LETTERS)}"


IE = "Ireland"
NI = "Northern Ireland"
EN = "England"

IE_AREAS: tuple[Area, ...] = (
    Area("Dublin", "Co. Dublin", IE, ("D01", "D02", "D03", "D04", "D05", "D06", "D6W", "D07",
                                      "D08", "D09", "D11", "D12", "D13", "D15", "D24")),
    Area("Cork", "Co. Cork", IE, ("T12", "T23")),
    Area("Limerick", "Co. Limerick", IE, ("V94",)),
    Area("Waterford", "Co. Waterford", IE, ("X91",)),
    Area("Kilkenny", "Co. Kilkenny", IE, ("R95",)),
    Area("Athlone", "Co. Westmeath", IE, ("N37",)),
    Area("Dundalk", "Co. Louth", IE, ("A91",)),
    Area("Ennis", "Co. Clare", IE, ("V95",)),
    Area("Tralee", "Co. Kerry", IE, ("V92",)),
    Area("Letterkenny", "Co. Donegal", IE, ("F92",)),
    Area("Wexford", "Co. Wexford", IE, ("Y35",)),
    Area("Castlebar", "Co. Mayo", IE, ("F23",)),
    Area("Bray", "Co. Wicklow", IE, ("A98",)),
    Area("Naas", "Co. Kildare", IE, ("W91",)),
    Area("Navan", "Co. Meath", IE, ("C15",)),
)

UK_AREAS: tuple[Area, ...] = (
    Area("Belfast", "Co. Antrim", NI, ("BT1", "BT5", "BT7", "BT9", "BT15")),
    Area("London", "Greater London", EN, ("N1", "E8", "SE15", "NW5", "W12")),
    Area("Manchester", "Greater Manchester", EN, ("M1", "M14", "M20")),
    Area("Leeds", "West Yorkshire", EN, ("LS6", "LS8")),
    Area("Liverpool", "Merseyside", EN, ("L8", "L17")),
    Area("Glasgow", "Glasgow City", "Scotland", ("G12", "G41")),
    Area("Edinburgh", "City of Edinburgh", "Scotland", ("EH3", "EH9")),
    Area("Cardiff", "Cardiff", "Wales", ("CF10", "CF24")),
    Area("Bristol", "Bristol", EN, ("BS6", "BS8")),
)

_LAYOUTS_MAIN = ("Stalls & Balcony", "Stalls only", "Thrust")
_LAYOUTS_STUDIO = ("Studio – Unreserved", "Cabaret", "In the Round")
_LAYOUTS_OUTDOOR = ("General Admission", "Standing")

ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation(
        "galway", "Corrib Arts Centre", IE, "EUR", "Europe/Dublin",
        (
            Site("Corrib Arts Centre – Main Auditorium", "14 Dock Road", "Galway",
                 "Co. Galway", "H91 X2T4", _LAYOUTS_MAIN, (250, 420)),
            Site("Corrib Arts Centre – Studio", "14 Dock Road", "Galway", "Co. Galway",
                 "H91 X2T4", _LAYOUTS_STUDIO, (60, 120)),
            Site("Claddagh Hall", "3 Nimmo's Pier", "Galway", "Co. Galway", "H91 KP83",
                 ("Seated", "Standing"), (120, 300)),
            Site("Spanish Arch Courtyard", "Long Walk", "Galway", "Co. Galway", "H91 F2W8",
                 _LAYOUTS_OUTDOOR, (200, 800), outdoor=True),
        ),
        (Area("Galway", "Co. Galway", IE, ("H91",)), Area("Oranmore", "Co. Galway", IE, ("H91",)),
         Area("Athenry", "Co. Galway", IE, ("H65",)), Area("Loughrea", "Co. Galway", IE, ("H62",)),
         Area("Tuam", "Co. Galway", IE, ("H54",)), Area("Clifden", "Co. Galway", IE, ("H71",))),
        ("Sea Road", "Bohermore", "College Road", "Threadneedle Road", "Newcastle Park",
         "Mary Street", "Taylor's Hill", "Dyke Road"),
        ("1.50", "2.00"),
    ),
    Organisation(
        "dublin", "Liffey Playhouse", IE, "EUR", "Europe/Dublin",
        (
            Site("Liffey Playhouse", "22 Ormond Quay Upper", "Dublin 7", "Co. Dublin",
                 "D07 W2R6", _LAYOUTS_MAIN, (300, 520)),
            Site("The Boiler House", "Grand Canal Quay", "Dublin 2", "Co. Dublin", "D02 HX65",
                 _LAYOUTS_STUDIO, (80, 160)),
            Site("Smithfield Square Stage", "Smithfield Square", "Dublin 7", "Co. Dublin",
                 "D07 AN52", _LAYOUTS_OUTDOOR, (400, 1200), outdoor=True),
        ),
        (Area("Dublin", "Co. Dublin", IE, ("D01", "D02", "D03", "D06", "D6W", "D07", "D08",
                                           "D09", "D12", "D15", "D24")),
         Area("Bray", "Co. Wicklow", IE, ("A98",)),
         Area("Dún Laoghaire", "Co. Dublin", IE, ("A96",)),
         Area("Swords", "Co. Dublin", IE, ("K67",)), Area("Maynooth", "Co. Kildare", IE, ("W23",))),
        ("Manor Street", "Prussia Street", "Leinster Road", "Clanbrassil Street",
         "Drumcondra Road Upper", "Mount Street Crescent", "Oxmantown Road", "Kenilworth Square"),
        ("1.75", "2.50"),
    ),
    Organisation(
        "cork", "Lee Valley Theatre", IE, "EUR", "Europe/Dublin",
        (
            Site("Lee Valley Theatre", "41 Lavitt's Quay", "Cork", "Co. Cork", "T12 RW7C",
                 _LAYOUTS_MAIN, (280, 480)),
            Site("The Granary Loft", "Mardyke Walk", "Cork", "Co. Cork", "T12 K8AF",
                 _LAYOUTS_STUDIO, (70, 140)),
            Site("Fitzgerald's Park Bandstand", "Mardyke Walk", "Cork", "Co. Cork", "T12 CX79",
                 _LAYOUTS_OUTDOOR, (150, 600), outdoor=True),
        ),
        (Area("Cork", "Co. Cork", IE, ("T12", "T23")),
         Area("Ballincollig", "Co. Cork", IE, ("P31",)),
         Area("Carrigaline", "Co. Cork", IE, ("P43",)), Area("Cobh", "Co. Cork", IE, ("P24",)),
         Area("Midleton", "Co. Cork", IE, ("P25",))),
        ("Douglas Road", "Sunday's Well Road", "Barrack Street", "Blarney Street",
         "Western Road", "Evergreen Road", "Tivoli Park", "Summerhill North"),
        ("1.50", "1.95"),
    ),
    Organisation(
        "sligo", "Garavogue Arts", IE, "EUR", "Europe/Dublin",
        (
            Site("Garavogue Theatre", "7 Stephen Street", "Sligo", "Co. Sligo", "F91 YH22",
                 _LAYOUTS_MAIN, (180, 340)),
            Site("Quay Street Studio", "Quay Street", "Sligo", "Co. Sligo", "F91 E4T0",
                 _LAYOUTS_STUDIO, (50, 100)),
            Site("Rosses Point Marquee", "Rosses Point", "Rosses Point", "Co. Sligo", "F91 DK30",
                 _LAYOUTS_OUTDOOR, (150, 500), outdoor=True),
        ),
        (Area("Sligo", "Co. Sligo", IE, ("F91",)), Area("Ballymote", "Co. Sligo", IE, ("F56",)),
         Area("Enniscrone", "Co. Sligo", IE, ("F26",)),
         Area("Carrick-on-Shannon", "Co. Leitrim", IE, ("N41",))),
        ("Pearse Road", "Strandhill Road", "John Street", "Mail Coach Road", "Ash Lane"),
        ("1.00", "1.50"),
    ),
    Organisation(
        "derry", "Foyle Quay Theatre", NI, "GBP", "Europe/London",
        (
            Site("Foyle Quay Theatre", "9 Foyle Embankment", "Derry~Londonderry",
                 "Co. Londonderry", "BT48 6AF", _LAYOUTS_MAIN, (260, 460)),
            Site("Bishop Street Studio", "56 Bishop Street", "Derry~Londonderry",
                 "Co. Londonderry", "BT48 6PJ", _LAYOUTS_STUDIO, (60, 130)),
            Site("Guildhall Square Stage", "Guildhall Square", "Derry~Londonderry",
                 "Co. Londonderry", "BT48 6DQ", _LAYOUTS_OUTDOOR, (300, 1000), outdoor=True),
        ),
        (Area("Derry~Londonderry", "Co. Londonderry", NI, ("BT47", "BT48")),
         Area("Limavady", "Co. Londonderry", NI, ("BT49",)),
         Area("Strabane", "Co. Tyrone", NI, ("BT82",)),
         # Across the border: Inishowen and Letterkenny customers carry Eircodes.
         Area("Buncrana", "Co. Donegal", IE, ("F93",)),
         Area("Letterkenny", "Co. Donegal", IE, ("F92",))),
        ("Strand Road", "Northland Road", "Clooney Terrace", "Marlborough Street",
         "Lone Moor Road", "Duke Street"),
        ("1.25", "1.50"),
    ),
    Organisation(
        "lancaster", "Lune Street Playhouse", EN, "GBP", "Europe/London",
        (
            Site("Lune Street Playhouse", "18 Lune Street", "Lancaster", "Lancashire",
                 "LA1 1EQ", _LAYOUTS_MAIN, (220, 400)),
            Site("Castle Hill Studio", "2 Castle Hill", "Lancaster", "Lancashire", "LA1 1YN",
                 _LAYOUTS_STUDIO, (50, 110)),
            Site("Williamson Park Bandstand", "Quernmore Road", "Lancaster", "Lancashire",
                 "LA1 1UX", _LAYOUTS_OUTDOOR, (150, 600), outdoor=True),
        ),
        (Area("Lancaster", "Lancashire", EN, ("LA1", "LA2")),
         Area("Morecambe", "Lancashire", EN, ("LA3", "LA4")),
         Area("Carnforth", "Lancashire", EN, ("LA5",)),
         Area("Kendal", "Cumbria", EN, ("LA9",)), Area("Preston", "Lancashire", EN, ("PR1",))),
        ("Bowerham Road", "Greaves Road", "Scotforth Road", "Aldcliffe Road", "West Road",
         "Regent Street"),
        ("1.00", "1.50", "2.00"),
    ),
)
