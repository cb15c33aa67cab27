"""Configuration of the Ticketsolve simulator: clients, scale, feed style, faults.

Everything a test or the CLI can change is a field here. Defaults follow the public
record (``specs/ticketsolve.md``) where it speaks; where it is silent the default is
our choice and its docstring says **[invented]**.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from houselights.errors import ConfigError

from .faults import FaultConfig

__all__ = [
    "DEFAULT_START",
    "EXPORT_FORMATS",
    "SCALE_PRESETS",
    "ActivityConfig",
    "ClientConfig",
    "FeedStyle",
    "ScaleConfig",
    "SimulatorConfig",
    "parse_scale",
]

DEFAULT_START = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
"""Default simulated "now" (the start of an autumn season): fixed, so a seed gives the
same data on any day. Performances then run across the October clock change."""

EXPORT_FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ScaleConfig:
    """How much data one client account holds.

    ``shows`` and ``performances`` are exact (each show has at least one performance).
    ``tickets`` is the target number of ticket lines sold before the simulated now; it is
    approximate because no performance sells beyond its capacity. Performances start
    between one day and ``future_days`` after now; shows went on sale up to
    ``history_days`` before now, which is how far back the sales exports reach.
    """

    shows: int = 40
    performances: int = 240
    tickets: int = 5_000
    history_days: int = 120
    future_days: int = 180

    def __post_init__(self) -> None:
        if self.shows < 1 or self.performances < self.shows:
            raise ConfigError(
                f"{self.performances} performances cannot cover {self.shows} shows",
                hint="every show needs at least one performance: performances >= shows >= 1",
            )
        if self.tickets < 0:
            raise ConfigError("the ticket count cannot be negative", hint="e.g. --tickets 5000")
        if self.history_days < 7 or self.future_days < 7:
            raise ConfigError("history_days and future_days must be at least 7",
                              hint="the defaults are 120 and 180 days")


SCALE_PRESETS: dict[str, ScaleConfig] = {
    "tiny": ScaleConfig(shows=12, performances=60, tickets=1_500),
    "small": ScaleConfig(shows=120, performances=900, tickets=20_000),
    "medium": ScaleConfig(shows=2_000, performances=20_000, tickets=60_000),
    "large": ScaleConfig(shows=10_000, performances=100_000, tickets=100_000),
}
"""Named scales. ``medium`` is the benchmark catalogue (2,000 shows / 20,000
performances); ``large`` gives a shows.xml of about 50 MB."""

_COUNT = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")


def _count(value: str, what: str) -> int:
    text = value.strip().replace("_", "").replace(",", "")
    match = _COUNT.match(text)
    if match is None:
        raise ConfigError(f"{what} {value!r} is not a number", hint="e.g. 2000, 20k or 1M")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def parse_scale(
    value: str = "small",
    *,
    shows: str | int | None = None,
    performances: str | int | None = None,
    tickets: str | int | None = None,
) -> ScaleConfig:
    """Read ``--scale`` (a preset) with optional exact overrides of its counts.

    ``parse_scale("medium")``; ``parse_scale("tiny", shows=50, performances="400")``.
    Counts accept ``20k`` / ``1M``. Performances default to the preset's ratio per show.
    """
    preset = SCALE_PRESETS.get(value.strip().lower())
    if preset is None:
        raise ConfigError(f"--scale {value!r} is not a preset",
                          hint="use one of " + ", ".join(SCALE_PRESETS)
                          + " (and --shows/--performances/--tickets for exact counts)")
    n_shows = preset.shows if shows is None else _count(str(shows), "--shows")
    if performances is None:
        n_perf = max(n_shows, round(n_shows * preset.performances / preset.shows))
    else:
        n_perf = _count(str(performances), "--performances")
    n_tickets = preset.tickets if tickets is None else _count(str(tickets), "--tickets")
    if not 1 <= n_shows <= 200_000 or n_perf > 2_000_000:
        raise ConfigError(f"{n_shows:,} shows / {n_perf:,} performances is out of range",
                          hint="choose 1-200,000 shows and at most 2,000,000 performances")
    return ScaleConfig(shows=n_shows, performances=n_perf, tickets=n_tickets,
                       history_days=preset.history_days, future_days=preset.future_days)


@dataclass(frozen=True)
class FeedStyle:
    """How the XML documents are written: the documented shape, plus switches for the
    variants a tolerant reader must accept.

    * ``zone_label`` — value of every ``@zone`` attribute. ``None`` (default) writes the
      venue's IANA zone (``Europe/Dublin``, ``Europe/London``) **[invented]**: the public
      record shows the attribute but only one value, ``GMT`` in a third-party fixture;
      a fixed string (``"GMT"``) writes that everywhere; ``""`` omits the attribute.
    * ``event_time_format`` — text of ``date_time``/``opening_time``/``onsale_time`` in
      the per-event document **[invented]**: ``"rails"`` (default: ``2025-09-12 19:30:00
      +0100``, Rails' own rendering of a zoned time, which is why the show feed adds a
      separate ``date_time_iso``), ``"iso"`` (with offset) or ``"local"`` (no offset; the
      reader must use ``@zone``).
    * ``cdata`` — names, categories, tags, layouts, comments and price types in CDATA
      (default, as in the public fixture) or as escaped text.
    * ``venue_addresses`` — add ``<address>`` (``line1``, ``town``, ``county``,
      ``postcode``, ``country``) to each ``<venue>`` **[invented extension; off by
      default]**: the documented feed carries no venue address.
    * ``past_performances`` — keep performances that have started in the feed. Off by
      default: the feed appears to list current and future shows only **[inferred]**.
    * ``indent`` — pretty-print with two spaces **[invented]**.
    """

    zone_label: str | None = None
    event_time_format: str = "rails"
    cdata: bool = True
    venue_addresses: bool = False
    past_performances: bool = False
    indent: bool = True

    def __post_init__(self) -> None:
        if self.event_time_format not in ("rails", "iso", "local"):
            raise ConfigError(f"unknown event_time_format {self.event_time_format!r}",
                              hint="choose rails, iso or local")


@dataclass(frozen=True)
class ActivityConfig:
    """What :meth:`TicketsolveSimulator.advance` does per simulated day **[invented
    rates]**.

    ``show_changes_per_day`` is the share of listed shows edited per day (0.003 ≈ 2 % a
    week); each edited show's ``version`` goes up by one. ``new_shows_per_week`` is a
    share of the catalogue announced per week; ``cancellations_per_week`` a share of
    upcoming performances cancelled per week; ``refund_rate`` the share of new ticket
    lines later refunded; ``customer_updates_per_day`` the share of customers who change
    their postcode or e-mail consent per day.
    """

    show_changes_per_day: float = 0.003
    new_shows_per_week: float = 0.01
    cancellations_per_week: float = 0.002
    refund_rate: float = 0.03
    customer_updates_per_day: float = 0.001


_CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class ClientConfig:
    """One simulated Ticketsolve account (an arts organisation and its venues).

    ``organisation`` picks one of the built-in Irish/UK organisations by key
    (``galway``, ``dublin``, ``cork``, ``sligo``, ``derry``, ``lancaster``); ``None``
    chooses one from the seed and name. ``postcodeless_venues`` is how many of its
    venues have no postcode (default 1, its outdoor space) — for setup checks.
    ``feed_host`` makes the URLs *inside* the feed use a custom domain
    (``tickets.example-venue.ie``), as some clients front Ticketsolve with their own
    domain; the simulator then also answers requests whose ``Host`` is that domain,
    without the client prefix.
    """

    name: str = "demo"
    seed: int = 1
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    organisation: str | None = None
    postcodeless_venues: int = 1
    feed_host: str | None = None
    start: datetime = DEFAULT_START

    def __post_init__(self) -> None:
        if not _CLIENT_NAME.match(self.name):
            raise ConfigError(
                f"client name {self.name!r} is not usable as a Ticketsolve client name",
                hint="use lower-case letters, digits and '-' (it is a subdomain: "
                "<client>.ticketsolve.com)",
            )
        if self.start.tzinfo is None:
            raise ConfigError("the simulated start time needs a time zone",
                              hint="e.g. 2025-09-01T09:00+00:00")
        if self.postcodeless_venues < 0:
            raise ConfigError("postcodeless_venues cannot be negative", hint="e.g. 0 or 1")


@dataclass(frozen=True)
class SimulatorConfig:
    """The whole simulator: which clients it serves and how the server behaves.

    ``rate_limit`` is requests per second per client (``None`` = unlimited; Ticketsolve
    publishes no figure). Over it the answer is ``rate_limit_status``: 429 with
    ``Retry-After`` (default) or 403 — both **[invented]** shapes. ``exports_dir``, when
    set, receives the report exports of every period at start and of each new period
    after :meth:`advance` (formats from ``export_formats``).
    """

    clients: tuple[ClientConfig, ...] = (ClientConfig(),)
    host: str = "127.0.0.1"
    port: int = 0
    latency_ms: float = 0.0
    rate_limit: float | None = None
    rate_limit_status: int = 429
    feed: FeedStyle = field(default_factory=FeedStyle)
    activity: ActivityConfig = field(default_factory=ActivityConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    exports_dir: Path | None = None
    export_formats: tuple[str, ...] = ("csv",)
    export_period: str = "week"

    def __post_init__(self) -> None:
        names = [c.name for c in self.clients]
        if not names:
            raise ConfigError("the simulator needs at least one client", hint="pass --clients")
        if len(set(names)) != len(names):
            raise ConfigError("client names must be unique", hint=f"got {', '.join(names)}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError("--rate-limit must be positive", hint="e.g. --rate-limit 10")
        if self.rate_limit_status not in (403, 429):
            raise ConfigError("--rate-limit-status must be 403 or 429",
                              hint="Ticketsolve's real answer is not public")
        if self.latency_ms < 0:
            raise ConfigError("--latency-ms cannot be negative", hint="e.g. --latency-ms 30")
        bad = [f for f in self.export_formats if f not in EXPORT_FORMATS]
        if bad or not self.export_formats:
            raise ConfigError(f"unknown export format(s): {', '.join(bad) or '(none)'}",
                              hint="choose csv, xlsx or both")
        if self.export_period not in ("week", "month"):
            raise ConfigError(f"unknown export period {self.export_period!r}",
                              hint="choose week or month")

    def client(self, name: str) -> ClientConfig:
        """The configuration of client ``name``."""
        for client in self.clients:
            if client.name == name:
                return client
        raise ConfigError(f"no simulated client named {name!r}", hint="check --clients")
