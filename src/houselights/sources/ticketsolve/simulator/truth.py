"""What a simulated account really holds, as plain frozen records, for tests to compare.

Records are named tuples (immutable, cheap at 100,000 performances, ``_asdict()`` for
comparisons). Ids are strings (Ticketsolve ids are opaque, spec §1), instants are aware
UTC datetimes, money is :class:`~decimal.Decimal`. ``listed`` says whether a show or
performance is in ``shows.xml`` at the simulated now; performances that have started
drop out of the feed but stay here, with their sales.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from .exports import ExportPeriod

__all__ = [
    "CustomerTruth",
    "PerformanceTruth",
    "PriceTruth",
    "SaleTruth",
    "ShowTruth",
    "TicketsolveTruth",
    "VenueTruth",
]


class VenueTruth(NamedTuple):
    """A venue and its full address (``postcode`` ``None`` when it has none)."""

    venue_id: str
    name: str
    line1: str
    town: str
    county: str
    postcode: str | None
    country: str
    zone: str


class ShowTruth(NamedTuple):
    """A show as the feed describes it, plus when it went on sale."""

    show_id: str
    venue_id: str
    name: str
    description: str
    category: str
    production_company: str
    priority: int
    tags: tuple[str, ...]
    version: int
    onsale_at: datetime
    fee: Decimal
    maximum_tickets: int
    duration: int
    listed: bool


class PriceTruth(NamedTuple):
    """One price type of one performance."""

    event_id: str
    show_id: str
    type: str
    face: Decimal
    selling: Decimal
    currency: str


class PerformanceTruth(NamedTuple):
    """A performance (a Ticketsolve event) with its per-event document's content.

    ``available`` = ``capacity - held - sold`` (0 once cancelled); ``sold`` is the net
    tickets of the sales lines (comps included, refunds taken off).
    """

    event_id: str
    show_id: str
    venue_id: str
    name: str
    starts_at: datetime
    zone: str
    local_start: datetime
    opening_at: datetime
    onsale_at: datetime
    duration: int
    capacity: int
    held: int
    sold: int
    available: int
    status: str
    cancelled: bool
    layout: str
    comment: str
    fee: Decimal
    currency: str
    maximum_tickets: int
    listed: bool
    prices: tuple[PriceTruth, ...]


class SaleTruth(NamedTuple):
    """One sales-export line (see :data:`~.exports.SALES_EXPORT_COLUMNS`)."""

    line_id: str
    order_id: str
    at: datetime
    channel: str
    customer_id: str | None
    show_id: str
    show_name: str
    event_id: str
    venue_id: str
    kind: str
    price_type: str
    quantity: int
    face: Decimal
    paid: Decimal
    currency: str
    status: str
    payment: str
    period: int


class CustomerTruth(NamedTuple):
    """A customer's current record; ``postcode_kind`` is eircode, uk, blank or invalid."""

    customer_id: str
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


@dataclass(frozen=True)
class TicketsolveTruth:
    """Everything one simulated account holds at its simulated now."""

    client: str
    organisation: str
    currency: str
    zone: str
    now: datetime
    venues: tuple[VenueTruth, ...]
    shows: tuple[ShowTruth, ...]
    performances: tuple[PerformanceTruth, ...]
    sales: tuple[SaleTruth, ...]
    customers: tuple[CustomerTruth, ...]
    periods: tuple[ExportPeriod, ...]
    _by_id: dict[str, PerformanceTruth] = field(default_factory=dict, repr=False,
                                                compare=False)

    @property
    def prices(self) -> list[PriceTruth]:
        """Every price type of every performance."""
        return [p for perf in self.performances for p in perf.prices]

    @property
    def listed_shows(self) -> list[ShowTruth]:
        """Shows in ``shows.xml`` now."""
        return [s for s in self.shows if s.listed]

    @property
    def listed_performances(self) -> list[PerformanceTruth]:
        """Performances in ``shows.xml`` now."""
        return [p for p in self.performances if p.listed]

    def performance(self, event_id: str) -> PerformanceTruth:
        """The performance with this id (``KeyError`` if unknown)."""
        if not self._by_id:
            self._by_id.update((p.event_id, p) for p in self.performances)
        return self._by_id[event_id]

    @property
    def ticket_count(self) -> int:
        """Net tickets sold (comps included, refunds taken off)."""
        return sum(s.quantity for s in self.sales if s.kind == "ticket")

    @property
    def total_paid(self) -> Decimal:
        """Net money taken: tickets and fees, refunds taken off."""
        return sum((s.paid for s in self.sales), Decimal("0.00"))
