"""Sales of a simulated account: orders, ticket and fee lines, refunds, comps, customers.

No public sales API exists (spec §4): these become the *report exports*
(:mod:`.exports`), whose shape is **[invented]**. What they must reconcile with is fixed:
every ticket line names a performance (event id) and show of the feed, one of that
performance's price types (or ``Complimentary``), its face value and the price paid; a
performance's ``available`` is its capacity less holds less the net tickets sold here.

Rules [invented]: an order is for one performance; online and phone orders pay the
show's transaction fee once per order (box-office orders do not); 4 % of tickets are
comps (price 0); half the box-office orders are anonymous walk-ups; a refund is a new
line with quantity −1 and a negative amount, dated when it happened; cancelling a
performance refunds all its tickets and fees.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from .catalogue import Catalogue, PerformanceRecord, PriceRecord
from .customers import CustomerSnapshot, make_customer, update_customer
from .ids import IdSpace
from .programme import PRICE_TYPES

__all__ = ["COMP", "SaleLine", "SalesBook"]

COMP = "Complimentary"
"""Price type name of comps (not one of the feed's public price types)."""
_SHARES = {k.name: k.share for k in PRICE_TYPES} | {"Free": 1.0}
_ORDER_SIZES = (1, 2, 3, 4, 5, 6)
_ORDER_SIZE_CUM = tuple(accumulate((0.25, 0.45, 0.12, 0.12, 0.03, 0.03)))
_CHANNELS = ("Online", "Box Office", "Phone")
_CHANNEL_CUM = tuple(accumulate((0.65, 0.2, 0.15)))
_ZERO = Decimal("0.00")
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


class SaleLine(NamedTuple):
    """One line of the sales export: a ticket, a booking fee, or the refund of either."""

    line_id: int
    order_id: int
    at: datetime
    channel: str
    customer_id: int | None
    show_id: int
    show_name: str
    event_id: int
    event_start: datetime
    venue_id: int
    venue_name: str
    kind: str
    """``ticket`` or ``fee``."""
    price_type: str
    quantity: int
    face: Decimal
    paid: Decimal
    status: str
    """``paid``, ``comp`` or ``refund``."""
    payment: str


@dataclass(slots=True)
class _Pending:
    """A line before its id is known (ids follow time order)."""

    at: datetime
    order_id: int
    seq: int
    channel: str
    customer_id: int | None
    perf: PerformanceRecord
    kind: str
    price_type: str
    quantity: int
    face: Decimal
    paid: Decimal
    status: str
    payment: str
    refund_of: int | None = None


_CUM_CACHE: dict[tuple[str, ...], tuple[float, ...]] = {}


def _cum_weights(prices: tuple[PriceRecord, ...]) -> tuple[float, ...]:
    """Cumulative sales shares of a price list (cached: lists repeat across shows)."""
    key = tuple(p.type for p in prices)
    cum = _CUM_CACHE.get(key)
    if cum is None:
        cum = _CUM_CACHE[key] = tuple(accumulate(_SHARES.get(t, 0.05) for t in key))
    return cum


def _room(perf: PerformanceRecord) -> int:
    """Spaces left to sell, ignoring cancellation (history sells before it happened)."""
    return perf.capacity - perf.held - perf.sold


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second instant in ``[start, end)``."""
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(max(1, span)))


@dataclass
class SalesBook:
    """Every sales line and customer of an account (lines in the order they were made)."""

    catalogue: Catalogue
    ids: dict[str, IdSpace]
    lines: list[SaleLine] = field(default_factory=list)
    customers: dict[int, CustomerSnapshot] = field(default_factory=dict)
    customer_history: list[CustomerSnapshot] = field(default_factory=list)
    live_tickets: dict[int, list[int]] = field(default_factory=dict)
    """Event id → indexes in ``lines`` of its ticket lines not yet refunded."""
    order_fees: dict[int, int] = field(default_factory=dict)
    """Order id → index of its fee line, while not refunded."""
    next_order: int = 0
    next_customer: int = 0
    tickets_per_day: float = 0.0

    # --- generation --------------------------------------------------------------------

    def generate_history(
        self, rng: random.Random, now: datetime, tickets: int, history_days: int,
        refund_rate: float,
    ) -> None:
        """Sales from each show's on-sale time up to ``now``: about ``tickets`` tickets."""
        eligible = [p for s in self.catalogue.shows if s.onsale < now for p in s.performances]
        for perf in eligible:  # 1 % were cancelled at some point before now
            if rng.random() < 0.01:
                perf.cancelled_at = _between(rng, perf.show.onsale, now)
        orders = self._plan_orders(rng, eligible, tickets, lambda p: p.show.onsale,
                                   lambda p: min(now, p.start - _HOUR, p.cancelled_at or now),
                                   skew=True)
        self._commit(self._place(rng, orders, p_new_customer=0.4, floor=None))
        refunds: list[_Pending] = []
        for index in [i for ids in self.live_tickets.values() for i in ids]:
            line = self.lines[index]
            perf = self.catalogue.performances_by_id[line.event_id]
            end = min(now, perf.start - _HOUR, perf.cancelled_at or now)
            if line.status == "paid" and end > line.at and rng.random() < refund_rate:
                self._refund(index, _between(rng, line.at, end), refunds)
        self._commit(refunds)
        cancellations: list[_Pending] = []
        for perf in eligible:
            if perf.cancelled_at is not None:
                self.refund_performance(perf, perf.cancelled_at, cancellations)
        self._commit(cancellations)
        net = sum(p.sold for p in eligible)
        self.tickets_per_day = net / history_days

    def generate_window(
        self, rng: random.Random, old: datetime, new: datetime, refund_rate: float,
        customer_updates_per_day: float,
    ) -> dict[str, int]:
        """New orders, refunds and customer changes in ``[old, new)``; returns counts."""
        days = (new - old) / _DAY
        before = (len(self.lines), len(self.customer_history))
        eligible = [p for p in self.catalogue.performances_by_id.values()
                    if not p.cancelled and p.show.onsale < new and p.start - _HOUR > old]
        n_tickets = int(self.tickets_per_day * days + rng.random())
        orders = self._plan_orders(rng, eligible, n_tickets,
                                   lambda p: max(old, p.show.onsale),
                                   lambda p: min(new, p.start - _HOUR), skew=False)
        self._commit(self._place(rng, orders, p_new_customer=0.35, floor=old))
        new_lines = len(self.lines) - before[0]
        refunds: list[_Pending] = []
        open_events = [e for e, ids in self.live_tickets.items()
                       if ids and self.catalogue.performances_by_id[e].start - _HOUR > new
                       and not self.catalogue.performances_by_id[e].cancelled]
        for _ in range(int(n_tickets * refund_rate + rng.random()) if open_events else 0):
            live = self.live_tickets[rng.choice(open_events)]
            if not live:
                continue
            index = rng.choice(live)
            line = self.lines[index]
            earliest = max(old, line.at + timedelta(seconds=1))
            if line.status == "paid" and earliest < new:
                self._refund(index, _between(rng, earliest, new), refunds)
        self._commit(refunds)
        updates = int(self.next_customer * customer_updates_per_day * days + rng.random())
        changes = sorted((_between(rng, old, new), rng.randrange(self.next_customer))
                         for _ in range(updates if self.next_customer else 0))
        for at, row in changes:
            cid = self.ids["customer"](row)
            snapshot = update_customer(rng, self.customers[cid], self.catalogue.org, at)
            self.customers[cid] = snapshot
            self.customer_history.append(snapshot)
        return {
            "sales_lines": new_lines,
            "refund_lines": len(self.lines) - before[0] - new_lines,
            "customer_changes": len(self.customer_history) - before[1],
        }

    def refund_performance(
        self, perf: PerformanceRecord, at: datetime, out: list[_Pending]
    ) -> None:
        """Queue refunds of every live ticket of a cancelled performance, and its fees."""
        orders = set()
        for index in list(self.live_tickets.get(perf.id, ())):
            orders.add(self.lines[index].order_id)
            self._refund(index, at, out)
        for order_id in sorted(orders):
            fee = self.order_fees.get(order_id)
            if fee is not None:
                self._refund(fee, at, out)

    def cancel(self, perf: PerformanceRecord, at: datetime) -> int:
        """Refund a performance cancelled at ``at``; returns the number of refund lines."""
        out: list[_Pending] = []
        self.refund_performance(perf, at, out)
        self._commit(out)
        return len(out)

    # --- building blocks ---------------------------------------------------------------

    def _plan_orders(
        self, rng: random.Random, perfs: list[PerformanceRecord], tickets: int,
        begin: Callable[[PerformanceRecord], datetime],
        end: Callable[[PerformanceRecord], datetime], *, skew: bool,
    ) -> list[tuple[datetime, int, PerformanceRecord, int]]:
        """Split ``tickets`` over ``perfs`` by popularity (within capacity) into orders."""
        windows = []
        for perf in perfs:
            b, e = begin(perf), end(perf)
            if e - b > timedelta(seconds=1) and _room(perf) > 2:
                windows.append((perf, b, e))
        weight = [p.show.popularity * p.capacity for p, _, _ in windows]
        total = sum(weight)
        orders = []
        for (perf, b, e), w in zip(windows, weight, strict=True):
            share = tickets * w / total
            n = min(int(share) + (rng.random() < share - int(share)), _room(perf) - 2)
            while n > 0:
                size = min(n, rng.choices(_ORDER_SIZES, cum_weights=_ORDER_SIZE_CUM)[0])
                n -= size
                if skew:  # history: sales gather towards the performance
                    at = e - (e - b) * (rng.random() ** 2)
                    at = at.replace(microsecond=0)
                    at = max(b, min(at, e - timedelta(seconds=1)))
                else:
                    at = _between(rng, b, e)
                orders.append((at, perf.id, perf, size))
        orders.sort(key=lambda o: (o[0], o[1]))
        return orders

    def _place(
        self, rng: random.Random, orders: list[tuple[datetime, int, PerformanceRecord, int]],
        p_new_customer: float, floor: datetime | None,
    ) -> list[_Pending]:
        """Turn planned orders into pending lines; new customers are created no earlier
        than ``floor`` (so they fall in the export period of their first order)."""
        out: list[_Pending] = []
        for at, _, perf, size in orders:
            self._order(rng, at, perf, size, out, p_new_customer, floor)
        return out

    def _new_customer(self, rng: random.Random, at: datetime) -> int:
        cid = self.ids["customer"](self.next_customer)
        self.next_customer += 1
        snapshot = make_customer(rng, cid, self.catalogue.org, at)
        self.customers[cid] = snapshot
        self.customer_history.append(snapshot)
        return cid

    def _order(
        self, rng: random.Random, at: datetime, perf: PerformanceRecord, size: int,
        out: list[_Pending], p_new_customer: float, floor: datetime | None,
    ) -> None:
        order_id = self.ids["order"](self.next_order)
        self.next_order += 1
        channel = rng.choices(_CHANNELS, cum_weights=_CHANNEL_CUM)[0]
        customer: int | None
        if channel == "Box Office" and rng.random() < 0.5:
            customer = None  # an anonymous walk-up sale
        elif self.next_customer == 0 or rng.random() < p_new_customer:
            created = at - timedelta(minutes=rng.randint(1, 30))
            customer = self._new_customer(rng, created if floor is None else max(floor, created))
        else:  # a returning customer: customers appear in several orders
            customer = self.ids["customer"](rng.randrange(self.next_customer))
        payment = "Cash" if channel == "Box Office" and rng.random() < 0.3 else "Card"
        if rng.random() < 0.02:
            payment = "Gift Voucher"
        prices = perf.prices
        weights = _cum_weights(prices)
        any_paid = False
        for seq in range(size):
            if rng.random() < 0.04:
                out.append(_Pending(at, order_id, seq, channel, customer, perf, "ticket", COMP,
                                    1, prices[0].face, _ZERO, "comp", COMP))
                continue
            price = rng.choices(prices, cum_weights=weights)[0]
            any_paid = any_paid or price.selling > 0
            out.append(_Pending(at, order_id, seq, channel, customer, perf, "ticket",
                                price.type, 1, price.face, price.selling, "paid", payment))
        fee = perf.show.fee
        if channel != "Box Office" and fee > 0 and any_paid:
            out.append(_Pending(at, order_id, size, channel, customer, perf, "fee", "", 1, fee,
                                fee, "paid", payment))
        perf.sold += size

    def _refund(self, index: int, at: datetime, out: list[_Pending]) -> None:
        """Queue the refund of line ``index`` at ``at`` (its status stays in the truth)."""
        line = self.lines[index]
        perf = self.catalogue.performances_by_id[line.event_id]
        out.append(_Pending(at, line.order_id, 1_000 + len(out), line.channel,
                            line.customer_id, perf, line.kind, line.price_type, -1, line.face,
                            -line.paid if line.paid else _ZERO, "refund", line.payment,
                            refund_of=index))
        if line.kind == "ticket":
            perf.sold -= 1
            self.live_tickets[line.event_id].remove(index)
        else:
            self.order_fees.pop(line.order_id, None)

    def _commit(self, pending: list[_Pending]) -> None:
        """Give pending lines ids in time order and append them."""
        pending.sort(key=lambda p: (p.at, p.order_id, p.seq))
        for p in pending:
            perf = p.perf
            show = perf.show
            index = len(self.lines)
            self.lines.append(SaleLine(
                line_id=self.ids["line"](index), order_id=p.order_id, at=p.at,
                channel=p.channel, customer_id=p.customer_id, show_id=show.id,
                show_name=show.name, event_id=perf.id, event_start=perf.start,
                venue_id=show.venue.id, venue_name=show.venue.name, kind=p.kind,
                price_type=p.price_type, quantity=p.quantity, face=p.face, paid=p.paid,
                status=p.status, payment=p.payment,
            ))
            if p.refund_of is None and p.kind == "ticket":
                self.live_tickets.setdefault(perf.id, []).append(index)
            elif p.refund_of is None:
                self.order_fees[p.order_id] = index

    # --- reading -----------------------------------------------------------------------

    def lines_between(self, start: datetime, end: datetime) -> list[SaleLine]:
        """Lines dated in ``[start, end)``, oldest first."""
        return sorted((x for x in self.lines if start <= x.at < end),
                      key=lambda x: (x.at, x.line_id))

    def customers_between(self, start: datetime, end: datetime) -> list[CustomerSnapshot]:
        """Customers created or changed in ``[start, end)``: each one's latest state then."""
        latest: dict[int, CustomerSnapshot] = {}
        for snapshot in self.customer_history:
            if start <= snapshot.updated < end:
                latest[snapshot.id] = snapshot
        return sorted(latest.values(), key=lambda c: (c.updated, c.id))
