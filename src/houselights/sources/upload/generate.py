"""Deterministic synthetic upload files for an example organisation, at any size.

The example organisation is *Riverside Arts Centre* (invented), a mixed-programme venue
in Newcastle with a main house, a studio, a garden stage and a touring date in Hexham.
Its file has seasons of events (theatre, dance, music, comedy, family, film, talks) with
performances, bookers with mostly local postcodes (a few missing, malformed or written
in odd case and spacing, as in real exports), and orders of tickets at several ticket
types and price bands — concessions, comps, some returns and cancellations — plus
supplementary tickets (car park), products (programmes), booking fees, donations and
memberships.

Everything comes from one seeded ``random.Random``, so the same arguments always give
the same bytes. Every generated line is valid for the template: a generated file maps
with no rejected lines (its bad postcodes are stored as unknown).

Speed: about 1,000,000 lines in well under a minute (rows are assembled from
precomputed strings and written through ``csv.writer`` in blocks).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from houselights.sources.upload.columns import COLUMNS

__all__ = [
    "EXAMPLE_ORGANISATION",
    "HEADER",
    "GeneratedUpload",
    "generate_rows",
    "generate_upload",
]

EXAMPLE_ORGANISATION = "Riverside Arts Centre"
HEADER: tuple[str, ...] = tuple(c.label for c in COLUMNS)
_INDEX = {c.name: i for i, c in enumerate(COLUMNS)}
DateStyle = Literal["iso", "uk"]

# (name, postcode, capacity, address). Postcodes are well-formed but invented.
_VENUES = (
    ("Main House", "NE1 3AF", 450, "1 Quayside, Newcastle upon Tyne"),
    ("Studio", "NE1 3AF", 120, "1 Quayside, Newcastle upon Tyne"),
    ("Garden Stage", "NE8 2JR", 300, "Riverside Gardens, Gateshead"),
    ("Queen's Hall, Hexham", "NE46 3LS", 220, "Beaumont Street, Hexham"),
)
_CATEGORIES = (
    ("Theatre", "Performance", 30), ("Dance", "Performance", 12), ("Music", "Performance", 20),
    ("Comedy", "Performance", 10), ("Family", "Performance", 10), ("Film", "Screening", 10),
    ("Talks", "Talk", 5), ("Workshops", "Workshop", 3),
)
_ADJECTIVES = ("Silent", "Northern", "Last", "Little", "Wild", "Glass", "Winter", "Golden",
               "Hidden", "Restless", "Borrowed", "Midnight", "Salt", "Velvet", "Paper")
_NOUNS = ("Tide", "Orchard", "Lighthouse", "Waltz", "Harbour", "Garden", "Crossing",
          "Cabaret", "Machine", "Country", "Season", "River", "Choir", "Circus", "Archive")
_NAMED = ("Love, Loss and What I Wore", "Café Society", "The Tempest", "A Christmas Carol",
          "Swan Lake", "Stand-Up Saturday", "\"Jazz at Nine\" Quartet", "Macbeth")
_TICKET_TYPES = (  # name, weight, price rule
    ("Full", 52, "full"), ("Concession", 14, "conc"), ("Student", 7, "half"),
    ("Under 18", 6, "u18"), ("Member", 10, "member"), ("Group 10+", 4, "group"),
    ("Comp", 2, "comp"), ("Access (carer free)", 1, "comp"), ("60+", 4, "conc"),
)
_BANDS = (("A", 100), ("B", 80), ("C", 62))
_LOCAL_AREAS = (("NE", 55), ("DH", 10), ("SR", 8), ("TS", 5), ("DL", 3), ("CA", 2))
_OTHER_AREAS = ("LS", "M", "EH", "G", "B", "SW", "N", "E", "BS", "YO", "L", "CF", "BT",
                "NG", "S", "CB", "OX", "BN", "PL", "AB")
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_BAD_POSTCODES = ("N/A", "NE1", "NE1 4S", "12345", "unknown", "NE99 9Z", "SW1A-1AA")
_CHANNELS = (("online", 60), ("box office", 25), ("phone", 15))
_PRODUCTS = (("PROG", "Programme", 400), ("DRINK", "Interval drinks voucher", 650),
             ("BOOK", "Playtext", 1000))
_DONATIONS = (200, 300, 500, 1000, 2500, 5000)
_MEMBERSHIPS = (("FRIEND", "Friends membership", 4000), ("YOUNG", "Young Friends", 1500))


@dataclass(frozen=True)
class GeneratedUpload:
    """What :func:`generate_upload` wrote."""

    path: Path
    lines: int
    orders: int
    bytes_written: int


def _money(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    return f"{sign}{pence // 100}.{pence % 100:02d}"


def _date(value: datetime, style: DateStyle) -> str:
    if style == "uk":
        return f"{value:%d/%m/%Y %H:%M}"
    return f"{value:%Y-%m-%d %H:%M}"


def _season(value: datetime) -> str:
    name = "Spring" if value.month <= 4 else "Summer" if value.month <= 8 else "Autumn"
    return f"{name} {value.year}"


def _pick(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


@dataclass(frozen=True)
class _Instance:
    event_id: str
    event_name: str
    season: str
    category: str
    event_type: str
    instance_id: str
    starts_at: datetime
    start_text: str
    venue: str
    venue_postcode: str
    venue_address: str
    capacity: str
    base_pence: int
    supplementary: bool


class _Catalogue:
    """Events and their instances, sized so the expected sales stay under capacity."""

    def __init__(self, rng: random.Random, lines: int, style: DateStyle) -> None:
        wanted_instances = max(6, int(lines * 0.7 / 150))
        start = datetime(2022, 9, 1)
        span_days = 3 * 365
        self.instances: list[_Instance] = []
        number = 0
        while len(self.instances) < wanted_instances:
            number += 1
            category, event_type, _ = _CATEGORIES[
                rng.choices(range(len(_CATEGORIES)), [c[2] for c in _CATEGORIES])[0]
            ]
            name = (_NAMED[number % len(_NAMED)] if number % 5 == 0 else
                    f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}")
            venue, postcode, capacity, address = rng.choice(_VENUES)
            opening = start + timedelta(days=rng.randrange(span_days))
            runs = rng.choice((1, 1, 2, 3, 5, 8, 12))
            base = rng.choice((1200, 1500, 1800, 2200, 2800, 3500))
            event_id = f"EV{number:05d}"
            for perf in range(runs):
                day = opening + timedelta(days=perf)
                hour, minute = (14, 30) if perf % 4 == 3 else (19, 30)
                at = day.replace(hour=hour, minute=minute)
                self.instances.append(_Instance(
                    event_id, name, _season(opening), category, event_type,
                    f"{event_id}-{perf + 1:02d}", at, _date(at, style), venue, postcode,
                    address, str(capacity), base, False,
                ))
        self.weights: list[int] = []
        total = 0
        for inst in self.instances:
            total += int(inst.capacity)
            self.weights.append(total)
        # Car parking: a supplementary event with one instance per evening used.
        self.parking: dict[str, _Instance] = {}
        self._style = style

    def car_park(self, inst: _Instance) -> _Instance:
        """The supplementary car-park instance for the evening of ``inst``."""
        key = inst.starts_at.strftime("%Y%m%d")
        found = self.parking.get(key)
        if found is None:
            at = inst.starts_at.replace(hour=18, minute=0)
            found = _Instance(
                "PARKING", "Car parking", "", "Other", "Parking", f"PARK-{key}", at,
                _date(at, self._style), "Main House", "NE1 3AF",
                "1 Quayside, Newcastle upon Tyne", "80", 500, True,
            )
            self.parking[key] = found
        return found


def _postcode(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return ""
    if roll < 0.05:
        return rng.choice(_BAD_POSTCODES)
    if roll < 0.85:
        area = _pick(rng, _LOCAL_AREAS)
        district = rng.randint(1, 40 if area == "NE" else 20)
    else:
        area = rng.choice(_OTHER_AREAS)
        district = rng.randint(1, 12)
    inward = (f"{rng.randint(0, 9)}{rng.choice(_INWARD_LETTERS)}"
              f"{rng.choice(_INWARD_LETTERS)}")
    if roll > 0.95:
        return f"{area.lower()}{district}{inward.lower()}"  # as typed at the box office
    return f"{area}{district} {inward}"


def _ticket_price(rule: str, face: int) -> int:
    match rule:
        case "conc":
            return face - 300
        case "half":
            return face // 200 * 100
        case "u18":
            return min(1000, face)
        case "member":
            return face * 9 // 1000 * 100 + 50
        case "group":
            return face - 200
        case "comp":
            return 0
    return face


class _Order:
    """The lines of one order, built on a shared header row."""

    def __init__(self, rng: random.Random, base: list[str]) -> None:
        self.rng = rng
        self.base = base
        self.rows: list[list[str]] = []

    def ticket(self, inst: _Instance, ticket_type: str, face: int, paid: int, band: str,
               kind: str) -> None:
        row = self.base.copy()
        row[_INDEX["event_id"]] = inst.event_id
        row[_INDEX["event_name"]] = inst.event_name
        row[_INDEX["season"]] = inst.season
        row[_INDEX["category"]] = inst.category
        row[_INDEX["event_type"]] = inst.event_type
        row[_INDEX["instance_id"]] = inst.instance_id
        row[_INDEX["instance_start"]] = inst.start_text
        row[_INDEX["capacity"]] = inst.capacity
        row[_INDEX["venue"]] = inst.venue
        row[_INDEX["venue_postcode"]] = inst.venue_postcode
        row[_INDEX["venue_address"]] = inst.venue_address
        row[_INDEX["line_type"]] = kind
        row[_INDEX["ticket_type"]] = ticket_type
        row[_INDEX["price_band"]] = band
        row[_INDEX["face_value"]] = _money(face)
        row[_INDEX["price_paid"]] = _money(paid)
        roll = self.rng.random()
        row[_INDEX["status"]] = ("returned" if roll < 0.02 else
                                 "cancelled" if roll < 0.025 else "issued")
        self.rows.append(row)

    def item(self, kind: str, item_id: str, name: str, pence: int) -> None:
        row = self.base.copy()
        row[_INDEX["line_type"]] = kind
        row[_INDEX["item_id"]] = item_id
        row[_INDEX["item_name"]] = name
        row[_INDEX["price_paid"]] = _money(pence)
        row[_INDEX["status"]] = "issued"
        self.rows.append(row)


def generate_rows(lines: int | None = 10_000, *, seed: int = 1,
                  date_style: DateStyle = "iso") -> Iterator[list[str]]:
    """The data rows (not the header) of a synthetic upload, one list per order line.

    ``lines=None`` generates without end (the caller stops).
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    catalogue = _Catalogue(rng, lines or 1_000_000, date_style)
    instances = catalogue.instances
    positions = range(len(instances))
    cum_weights = catalogue.weights
    n_customers = max(50, (lines or 1_000_000) // 8)
    customers: dict[int, str] = {}
    ticket_names = [t[0] for t in _TICKET_TYPES]
    ticket_weights = [t[1] for t in _TICKET_TYPES]
    ticket_rules = {t[0]: t[2] for t in _TICKET_TYPES}
    width = len(HEADER)
    written = 0
    order_no = 100_000
    while lines is None or written < lines:
        order_no += 1
        inst = instances[rng.choices(positions, cum_weights=cum_weights)[0]]
        ordered_at = inst.starts_at - timedelta(minutes=rng.randrange(30, 90 * 24 * 60))
        channel = _pick(rng, _CHANNELS)
        customer_id = postcode = ""
        if channel != "box office" or rng.random() >= 0.3:  # some counter sales are anonymous
            number = rng.randrange(n_customers)
            customer_id = f"C{number:07d}"
            if number not in customers:
                customers[number] = _postcode(rng)
            postcode = customers[number]
        base = [""] * width
        base[_INDEX["order_id"]] = str(order_no)
        base[_INDEX["order_date"]] = _date(ordered_at, date_style)
        base[_INDEX["channel"]] = channel
        base[_INDEX["customer_id"]] = customer_id
        base[_INDEX["customer_postcode"]] = postcode
        order = _Order(rng, base)
        if rng.random() < 0.015:
            order.item("membership", *rng.choice(_MEMBERSHIPS))
        else:
            band, pct = rng.choice(_BANDS)
            face = inst.base_pence * pct // 100 // 50 * 50
            for _ in range(rng.choices((1, 2, 3, 4, 5, 6), (25, 45, 12, 12, 4, 2))[0]):
                ticket_type = rng.choices(ticket_names, ticket_weights)[0]
                paid = _ticket_price(ticket_rules[ticket_type], face)
                order.ticket(inst, ticket_type, face, paid, band, "ticket")
            if rng.random() < 0.04 and inst.starts_at.hour >= 19:
                order.ticket(catalogue.car_park(inst), "Parking", 500, 500, "",
                             "supplementary")
            if rng.random() < 0.10:
                order.item("product", *rng.choice(_PRODUCTS))
            if channel != "box office":
                order.item("fee", "FEE", "Booking fee", 150)
            if rng.random() < 0.08:
                order.item("donation", "FUND", "Annual Fund", rng.choice(_DONATIONS))
        for row in order.rows:
            if lines is not None and written >= lines:
                return
            written += 1
            yield row


def generate_upload(
    path: Path,
    *,
    lines: int = 10_000,
    seed: int = 1,
    target_bytes: int | None = None,
    date_style: DateStyle = "iso",
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> GeneratedUpload:
    """Write a synthetic upload CSV for the example organisation.

    Writes ``lines`` order lines, or — when ``target_bytes`` is given — lines until the
    file reaches that size (used for the large-file tests). The same arguments always
    write the same bytes.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    written_lines = 0
    written_bytes = 0
    last_order = ""
    order_count = 0
    limit = None if target_bytes is not None else lines
    with path.open("wb") as out:
        for row in generate_rows(limit, seed=seed, date_style=date_style):
            writer.writerow(row)
            written_lines += 1
            if row[0] != last_order:
                last_order = row[0]
                order_count += 1
            if written_lines % 4096 == 0:
                data = buffer.getvalue().encode(encoding)
                out.write(data)
                written_bytes += len(data)
                buffer.seek(0)
                buffer.truncate()
                if target_bytes is not None and written_bytes >= target_bytes:
                    break
        data = buffer.getvalue().encode(encoding)
        out.write(data)
        written_bytes += len(data)
    return GeneratedUpload(path=path, lines=written_lines, orders=order_count,
                           bytes_written=written_bytes)
