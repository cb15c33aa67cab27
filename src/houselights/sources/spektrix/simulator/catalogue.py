"""The catalogue of one simulated client: venues, plans, events, instances, prices, items.

Small enough to keep as ready-made payload dicts (a large system has a few thousand
instances). Each entity is rendered twice: the **System Owner** view (every attribute,
archived and hidden events, all tag groups) and the **web** view an unsigned caller gets
(spec §2: fewer events and attributes, no archived events, web-visible tag groups only).

Payload fields follow spec §6; fields marked *invented* in the README are ours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .clock import LONDON, MICROS, LocalZone, format_local, format_utc, local_day_start
from .config import ClientConfig, SetupVariations
from .ids import catalogue_id
from .names import CITIES, PRODUCTION_TITLES, City

__all__ = ["Catalogue", "attribute_key", "build_catalogue", "render_items"]

DAY = 86_400 * MICROS
Payload = dict[str, Any]

# Legacy-integer ranges per entity type. They overlap between types on purpose: real
# systems reuse the same id for different kinds of object (spec §5.2).
_VENUE_BASE, _PLAN_BASE, _EVENT_BASE, _INSTANCE_BASE = 201, 1001, 10001, 50001
_PRICE_LIST_BASE, _TYPE_BASE, _BAND_BASE, _STOCK_BASE = 3001, 401, 501, 601
_FUND_BASE, _MEMBERSHIP_BASE, _STATEMENT_BASE, _TAG_BASE, _GROUP_BASE = 701, 801, 901, 1101, 1201

SALES_WINDOW_DAYS = 100
"""Tickets for an instance go on sale this many days before it starts (invented)."""

TICKET_TYPES: tuple[tuple[str, float, float], ...] = (
    # name, price multiplier, share of tickets
    ("Standard", 1.0, 0.60),
    ("Concession", 0.8, 0.18),
    ("Under 18", 0.5, 0.08),
    ("Member", 0.9, 0.09),
    ("Complimentary", 0.0, 0.05),
)
BANDS: tuple[tuple[str, float], ...] = (("Band A", 1.0), ("Band B", 0.8), ("Band C", 0.6))
CATEGORIES = ("Theatre", "Music", "Dance", "Comedy", "Talks", "Family", "Film", "Participation")
EVENT_TYPES = ("Produced", "Co-production", "Visiting", "Hire")
ACCESS_TYPES = (
    "", "", "", "", "", "", "BSL Interpreted", "Audio Described", "Relaxed", "Captioned",
)

# (name, product?, price, postage) — "Exchange Fee" etc. are Fee items (integration guide).
STOCK_ITEMS: tuple[tuple[str, bool, float, float], ...] = (
    ("Souvenir Brochure", True, 6.0, 1.5),
    ("Tote Bag", True, 10.0, 2.5),
    ("Playtext", True, 9.99, 1.5),
    ("Gift Voucher", True, 25.0, 0.0),
    ("Exchange Fee", False, 2.0, 0.0),
    ("Transaction Fee", False, 1.5, 0.0),
    ("Postage Fee", False, 1.0, 0.0),
)
FUNDS: tuple[tuple[str, str, str, float], ...] = (
    ("Annual Fund", "Unrestricted support for our year-round programme", "ANN", 5.0),
    ("Building Appeal", "Help us renew our home", "BLD", 25.0),
    ("Youth Theatre Bursaries", "Free places for young people", "YTB", 10.0),
    ("Access Fund", "Captioned, BSL and relaxed performances", "ACC", 5.0),
)
MEMBERSHIPS: tuple[tuple[str, float, float], ...] = (
    ("Friend", 40.0, 36.0), ("Best Friend", 90.0, 85.0), ("Patron", 500.0, 500.0),
    ("Young Friend", 15.0, 15.0),
)
STATEMENTS: tuple[tuple[str, str], ...] = (
    ("Email", "I would like to receive news and offers by email"),
    ("Post", "I would like to receive our brochure by post"),
    ("SMS", "I am happy to receive text messages about my bookings and offers"),
    ("Research", "I agree to my booking data being shared with funders for audience research"),
)
# (group, web-visible?, tags) — automatic RFV / Dotdigital groups are owner-only (spec §2).
TAG_GROUPS: tuple[tuple[str, bool, tuple[str, ...]], ...] = (
    ("Interests", True, ("Theatre", "Music", "Dance", "Comedy", "Family")),
    ("Access", True, ("Wheelchair user", "BSL user", "Companion ticket")),
    ("RFV", False, ("RFV: Champion", "RFV: Loyal", "RFV: Lapsed", "RFV: New")),
    ("Dotdigital", False, ("Dotdigital: Synced", "Dotdigital: Suppressed")),
)


def attribute_key(name: str) -> str:
    """Payload key of an attribute: ``attribute_`` + the name with spaces removed (spec §5.5)."""
    return "attribute_" + name.replace(" ", "")


@dataclass
class Venue:
    """A venue and its plans' capacities."""

    number: int
    name: str
    address: str | None
    kind: str  # main / studio / hall / library / outdoor — drives run lengths


