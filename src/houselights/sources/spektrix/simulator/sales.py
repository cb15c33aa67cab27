"""Vectorised generation of the historical sales of one client (orders and their lines).

Everything is built as numpy columns so a million tickets take seconds, not minutes.
Orders are numbered in order of their first transaction (order ids therefore grow
with time, like legacy Spektrix integers); each kind of line is stored CSR-style:
``offsets[o]:offsets[o+1]`` are the lines of order ``o``.

How the history is made (all choices **invented**, tuned to look like a mid-size UK venue):

1. tickets per main instance ∝ capacity × event popularity × share of the sales window
   already elapsed, scaled so the total is exactly the requested number, never above
   capacity;
2. each instance's tickets are cut into orders of 1–6 tickets bought before the show
   (more of them close to the date); a share of them add a supplementary ticket
   (interval drinks, programme), fees, merchandise, a donation or a membership;
3. standalone donation and membership orders; ~3 % of tickets returned later, ~0.8 %
   of orders cancelled, and every ticket of a cancelled instance returned in one batch
   (all those orders share one modification instant, which exercises sync paging).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .catalogue import BANDS, DAY, SALES_WINDOW_DAYS, TICKET_TYPES, Catalogue
from .clock import MICROS

__all__ = ["CHANNELS", "STATUSES", "LineColumns", "SalesBase", "generate_sales"]

I64 = npt.NDArray[np.int64]
CHANNELS = ("Web", "Box Office", "Phone")
STATUSES = ("Issued", "Returned", "Cancelled")
ISSUED, RETURNED, CANCELLED = 0, 1, 2
SUPPLEMENTARY_SHARE = 0.06


@dataclass
class LineColumns:
    """One kind of order line in CSR layout; ``ref`` is the instance/item/fund/membership."""

    offsets: I64
    ref: I64
    price: I64  # pence paid
    original: I64  # pence before offers (equals price except on tickets)
    status: npt.NDArray[np.int8]
    ticket_type: npt.NDArray[np.int8]  # tickets only (zeros elsewhere)
    band: npt.NDArray[np.int8]  # tickets only

    def __len__(self) -> int:
        return len(self.ref)


@dataclass
class SalesBase:
    """The generated order history, as columns (one row per order)."""

    customer: I64  # customer row, -1 for anonymous box-office sales
    channel: npt.NDArray[np.int8]
    tx1: I64  # first transaction, epoch µs UTC
    tx2: I64  # a later transaction (return/cancellation), -1 if none
    modified: I64
    cancelled: npt.NDArray[np.bool_]
    tickets: LineColumns
    merchandise: LineColumns
    donations: LineColumns
    memberships: LineColumns
    customers: int  # number of customer rows referenced (some have no orders)

    def __len__(self) -> int:
        return len(self.tx1)


def _allocate(cat: Catalogue, target: int, now: int, rng: np.random.Generator) -> I64:
    """Tickets per instance: exactly ``target`` in total, within sellable capacity."""
    onsale = cat.inst_start - SALES_WINDOW_DAYS * DAY
    elapsed = np.clip((now - onsale) / (cat.inst_start - onsale), 0.0, 1.0)
    elapsed[cat.inst_supplementary] = 0.0
    bound = np.floor(cat.inst_capacity * elapsed).astype(np.int64)
    if bound.sum() < target:
        raise ValueError("catalogue has too little capacity for the ticket target")
    popularity = rng.beta(2.5, 1.5, len(cat.event_price))[cat.inst_event]
    weight = cat.inst_capacity * elapsed * popularity
    x = np.zeros(len(weight))
    for _ in range(12):  # scale, clip at capacity, re-scale the rest
        fixed = x >= bound
        free = weight * ~fixed
        room = target - bound[fixed].sum()
        if free.sum() <= 0:
            break
        x = np.where(fixed, bound, np.minimum(bound, free * (room / free.sum())))
    sold = np.floor(x).astype(np.int64)
    missing = target - int(sold.sum())
    while missing > 0:  # hand out the rounding remainder where there is room
        slack = np.nonzero(sold < bound)[0]
        order = slack[np.argsort(-(x[slack] - sold[slack]), kind="stable")][:missing]
        sold[order] += 1
        missing -= len(order)
    return sold


def _csr(order_of_line: I64, n_orders: int) -> tuple[I64, I64]:
    perm = np.argsort(order_of_line, kind="stable")
    counts = np.bincount(order_of_line, minlength=n_orders)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    return perm, offsets


def generate_sales(
    cat: Catalogue, tickets: int, now: int, seed: int, history_days: int, *, day_offset: int = 0
) -> SalesBase:
    """Generate exactly ``tickets`` ticket lines and the orders around them.

    ``day_offset`` is the client's UTC offset (µs), so bookings fall in its daytime.
    """
    rng = np.random.default_rng(seed)
    main_inst = ~cat.inst_supplementary
    has_supp = np.zeros(len(cat.inst_start), np.bool_)
    has_supp[: len(cat.inst_drinks)] = (cat.inst_drinks >= 0) | (cat.inst_programme >= 0)
    supp_total = round(tickets * SUPPLEMENTARY_SHARE) if has_supp.any() else 0
    sold = _allocate(cat, tickets - supp_total, now, rng)
    if supp_total and not sold[has_supp & main_inst].any():
        supp_total = 0
        sold = _allocate(cat, tickets, now, rng)
    main_tickets = tickets - supp_total

    # --- orders of main tickets: cut each instance's tickets into groups of 1-6 -------
    t_inst = np.repeat(np.arange(len(sold)), sold)
    sizes = rng.choice(np.arange(1, 7), size=main_tickets // 2 + 2,
                       p=(0.25, 0.40, 0.12, 0.15, 0.04, 0.04))
    cuts = np.cumsum(sizes)
    cuts = cuts[cuts < main_tickets]
    bounds = np.cumsum(sold)[:-1]
    cuts = np.unique(np.concatenate((cuts, bounds[(bounds > 0) & (bounds < main_tickets)])))
    t_order = np.searchsorted(cuts, np.arange(main_tickets), side="right").astype(np.int64)
    n_ticket_orders = len(cuts) + 1 if main_tickets else 0
    first_ticket = np.concatenate(([0], cuts)).astype(np.int64)[:n_ticket_orders]
    o_inst = t_inst[first_ticket]
    start = cat.inst_start[o_inst]
    onsale = start - SALES_WINDOW_DAYS * DAY
    end = np.minimum(start - 3600 * MICROS, now - 60 * MICROS)
    share = rng.random(n_ticket_orders) ** 0.45  # bookings bunch up towards the date
    o_tx1 = onsale + ((end - onsale) * share).astype(np.int64)
    # People book in the daytime and evening, not at 4 a.m.: redraw the time of day.
    hour_p = np.array([0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 8, 8, 7, 6, 6, 6, 7, 8, 8, 6, 4, 2.0])
    tod = (rng.choice(24, size=n_ticket_orders, p=hour_p / hour_p.sum()) * 3600
           + rng.integers(0, 3600, n_ticket_orders)) * MICROS + rng.integers(0, MICROS,
                                                                              n_ticket_orders)
    o_tx1 = np.clip(o_tx1 // DAY * DAY + tod - day_offset, onsale, np.maximum(end, onsale))

    # --- standalone donation / membership orders --------------------------------------
    n_donation_only = max(1, n_ticket_orders // 50)
    n_membership_only = max(1, n_ticket_orders // 100)
    n_extra = n_donation_only + n_membership_only
    extra_tx1 = rng.integers(now - history_days * DAY, now - 60 * MICROS, n_extra)
    n = n_ticket_orders + n_extra
    tx1 = np.concatenate((o_tx1, extra_tx1))
    order_inst = np.concatenate((o_inst, np.full(n_extra, -1)))

    # Number orders by first transaction: rank[old] = new row.
    by_time = np.argsort(tx1, kind="stable")
    rank = np.empty(n, np.int64)
    rank[by_time] = np.arange(n)
    tx1 = tx1[by_time]
    order_inst = order_inst[by_time]
    t_order = rank[t_order]
    has_tickets = order_inst >= 0

    channel = rng.choice(3, size=n, p=(0.6, 0.25, 0.15)).astype(np.int8)
    n_customers = max(30, round(n / 2.4))
    loyal = np.floor(n_customers * rng.random(n) ** 2.2).astype(np.int64)
    customer = rng.permutation(n_customers)[loyal]
    walk_up = (channel == 1) & (rng.random(n) < 0.08) & has_tickets
    customer[walk_up] = -1
    n_customers += n_customers // 10  # newsletter-only customers with no orders

    # --- main ticket columns ----------------------------------------------------------
    type_p = np.array([t[2] for t in TICKET_TYPES])
    t_type = rng.choice(len(TICKET_TYPES), size=main_tickets, p=type_p / type_p.sum())
    t_band = rng.choice(len(BANDS), size=main_tickets, p=(0.5, 0.3, 0.2))
    t_band[cat.inst_unreserved[t_inst]] = 0
    type_mult = np.array([t[1] for t in TICKET_TYPES])
    band_mult = np.array([b[1] for b in BANDS])
    base = cat.event_price[cat.inst_event[t_inst]]
    t_original = (np.round(base * band_mult[t_band] * type_mult[t_type] / 50) * 50).astype(np.int64)
    offer = rng.random(n) < 0.1  # a promo code took 20 % off every ticket of the order
    t_price = np.where(offer[t_order], np.round(t_original * 0.8 / 10) * 10, t_original)

    # --- supplementary tickets --------------------------------------------------------
    eligible = np.nonzero(has_tickets & has_supp[np.maximum(order_inst, 0)])[0]
    if supp_total:
        s_order = np.sort(rng.choice(eligible, size=supp_total))
        main_of = order_inst[s_order]
        drinks = cat.inst_drinks[main_of]
        programme = cat.inst_programme[main_of]
        pick_programme = (programme >= 0) & ((drinks < 0) | (rng.random(supp_total) < 0.4))
        s_inst = np.where(pick_programme, programme, drinks)
        s_price = cat.event_price[cat.inst_event[s_inst]]
    else:
        s_order = s_inst = s_price = np.zeros(0, np.int64)
    all_order = np.concatenate((t_order, s_order))
    all_inst = np.concatenate((t_inst, s_inst))
    all_type = np.concatenate((t_type, np.zeros(len(s_order), np.int64))).astype(np.int8)
    all_band = np.concatenate((t_band, np.zeros(len(s_order), np.int64))).astype(np.int8)
    all_original = np.concatenate((t_original, s_price))
    all_price = np.concatenate((t_price, s_price)).astype(np.int64)
    status = np.zeros(tickets, np.int8)

    # --- returns, cancelled instances, cancelled orders --------------------------------
    tx2 = np.full(n, -1, np.int64)
    modified_exact = np.zeros(n, np.bool_)
    order_start = np.where(has_tickets, cat.inst_start[np.maximum(order_inst, 0)], now)
    latest = np.minimum(order_start, now - MICROS)
    cancelled_inst = cat.inst_cancelled[all_inst]
    if cancelled_inst.any():
        status[cancelled_inst] = RETURNED
        hit = np.unique(all_order[cancelled_inst])
        when = np.minimum(np.maximum(order_start[hit] - 3 * DAY, tx1[hit] + 60 * MICROS),
                          now - MICROS)
        # Bulk return: every affected order is modified at the same instant per instance.
        tx2[hit] = (when // MICROS) * MICROS
        modified_exact[hit] = True
    returned = (rng.random(tickets) < 0.03) & (status == ISSUED)
    if returned.any():
        ro = all_order[returned]
        when = tx1[ro] + ((latest[ro] - tx1[ro]) * rng.random(len(ro))).astype(np.int64)
        status[returned] = RETURNED
        np.maximum.at(tx2, ro, when)
    cancel = (rng.random(n) < 0.008) & (latest - tx1 > DAY)
    when = tx1 + ((latest - tx1) * rng.random(n)).astype(np.int64)
    tx2 = np.where(cancel, np.maximum(tx2, when), tx2)
    modified_exact &= ~cancel
    status[cancel[all_order]] = CANCELLED

    perm, offsets = _csr(all_order, n)
    ticket_cols = LineColumns(
        offsets, all_inst[perm], all_price[perm], all_original[perm], status[perm],
        all_type[perm], all_band[perm],
    )

    # --- merchandise, donations, memberships -------------------------------------------
    on_web_or_phone = channel != 1
    merch: list[tuple[I64, int]] = []
    for item, mask in (
        (5, has_tickets & on_web_or_phone & (rng.random(n) < 0.35)),  # Transaction Fee
        (4, has_tickets & (rng.random(n) < 0.02)),  # Exchange Fee
        (6, (channel == 2) & (rng.random(n) < 0.1)),  # Postage Fee
        (0, has_tickets & (rng.random(n) < 0.05)),
        (1, rng.random(n) < 0.01),
        (2, has_tickets & (rng.random(n) < 0.015)),
        (3, rng.random(n) < 0.005),
    ):
        merch.append((np.nonzero(mask)[0], item))
    m_order = np.concatenate([o for o, _ in merch])
    m_item = np.concatenate([np.full(len(o), i, np.int64) for o, i in merch])
    m_price = np.array(cat.stock_price, np.int64)[m_item]
    merch_cols = _simple_lines(m_order, m_item, m_price, cancel, n)

    donation_only = np.zeros(n, np.bool_)
    donation_only[rank[n_ticket_orders:n_ticket_orders + n_donation_only]] = True
    membership_only = np.zeros(n, np.bool_)
    membership_only[rank[n_ticket_orders + n_donation_only:]] = True
    d_order = np.nonzero(donation_only | (has_tickets & (rng.random(n) < 0.09)))[0]
    d_fund = rng.choice(len(cat.fund_default), size=len(d_order), p=(0.5, 0.2, 0.15, 0.15))
    d_amount = rng.choice(np.array([200, 300, 500, 1000, 2000, 5000, 10000]), size=len(d_order),
                          p=(0.2, 0.2, 0.25, 0.2, 0.08, 0.05, 0.02))
    donation_cols = _simple_lines(d_order, d_fund.astype(np.int64), d_amount, cancel, n)
    ms_order = np.nonzero(membership_only | (has_tickets & (rng.random(n) < 0.012)))[0]
    ms_kind = rng.choice(len(cat.membership_price), size=len(ms_order), p=(0.55, 0.2, 0.05, 0.2))
    ms_price = np.array(cat.membership_price, np.int64)[ms_kind]
    membership_cols = _simple_lines(ms_order, ms_kind.astype(np.int64), ms_price, cancel, n)

    jitter = rng.integers(1, MICROS, n)
    modified = np.where(
        modified_exact & (tx2 >= 0), tx2, np.maximum(tx1, tx2) + jitter
    )
    modified = np.minimum(modified, now)
    return SalesBase(
        customer=customer.astype(np.int64), channel=channel, tx1=tx1, tx2=tx2,
        modified=modified.astype(np.int64), cancelled=cancel,
        tickets=ticket_cols, merchandise=merch_cols, donations=donation_cols,
        memberships=membership_cols, customers=n_customers,
    )


def _simple_lines(
    order: I64, ref: I64, price: I64, cancelled_orders: npt.NDArray[np.bool_], n: int
) -> LineColumns:
    perm, offsets = _csr(order, n)
    status = np.where(cancelled_orders[order], CANCELLED, ISSUED).astype(np.int8)
    zeros = np.zeros(len(order), np.int8)
    return LineColumns(offsets, ref[perm], price[perm], price[perm], status[perm], zeros, zeros)
