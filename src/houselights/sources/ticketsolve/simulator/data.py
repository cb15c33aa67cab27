"""One simulated Ticketsolve account: generation from a seed, the clock, and the truth.

:class:`ClientDataset` owns everything an account serves and exports. It is built
deterministically from ``ClientConfig.seed`` and the client name (same seed → same data,
byte for byte), moves its simulated clock forward (:meth:`advance`: shows edited with a
new ``version``, shows announced, performances cancelled, new sales and refunds, customers
changing), and describes itself completely (:meth:`truth`).
"""

from __future__ import annotations

import random
import zlib
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from houselights.errors import ConfigError

from .catalogue import (
    CHANGE_KINDS,
    DOORS_BEFORE,
    PerformanceRecord,
    ShowRecord,
    build_catalogue,
    change_show,
    make_show,
)
from .clock import SimClock, utc_to_local
from .config import ActivityConfig, ClientConfig, FeedStyle
from .documents import FeedUrls, event_xml, iter_shows_xml
from .exports import (
    CUSTOMER_EXPORT_COLUMNS,
    SALES_EXPORT_COLUMNS,
    ExportPeriod,
    customer_rows,
    history_periods,
    sales_rows,
    write_table,
)
from .ids import id_spaces
from .places import ORGANISATIONS, Organisation
from .sales import SaleLine, SalesBook
from .truth import (
    CustomerTruth,
    PerformanceTruth,
    PriceTruth,
    SaleTruth,
    ShowTruth,
    TicketsolveTruth,
    VenueTruth,
)

__all__ = ["AdvanceResult", "ClientDataset", "organisation"]

_CHANGE_WEIGHTS = (0.3, 0.2, 0.15, 0.15, 0.1, 0.1)


def organisation(key: str | None, seed: int, name: str) -> Organisation:
    """The built-in organisation ``key``, or one chosen from the seed and client name."""
    if key is None:
        return ORGANISATIONS[zlib.crc32(f"{seed}:{name}".encode()) % len(ORGANISATIONS)]
    for org in ORGANISATIONS:
        if org.key == key:
            return org
    raise ConfigError(f"unknown organisation {key!r}",
                      hint="choose from: " + ", ".join(o.key for o in ORGANISATIONS))


@dataclass(frozen=True)
class AdvanceResult:
    """What one :meth:`ClientDataset.advance` did (ids as strings)."""

    now: datetime
    period: ExportPeriod
    changed_show_ids: tuple[str, ...]
    new_show_ids: tuple[str, ...]
    new_event_ids: tuple[str, ...]
    cancelled_event_ids: tuple[str, ...]
    sales_lines: int
    refund_lines: int
    customer_changes: int


