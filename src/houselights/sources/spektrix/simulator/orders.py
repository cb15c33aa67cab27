"""Orders of one simulated client: the columnar history plus a mutable overlay.

Generated history lives in numpy columns (:mod:`.sales`). An order that changes later
(``advance()`` returns a ticket, cancels, adds an item) or that is created later is kept
as an :class:`OrderRecord` in the *overlay*, which always wins over the columns. Because
the simulated clock only moves forward, every overlay modification is later than every
historical one — so ``orders/sync`` is simply "history in (modified, id) order, skipping
rows that moved to the overlay, then the overlay in the same order".

The order payload follows what Spektrix documents (spec §14.1: the line collections
``tickets``, ``merchandiseItems``, ``donations``, ``membershipSubscriptions``,
``ticketSubscriptions``, ``giftVouchers``; ``price`` the nominal price, ``discount``,
``total`` what was paid, ``originalPrice`` the price before a manual override with
``priceOverridden``) and what peers observed on live orders (``id``,
``firstTransactionDate[Utc]``, ``lastTransactionDate``, ``total``,
``totalTransactionCharges``). What the record leaves open is **invented** and labelled:
the ``customer`` reference, that a returned line or a cancelled order's lines are no
longer listed (no public model has a line status), the inner shape of gift vouchers and
ticket subscriptions. :class:`~.config.PayloadVariations` switches on the other shapes
(the first build's invented fields, bare-string references, tickets with
``originalPrice`` only…). :meth:`OrderStore.truth_lines` says what each served line is
worth, from the records themselves rather than from the rendered payload.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalogue import Catalogue
from .clock import LONDON, MICROS, LocalZone, format_local, format_utc, format_utc7
from .config import PayloadVariations
from .customers import CustomerStore
from .ids import ScrambledCodec, catalogue_id, catalogue_number
from .sales import CHANNELS, ISSUED, STATUSES, LineColumns, SalesBase

__all__ = ["ItemLine", "OrderRecord", "OrderStore", "TicketLine", "TruthLine"]

ORDER_BASE = 200_001
TICKET_BASE = 1_000_001
MERCH_BASE = 600_001
DONATION_BASE = 700_001
MEMBERSHIP_BASE = 800_001
VOUCHER_BASE = 900_001
SUBSCRIPTION_BASE = 950_001
SYNC_PAGE_LIMIT = 100
YEAR = 365 * 86_400 * MICROS


def _mix(n: int) -> int:
    """A cheap deterministic scramble of a line or order number (for rare features)."""
    return (n * 2_654_435_761) % 4_294_967_291


@dataclass(frozen=True)
class TruthLine:
    """One served order line as the simulator knows it: what a client must reproduce.

    ``kind``: ticket, merchandise, donation, membership, gift_voucher or
    ticket_subscription; ``ref`` the instance / stock item / fund / membership id;
    ``status`` issued, returned or cancelled; ``paid`` and ``face`` in pence.
    """

    kind: str
    ref: str
    status: str
    paid: int
    face: int


@dataclass
class TicketLine:
    """One ticket: ``instance``, ``ticket_type`` and ``band`` index the catalogue."""

    number: int
    instance: int
    ticket_type: int
    band: int
    original: int  # pence
    price: int  # pence
    status: int  # index into STATUSES


@dataclass
class ItemLine:
    """A merchandise, donation or membership line; ``ref`` indexes the catalogue list."""

    number: int
    ref: int
    price: int
    status: int


@dataclass
class OrderRecord:
    """One order with all its lines, as the overlay keeps it."""

    row: int
    customer: int
    channel: int
    transactions: list[int]
    modified: int
    cancelled: bool
    tickets: list[TicketLine] = field(default_factory=list)
    merchandise: list[ItemLine] = field(default_factory=list)
    donations: list[ItemLine] = field(default_factory=list)
    memberships: list[ItemLine] = field(default_factory=list)


def _items(cols: LineColumns, row: int) -> list[ItemLine]:
    lo, hi = int(cols.offsets[row]), int(cols.offsets[row + 1])
    return [
        ItemLine(lo + i, ref, price, status)
        for i, (ref, price, status) in enumerate(zip(
            cols.ref[lo:hi].tolist(), cols.price[lo:hi].tolist(), cols.status[lo:hi].tolist(),
            strict=True,
        ))
    ]


class OrderStore:
    """Every order of a client: lookup by id, by transaction window, and the sync feed."""

    def __init__(
        self,
        sales: SalesBase,
        cat: Catalogue,
        customers: CustomerStore,
        seed: int,
        *,
        payload: PayloadVariations | None = None,
        zone: LocalZone = LONDON,
    ) -> None:
        self.base = sales
        self.cat = cat
        self.customers = customers
        self.payload = payload or PayloadVariations()
        self.zone = zone
        self.n_base = len(sales)
        self.n_total = self.n_base
        self.overlay: dict[int, OrderRecord] = {}
        self._overlay_keys: list[tuple[int, int]] = []
        self._friendly = ScrambledCodec(seed + 2, 6)
        # Sync index of the history: rows sorted by (modified, row).
        self._sync_rows = np.lexsort((np.arange(self.n_base), sales.modified)).astype(np.int64)
        self._sync_mod = sales.modified[self._sync_rows]
        self.next_line = {
            "ticket": len(sales.tickets), "merchandise": len(sales.merchandise),
            "donation": len(sales.donations), "membership": len(sales.memberships),
        }
        self.version = 0
        self._window_cache: OrderedDict[tuple[int, int, int], list[int]] = OrderedDict()
        # Catalogue lookups used when rendering, prepared once.
        self._instance_ids = cat.instance_ids
        self._event_of_instance = [cat.events[e]["id"] for e in cat.inst_event.tolist()]
        self._plan_of_instance = [p.get("planId") for p in cat.instances]
        self._stock_ids = [p["id"] for p in cat.stock_items]
        self._fund_ids = [p["id"] for p in cat.funds]
        self._membership_ids = [p["id"] for p in cat.memberships]

    # --- access ----------------------------------------------------------------------

    def get(self, row: int) -> OrderRecord:
        """The current state of order ``row``."""
        record = self.overlay.get(row)
        if record is not None:
            return record
        b = self.base
        tx = [int(b.tx1[row])] + ([int(b.tx2[row])] if b.tx2[row] >= 0 else [])
        t = b.tickets
        lo, hi = int(t.offsets[row]), int(t.offsets[row + 1])
        tickets = [
            TicketLine(lo + i, *values)
            for i, values in enumerate(zip(
                t.ref[lo:hi].tolist(), t.ticket_type[lo:hi].tolist(), t.band[lo:hi].tolist(),
                t.original[lo:hi].tolist(), t.price[lo:hi].tolist(), t.status[lo:hi].tolist(),
                strict=True,
            ))
        ]
        return OrderRecord(
            row=row, customer=int(b.customer[row]), channel=int(b.channel[row]),
            transactions=tx, modified=int(b.modified[row]), cancelled=bool(b.cancelled[row]),
            tickets=tickets, merchandise=_items(b.merchandise, row),
            donations=_items(b.donations, row), memberships=_items(b.memberships, row),
        )

    def put(self, record: OrderRecord) -> None:
        """Store a new or changed order in the overlay (its ``modified`` must be the latest)."""
        old = self.overlay.get(record.row)
        if old is not None:
            key = (old.modified, old.row)
            i = bisect.bisect_left(self._overlay_keys, key)
            if i < len(self._overlay_keys) and self._overlay_keys[i] == key:
                del self._overlay_keys[i]
        self.overlay[record.row] = record
        bisect.insort(self._overlay_keys, (record.modified, record.row))
        self.n_total = max(self.n_total, record.row + 1)
        self.version += 1

    def new_line_number(self, kind: str) -> int:
        """Allocate the number of a line added after generation."""
        number = self.next_line[kind]
        self.next_line[kind] = number + 1
        return number

    def order_id(self, row: int) -> str:
        """The 33-character id of order ``row``."""
        return catalogue_id(ORDER_BASE + row)

    def row_of(self, order_id: str) -> int | None:
        """Row of an order id, or ``None`` if no such order exists."""
        number = catalogue_number(order_id)
        if number is None:
            return None
        row = number - ORDER_BASE
        return row if 0 <= row < self.n_total else None

    # --- queries ---------------------------------------------------------------------

    def in_window(self, start_us: int, end_us: int) -> list[int]:
        """Rows of orders with any transaction in ``[start_us, end_us]``, ascending."""
        key = (start_us, end_us, self.version)
        cached = self._window_cache.get(key)
        if cached is not None:
            return cached
        b = self.base
        hit = ((b.tx1 >= start_us) & (b.tx1 <= end_us)) | ((b.tx2 >= start_us) & (b.tx2 <= end_us))
        rows = [r for r in np.nonzero(hit)[0].tolist() if r not in self.overlay]
        rows.extend(
            r for r, rec in self.overlay.items()
            if any(start_us <= t <= end_us for t in rec.transactions)
        )
        rows.sort()
        self._window_cache[key] = rows
        while len(self._window_cache) > 16:
            self._window_cache.popitem(last=False)
        return rows

    def sync(self, since_us: int, after_row: int | None, limit: int) -> list[OrderRecord]:
        """Orders modified at/after ``since_us`` (strictly after ``(since, after_row)``).

        Ordered by (modified, order number); ``after_row`` is the position token that
        makes equal timestamps safe to page through.
        """
        out: list[OrderRecord] = []
        lo = int(np.searchsorted(self._sync_mod, since_us, side="left"))
        if after_row is not None:
            hi = int(np.searchsorted(self._sync_mod, since_us, side="right"))
            lo += int(np.searchsorted(self._sync_rows[lo:hi], after_row, side="right"))
        i = lo
        while len(out) < limit and i < self.n_base:
            # Take a chunk at a time: converting one numpy scalar per row is slow.
            for row in self._sync_rows[i:i + limit * 2].tolist():
                if row not in self.overlay:
                    out.append(self.get(row))
                    if len(out) == limit:
                        break
            i += limit * 2
        if len(out) < limit:
            start_key = (since_us, after_row if after_row is not None else -1)
            j = (bisect.bisect_right if after_row is not None else bisect.bisect_left)(
                self._overlay_keys, start_key
            )
            for _, row in self._overlay_keys[j:j + limit - len(out)]:
                out.append(self.overlay[row])
        return out

    # --- money ----------------------------------------------------------------------

    def ticket_money(self, t: TicketLine) -> tuple[int, int, int, int, bool]:
        """``(price, discount, total, originalPrice, priceOverridden)`` of a ticket, pence.

        ``t.original`` is the listed price (band × ticket type), ``t.price`` what was
        paid after an offer. One ticket in forty sold at list price had its price
        overridden by staff to half (**invented** share): ``originalPrice`` keeps the
        listed price, ``price`` the override. Where tickets show only ``originalPrice``
        (a variation), the system holds no discounts or overrides.
        """
        listed, paid = t.original, t.price
        if self.payload.ticket_original_price_only:
            return listed, 0, listed, listed, False
        if listed > 0 and paid == listed and _mix(t.number) % 40 == 0:
            override = listed // 100 * 50
            return override, 0, override, listed, True
        return listed, listed - paid, paid, listed, False

    def _merch_discount(self, m: ItemLine) -> int:
        # One product line in ten had 20 % off (invented); fees are never discounted.
        if self.cat.stock_is_fee[m.ref] or _mix(m.number) % 10 != 3:
            return 0
        return m.price // 5

    @staticmethod
    def _membership_discount(s: ItemLine) -> int:
        return s.price // 10 if _mix(s.number) % 8 == 5 else 0

    def _served(self, status: int) -> bool:
        # Without the invented line status a returned or cancelled line is not listed.
        return status == ISSUED or self.payload.invented_fields

    def _voucher(self, row: int) -> int:
        """Pence of the gift voucher order ``row`` buys (0: none; a variation)."""
        return 2500 if self.payload.gift_vouchers and _mix(row) % 20 == 7 else 0

    def _subscription(self, row: int) -> int:
        """Pence of the ticket subscription order ``row`` buys (0: none; a variation)."""
        return 6000 if self.payload.ticket_subscriptions and _mix(row) % 25 == 11 else 0

    def has_unknown_collection(self, row: int) -> bool:
        """Whether order ``row`` carries the collection no model names (a variation)."""
        return self.payload.unknown_fields and _mix(row) % 15 == 2

    def truth_lines(self, rec: OrderRecord) -> list[TruthLine]:
        """The lines of ``rec`` as served, with what each is worth (for tests)."""
        out: list[TruthLine] = []
        live = rec.cancelled is False
        for t in rec.tickets:
            if self._served(t.status):
                _, _, total, original, _ = self.ticket_money(t)
                out.append(TruthLine("ticket", self._instance_ids[t.instance],
                                     STATUSES[t.status].lower(), total, original))
        for m in rec.merchandise:
            if self._served(m.status):
                paid = m.price - self._merch_discount(m)
                out.append(TruthLine("merchandise", self._stock_ids[m.ref],
                                     STATUSES[m.status].lower(), paid, m.price))
        for d in rec.donations:
            if self._served(d.status):
                out.append(TruthLine("donation", self._fund_ids[d.ref],
                                     STATUSES[d.status].lower(), d.price, d.price))
        for s in rec.memberships:
            if self._served(s.status):
                paid = s.price - self._membership_discount(s)
                out.append(TruthLine("membership", self._membership_ids[s.ref],
                                     STATUSES[s.status].lower(), paid, s.price))
        if live and self._voucher(rec.row):
            amount = self._voucher(rec.row)
            out.append(TruthLine("gift_voucher", "", "issued", amount, amount))
        if live and self._subscription(rec.row):
            amount = self._subscription(rec.row)
            out.append(TruthLine("ticket_subscription", "", "issued", amount, amount))
        return out

    # --- rendering -------------------------------------------------------------------

    def _ref(self, ident: str) -> Any:
        return ident if self.payload.bare_refs else {"id": ident}

    def render(self, rec: OrderRecord) -> dict[str, Any]:
        """The System Owner payload of one order (see the module docstring)."""
        v = self.payload
        cat = self.cat
        types = cat.ticket_types
        bands = cat.bands
        ref = self._ref
        paid_total = 0
        tickets = []
        for t in rec.tickets:
            if not self._served(t.status):
                continue
            price, discount, total, original, overridden = self.ticket_money(t)
            ticket: dict[str, Any] = {
                "id": catalogue_id(TICKET_BASE + t.number),
                "event": ref(self._event_of_instance[t.instance]),
                "instance": ref(self._instance_ids[t.instance]),
                "type": {"id": types[t.ticket_type]["id"], "name": types[t.ticket_type]["name"]},
            }
            if v.ticket_original_price_only:
                ticket["originalPrice"] = original / 100
            else:
                reserved = not cat.inst_unreserved[t.instance]
                ticket.update(
                    band={"id": bands[t.band]["id"], "name": bands[t.band]["name"]},
                    planId=self._plan_of_instance[t.instance],
                    seatName=f"{'ABCDEFGHJK'[t.number % 10]}{1 + t.number % 30}"
                    if reserved else None,
                    barcode=f"{_mix(t.number):010d}",
                    delivered=t.number % 3 == 0,
                    price=price / 100,
                    discount=discount / 100,
                    total=total / 100,
                    originalPrice=original / 100,
                    priceOverridden=overridden,
                )
            if v.invented_fields:
                ticket["status"] = STATUSES[t.status]
            if v.unknown_fields and t.number % 9 == 4:
                ticket["accessRequirement"] = "Wheelchair space"
            tickets.append(ticket)
            paid_total += total if t.status == ISSUED else 0
        merchandise = []
        for m in rec.merchandise:
            if not self._served(m.status):
                continue
            discount = self._merch_discount(m)
            item: dict[str, Any] = {
                "id": catalogue_id(MERCH_BASE + m.number),
                "stockItem": ref(self._stock_ids[m.ref]),
                "price": m.price / 100,
                "discount": discount / 100,
                "total": (m.price - discount) / 100,
                "barcode": None,
                "delivered": m.number % 2 == 0,
            }
            if v.invented_fields:
                item["status"] = STATUSES[m.status]
            merchandise.append(item)
            paid_total += m.price - discount if m.status == ISSUED else 0
        donations = []
        for d in rec.donations:
            if not self._served(d.status):
                continue
            anonymous = d.number % 7 == 0
            donation: dict[str, Any] = {
                "id": catalogue_id(DONATION_BASE + d.number),
                "amount": d.price / 100,
                "fund": ref(self._fund_ids[d.ref]),
                "isAnonymous": anonymous,
                "recognitionName": None if anonymous or d.number % 3 else "The Friends",
            }
            if v.invented_fields:
                donation["status"] = STATUSES[d.status]
            donations.append(donation)
            paid_total += d.price if d.status == ISSUED else 0
        memberships = []
        first = rec.transactions[0]
        start = format_local(first, self.zone)[:10] + "T00:00:00"
        expiry = format_local(first + YEAR - 86_400 * MICROS, self.zone)[:10] + "T00:00:00"
        for s in rec.memberships:
            if not self._served(s.status):
                continue
            discount = self._membership_discount(s)
            membership: dict[str, Any] = {
                "id": catalogue_id(MEMBERSHIP_BASE + s.number),
                "membership": ref(self._membership_ids[s.ref]),
                "price": s.price / 100,
                "discount": discount / 100,
                "total": (s.price - discount) / 100,
                "autoRenew": s.number % 2 == 1,
                "startDate": start,
                "expiryDate": expiry,
                "isRenewal": s.number % 5 == 0,
            }
            if v.invented_fields:
                membership["status"] = STATUSES[s.status]
            memberships.append(membership)
            paid_total += s.price - discount if s.status == ISSUED else 0
        vouchers: list[dict[str, Any]] = []
        subscriptions: list[dict[str, Any]] = []
        if not rec.cancelled:
            amount = self._voucher(rec.row)
            if amount:
                vouchers.append({"id": catalogue_id(VOUCHER_BASE + rec.row),
                                 "amount": amount / 100, "expiryDate": expiry})
                paid_total += amount
            amount = self._subscription(rec.row)
            if amount:
                subscriptions.append({"id": catalogue_id(SUBSCRIPTION_BASE + rec.row),
                                      "price": amount / 100, "discount": 0.0,
                                      "total": amount / 100})
                paid_total += amount
        last = max(rec.transactions)
        customer: Any = None
        if rec.customer >= 0:
            customer = ref(self.customers.cid(rec.customer))
        order: dict[str, Any] = {
            "id": self.order_id(rec.row),
            "customer": customer,
            "firstTransactionDate": format_local(first, self.zone),
            "firstTransactionDateUtc": format_utc(first) + "Z",
            "lastTransactionDate": format_local(last, self.zone),
            "total": paid_total / 100,
            "totalTransactionCharges": 0.0,
            "tickets": tickets,
            "ticketSubscriptions": subscriptions,
            "giftVouchers": vouchers,
        }
        if v.legacy_collection_names:
            order.update(merchandise=merchandise, donations=donations, memberships=memberships)
        else:
            order.update(merchandiseItems=merchandise, donations=donations,
                         membershipSubscriptions=memberships)
        if v.invented_fields:
            order.update(
                friendlyId=self._friendly.encode(rec.row),
                salesChannel=CHANNELS[rec.channel],
                status="Cancelled" if rec.cancelled else "Confirmed",
                lastTransactionDateUtc=format_utc(last),
                lastModifiedUtc=format_utc7(rec.modified),
            )
        if self.has_unknown_collection(rec.row):
            order["packages"] = [{"id": catalogue_id(VOUCHER_BASE + rec.row), "name": "Pair"}]
        return order

    def sync_value(self, rec: OrderRecord) -> dict[str, Any]:
        """One ``orders/sync`` value: a reference to the order (spec §14.2), or with the
        ``sync_values_embed_order`` variation also the whole order (the first build)."""
        customer = rec.customer
        value: dict[str, Any] = {
            "orderId": self.order_id(rec.row),
            "orderFriendlyId": self._friendly.encode(rec.row),
            "customerId": self.customers.cid(customer) if customer >= 0 else None,
            "customerFriendlyId": (
                self.customers.codec.friendly_id(customer) if customer >= 0 else None
            ),
        }
        if self.payload.sync_values_embed_order:
            value["lastModifiedUtc"] = format_utc7(rec.modified)
            value["order"] = self.render(rec)
        return value
