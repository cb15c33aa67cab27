"""Word lists for synthetic programmes: titles, categories, companies, tags, prose.

All titles of new work and every company name are made up; classic plays keep their
real titles. Order matters (picked by index from a seed): append, never reorder.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CATEGORIES",
    "COMMENTS",
    "COMPANIES",
    "PRICE_TYPES",
    "QUALIFIERS",
    "SENTENCES",
    "TAGS",
    "Category",
    "PriceKind",
]


class Category(NamedTuple):
    """An ``event_category`` with its share of shows, base prices and run lengths."""

    name: str
    share: float
    price: tuple[int, int]
    """Range of the full price, whole currency units."""
    duration: tuple[int, int]
    """Range of the duration, minutes."""
    titles: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category("Drama", 0.30, (16, 32), (90, 165), (
        "The Playboy of the Western World", "Dancing at Lughnasa", "Juno and the Paycock",
        "The Plough and the Stars", "Translations", "The Field", "Philadelphia, Here I Come!",
        "The Seagull", "Hedda Gabler", "Twelfth Night", "Macbeth", "An Inspector Calls",
        "The Importance of Being Earnest", "A Doll's House", "Waiting for Godot",
        "The Weir", "By the Bog of Cats", "Faith Healer", "Sive", "The Beauty Queen of Leenane",
        "Salt Water Hymns", "The Lighthouse Keeper's Daughter", "Low Tide at Mutton Island",
        "Borrowed Coats", "A Quiet Night in Ballyvaughan",
    )),
    Category("Comedy", 0.14, (14, 28), (70, 120), (
        "Stand-up Saturdays", "The Comedy Cellar", "Improv Jam", "Late Night Laughs",
        "Sketch Club Live", "The Big Soft Comedy Night", "Tuesday Try-outs",
    )),
    Category("Music", 0.22, (12, 40), (90, 150), (
        "Trad Session at the Quay", "Baroque by Candlelight", "Sean-nós Song Evening",
        "Jazz on the Docks", "Chamber Music Sundays", "Folk Night Sessions",
        "The Winter Songbook", "Brass Band Gala", "Singer-Songwriter Circle",
        "Harp and Uilleann Pipes", "Choral Evensong", "Tribute: The Songs of the Eighties",
    )),
    Category("Dance", 0.07, (15, 30), (60, 110), (
        "Contemporary Dance Double Bill", "Swan Lake", "The Nutcracker", "Céilí Night",
        "Hip Hop Showcase", "Tides: A Dance Piece",
    )),
    Category("Family", 0.10, (8, 16), (45, 90), (
        "The Gruffalo's Child", "Family Puppet Theatre", "The Snow Queen", "Cinderella",
        "Jack and the Beanstalk", "Treasure Island", "The Selkie's Song", "Peter Pan",
    )),
    Category("Opera", 0.03, (25, 55), (120, 190), (
        "La Bohème", "The Magic Flute", "Carmen", "Madama Butterfly", "The Marriage of Figaro",
    )),
    Category("Talks", 0.05, (8, 15), (50, 80), (
        "Meet the Author", "Poetry on the Quays", "In Conversation", "The History Hour",
    )),
    Category("Film", 0.05, (7, 10), (90, 140), (
        "Silent Film Club", "Cinema Paradiso", "Irish Film Classics", "Documentary Night",
    )),
    Category("Workshops", 0.04, (10, 25), (60, 120), (
        "Youth Theatre Workshop", "Bodhrán for Beginners", "Creative Writing Lab",
        "Stage Combat Taster",
    )),
)

QUALIFIERS: tuple[str, ...] = (
    "", "", "", "", "", " – Relaxed Performance", " (Schools Matinee)", ": Live", " – Encore",
    " – Festival Edition", " – Touring Production",
)

COMPANIES: tuple[str, ...] = (
    "", "Riverrun Theatre Company", "Corrib Players", "Small Hours Productions",
    "Tidewater Dance", "Northlight Opera", "Wildflower Puppet Theatre", "Brass Neck Comedy",
    "The Long Table Ensemble", "Half Moon Collective", "Ceol Nua Ensemble",
    "Mizen Head Productions", "Paper Lantern Theatre", "Saltmarsh Music", "Lune Valley Players",
)

TAGS: tuple[str, ...] = (
    "Autumn Season", "Winter Season", "Relaxed Performance", "Audio Described", "Captioned",
    "Irish Language", "Schools", "Family Friendly", "Festival", "Premiere", "Touring",
    "Local Artists", "Accessible", "Late Night",
)

COMMENTS: tuple[str, ...] = (
    "", "", "", "", "", "", "Contains strobe lighting", "Post-show talk with the cast",
    "Audio described performance", "Captioned performance", "Suitable for ages 12+",
    "Latecomers will not be admitted", "Relaxed performance",
)

SENTENCES: tuple[str, ...] = (
    "A bold new staging that has audiences talking.",
    "Expect music, laughter and more than a few surprises.",
    "Join us for an unforgettable evening in the heart of the city.",
    "Performed by a company of twelve with live musicians.",
    "Critics called the last tour &ldquo;a joy from start to finish&rdquo;.",
    "Bar opens an hour before the performance.",
    "Wheelchair spaces are available; please tell the box office when booking.",
    "Suitable for all the family, with a short interval.",
    "A co-production with partners across Ireland and the UK.",
    "Tickets are limited, so book early to avoid disappointment.",
    "Running time is approximate and includes an interval.",
    "Developed over two years with the local community.",
)


class PriceKind(NamedTuple):
    """A price type: its name, share of ticket sales, and selling/face price factors.

    ``face`` multiplies the full price into the face value; ``selling`` into what the
    customer is charged. Concessions keep the full face value and sell below it (the
    discount the spec infers from ``face_price`` vs ``selling_price``, §2.2).
    """

    name: str
    share: float
    face: float
    selling: float


PRICE_TYPES: tuple[PriceKind, ...] = (
    PriceKind("Standard", 0.55, 1.0, 1.0),
    PriceKind("Concession", 0.15, 1.0, 0.8),
    PriceKind("Student", 0.08, 1.0, 0.7),
    PriceKind("Senior Citizen", 0.07, 1.0, 0.8),
    PriceKind("Under 18", 0.06, 1.0, 0.6),
    PriceKind("Group 10+", 0.04, 1.0, 0.85),
    PriceKind("Premium", 0.05, 1.3, 1.3),
)
"""The public price types; a show lists Standard and two to four others."""