class ClientDataset:
    """The data behind one simulated Ticketsolve account."""

    def __init__(
        self, config: ClientConfig, *, style: FeedStyle | None = None,
        activity: ActivityConfig | None = None, export_period: str = "week",
    ) -> None:
        self.config = config
        self.name = config.name
        self.style = style or FeedStyle()
        self.activity = activity or ActivityConfig()
        # Mix the client name into the seed so two clients with one seed still differ.
        self.seed = (config.seed * 1_000_003 + zlib.crc32(config.name.encode())) % 2**31
        self.org = organisation(config.organisation, config.seed, config.name)
        self.clock = SimClock(config.start)
        self.ids = id_spaces(self.seed)
        now = self.clock.now
        scale = config.scale
        self.catalogue = build_catalogue(
            self.org, scale, seed=self.seed, now=now, ids=self.ids,
            postcodeless_venues=config.postcodeless_venues,
        )
        self.sales = SalesBook(self.catalogue, self.ids)
        rng = random.Random(f"{self.seed}:sales")  # noqa: S311 - synthetic data
        self.sales.generate_history(rng, now, scale.tickets, scale.history_days,
                                    self.activity.refund_rate)
        first = min([*(x.at for x in self.sales.lines),
                     *(c.created for c in self.sales.customer_history)], default=now)
        self.periods = history_periods(first, now, self.org.zone, export_period) \
            if first < now else []
        self.revision = 0
        """Goes up with every change, so rendered feeds can be cached per revision."""

    @property
    def currency(self) -> str:
        """EUR or GBP."""
        return self.org.currency

    # --- the clock -------------------------------------------------------------------

    def advance(self, seconds: float, *, show_changes: float | None = None) -> AdvanceResult:
        """Move the clock forward and create that period's activity (deterministic).

        ``show_changes`` overrides the share of listed shows edited in this step
        (``0.02`` = 2 %); by default it is ``show_changes_per_day × days``.
        """
        old, new = self.clock.advance(seconds)
        rng = random.Random(f"{self.seed}:advance:{old.isoformat()}:{new.isoformat()}")  # noqa: S311
        days = seconds / 86_400
        cat = self.catalogue
        act = self.activity
        events_before = set(cat.performances_by_id)
        listed = [s for s in cat.shows if any(p.start > new for p in s.performances)]
        share = act.show_changes_per_day * days if show_changes is None else show_changes
        changed = rng.sample(listed, min(len(listed), round(share * len(listed))))
        cancelled: list[PerformanceRecord] = []
        for show in changed:
            at = old + (new - old) * rng.random()
            kind = rng.choices(CHANGE_KINDS, weights=_CHANGE_WEIGHTS)[0]
            perf = change_show(cat, show, rng, at, kind)
            if perf is not None:
                cancelled.append(perf)
        upcoming = [p for s in listed for p in s.performances if p.start > new and not p.cancelled]
        n_cancel = int(act.cancellations_per_week * days / 7 * len(upcoming) + rng.random())
        changed_ids = {s.id for s in changed}
        for perf in rng.sample(upcoming, min(n_cancel, len(upcoming))):
            perf.cancelled_at = old + (new - old) * rng.random()
            perf.show.version += 1
            changed_ids.add(perf.show.id)
            cancelled.append(perf)
        for perf in cancelled:
            assert perf.cancelled_at is not None
            self.sales.cancel(perf, perf.cancelled_at)
        new_shows = self._announce(rng, old, new, days)
        counts = self.sales.generate_window(rng, old, new, act.refund_rate,
                                            act.customer_updates_per_day)
        period = ExportPeriod(len(self.periods), old, new, self.org.zone)
        self.periods.append(period)
        self.revision += 1
        return AdvanceResult(
            now=new, period=period,
            changed_show_ids=tuple(str(i) for i in sorted(changed_ids)),
            new_show_ids=tuple(str(s.id) for s in new_shows),
            new_event_ids=tuple(str(e) for e in cat.performances_by_id if e not in events_before),
            cancelled_event_ids=tuple(str(p.id) for p in cancelled),
            sales_lines=counts["sales_lines"], refund_lines=counts["refund_lines"],
            customer_changes=counts["customer_changes"],
        )

    def _announce(
        self, rng: random.Random, old: datetime, new: datetime, days: float
    ) -> list[ShowRecord]:
        """Shows announced in ``[old, new)``, on sale from their announcement."""
        scale = self.config.scale
        n_new = int(self.activity.new_shows_per_week * days / 7 * scale.shows + rng.random())
        today = utc_to_local(new, self.org.zone).replace(hour=0, minute=0, second=0,
                                                         microsecond=0)
        out = []
        for _ in range(n_new):
            at = (old + (new - old) * rng.random()).replace(microsecond=0)
            show = make_show(
                self.catalogue, rng, now=at, n_perf=rng.randint(1, 12),
                first_day=today + timedelta(days=rng.randint(14, scale.future_days)),
                history_days=scale.history_days, onsale=at,
            )
            self.catalogue.register(show)
            out.append(show)
        return out

    # --- documents -------------------------------------------------------------------

    def urls(self, base: str) -> FeedUrls:
        """Links for documents served at ``base`` (the account root a client reaches)."""
        return FeedUrls(base=base.rstrip("/"), images=f"https://images.example.com/{self.name}")

    def shows_xml(self, base: str, *, tag: str | None = None,
                  category: str | None = None) -> Iterator[str]:
        """``shows.xml`` in chunks, links under ``base``."""
        return iter_shows_xml(self.catalogue, self.clock.now, self.style, self.urls(base),
                              tag=tag, category=category)

    def event_xml(self, base: str, show_id: int, event_id: int) -> bytes | None:
        """The per-performance document, or ``None`` if no such show/performance pair."""
        perf = self.catalogue.performances_by_id.get(event_id)
        if perf is None or perf.show.id != show_id:
            return None
        return event_xml(perf, self.style, self.urls(base))

    # --- exports ---------------------------------------------------------------------

    def write_exports(
        self, folder: Path, formats: tuple[str, ...] = ("csv",),
        periods: list[int] | None = None,
    ) -> list[Path]:
        """Write the sales and customer exports of each period (all by default).

        Deterministic: the same period always gives the same bytes, so writing again
        changes nothing. Returns the paths written, sales before customers per period.
        """
        folder.mkdir(parents=True, exist_ok=True)
        lines = sorted(self.sales.lines, key=lambda x: (x.at, x.line_id))
        times = [x.at for x in lines]
        zone = self.org.zone
        written = []
        for period in self.periods:
            if periods is not None and period.index not in periods:
                continue
            chunk = lines[bisect_right(times, period.start - timedelta(microseconds=1)):
                          bisect_right(times, period.end - timedelta(microseconds=1))]
            sale_rows = sales_rows(chunk, zone, self.currency)
            people = customer_rows(self.sales.customers_between(period.start, period.end), zone)
            stamp = utc_to_local(period.end, zone)
            for fmt in formats:
                written.append(write_table(
                    folder / period.file_name(self.name, "sales", fmt), SALES_EXPORT_COLUMNS,
                    sale_rows, sheet="Sales", stamp=stamp))
                written.append(write_table(
                    folder / period.file_name(self.name, "customers", fmt),
                    CUSTOMER_EXPORT_COLUMNS, people, sheet="Customers", stamp=stamp))
        return written

    # --- truth -----------------------------------------------------------------------

    def truth(self) -> TicketsolveTruth:
        """Everything the account holds at its simulated now."""
        now = self.clock.now
        cat = self.catalogue
        listing = cat.listing(now, past=self.style.past_performances)
        listed_shows = {s.id for _, shows in listing for s, _ in shows}
        listed_events = {p.id for _, shows in listing for _, perfs in shows for p in perfs}
        currency = self.currency
        venues = tuple(VenueTruth(str(v.id), v.name, v.line1, v.town, v.county, v.postcode,
                                  v.country, v.zone) for v in cat.venues)
        shows = tuple(
            ShowTruth(str(s.id), str(s.venue.id), s.name, s.description, s.category, s.company,
                      s.priority, s.tags, s.version, s.onsale, s.fee, s.max_tickets,
                      s.duration, s.id in listed_shows)
            for s in cat.shows
        )
        performances = tuple(self._performance(p, p.id in listed_events, currency)
                             for s in cat.shows for p in sorted(s.performances,
                                                                key=lambda p: p.start))
        starts = [p.start for p in self.periods]
        sales = tuple(self._sale(x, bisect_right(starts, x.at) - 1, currency)
                      for x in sorted(self.sales.lines, key=lambda x: (x.at, x.line_id)))
        customers = tuple(
            CustomerTruth(str(c.id), c.title, c.first_name, c.last_name, c.email, c.line1,
                          c.town, c.county, c.postcode, c.postcode_kind, c.country, c.opt_in,
                          c.created, c.updated)
            for c in sorted(self.sales.customers.values(), key=lambda c: c.id)
        )
        return TicketsolveTruth(
            client=self.name, organisation=self.org.name, currency=currency,
            zone=self.org.zone, now=now, venues=venues, shows=shows,
            performances=performances, sales=sales, customers=customers,
            periods=tuple(self.periods),
        )

    @staticmethod
    def _performance(p: PerformanceRecord, listed: bool, currency: str) -> PerformanceTruth:
        show = p.show
        event_id, show_id = str(p.id), str(show.id)
        return PerformanceTruth(
            event_id=event_id, show_id=show_id, venue_id=str(show.venue.id), name=show.name,
            starts_at=p.start, zone=show.venue.zone,
            local_start=utc_to_local(p.start, show.venue.zone),
            opening_at=p.start - DOORS_BEFORE, onsale_at=show.onsale, duration=show.duration,
            capacity=p.capacity, held=p.held, sold=p.sold, available=p.available,
            status=p.status, cancelled=p.cancelled, layout=p.layout, comment=p.comment,
            fee=show.fee, currency=currency, maximum_tickets=show.max_tickets, listed=listed,
            prices=tuple(PriceTruth(event_id, show_id, x.type, x.face, x.selling, currency)
                         for x in p.prices),
        )

    @staticmethod
    def _sale(x: SaleLine, period: int, currency: str) -> SaleTruth:
        return SaleTruth(
            line_id=str(x.line_id), order_id=str(x.order_id), at=x.at, channel=x.channel,
            customer_id=None if x.customer_id is None else str(x.customer_id),
            show_id=str(x.show_id), show_name=x.show_name, event_id=str(x.event_id),
            venue_id=str(x.venue_id), kind=x.kind, price_type=x.price_type,
            quantity=x.quantity, face=x.face, paid=x.paid, currency=currency,
            status=x.status, payment=x.payment, period=period,
        )
