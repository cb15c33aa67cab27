"""One simulated client system's data: generation from a seed, the clock, and the truth.

:class:`ClientDataset` owns everything a client's API serves. It is built
deterministically from ``ClientConfig.seed`` and the client name (same seed → same
data, byte for byte), can move its simulated clock forward (:meth:`advance`: new
orders, returns, cancellations, added items, contact-preference changes), and can
describe itself completely (:meth:`truth`) so tests can compare a backfill with what
the "box office" really holds.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .audit import (
    ADDRESS,
    AUTOTAG,
    AUTOTAG_USER,
    CREATED,
    OPT_IN,
    OPT_OUT,
    WEB,
    AuditLog,
    AuditTemplates,
    history_rows,
)
from .catalogue import BANDS, DAY, SALES_WINDOW_DAYS, TICKET_TYPES, build_catalogue
from .clock import MICROS, LocalZone, SimClock, format_local, format_utc7
from .config import ClientConfig
from .customers import N_STATEMENTS, CustomerStore, customer_creation_times
from .imported import build_imported_catalogue
from .orders import ItemLine, OrderRecord, OrderStore, TicketLine, TruthLine
from .sales import CANCELLED, RETURNED, SUPPLEMENTARY_SHARE, generate_sales

__all__ = ["ClientDataset", "SpektrixTruth", "TruthLine"]


@dataclass
class SpektrixTruth:
    """Everything one simulated client holds at its simulated "now", as plain data.

    Lists hold exactly the payloads a System Owner caller receives (events, orders…);
    ``contact_preferences`` maps customer id → statement id → agreed, and ``audit`` the
    Customer Audit rows (``customer_id``, ``user``, ``update_method``, ``narrative``,
    ``date``) — the same rows the report serves. ``lines`` says what every served order
    line is worth (from the records, not from the payload a client must interpret),
    ``modified`` when each order last changed (UTC, seven decimals — what
    ``orders/sync`` orders by), ``postcodes`` each customer's postcode as held (``None``:
    no address or an empty postcode).
    """

    client: str
    now: str
    events: list[dict[str, Any]]
    instances: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    venues: list[dict[str, Any]]
    stock_items: list[dict[str, Any]]
    funds: list[dict[str, Any]]
    memberships: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    tag_groups: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    contact_preferences: dict[str, dict[str, bool]] = field(default_factory=dict)
    lines: dict[str, list[TruthLine]] = field(default_factory=dict)
    modified: dict[str, str] = field(default_factory=dict)
    postcodes: dict[str, str | None] = field(default_factory=dict)
    timezone: str = "Europe/London"
    tickets_sold: int = 0

    @property
    def order_ids(self) -> list[str]:
        """Ids of every order, oldest first (what the historical export lists)."""
        return [o["id"] for o in self.orders]

    @property
    def ticket_count(self) -> int:
        """Number of ticket lines ever sold over all orders (returned ones included)."""
        return self.tickets_sold


def _derive(seed: int, name: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{seed}:{name}:{purpose}".encode()).digest()


class ClientDataset:
    """The data behind one simulated client system."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self.name = config.name
        # Mix the client name into the seed so two clients with one seed still differ.
        self.seed = (config.seed * 1_000_003 + zlib.crc32(config.name.encode())) % 2**31
        self.clock = SimClock(config.start)
        self.zone = LocalZone(config.timezone)
        self.api_key = config.api_key or base64.b64encode(
            _derive(config.seed, config.name, "api-key")
        ).decode()
        self.report_password = config.report_password or base64.urlsafe_b64encode(
            _derive(config.seed, config.name, "report-password")
        ).decode()[:20]
        self.partner_access = config.variations.partner_access
        now = self.clock.now_micros
        scale = config.scale
        main = scale.tickets - round(scale.tickets * SUPPLEMENTARY_SHARE)
        if config.catalogue is not None:
            self.catalogue = build_imported_catalogue(
                config.catalogue, config, scale.tickets, now, self.seed, self.zone
            )
        else:
            self.catalogue = build_catalogue(config, main, now, self.seed, self.zone)
        sales = generate_sales(
            self.catalogue, scale.tickets, now, self.seed, scale.history_days,
            day_offset=self.zone.offset(now),
        )
        rng = np.random.default_rng([self.seed, 1])
        first_order = np.full(sales.customers, np.iinfo(np.int64).max, np.int64)
        known = sales.customer >= 0
        np.minimum.at(first_order, sales.customer[known], sales.tx1[known])
        first_order[first_order == np.iinfo(np.int64).max] = -1
        created = customer_creation_times(first_order, now, scale.history_days, rng)
        self.customers = CustomerStore(self.catalogue.city, self.seed, config.payload)
        self.customers.statements = self.catalogue.statements
        self.customers.tags = self.catalogue.tags
        self.customers.add(created, rng)
        self.audit = AuditLog(
            AuditTemplates(), [s["name"] for s in self.catalogue.statements],
            [t["name"] for t in self.catalogue.tags], zone=self.zone,
        )
        rows, final = history_rows(
            created, now, N_STATEMENTS, len(self.catalogue.tags), rng
        )
        self.audit.append(*rows)
        self.customers.preferences = final
        self.orders = OrderStore(
            sales, self.catalogue, self.customers, self.seed,
            payload=config.payload, zone=self.zone,
        )
        self._orders_per_day = max(1.0, len(sales) / max(1, scale.history_days))
        self._sold = np.bincount(sales.tickets.ref, minlength=len(self.catalogue.inst_start))

    @property
    def organisation(self) -> str:
        """The simulated organisation's name."""
        return self.catalogue.city.organisation

    # --- the clock -------------------------------------------------------------------

    def advance(self, seconds: float) -> dict[str, int]:
        """Move the simulated clock forward and create the activity of that period.

        Deterministic: the same sequence of ``advance`` calls on the same seed gives the
        same new orders, changes and audit rows. Returns counts of what happened.
        """
        old, new = self.clock.advance(seconds)
        rng = np.random.default_rng([self.seed, 2, old // MICROS, new // MICROS])
        days = (new - old) / DAY
        counts = {"new_orders": 0, "changed_orders": 0, "new_customers": 0, "audit_rows": 0}
        n_new = int(rng.poisson(self._orders_per_day * days))
        times = np.sort(rng.integers(old + 1, new + 1, n_new)) if n_new else np.zeros(0, np.int64)
        new_customer = rng.random(n_new) < 0.3
        first_new = len(self.customers)
        audit_parts: list[tuple[np.ndarray[Any, np.dtype[np.int64]], ...]] = []
        if new_customer.any():
            k = int(new_customer.sum())
            created = np.maximum(
                times[new_customer] - rng.integers(60, 600, k) * MICROS, old + 1
            )
            self.customers.add(created, rng)
            counts["new_customers"] = k
            audit_parts.append((
                created, np.arange(first_new, len(self.customers)), np.full(k, WEB),
                np.zeros(k, np.int64), np.full(k, CREATED), np.zeros(k, np.int64),
            ))
        next_new = first_new
        for t, is_new in zip(times.tolist(), new_customer.tolist(), strict=True):
            if is_new:
                customer = next_new
                next_new += 1
            else:
                customer = int(rng.integers(0, first_new))
            self._new_order(t, customer, rng)
            counts["new_orders"] += 1
        n_changes = int(rng.poisson(self._orders_per_day * days * 0.2))
        for t in np.sort(rng.integers(old + 1, new + 1, n_changes)).tolist():
            counts["changed_orders"] += self._change_order(t, rng)
        activity = self._audit_activity(old, new, days, first_new, rng)
        if activity is not None:
            audit_parts.append(activity)
        if audit_parts:
            columns = [np.concatenate([p[i] for p in audit_parts]) for i in range(6)]
            self.audit.append(*columns)
            counts["audit_rows"] = len(columns[0])
        self.orders.version += 1
        return counts

    def _sellable(self, t: int) -> np.ndarray[Any, np.dtype[np.int64]]:
        cat = self.catalogue
        ok = (
            ~cat.inst_supplementary & ~cat.inst_cancelled
            & (cat.inst_start > t + 3600 * MICROS)
            & (cat.inst_start - SALES_WINDOW_DAYS * DAY <= t)
            & (self._sold < cat.inst_capacity - 6)
        )
        return np.nonzero(ok)[0]

    def _new_order(self, t: int, customer: int, rng: np.random.Generator) -> None:
        store = self.orders
        cat = self.catalogue
        rec = OrderRecord(
            row=store.n_total, customer=customer, channel=int(rng.choice(3, p=(0.6, 0.25, 0.15))),
            transactions=[t], modified=t, cancelled=False,
        )
        candidates = self._sellable(t)
        if len(candidates) and rng.random() < 0.95:
            inst = int(candidates[rng.integers(len(candidates))])
            price = int(cat.event_price[cat.inst_event[inst]])
            for _ in range(int(rng.integers(1, 5))):
                kind = int(rng.choice(len(TICKET_TYPES), p=[x[2] for x in TICKET_TYPES]))
                band = 0 if cat.inst_unreserved[inst] else int(rng.integers(0, len(BANDS)))
                amount = int(round(price * BANDS[band][1] * TICKET_TYPES[kind][1] / 50) * 50)
                rec.tickets.append(TicketLine(
                    store.new_line_number("ticket"), inst, kind, band, amount, amount, 0,
                ))
                self._sold[inst] += 1
            supp = int(cat.inst_drinks[inst]) if inst < len(cat.inst_drinks) else -1
            if supp >= 0 and rng.random() < 0.15:
                amount = int(cat.event_price[cat.inst_event[supp]])
                rec.tickets.append(TicketLine(
                    store.new_line_number("ticket"), supp, 0, 0, amount, amount, 0,
                ))
            if rec.channel != 1 and rng.random() < 0.35:
                rec.merchandise.append(ItemLine(
                    store.new_line_number("merchandise"), 5, cat.stock_price[5], 0,
                ))
            if rng.random() < 0.09:
                rec.donations.append(ItemLine(store.new_line_number("donation"), 0, 500, 0))
        else:
            fund = int(rng.integers(len(cat.fund_default)))
            rec.donations.append(ItemLine(
                store.new_line_number("donation"), fund, cat.fund_default[fund], 0,
            ))
        store.put(rec)

    def _change_order(self, t: int, rng: np.random.Generator) -> int:
        """Return a ticket, cancel an order or add an item to a recent order."""
        store = self.orders
        cat = self.catalogue
        lo = int(np.searchsorted(store.base.tx1, t - SALES_WINDOW_DAYS * DAY))
        if lo >= store.n_total:
            return 0
        for _ in range(20):
            row = int(rng.integers(lo, store.n_total))
            rec = store.get(row)
            if rec.cancelled or rec.transactions[0] >= t:
                continue
            live = [x for x in rec.tickets
                    if x.status == 0 and int(cat.inst_start[x.instance]) > t]
            if not live:
                continue
            rec = copy.deepcopy(rec)
            action = rng.random()
            if action < 0.5:
                live[0] = next(x for x in rec.tickets if x.number == live[0].number)
                live[0].status = RETURNED
            elif action < 0.65:
                rec.cancelled = True
                for ticket in rec.tickets:
                    ticket.status = CANCELLED
                for item in (*rec.merchandise, *rec.donations, *rec.memberships):
                    item.status = CANCELLED
            else:
                rec.merchandise.append(ItemLine(
                    store.new_line_number("merchandise"), 0, cat.stock_price[0], 0,
                ))
            rec.transactions.append(t)
            rec.modified = t
            store.put(rec)
            return 1
        return 0

    def _audit_activity(
        self, old: int, new: int, days: float, n_customers: int, rng: np.random.Generator
    ) -> tuple[np.ndarray[Any, np.dtype[np.int64]], ...] | None:
        """Contact-preference changes and other edits by customers existing before ``old``."""
        n = int(rng.poisson(max(1.0, n_customers / 400) * days))
        if n == 0:
            return None
        times = np.sort(rng.integers(old + 1, new + 1, n))
        who = rng.integers(0, n_customers, n)
        statement = rng.integers(0, N_STATEMENTS, n)
        kind = np.empty(n, np.int64)
        prefs = self.customers.preferences
        other = rng.random(n) < 0.3
        for i in range(n):  # sequential: each change toggles the current state
            if other[i]:
                kind[i] = ADDRESS if i % 2 else AUTOTAG
                continue
            c, s = int(who[i]), int(statement[i])
            kind[i] = OPT_OUT if prefs[c, s] else OPT_IN
            prefs[c, s] = not prefs[c, s]
        user = np.where(kind == AUTOTAG, AUTOTAG_USER, WEB)
        method = np.where(kind == AUTOTAG, 1, 0)
        param = np.where(other, rng.integers(0, len(self.catalogue.tags), n), statement)
        return times, who, user, method, kind, param

    # --- reading ---------------------------------------------------------------------

    def audit_rows(self, start_us: int, end_us: int) -> list[dict[str, Any]]:
        """Customer Audit rows dated within ``[start_us, end_us]``."""
        window = self.audit.window(start_us, end_us)
        customers = self.audit.rows.customer
        return [self.audit.row_dict(i, self.customers.cid(int(customers[i]))) for i in window]

    def truth(self) -> SpektrixTruth:
        """The full dataset at the simulated now (System Owner view)."""
        cat = self.catalogue
        now = self.clock.now_micros
        n_customers = len(self.customers)
        statement_ids = [s["id"] for s in cat.statements]
        prefs = self.customers.preferences
        store = self.orders
        records = [store.get(r) for r in range(store.n_total)]
        return SpektrixTruth(
            client=self.name,
            now=format_local(now, self.zone),
            events=copy.deepcopy(cat.events),
            instances=copy.deepcopy(cat.instances),
            plans=copy.deepcopy(cat.plans),
            venues=copy.deepcopy(cat.venues),
            stock_items=copy.deepcopy(cat.stock_items),
            funds=copy.deepcopy(cat.funds),
            memberships=copy.deepcopy(cat.memberships),
            statements=copy.deepcopy(cat.statements),
            tags=copy.deepcopy(cat.tags),
            tag_groups=copy.deepcopy(cat.tag_groups),
            customers=[self.customers.render(r, now) for r in range(n_customers)],
            orders=[store.render(rec) for rec in records],
            audit=self.audit_rows(0, now),
            contact_preferences={
                self.customers.cid(r): {
                    statement_ids[s]: bool(prefs[r, s]) for s in range(N_STATEMENTS)
                }
                for r in range(n_customers)
            },
            lines={store.order_id(rec.row): store.truth_lines(rec) for rec in records},
            modified={store.order_id(rec.row): format_utc7(rec.modified) for rec in records},
            postcodes={
                self.customers.cid(r): self.customers.postcode(r) or None
                for r in range(n_customers)
            },
            timezone=self.zone.name,
            tickets_sold=sum(len(rec.tickets) for rec in records),
        )