@dataclass
class Catalogue:
    """Ready-made catalogue payloads plus the numpy arrays the sales generator reads."""

    city: City
    venues: list[Payload] = field(default_factory=list)
    plans: list[Payload] = field(default_factory=list)
    events: list[Payload] = field(default_factory=list)
    events_web: list[Payload] = field(default_factory=list)
    instances: list[Payload] = field(default_factory=list)
    instances_web: list[Payload] = field(default_factory=list)
    stock_items: list[Payload] = field(default_factory=list)
    stock_items_web: list[Payload] = field(default_factory=list)
    funds: list[Payload] = field(default_factory=list)
    memberships: list[Payload] = field(default_factory=list)
    statements: list[Payload] = field(default_factory=list)
    tags: list[Payload] = field(default_factory=list)
    tags_web: list[Payload] = field(default_factory=list)
    tag_groups: list[Payload] = field(default_factory=list)
    tag_groups_web: list[Payload] = field(default_factory=list)
    ticket_types: list[Payload] = field(default_factory=list)
    bands: list[Payload] = field(default_factory=list)
    # Per instance (index = position in ``instances``).
    inst_start: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    inst_capacity: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    inst_event: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    inst_cancelled: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    inst_supplementary: npt.NDArray[np.bool_] = field(
        default_factory=lambda: np.zeros(0, np.bool_)
    )
    inst_unreserved: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    # For each main instance, its interval-drinks and programme instances (-1 if none).
    inst_drinks: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    inst_programme: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    # Per event: base ticket price in pence.
    event_price: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    event_web_visible: list[bool] = field(default_factory=list)
    event_archived: list[bool] = field(default_factory=list)
    stock_is_fee: list[bool] = field(default_factory=list)
    stock_price: list[int] = field(default_factory=list)
    fund_default: list[int] = field(default_factory=list)
    membership_price: list[int] = field(default_factory=list)

    @property
    def instance_ids(self) -> list[str]:
        """Instance ids by index."""
        return [p["id"] for p in self.instances]


def _season(us: int, zone: LocalZone) -> str:
    text = format_local(us, zone)
    year, month = int(text[:4]), int(text[5:7])
    if month <= 4:
        return f"Spring {year}"
    if month <= 8:
        return f"Summer {year}"
    return f"Autumn {year}"


def _venues(city: City, variations: SetupVariations, rng: random.Random) -> list[Venue]:
    street = city.streets
    out = city.outward_codes
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    home = f"1 {street[0]}, {city.name}, {out[0]} {inward}"
    venues = [
        Venue(_VENUE_BASE, "Main House", home, "main"),
        Venue(_VENUE_BASE + 1, "The Studio", home, "studio"),
        Venue(_VENUE_BASE + 2, "Riverside Hall",
              f"{rng.randint(2, 90)} {street[1]}, {city.name}, {out[2]} {rng.randint(1, 9)}HQ",
              "hall"),
        Venue(_VENUE_BASE + 3, f"{street[3].split()[0]} Library",
              f"{street[3]}, {city.name}, {out[4]} {rng.randint(1, 9)}JP", "library"),
        # The one venue without an address (the spec's optional "Set venue addresses" step).
        Venue(_VENUE_BASE + 4, "Festival Garden", None, "outdoor"),
    ]
    if variations.all_venues_without_address:
        for venue in venues:
            venue.address = None
    return venues


_PLANS: tuple[tuple[int, str, str, int], ...] = (
    # venue index, plan name, type, capacity
    (0, "Main House - Proscenium", "Reserved", 750),
    (0, "Main House - In the Round", "Reserved", 520),
    (1, "Studio - Unreserved", "Unreserved", 160),
    (2, "Riverside Hall - Concert", "Reserved", 380),
    (3, "Library - Unreserved", "Unreserved", 80),
    (4, "Festival Garden - Standing", "Unreserved", 250),
)
_RUN_LENGTH = {"main": (6, 24), "studio": (3, 12), "hall": (1, 4), "library": (1, 2),
               "outdoor": (2, 8)}
