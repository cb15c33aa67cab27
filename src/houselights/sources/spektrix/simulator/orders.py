"""Orders of one simulated client: the columnar history plus a mutable overlay.

Generated history lives in numpy columns (:mod:`.sales`). An order that changes later
(``advance()`` returns a ticket, cancels, adds an item) or that is created later is kept
as an :class:`OrderRecord` in the *overlay*, which always wins over the columns. Because
the simulated clock only moves forward, every overlay modification is later than every
historical one — so ``orders/sync`` is simply "history in (modified, id) order, skipping
rows that moved to the overlay, then the overlay in the same order".

The order payload is **invented** (the real schema is not public; spec open question 4).
Field names reuse what peers observed (``id``, ``firstTransactionDate[Utc]``, ``tickets[]``
with ``event``/``instance`` ``{id}`` stubs, ``type{id,name}``, ``originalPrice``,
``ticketSubscriptions``) and the README documents the rest.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalogue import Catalogue
from .clock import format_local, format_utc, format_utc7
from .customers import CustomerStore
from .ids import ScrambledCodec, catalogue_id, catalogue_number
from .sales import CHANNELS, STATUSES, LineColumns, SalesBase

__all__ = ["ItemLine", "OrderRecord", "OrderStore", "TicketLine"]

ORDER_BASE = 200_001
TICKET_BASE = 1_000_001
MERCH_BASE = 600_001
DONATION_BASE = 700_001
MEMBERSHIP_BASE = 800_001
SYNC_PAGE_LIMIT = 100


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
        self, sales: SalesBase, cat: Catalogue, customers: CustomerStore, seed: int
    ) -> None:
        self.base = sales
        self.cat = cat
        self.customers = customers
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

    # --- rendering -------------------------------------------------------------------

    def render(self, rec: OrderRecord) -> dict[str, Any]:
        """The System Owner payload of one order (schema invented; see the README)."""
        cat = self.cat
        types = cat.ticket_types
        bands = cat.bands
        customer: dict[str, str] | None = None
        if rec.customer >= 0:
            customer = {
                "id": self.customers.cid(rec.customer),
                "friendlyId": self.customers.codec.friendly_id(rec.customer),
            }
        live = 0
        tickets = []
        for t in rec.tickets:
            tickets.append({
                "id": catalogue_id(TICKET_BASE + t.number),
                "event": {"id": self._event_of_instance[t.instance]},
                "instance": {"id": self._instance_ids[t.instance]},
                "type": {"id": types[t.ticket_type]["id"], "name": types[t.ticket_type]["name"]},
                "band": {"id": bands[t.band]["id"], "name": bands[t.band]["name"]},
                "originalPrice": t.original / 100,
                "price": t.price / 100,
                "status": STATUSES[t.status],
            })
            live += t.price if t.status == 0 else 0
        merchandise = []
        for m in rec.merchandise:
            merchandise.append({
                "id": catalogue_id(MERCH_BASE + m.number),
                "stockItem": {"id": self._stock_ids[m.ref]},
                "price": m.price / 100,
                "status": STATUSES[m.status],
            })
            live += m.price if m.status == 0 else 0
        donations = []
        for d in rec.donations:
            donations.append({
                "id": catalogue_id(DONATION_BASE + d.number),
                "fund": {"id": self._fund_ids[d.ref]},
                "amount": d.price / 100,
                "status": STATUSES[d.status],
            })
            live += d.price if d.status == 0 else 0
        memberships = []
        for s in rec.memberships:
            memberships.append({
                "id": catalogue_id(MEMBERSHIP_BASE + s.number),
                "membership": {"id": self._membership_ids[s.ref]},
                "price": s.price / 100,
                "status": STATUSES[s.status],
            })
            live += s.price if s.status == 0 else 0
        first, last = rec.transactions[0], max(rec.transactions)
        return {
            "id": self.order_id(rec.row),
            "friendlyId": self._friendly.encode(rec.row),
            "customer": customer,
            "salesChannel": CHANNELS[rec.channel],
            "status": "Cancelled" if rec.cancelled else "Confirmed",
            "firstTransactionDate": format_local(first),
            "firstTransactionDateUtc": format_utc(first),
            "lastTransactionDate": format_local(last),
            "lastTransactionDateUtc": format_utc(last),
            "lastModifiedUtc": format_utc7(rec.modified),
            "total": live / 100,
            "tickets": tickets,
            "ticketSubscriptions": [],
            "merchandise": merchandise,
            "donations": donations,
            "memberships": memberships,
        }

    def sync_value(self, rec: OrderRecord) -> dict[str, Any]:
        """One ``orders/sync`` value: the docs' four id fields plus the full order."""
        order = self.render(rec)
        customer = order["customer"]
        return {
            "orderId": order["id"],
            "orderFriendlyId": order["friendlyId"],
            "customerId": customer["id"] if customer else None,
            "customerFriendlyId": customer["friendlyId"] if customer else None,
            "lastModifiedUtc": order["lastModifiedUtc"],
            "order": order,
        }
