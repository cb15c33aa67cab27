"""Bookings, channels and booking lead time (metrics.md §4: M16–M19)."""

from __future__ import annotations

from dataclasses import dataclass

from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = [
    "CHANNELS",
    "LEAD_TIME_BUCKETS",
    "BookingsChannels",
    "ChannelShare",
    "LeadTime",
    "LeadTimeBucket",
    "bookings_and_channels",
    "lead_time",
]

CHANNELS: tuple[str, ...] = ("online", "box_office", "phone", "agent", "other", "unknown")
"""Sales channels as mapped by the exchange; ``unknown`` where the order has none."""

LEAD_TIME_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("same_day", None, 0),
    ("1-7", 1, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("over_90", 91, None),
)
"""(label, lowest day, highest day) — both ends included; ``same_day`` also holds the rare
tickets recorded after the performance date (negative lead)."""


@dataclass(frozen=True)
class ChannelShare(InsightResult):
    """Valid tickets and bookings through one channel."""

    channel: str
    tickets: int
    bookings: int
    share_of_tickets: float | None


@dataclass(frozen=True)
class BookingsChannels(InsightResult):
    """M16 bookings, M17 tickets per booking, M18 channel mix."""

    org_id: str
    period: Period
    basis: Basis
    bookings: int  # M16
    tickets_issued: int  # M02
    tickets_per_booking: float | None  # M17
    channels: tuple[ChannelShare, ...]  # M18


def _channel_label() -> str:
    known = ", ".join(f"'{c}'" for c in CHANNELS if c != "unknown")
    # Any label outside the controlled list becomes 'other' so a free-text channel name
    # typed into a box office can never reach a chart or a benchmark.
    return (
        f"CASE WHEN vt.channel IS NULL THEN 'unknown' WHEN vt.channel IN ({known}) "
        "THEN vt.channel ELSE 'other' END"
    )


def bookings_and_channels(session: Session, filters: Filters) -> BookingsChannels:
    """Bookings, tickets per booking and channel mix (M16–M18).

    Basis: performance by default; transaction supported.
    Choices: a booking is an order with at least one valid ticket in the period; channel
    mix is the share of valid tickets per channel; channels outside the controlled list
    count as ``other`` and orders without one as ``unknown``.
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    if filters.has_slice:
        vt = _sql.valid_tickets(filters, basis)
        rows = session.fetchall(
            f"""
            WITH vt AS ({vt.text})
            SELECT {_channel_label()} AS channel, COUNT(*), COUNT(DISTINCT vt.order_id)
            FROM vt GROUP BY 1
            """,
            vt.params,
        )
    else:
        occ = _sql.occasions([filters.org_id], basis, period=filters.period)
        rows = session.fetchall(
            f"""
            SELECT {_channel_label()} AS channel, SUM(vt.tickets),
                   COUNT(DISTINCT vt.order_key)
            FROM ({occ.text}) vt GROUP BY 1
            """,
            occ.params,
        )
    found = {str(c): (_sql.as_int(t), _sql.as_int(b)) for c, t, b in rows}
    tickets = sum(t for t, _ in found.values())
    # An order has one channel, so distinct orders add up across channels.
    bookings = sum(b for _, b in found.values())
    channels = tuple(
        ChannelShare(c, found[c][0], found[c][1], _sql.ratio(found[c][0], tickets))
        for c in CHANNELS
        if c in found
    )
    return BookingsChannels(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        bookings=bookings,
        tickets_issued=tickets,
        tickets_per_booking=_sql.ratio(tickets, bookings),
        channels=channels,
    )


@dataclass(frozen=True)
class LeadTimeBucket(InsightResult):
    """Tickets booked a given number of days ahead."""

    bucket: str
    tickets: int
    share: float | None


@dataclass(frozen=True)
class LeadTime(InsightResult):
    """M19 booking lead time: median, mean and buckets, over valid tickets."""

    org_id: str
    period: Period
    basis: Basis
    tickets: int
    median_days: float | None
    mean_days: float | None
    buckets: tuple[LeadTimeBucket, ...]


def lead_time(session: Session, filters: Filters) -> LeadTime:
    """Booking lead time (M19): days from order date to performance date, per ticket.

    Basis: performance by default; transaction supported.
    Choices: whole calendar days (``date(start) − date(order)``), so a same-day booking
    is 0; buckets same day (≤ 0), 1–7, 8–30, 31–90, over 90.
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    if filters.has_slice:
        vt = _sql.valid_tickets(filters, basis)
        histogram = session.fetchall(
            f"""
            WITH vt AS ({vt.text})
            SELECT CAST(vt.starts_at AS DATE) - CAST(vt.created_at AS DATE) AS days, COUNT(*)
            FROM vt GROUP BY 1
            """,
            vt.params,
        )
    else:
        occ = _sql.occasions([filters.org_id], basis, period=filters.period)
        histogram = session.fetchall(
            f"SELECT vt.lead_days, SUM(vt.tickets) FROM ({occ.text}) vt GROUP BY 1",
            occ.params,
        )
    # Tickets per whole day of lead: the median, mean and buckets follow exactly (the
    # median interpolates as percentile_cont does), from a few hundred rows.
    days = sorted((int(d), _sql.as_int(n)) for d, n in histogram)
    tickets = sum(n for _, n in days)
    buckets = tuple(
        LeadTimeBucket(label, count, _sql.ratio(count, tickets))
        for label, lo, hi in LEAD_TIME_BUCKETS
        for count in [
            sum(n for d, n in days if (lo is None or d >= lo) and (hi is None or d <= hi))
        ]
    )
    mean = sum(d * n for d, n in days) / tickets if tickets else None
    return LeadTime(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        tickets=tickets,
        median_days=_median(days, tickets),
        mean_days=None if mean is None else round(mean, 6),
        buckets=buckets,
    )


def _median(days: list[tuple[int, int]], total: int) -> float | None:
    """percentile_cont(0.5) of ``total`` values given as sorted (value, count) pairs."""
    if not total:
        return None
    position = 0.5 * (total - 1)
    low_rank = int(position)
    high_rank = min(low_rank + 1, total - 1)
    low = high = None
    seen = 0
    for value, count in days:
        if low is None and low_rank < seen + count:
            low = value
        if high_rank < seen + count:
            high = value
            break
        seen += count
    assert low is not None and high is not None
    return float(low) + (float(high) - float(low)) * (position - low_rank)
