"""Word lists for synthetic UK arts-organisation data (all names and addresses made up).

Street names are invented; outward postcodes are real districts so that geography
derived from them (region, deprivation lookups) behaves as with real data. Emails use
the reserved ``example.*`` domains so no real mailbox can ever be addressed.
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "NATIONAL_OUTWARD_CODES",
    "PRODUCTION_TITLES",
    "STAFF_USERS",
    "TITLES",
    "City",
]

from typing import NamedTuple

# Personal names are shared with other simulators; re-exported here for Spektrix modules.
from houselights.sources.simulation.names import FIRST_NAMES, LAST_NAMES


class City(NamedTuple):
    """A home town for a simulated organisation: its name, local postcodes and streets."""

    name: str
    organisation: str
    outward_codes: tuple[str, ...]
    streets: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City(
        "Leeds", "Kirkgate Arts Centre",
        ("LS1", "LS2", "LS6", "LS7", "LS8", "LS11", "LS12", "LS16", "LS17", "LS28"),
        ("Playhouse Square", "Wharf Street", "Harewood Road", "Chapeltown Lane", "Mill Row"),
    ),
    City(
        "Bristol", "Harbourside Playhouse",
        ("BS1", "BS2", "BS3", "BS5", "BS6", "BS7", "BS8", "BS9", "BS16", "BS31"),
        ("Quayside Walk", "Prince's Wharf Road", "Colston Yard", "Gloucester Row", "Ferry Lane"),
    ),
    City(
        "Norwich", "Wensum Theatre Royal",
        ("NR1", "NR2", "NR3", "NR4", "NR5", "NR6", "NR7", "NR13", "NR14", "NR18"),
        ("Theatre Street", "Magdalen Yard", "Riverside Close", "Elm Hill Road", "Tombland Row"),
    ),
    City(
        "Manchester", "Ancoats Music Hall",
        ("M1", "M2", "M3", "M4", "M13", "M14", "M15", "M16", "M20", "M21"),
        ("Cotton Street", "Great Ancoats Row", "Canal Side", "Oxford Lane", "Piccadilly Yard"),
    ),
)

NATIONAL_OUTWARD_CODES: tuple[str, ...] = (
    "SW1A", "N1", "E8", "SE15", "W12", "B15", "CF10", "EH3", "G12", "NE1", "L8", "S10",
    "YO1", "OX1", "CB2", "BN1", "EX4", "PL4", "TR1", "LL57", "BT9", "AB10", "DD1", "IV2",
    "HU5", "LE1", "NG7", "DE22", "CV1", "WR1", "HR4", "SY3", "TA1", "BA1", "GL1", "SN1",
)

TITLES: tuple[str, ...] = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", "")

PRODUCTION_TITLES: tuple[str, ...] = (
    "The Winter's Tale", "A Midsummer Night's Dream", "Hedda Gabler", "The Seagull",
    "Twelfth Night", "An Inspector Calls", "The Importance of Being Earnest", "Macbeth",
    "A Doll's House", "The Cherry Orchard", "Much Ado About Nothing", "Blithe Spirit",
    "Pygmalion", "The Tempest", "Uncle Vanya", "Romeo and Juliet", "The Rivals",
    "She Stoops to Conquer", "Jane Eyre", "Great Expectations", "Wuthering Heights",
    "The Wind in the Willows", "Alice in Wonderland", "Treasure Island", "Peter Pan",
    "Cinderella", "Aladdin", "Dick Whittington", "Sleeping Beauty", "Jack and the Beanstalk",
    "Northern Lights Orchestra", "Baroque by Candlelight", "Brass Band Gala",
    "Folk Night Sessions", "Jazz at the Wharf", "Chamber Music Sundays", "Choral Evensong",
    "Contemporary Dance Double Bill", "Swan Lake", "The Nutcracker", "Hip Hop Showcase",
    "Stand-up Saturdays", "Improv Lab", "Poetry Slam", "Meet the Author", "Silent Film Club",
    "Family Puppet Theatre", "Youth Theatre Showcase", "Community Choir", "Open Mic Night",
)

STAFF_USERS: tuple[str, ...] = ("jsmith", "mpatel", "boxoffice1", "rkhan", "ljones", "admin")
