"""A real organisation's public catalogue, served with synthetic sales on top.

``houselights simulate spektrix --catalogue-from DIR`` lets an integrator rehearse against
their own programme. ``DIR`` holds what the unsigned (web-mode) calls return — anyone can
save them from a live system, no credentials needed::

    curl https://system.spektrix.com/{client}/api/v3/events    > DIR/events.json
    curl https://system.spektrix.com/{client}/api/v3/instances > DIR/instances.json
    curl https://system.spektrix.com/{client}/api/v3/venues    > DIR/venues.json
    curl https://system.spektrix.com/{client}/api/v3/plans     > DIR/plans.json

Each file is the JSON array the call returns (spec §5.1). The payloads are served exactly
as saved. What the capture cannot give is synthetic and **invented**: merchandise, funds,
memberships, statements, tags, ticket types and bands (as the synthetic catalogue has
them), a ticket price per event, and — where ``plans.json`` is missing or empty, or an
instance names a plan it does not hold — a capacity of :data:`DEFAULT_CAPACITY`.
Instances whose event is not in ``events.json`` are served but never sold (their orders
would name an unknown event). Everything tolerated is listed in
:attr:`ImportedCatalogue.notes`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from houselights.errors import ConfigError

from .catalogue import (
    BANDS,
    DAY,
    SALES_WINDOW_DAYS,
    TICKET_TYPES,
    Catalogue,
    attribute_key,
    render_items,
)
from .clock import LocalZone, from_micros, parse_query_datetime, to_micros
from .config import SCALE_PRESETS, ScaleConfig, parse_scale
from .ids import catalogue_id
from .names import CITIES

if TYPE_CHECKING:
    from .config import ClientConfig

__all__ = [
    "DEFAULT_CAPACITY",
    "ImportedCatalogue",
    "build_imported_catalogue",
    "imported_programme",
    "load_catalogue",
    "sellable_tickets",
    "suggest_start",
]

DEFAULT_CAPACITY = 250
"""Capacity of an instance whose plan is unknown (**invented**)."""

_FILES = ("events.json", "instances.json", "venues.json", "plans.json")
_PRICES = (1200, 1500, 1800, 2000, 2500, 3000, 3500, 4500)


@dataclass(frozen=True)
class ImportedCatalogue:
    """The four catalogue lists read from a folder, and what was tolerated on the way."""

    folder: Path
    events: list[dict[str, Any]]
    instances: list[dict[str, Any]]
    venues: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    notes: tuple[str, ...] = ()


def _read(folder: Path, name: str, *, required: bool) -> list[Any] | None:
    path = folder / name
    if not path.is_file():
        if required:
            raise ConfigError(
                f"{path} is missing",
                hint=f"save the answer of an unsigned GET {name[:-5]} there "
                "(see docs/simulator-spektrix.md, 'Your own programme')",
            )
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(
            f"{path} is not readable JSON ({error})",
            hint=f"save the body of GET {name[:-5]} exactly as Spektrix returns it",
        ) from None
    if not isinstance(data, list):
        raise ConfigError(
            f"{path} is not a JSON array",
            hint=f"GET {name[:-5]} returns a bare array; save that array, not an envelope",
        )
    return data


def _with_ids(items: list[Any]) -> tuple[list[dict[str, Any]], int]:
    kept = [x for x in items if isinstance(x, dict) and isinstance(x.get("id"), str | int)]
    for item in kept:
        item["id"] = str(item["id"])
    return kept, len(items) - len(kept)


def _instant(instance: dict[str, Any], zone: LocalZone) -> int | None:
    """The start instant of an instance: ``startUtc``, else ``start`` as local time."""
    for key, local in (("startUtc", False), ("start", True)):
        value = instance.get(key)
        if isinstance(value, str) and value:
            parsed = parse_query_datetime(value.rstrip("Z"), local=local, zone=zone)
            if parsed is not None:
                return parsed[0]
    return None


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if isinstance(value, str | int) and str(value) else None


def load_catalogue(folder: Path) -> ImportedCatalogue:
    """Read ``events.json``, ``instances.json``, ``venues.json`` and (optionally)
    ``plans.json`` from ``folder``; raises :class:`ConfigError` in plain words."""
    if not folder.is_dir():
        raise ConfigError(
            f"{folder} is not a folder",
            hint="--catalogue-from takes a folder holding " + ", ".join(_FILES),
        )
    notes: list[str] = []
    events, bad_events = _with_ids(_read(folder, "events.json", required=True) or [])
    instances, bad_instances = _with_ids(_read(folder, "instances.json", required=True) or [])
    venues, bad_venues = _with_ids(_read(folder, "venues.json", required=True) or [])
    raw_plans = _read(folder, "plans.json", required=False)
    if raw_plans is None:
        notes.append(f"plans.json is missing: every instance gets capacity {DEFAULT_CAPACITY} "
                     "and no venue")
    elif not raw_plans:
        notes.append(f"plans.json is empty: every instance gets capacity {DEFAULT_CAPACITY} "
                     "and no venue")
    plans, bad_plans = _with_ids(raw_plans or [])
    # A plan has a venue, a capacity or a type; anything else (a seat, say) is not one.
    not_plans = [p for p in plans if not {"venue", "capacity", "type"} & p.keys()]
    if not_plans:
        notes.append(f"{len(not_plans)} item(s) of plans.json are not plans (no venue, "
                     "capacity or type): ignored")
        plans = [p for p in plans if p not in not_plans]
    for count, what in ((bad_events, "events"), (bad_instances, "instances"),
                        (bad_venues, "venues"), (bad_plans, "plans")):
        if count:
            notes.append(f"{count} item(s) of {what}.json have no id: ignored")
    if not events:
        raise ConfigError(f"{folder / 'events.json'} lists no events",
                          hint="save GET events from a system that has a programme on sale")
    event_ids = {e["id"] for e in events}
    plan_ids = {p["id"] for p in plans}
    orphans = sum(1 for i in instances if _ref(i.get("event")) not in event_ids)
    if orphans:
        notes.append(f"{orphans} instance(s) name an event not in events.json: served, "
                     "never sold")
    if plans:
        unplanned = sum(1 for i in instances if _ref(i.get("planId")) not in plan_ids)
        if unplanned:
            notes.append(f"{unplanned} instance(s) name a plan not in plans.json: capacity "
                         f"{DEFAULT_CAPACITY} and no venue")
    return ImportedCatalogue(folder, events, instances, venues, plans, tuple(notes))


def _capacities(imported: ImportedCatalogue) -> list[int]:
    """Capacity per instance (0 for instances that are never sold)."""
    plans = {p["id"]: p for p in imported.plans}
    events = {e["id"] for e in imported.events}
    out = []
    for instance in imported.instances:
        if _ref(instance.get("event")) not in events:
            out.append(0)
            continue
        capacity = plans.get(_ref(instance.get("planId")) or "", {}).get("capacity")
        out.append(capacity if isinstance(capacity, int) and capacity > 0 else DEFAULT_CAPACITY)
    return out


def _starts(imported: ImportedCatalogue, zone: LocalZone) -> list[int | None]:
    return [_instant(i, zone) for i in imported.instances]


def sellable_tickets(imported: ImportedCatalogue, zone: LocalZone, now_us: int) -> int:
    """How many tickets the programme can have sold by ``now_us`` (tickets go on sale
    ``SALES_WINDOW_DAYS`` before each instance)."""
    total = 0
    for start, capacity, instance in zip(
        _starts(imported, zone), _capacities(imported), imported.instances, strict=True
    ):
        if start is None or instance.get("cancelled") is True:
            continue
        onsale = start - SALES_WINDOW_DAYS * DAY
        elapsed = min(1.0, max(0.0, (now_us - onsale) / (start - onsale)))
        total += int(capacity * elapsed)
    return total


def suggest_start(imported: ImportedCatalogue, zone: LocalZone) -> datetime:
    """A simulated "now" with most of the programme behind it (the start of the instance
    at the 60th percentile, on the hour), so there is history to sell and a future."""
    starts = sorted(
        s for s, c in zip(_starts(imported, zone), _capacities(imported), strict=True)
        if s is not None and c > 0
    )
    if not starts:
        raise ConfigError(
            f"no instance in {imported.folder / 'instances.json'} can be sold",
            hint="each instance needs a start (startUtc or start) and an event of events.json",
        )
    chosen = from_micros(starts[int(len(starts) * 0.6)])
    return chosen.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)


def build_imported_catalogue(
    imported: ImportedCatalogue,
    config: ClientConfig,
    tickets: int,
    now_us: int,
    seed: int,
    zone: LocalZone,
) -> Catalogue:
    """A :class:`Catalogue` serving ``imported`` as saved, with the arrays the sales
    generator reads; raises :class:`ConfigError` when it cannot hold ``tickets``."""
    capacity = sellable_tickets(imported, zone, now_us)
    if tickets > capacity:
        when = from_micros(now_us).strftime("%Y-%m-%d %H:%M UTC")
        raise ConfigError(
            f"the catalogue in {imported.folder} can hold at most {capacity:,} tickets sold "
            f"by the simulated now ({when}), not {tickets:,}",
            hint="ask for fewer (--scale N) or choose a later --start",
        )
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    cat = Catalogue(city=CITIES[seed % len(CITIES)])
    cat.venues = imported.venues
    cat.plans = imported.plans
    cat.events = cat.events_web = imported.events
    cat.instances = cat.instances_web = imported.instances
    cat.ticket_types = [{"id": catalogue_id(401 + i), "name": t[0]}
                        for i, t in enumerate(TICKET_TYPES)]
    cat.bands = [{"id": catalogue_id(501 + i), "name": b[0]} for i, b in enumerate(BANDS)]
    event_index = {e["id"]: n for n, e in enumerate(imported.events)}
    plans = {p["id"]: p for p in imported.plans}
    supp_key = attribute_key(config.variations.supplementary_attribute)
    starts = _starts(imported, zone)
    capacities = _capacities(imported)
    n = len(imported.instances)
    cat.inst_start = np.array(
        [s if s is not None else now_us + 3650 * DAY for s in starts], np.int64
    )
    cat.inst_capacity = np.array(
        [c if s is not None else 0 for c, s in zip(capacities, starts, strict=True)], np.int64
    )
    cat.inst_event = np.array(
        [event_index.get(_ref(i.get("event")) or "", 0) for i in imported.instances], np.int64
    )
    cat.inst_cancelled = np.array([i.get("cancelled") is True for i in imported.instances],
                                  np.bool_)
    cat.inst_supplementary = np.array(
        [i.get(supp_key) is True for i in imported.instances], np.bool_
    )
    cat.inst_unreserved = np.array(
        [plans.get(_ref(i.get("planId")) or "", {}).get("type") != "Reserved"
         for i in imported.instances],
        np.bool_,
    )
    cat.inst_drinks = np.full(n, -1, np.int64)
    cat.inst_programme = np.full(n, -1, np.int64)
    cat.event_price = np.array([rng.choice(_PRICES) for _ in imported.events], np.int64)
    cat.event_web_visible = [True] * len(imported.events)
    cat.event_archived = [False] * len(imported.events)
    render_items(cat, config.variations)
    return cat


def imported_programme(
    folder: Path, timezone: str, start: datetime | None, scale: str | None
) -> tuple[ImportedCatalogue, datetime, ScaleConfig]:
    """The catalogue in ``folder``, the simulated now (``start``, else
    :func:`suggest_start`) and the ticket count (``scale``, else as much as comfortably
    fits: 60 % of what the programme can have sold by then, at most the 'small' preset)."""
    zone = LocalZone(timezone)
    catalogue = load_catalogue(folder)
    now = start or suggest_start(catalogue, zone)
    if scale is not None:
        return catalogue, now, parse_scale(scale)
    room = int(sellable_tickets(catalogue, zone, to_micros(now)) * 0.6)
    if room < 100:
        raise ConfigError(
            f"the catalogue in {folder} has almost nothing on sale by the simulated now "
            f"({now:%Y-%m-%d %H:%M} UTC)",
            hint="choose a later --start, or save a catalogue with more instances",
        )
    return catalogue, now, ScaleConfig(tickets=min(room, SCALE_PRESETS["small"]))
