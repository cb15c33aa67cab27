"""The programme of one simulated account: venues, shows, performances and prices.

Records here are the simulator's working state (mutable, integer ids); the feed renders
them (:mod:`.feed_xml`) and :mod:`.truth` snapshots them. Generation is deterministic
from the seed; :func:`change_show` and :func:`add_show` are what the clock uses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from .clock import local_to_utc, utc_to_local
from .config import ScaleConfig
from .ids import IdSpace
from .places import Organisation, Site
from .programme import (
    CATEGORIES,
    COMMENTS,
    COMPANIES,
    PRICE_TYPES,
    QUALIFIERS,
    SENTENCES,
    TAGS,
    Category,
)

__all__ = [
    "CHANGE_KINDS",
    "DOORS_BEFORE",
    "Catalogue",
    "PerformanceRecord",
    "PriceRecord",
    "ShowRecord",
    "VenueRecord",
    "build_catalogue",
]

CENT = Decimal("0.01")
DOORS_BEFORE = timedelta(minutes=30)
"""Doors (``opening_time``) open this long before a performance [invented]."""
_RUN_FACTOR = {"Drama": 6.0, "Comedy": 1.5, "Music": 1.2, "Dance": 2.0, "Family": 8.0,
               "Opera": 2.0, "Talks": 1.0, "Film": 1.5, "Workshops": 2.0}
_START_TIME = {"Family": (14, 0), "Talks": (18, 30), "Comedy": (20, 0), "Music": (20, 0),
               "Workshops": (11, 0)}
_SITE_WEIGHTS = (0.5, 0.3, 0.15, 0.05)
CHANGE_KINDS = ("details", "prices", "time", "added", "cancelled", "capacity")
"""What an edit of a show can be; each raises its ``version`` by one [invented]."""


def money(value: float) -> Decimal:
    """A price rounded to the nearest 50 cents / pence."""
    return (Decimal(round(value * 2)) / 2).quantize(CENT)


@dataclass(slots=True)
class VenueRecord:
    """A venue with its full address (``postcode`` ``None`` when it has none)."""

    id: int
    name: str
    line1: str
    town: str
    county: str
    postcode: str | None
    country: str
    zone: str
    currency: str
    site: Site


@dataclass(frozen=True, slots=True)
class PriceRecord:
    """One price type of a performance: face value and selling price."""

    type: str
    face: Decimal
    selling: Decimal


@dataclass(slots=True, eq=False)
class PerformanceRecord:
    """One performance (a Ticketsolve *event*)."""

    id: int
    show: ShowRecord
    start: datetime
    capacity: int
    held: int
    layout: str
    comment: str
    prices: tuple[PriceRecord, ...]
    sold: int = 0
    cancelled_at: datetime | None = None
    created: datetime | None = None

    @property
    def cancelled(self) -> bool:
        """True once the performance has been cancelled."""
        return self.cancelled_at is not None

    @property
    def available(self) -> int:
        """Spaces still available: capacity less sold and held (0 when cancelled)."""
        if self.cancelled:
            return 0
        return max(0, self.capacity - self.held - self.sold)

    @property
    def status(self) -> str:
        """``available``, ``sold_out`` [invented] or ``cancelled``."""
        if self.cancelled:
            return "cancelled"
        return "available" if self.available > 0 else "sold_out"


@dataclass(slots=True, eq=False)
class ShowRecord:
    """A show (a production's run) and its performances."""

    id: int
    venue: VenueRecord
    name: str
    description: str
    category: str
    company: str
    priority: int
    tags: tuple[str, ...]
    version: int
    prices: tuple[PriceRecord, ...]
    fee: Decimal
    max_tickets: int
    duration: int
    onsale: datetime
    popularity: float
    layout: str
    capacity: int
    created: datetime
    performances: list[PerformanceRecord] = field(default_factory=list)


@dataclass
class Catalogue:
    """Everything an account's feed can show, plus id counters for what comes next."""

    org: Organisation
    venues: list[VenueRecord]
    shows: list[ShowRecord]
    show_ids: IdSpace
    event_ids: IdSpace
    next_show_row: int = 0
    next_event_row: int = 0
    revision: int = 0
    shows_by_id: dict[int, ShowRecord] = field(default_factory=dict)
    performances_by_id: dict[int, PerformanceRecord] = field(default_factory=dict)

    def register(self, show: ShowRecord) -> None:
        """Index a new show and its performances."""
        self.shows.append(show)
        self.shows_by_id[show.id] = show
        for perf in show.performances:
            self.performances_by_id[perf.id] = perf

    def new_show_id(self) -> int:
        """The id of the next show."""
        self.next_show_row += 1
        return self.show_ids(self.next_show_row - 1)

    def new_event_id(self) -> int:
        """The id of the next performance."""
        self.next_event_row += 1
        return self.event_ids(self.next_event_row - 1)

    def listing(
        self, now: datetime, *, past: bool = False
    ) -> list[tuple[VenueRecord, list[tuple[ShowRecord, list[PerformanceRecord]]]]]:
        """What ``shows.xml`` lists at ``now``: venues → shows → performances.

        Performances that have started are left out unless ``past`` (the feed appears to
        list upcoming shows only [inferred]); a show with none left is not listed. Shows
        are ordered by their next performance, then id [invented].
        """
        by_venue: dict[int, list[tuple[ShowRecord, list[PerformanceRecord]]]] = {
            v.id: [] for v in self.venues
        }
        for show in self.shows:
            perfs = show.performances if past else [p for p in show.performances if p.start > now]
            if perfs:
                by_venue[show.venue.id].append((show, sorted(perfs, key=lambda p: p.start)))
        out = []
        for venue in self.venues:
            shows = by_venue[venue.id]
            if shows:
                shows.sort(key=lambda item: (item[1][0].start, item[0].id))
                out.append((venue, shows))
        return out


def _venues(org: Organisation, ids: IdSpace, postcodeless: int) -> list[VenueRecord]:
    venues = []
    n = len(org.sites)
    for i, site in enumerate(org.sites):
        venues.append(VenueRecord(
            id=ids(i), name=site.name, line1=site.line1, town=site.town, county=site.county,
            postcode=None if i >= n - postcodeless else site.postcode,
            country=org.country, zone=org.zone, currency=org.currency, site=site,
        ))
    return venues


def _description(rng: random.Random, title: str, venue: VenueRecord) -> str:
    sentences = rng.sample(SENTENCES, rng.randint(2, 5))
    return (f"<p><strong>{title}</strong> comes to {venue.name}.</p>"
            f"<p>{' '.join(sentences)}</p>")


def _prices(rng: random.Random, category: Category, site: Site) -> tuple[PriceRecord, ...]:
    if rng.random() < 0.02:  # a free event: every type at zero
        return (PriceRecord("Free", Decimal("0.00"), Decimal("0.00")),)
    full = rng.randint(*category.price) + rng.choice((0.0, 0.5))
    others = [k for k in PRICE_TYPES[1:] if k.name != "Premium" or not site.outdoor]
    chosen = [PRICE_TYPES[0], *rng.sample(others, rng.randint(2, 4))]
    chosen.sort(key=PRICE_TYPES.index)
    return tuple(PriceRecord(k.name, money(full * k.face), money(full * k.selling))
                 for k in chosen)


def _preview(prices: tuple[PriceRecord, ...]) -> tuple[PriceRecord, ...]:
    return tuple(PriceRecord(p.type, money(float(p.face) * 0.75), money(float(p.selling) * 0.75))
                 for p in prices)


def _season_tag(local: datetime) -> str:
    return "Winter Season" if local.month in (12, 1, 2) else "Autumn Season"


def _schedule(
    rng: random.Random, category: str, zone: str, first_day: datetime, count: int
) -> list[datetime]:
    """UTC start times of ``count`` performances from local day ``first_day`` on."""
    hour, minute = _START_TIME.get(category, (19, 30))
    starts: list[datetime] = []
    day = first_day
    while len(starts) < count:
        if count > 3 and day.weekday() == 0:  # long runs are dark on Mondays
            day += timedelta(days=1)
            continue
        starts.append(local_to_utc(day.replace(hour=hour, minute=minute), zone))
        if count > 6 and day.weekday() == 5 and len(starts) < count:  # Saturday matinee
            starts.append(local_to_utc(day.replace(hour=14, minute=30), zone))
        day += timedelta(days=1)
    return sorted(starts[:count])


def make_show(
    cat: Catalogue, rng: random.Random, *, now: datetime, n_perf: int, first_day: datetime,
    history_days: int, onsale: datetime | None = None,
) -> ShowRecord:
    """Generate one show with ``n_perf`` performances starting on local day ``first_day``."""
    org = cat.org
    category = rng.choices(CATEGORIES, weights=[c.share for c in CATEGORIES])[0]
    venue = rng.choices(cat.venues, weights=_SITE_WEIGHTS[: len(cat.venues)])[0]
    site = venue.site
    title = rng.choice(category.titles) + rng.choice(QUALIFIERS)
    starts = _schedule(rng, category.name, org.zone, first_day, n_perf)
    if onsale is None:
        days_before = rng.uniform(14, history_days + 30)
        local = utc_to_local(starts[0] - timedelta(days=days_before), org.zone)
        onsale = local_to_utc(local.replace(hour=10, minute=0, second=0, microsecond=0),
                              org.zone)
        onsale = max(onsale, now - timedelta(days=history_days))
    prices = _prices(rng, category, site)
    free = prices[0].type == "Free"
    tags = set(rng.sample(TAGS, rng.randint(0, 3)))
    tags.add(_season_tag(utc_to_local(starts[0], org.zone)))
    capacity = rng.randint(*site.capacity)
    show = ShowRecord(
        id=cat.new_show_id(), venue=venue, name=title,
        description=_description(rng, title, venue), category=category.name,
        company=rng.choice(COMPANIES), priority=rng.randint(0, 10),
        tags=tuple(sorted(tags)), version=rng.randint(1, 6), prices=prices,
        fee=Decimal("0.00") if free else Decimal(rng.choice(org.fees)),
        max_tickets=rng.choice((6, 10, 10, 10, 20)),
        duration=rng.randrange(category.duration[0], category.duration[1] + 1, 5),
        onsale=onsale, popularity=rng.lognormvariate(0.0, 0.6),
        layout=rng.choice(site.layouts), capacity=capacity, created=min(onsale, now),
    )
    preview = category.name == "Drama" and n_perf >= 5 and not free
    for i, start in enumerate(starts):
        show.performances.append(PerformanceRecord(
            id=cat.new_event_id(), show=show, start=start, capacity=capacity,
            held=rng.randint(0, max(1, capacity // 30)), layout=show.layout,
            comment=rng.choice(COMMENTS),
            prices=_preview(prices) if preview and i == 0 else prices, created=show.created,
        ))
    return show


def _allocate(rng: random.Random, weights: list[float], total: int) -> list[int]:
    """Split ``total`` performances over shows: at least one each, the rest by weight."""
    extra = total - len(weights)
    scale = sum(weights)
    shares = [extra * w / scale for w in weights]
    counts = [1 + int(s) for s in shares]
    leftover = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - int(shares[i]), i),
                   reverse=True)
    for i in order[:leftover]:
        counts[i] += 1
    return counts


def build_catalogue(
    org: Organisation, scale: ScaleConfig, *, seed: int, now: datetime,
    ids: dict[str, IdSpace], postcodeless_venues: int,
) -> Catalogue:
    """Generate an account's programme: exactly ``scale.shows`` shows and
    ``scale.performances`` performances, starting between one day and
    ``scale.future_days`` after ``now``."""
    rng = random.Random(f"{seed}:catalogue")  # noqa: S311 - synthetic data, not security
    cat = Catalogue(org=org, venues=_venues(org, ids["venue"], postcodeless_venues),
                    shows=[], show_ids=ids["show"], event_ids=ids["event"])
    categories = rng.choices(CATEGORIES, weights=[c.share for c in CATEGORIES], k=scale.shows)
    weights = [_RUN_FACTOR[c.name] * rng.lognormvariate(0.0, 0.5) for c in categories]
    counts = _allocate(rng, weights, scale.performances)
    today = utc_to_local(now, org.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    for n_perf in counts:
        first_day = today + timedelta(days=rng.randint(1, scale.future_days))
        cat.register(make_show(cat, rng, now=now, n_perf=n_perf, first_day=first_day,
                               history_days=scale.history_days))
    return cat


def change_show(
    cat: Catalogue, show: ShowRecord, rng: random.Random, now: datetime, kind: str
) -> PerformanceRecord | None:
    """Edit ``show`` in one of :data:`CHANGE_KINDS` ways and raise its version.

    Returns the performance cancelled by a ``cancelled`` change (its sales are refunded by
    the caller), else ``None``.
    """
    upcoming = [p for p in show.performances if p.start > now and not p.cancelled]
    cancelled = None
    if kind == "details":
        note = "<p>Now with a post-show talk.</p>"
        show.description = _description(rng, show.name, show.venue) + note
        show.tags = tuple(sorted({*show.tags, rng.choice(TAGS)}))
        show.priority = rng.randint(0, 10)
    elif kind == "prices":
        factor = rng.choice((0.9, 1.1, 1.2))
        show.prices = tuple(PriceRecord(p.type, money(float(p.face) * factor),
                                        money(float(p.selling) * factor)) for p in show.prices)
        for perf in upcoming:
            perf.prices = show.prices
    elif kind == "time" and upcoming:
        perf = rng.choice(upcoming)
        perf.start += timedelta(minutes=rng.choice((-30, 30, 60)))
    elif kind == "added" or (kind in ("time", "cancelled") and not upcoming):
        last = max(p.start for p in show.performances)
        start = max(last, now) + timedelta(days=rng.randint(1, 7))
        perf = PerformanceRecord(
            id=cat.new_event_id(), show=show, start=start, capacity=show.capacity,
            held=rng.randint(0, max(1, show.capacity // 30)), layout=show.layout,
            comment=rng.choice(COMMENTS), prices=show.prices, created=now,
        )
        show.performances.append(perf)
        cat.performances_by_id[perf.id] = perf
    elif kind == "cancelled":
        cancelled = rng.choice(upcoming)
        cancelled.cancelled_at = now
    elif kind == "capacity":
        delta = rng.choice((-20, -10, 10, 20))
        show.capacity = max(10, show.capacity + delta)
        for perf in upcoming:
            perf.capacity = max(perf.sold + perf.held, show.capacity)
    show.version += 1
    return cancelled