_VENUE_WEIGHTS = (0.38, 0.25, 0.22, 0.08, 0.07)


def build_catalogue(
    config: ClientConfig, main_tickets: int, now_us: int, seed: int, zone: LocalZone = LONDON
) -> Catalogue:
    """Generate the catalogue, with enough sellable capacity for ``main_tickets``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    city = CITIES[seed % len(CITIES)]
    cat = Catalogue(city=city)
    var = config.variations
    supp_key = attribute_key(var.supplementary_attribute)
    venues = _venues(city, var, rng)
    for v in venues:
        cat.venues.append({"id": catalogue_id(v.number), "name": v.name, "address": v.address})
    plan_caps = []
    for i, (venue_index, name, kind, cap) in enumerate(_PLANS):
        cap = int(cap * rng.uniform(0.9, 1.1))
        plan_caps.append(cap)
        cat.plans.append({
            "id": catalogue_id(_PLAN_BASE + i), "name": name, "type": kind,
            "venue": {"id": cat.venues[venue_index]["id"]}, "capacity": cap,
            "areas": [], "seats": None, "backgroundImageUrl": None,
        })
    cat.ticket_types = [{"id": catalogue_id(_TYPE_BASE + i), "name": t[0]}
                        for i, t in enumerate(TICKET_TYPES)]
    cat.bands = [{"id": catalogue_id(_BAND_BASE + i), "name": b[0]} for i, b in enumerate(BANDS)]

    history = config.scale.history_days * DAY
    future = config.scale.future_days * DAY
    first_day = now_us - history

    starts: list[int] = []
    caps: list[int] = []
    events_of: list[int] = []
    plans_of: list[int] = []
    access: list[str] = []
    event_rows: list[dict[str, Any]] = []
    sellable = 0.0
    # Add productions until the sellable capacity comfortably covers the ticket target:
    # sales are later scaled down to hit the target exactly.
    # At least one production a month, whatever the scale, so every date window and the
    # future (for advance()) have some programme.
    min_events = max(12, (config.scale.history_days + config.scale.future_days) // 25)
    while sellable * 0.8 < main_tickets or len(event_rows) < min_events:
        e = len(event_rows)
        venue_index = rng.choices(range(len(venues)), _VENUE_WEIGHTS)[0]
        plan_options = [i for i, p in enumerate(_PLANS) if p[0] == venue_index]
        plan_index = rng.choice(plan_options)
        lo, hi = _RUN_LENGTH[venues[venue_index].kind]
        run = rng.randint(lo, hi)
        title_index = rng.randrange(len(PRODUCTION_TITLES))
        category = CATEGORIES[min(title_index // 7, len(CATEGORIES) - 1)]
        if e % 5 == 4:  # every fifth production opens soon: there is always a future
            opening_day = now_us - 20 * DAY + rng.randrange(max(1, future // DAY)) * DAY
        else:
            opening_day = first_day + rng.randrange(max(1, (history + future) // DAY - run)) * DAY
        dates: list[int] = []
        day = opening_day
        while len(dates) < run:
            local = format_local(day, zone)
            y, m, d = int(local[:4]), int(local[5:7]), int(local[8:10])
            midnight = local_day_start(y, m, d, zone)
            weekday = (day // DAY + 3) % 7  # 1970-01-01 was a Thursday (3)
            if weekday != 6:  # dark on Sundays
                dates.append(midnight + (19 * 60 + 30) * 60 * MICROS)
                if weekday == 5 and run > 4:  # Saturday matinee
                    dates.append(midnight + (14 * 60 + 30) * 60 * MICROS)
            day += DAY
        dates = sorted(dates[:run])
        fill = rng.betavariate(2.5, 1.5)
        for start in dates:
            onsale = start - SALES_WINDOW_DAYS * DAY
            elapsed = min(1.0, max(0.0, (now_us - onsale) / (start - onsale)))
            sellable += plan_caps[plan_index] * elapsed * fill
            starts.append(start)
            caps.append(plan_caps[plan_index])
            events_of.append(e)
            plans_of.append(plan_index)
            access.append(rng.choice(ACCESS_TYPES))
        event_rows.append({
            "title": PRODUCTION_TITLES[title_index], "category": category,
            "type": rng.choices(EVENT_TYPES, (0.35, 0.15, 0.4, 0.1))[0],
            "price": rng.choice((1000, 1200, 1500, 1800, 2000, 2500, 3000, 3500, 4500)),
            "web": rng.random() > 0.08, "first": dates[0], "last": dates[-1],
            "duration": rng.choice((60, 75, 90, 120, 150, 165)), "fill": fill,
        })

    main_count = len(starts)
    supp_events = (
        (len(event_rows), "Interval Drinks", "Pre-order your interval drinks", 650),
        (len(event_rows) + 1, "Souvenir Programme", "Collect your programme at the door", 400),
    )
    for _, title, _, price in supp_events:
        event_rows.append({
            "title": title, "category": "Supplementary", "type": "Produced", "price": price,
            "web": True, "first": 0, "last": 0, "duration": 0, "fill": 0.0,
        })
    drinks = np.full(main_count, -1, np.int64)
    programme = np.full(main_count, -1, np.int64)
    supplementary = [False] * main_count
    for i in range(main_count):
        row = event_rows[events_of[i]]
        if _PLANS[plans_of[i]][0] in (0, 2) and row["category"] in ("Theatre", "Music", "Dance"):
            for slot, (event_index, *_rest) in enumerate(supp_events):
                if slot == 1 and row["type"] != "Produced":
                    continue
                (drinks if slot == 0 else programme)[i] = len(starts)
                starts.append(starts[i])
                caps.append(caps[i])
                events_of.append(event_index)
                plans_of.append(plans_of[i])
                access.append("")
                supplementary.append(True)
    for event_index, *_rest in supp_events:
        mine = [starts[i] for i in range(main_count, len(starts)) if events_of[i] == event_index]
        event_rows[event_index]["first"] = min(mine, default=None)
        event_rows[event_index]["last"] = max(mine, default=None)

    cat.inst_start = np.array(starts, np.int64)
    cat.inst_capacity = np.array(caps, np.int64)
    cat.inst_event = np.array(events_of, np.int64)
    cat.inst_supplementary = np.array(supplementary, np.bool_)
    cat.inst_unreserved = np.array([_PLANS[p][2] == "Unreserved" for p in plans_of], np.bool_)
    cat.inst_drinks = drinks
    cat.inst_programme = programme
    # A few past or imminent main instances were cancelled (their tickets get returned).
    cancelled = np.zeros(len(starts), np.bool_)
    for i in range(main_count):
        if starts[i] - 7 * DAY <= now_us and rng.random() < 0.01:
            cancelled[i] = True
    cat.inst_cancelled = cancelled
    cat.event_price = np.array([r["price"] for r in event_rows], np.int64)

    _render_events(cat, event_rows, now_us, rng, zone)
    _render_instances(cat, events_of, plans_of, access, supp_key, now_us, zone,
                      bare_refs=config.payload.bare_refs)
    render_items(cat, var)
    return cat


def _render_events(
    cat: Catalogue, rows: list[dict[str, Any]], now_us: int, rng: random.Random,
    zone: LocalZone,
) -> None:
    for e, row in enumerate(rows):
        first, last = row["first"], row["last"]
        if first is None:  # an event with no instances (yet)
            first = last = now_us
        archived = last < now_us - 365 * DAY
        payload: Payload = {
            "id": catalogue_id(_EVENT_BASE + e),
            "name": row["title"],
            "description": f"{row['title']} — a {row['category'].lower()} event.",
            "htmlDescription": f"<p>{row['title']}</p>",
            "duration": row["duration"],
            "imageUrl": None,
            "thumbnailUrl": None,
            "altText": "",
            "isOnSale": row["first"] is not None and not archived and last > now_us,
            "instanceDates": "" if row["first"] is None else
                             f"{format_local(first, zone)[8:10]} {_month(first, zone)}-"
                             f"{format_local(last, zone)[8:10]} {_month(last, zone)}",
            "webEventId": None,
            "firstInstanceDateTime": None if row["first"] is None else format_local(first, zone),
            "lastInstanceDateTime": None if row["first"] is None else format_local(last, zone),
            "attribute_Series": _season(first, zone),
            "attribute_Category": row["category"],
            "attribute_Type": row["type"],
            "attribute_Website": row["web"],
            # Hidden attributes: visible to System Owner only (spec §2, §5.5).
            "attribute_InternalBudgetCode": f"PRD-{e:04d}",
            "attribute_ProducerNotes": rng.choice(("", "Hold back comps", "Press night TBC")),
        }
        cat.events.append(payload)
        cat.event_web_visible.append(bool(row["web"]))
        cat.event_archived.append(archived)
        if row["web"] and not archived:
            cat.events_web.append(_web_view(payload))


_HIDDEN = ("attribute_InternalBudgetCode", "attribute_ProducerNotes", "attribute_HouseManager")


def _web_view(payload: Payload) -> Payload:
    return {k: v for k, v in payload.items() if k not in _HIDDEN}


def _month(us: int, zone: LocalZone) -> str:
    return ("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December")[int(format_local(us, zone)[5:7]) - 1]


def _render_instances(
    cat: Catalogue, events_of: list[int], plans_of: list[int], access: list[str],
    supp_key: str, now_us: int, zone: LocalZone, *, bare_refs: bool = False,
) -> None:
    for i, start in enumerate(cat.inst_start.tolist()):
        e = events_of[i]
        onsale = start - SALES_WINDOW_DAYS * DAY
        stop = start - 30 * 60 * MICROS
        payload: Payload = {
            "id": catalogue_id(_INSTANCE_BASE + i),
            # [observed] one peer saw the event as a bare id string (a variation).
            "event": cat.events[e]["id"] if bare_refs else {"id": cat.events[e]["id"]},
            "planId": cat.plans[plans_of[i]]["id"],
            "priceList": {"id": catalogue_id(_PRICE_LIST_BASE + e)},
            "start": format_local(start, zone),
            "startUtc": format_utc(start),  # no "Z" here, as observed (spec §5.3)
            "startSellingAtWeb": format_local(onsale, zone),
            "startSellingAtWebUtc": format_utc(onsale) + "Z",
            "stopSellingAtWeb": format_local(stop, zone),
            "stopSellingAtWebUtc": format_utc(stop) + "Z",
            "isOnSale": onsale <= now_us < stop and not bool(cat.inst_cancelled[i]),
            "cancelled": bool(cat.inst_cancelled[i]),
            "webInstanceId": None,
            "hasBestAvailableOverlay": False,
            supp_key: bool(cat.inst_supplementary[i]),
            "attribute_AccessType": access[i],
            "attribute_HouseManager": "Duty manager " + str(1 + i % 4),
        }
        cat.instances.append(payload)
        if cat.event_web_visible[e] and not cat.event_archived[e]:
            cat.instances_web.append(_web_view(payload))


def render_items(cat: Catalogue, var: SetupVariations) -> None:
    """Merchandise, funds, memberships, statements and tags (always synthetic)."""
    type_key = attribute_key(var.product_type_attribute)
    for i, (name, is_product, price, postage) in enumerate(STOCK_ITEMS):
        if is_product:
            # The guide only asks clients to mark Fee items; many leave products blank.
            value = var.product_value if i % 2 == 0 else ""
        else:
            value = "" if var.fee_items_without_fee_value else var.fee_value
        payload = {
            "id": catalogue_id(_STOCK_BASE + i), "name": name, "price": price,
            "postageAndPacking": postage, type_key: value,
        }
        cat.stock_items.append(payload)
        cat.stock_is_fee.append(not is_product)
        cat.stock_price.append(round(price * 100))
        if name != "Postage Fee":  # an internal-only item: owner view only
            cat.stock_items_web.append(dict(payload))
    for i, (name, text, code, default) in enumerate(FUNDS):
        cat.funds.append({"id": catalogue_id(_FUND_BASE + i), "name": name, "description": text,
                          "code": code, "defaultDonationAmount": default})
        cat.fund_default.append(round(default * 100))
    for i, (name, price, renewal) in enumerate(MEMBERSHIPS):
        cat.memberships.append({"id": catalogue_id(_MEMBERSHIP_BASE + i), "name": name,
                                "description": f"{name} membership for one year",
                                "price": price, "renewalPrice": renewal})
        cat.membership_price.append(round(price * 100))
    for i, (name, text) in enumerate(STATEMENTS):
        cat.statements.append({"id": catalogue_id(_STATEMENT_BASE + i), "name": name,
                               "text": text})
    tag_number = _TAG_BASE
    for g, (group, web, names) in enumerate(TAG_GROUPS):
        tags = []
        for name in names:
            tag = {"id": catalogue_id(tag_number), "name": name}
            tag_number += 1
            tags.append(tag)
            cat.tags.append(tag)
            if web:
                cat.tags_web.append(tag)
        payload = {"id": catalogue_id(_GROUP_BASE + g), "name": group,
                   "description": f"{group} tags", "tags": tags}
        cat.tag_groups.append(payload)
        if web:
            cat.tag_groups_web.append(payload)
