"""One event's own page: its performances, price types and booking curve.

The booking curve is what a programmer reads to judge whether a show is selling: tickets
issued by how many days before the performance they were bought (``date(start) −
date(order)``, as M19 counts lead time), and the running total up to the night.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from houselights.errors import NotFoundError
from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Period
from houselights.insights.reports import InstanceSales, sales_by_instance
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = ["BookingDay", "EventDetail", "PriceType", "event_detail"]


@dataclass(frozen=True)
class PriceType(InsightResult):
    """Valid tickets of one ticket type (price type) and their income."""

    ticket_type: str
    tickets: int
    paid_tickets: int
    income: float
    average_price: float | None  # income / tickets


@dataclass(frozen=True)
class BookingDay(InsightResult):
    """Tickets bought a given number of days before their performance, and the total
    bought that early or earlier."""

    days_before: int  # 0 = on the day (or after: recorded late)
    tickets: int
    cumulative: int
    cumulative_share: float | None


@dataclass(frozen=True)
class EventDetail(InsightResult):
    """An event's performances (all of them, cancelled included), its price types and
    its booking curve over every valid ticket."""

    org_id: str
    event_id: str
    event_name: str | None
    season: str | None
    event_code: str | None
    first_performance: datetime | None
    last_performance: datetime | None
    performances: int
    capacity: int
    tickets: int
    income: float
    utilisation: float | None
    instances: tuple[InstanceSales, ...]
    price_types: tuple[PriceType, ...]
    booking_curve: tuple[BookingDay, ...]


def event_detail(session: Session, org_id: str, event_id: str) -> EventDetail:
    """Everything about one event of ``org_id`` across all its dates.

    Choices: performances and tickets follow the common rules (supplementary instances
    are not performances; cancelled ones are listed with no tickets); utilisation is over
    performances with a known capacity, as in ``sales_by_event``; a ticket without a type
    is shown as ``(none)``; tickets recorded after their performance count as on the day.
    """
    event = session.fetchone(
        "SELECT name, season, event_code FROM events WHERE org_id = ? AND event_id = ?",
        [org_id, event_id],
    )
    if event is None:
        raise NotFoundError(
            f"Organisation '{org_id}' has no event '{event_id}'.",
            hint="Pick an event from the Events page or the sales-by-event report.",
        )
    span = session.fetchone(
        "SELECT MIN(starts_at), MAX(starts_at) FROM instances"
        " WHERE org_id = ? AND event_id = ? AND NOT is_supplementary",
        [org_id, event_id],
    )
    first, last = (span[0], span[1]) if span else (None, None)
    instances: list[InstanceSales] = []
    price_types: list[PriceType] = []
    curve: list[BookingDay] = []
    if first is not None and last is not None:
        whole = Period.between(_sql.as_date(first) or date.min, _sql.as_date(last) or date.max)
        filters = Filters(org_id, whole, event_ids=(event_id,), basis="performance")
        instances = sales_by_instance(session, filters)
        facts.ensure_fresh(session, [org_id])
        vt = _sql.valid_tickets(filters, "performance", extra_columns="t.ticket_type")
        rows = session.fetchall(
            f"SELECT vt.starts_at, vt.created_at, vt.ticket_type, vt.price_paid, vt.is_comp"
            f" FROM ({vt.text}) vt",
            vt.params,
        )
        by_type: dict[str, list[Decimal]] = defaultdict(list)
        paid: Counter[str] = Counter()
        days: Counter[int] = Counter()
        for starts_at, created_at, ticket_type, price, is_comp in rows:
            name = str(ticket_type) if ticket_type else "(none)"
            amount = Decimal(price or 0)
            by_type[name].append(amount)
            if not is_comp and amount > 0:
                paid[name] += 1
            start_day, order_day = _sql.as_date(starts_at), _sql.as_date(created_at)
            if start_day and order_day:
                days[max(0, (start_day - order_day).days)] += 1
        price_types = sorted(
            (
                PriceType(
                    name,
                    len(amounts),
                    paid[name],
                    _sql.money(sum(amounts, Decimal(0))),
                    _sql.ratio(sum(amounts, Decimal(0)), len(amounts)),
                )
                for name, amounts in by_type.items()
            ),
            key=lambda p: (-p.tickets, p.ticket_type),
        )
        total = sum(days.values())
        running = 0
        for before in sorted(days, reverse=True):
            running += days[before]
            curve.append(BookingDay(before, days[before], running, _sql.ratio(running, total)))
    shown = [i for i in instances if not i.cancelled]
    with_capacity = [i for i in shown if i.capacity is not None]
    capacity = sum(i.capacity or 0 for i in with_capacity)
    return EventDetail(
        org_id=org_id,
        event_id=event_id,
        event_name=None if event[0] is None else str(event[0]),
        season=None if event[1] is None else str(event[1]),
        event_code=None if event[2] is None else str(event[2]),
        first_performance=first,
        last_performance=last,
        performances=len(shown),
        capacity=capacity,
        tickets=sum(i.tickets for i in shown),
        income=_sql.money(sum((Decimal(str(i.income)) for i in shown), Decimal(0))),
        utilisation=_sql.ratio(sum(i.tickets for i in with_capacity), capacity),
        instances=tuple(instances),
        price_types=tuple(price_types),
        booking_curve=tuple(curve),
    )
