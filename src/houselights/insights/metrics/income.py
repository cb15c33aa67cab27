"""Ticket sales and income (metrics.md §3) and income by line kind."""

from __future__ import annotations

from dataclasses import dataclass

from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = [
    "LINE_KINDS",
    "IncomeByKind",
    "KindIncome",
    "TicketSales",
    "income_by_kind",
    "ticket_sales",
]

LINE_KINDS: tuple[str, ...] = (
    "ticket",
    "supplementary",
    "product",
    "fee",
    "donation",
    "membership",
)
"""The kinds of order line, in the order reports show them."""


@dataclass(frozen=True)
class TicketSales(InsightResult):
    """M02–M04, M09, M10, M10b, M13–M15 and M20 for one organisation and period."""

    org_id: str
    period: Period
    basis: Basis
    tickets_issued: int  # M02
    paid_tickets: int  # M03
    comp_tickets: int  # M04
    gross_ticket_income: float  # M09
    yield_per_paid_ticket: float | None  # M10 = M09 / M03
    yield_per_ticket: float | None  # M10b = M09 / M02
    face_value_of_paid: float  # Σ face value over paid tickets with a face value
    discount_amount: float  # M13 Σ (face value − price paid) over the same tickets
    discount_rate: float | None  # M13 rate
    concession_tickets: int
    concession_share: float | None  # M14 = paid concessions / M03
    bookers: int  # M20
    income_per_booker: float | None  # M15 = M09 / M20


def ticket_sales(session: Session, filters: Filters) -> TicketSales:
    """Tickets, income, yield, discount and concessions (M02–M04, M09–M10b, M13–M15).

    Basis: performance by default; transaction supported.
    Choices: ``paid`` = valid, not comp, price paid > 0; ``comp`` = valid and comp or
    free. M13 is taken over paid tickets that carry a face value (tickets without one
    cannot say what discount they had). M15 divides by bookers with a customer record.
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    if filters.has_slice:
        vt = _sql.valid_tickets(filters, basis)
        row = session.fetchone(
            f"""
            WITH vt AS ({vt.text})
            SELECT COUNT(*),
                   COUNT(*) FILTER (WHERE {_sql.paid("vt")}),
                   COUNT(*) FILTER (WHERE {_sql.comp("vt")}),
                   SUM(vt.price_paid),
                   SUM(vt.face_value)
                       FILTER (WHERE {_sql.paid("vt")} AND vt.face_value IS NOT NULL),
                   SUM(vt.face_value - vt.price_paid)
                       FILTER (WHERE {_sql.paid("vt")} AND vt.face_value IS NOT NULL),
                   COUNT(*) FILTER (WHERE {_sql.paid("vt")} AND vt.is_concession),
                   COUNT(DISTINCT vt.customer_id)
            FROM vt
            """,
            vt.params,
        )
    else:
        occ = _sql.occasions([filters.org_id], basis, period=filters.period)
        row = session.fetchone(
            f"""
            SELECT SUM(vt.tickets), SUM(vt.paid), SUM(vt.comps), SUM(vt.income_pence),
                   SUM(vt.face_paid_pence), SUM(vt.discount_pence), SUM(vt.concessions),
                   COUNT(DISTINCT vt.customer_key)
            FROM ({occ.text}) vt
            """,
            occ.params,
        )
        if row is not None:
            row = (*row[:3], *(_sql.pounds(v) for v in row[3:6]), *row[6:])
    assert row is not None
    tickets, paid, comps, income, face, discount, concessions, bookers = row
    tickets, paid, bookers = _sql.as_int(tickets), _sql.as_int(paid), _sql.as_int(bookers)
    income = income or 0
    return TicketSales(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        tickets_issued=tickets,
        paid_tickets=paid,
        comp_tickets=_sql.as_int(comps),
        gross_ticket_income=_sql.money(income),
        yield_per_paid_ticket=_sql.ratio(income, paid),
        yield_per_ticket=_sql.ratio(income, tickets),
        face_value_of_paid=_sql.money(face),
        discount_amount=_sql.money(discount),
        discount_rate=_sql.ratio(discount or 0, face or 0),
        concession_tickets=_sql.as_int(concessions),
        concession_share=_sql.ratio(_sql.as_int(concessions), paid),
        bookers=bookers,
        income_per_booker=_sql.ratio(income, bookers),
    )


@dataclass(frozen=True)
class KindIncome(InsightResult):
    """Issued lines and their income for one line kind."""

    kind: str
    lines: int
    income: float
    share_of_income: float | None


@dataclass(frozen=True)
class IncomeByKind(InsightResult):
    """Income split by order-line kind."""

    org_id: str
    period: Period
    basis: Basis
    kinds: tuple[KindIncome, ...]
    total_income: float


def income_by_kind(session: Session, filters: Filters) -> IncomeByKind:
    """Income of issued lines by kind: tickets, supplementary, products, fees, donations,
    memberships (every kind listed, zero when absent).

    Basis: **transaction by default** (this is cash reporting); with ``performance`` a
    line for a performance is dated by that performance and any other line (donation,
    membership, product) by its order.
    Choices: returned and cancelled lines are excluded, and so are ticket and
    supplementary lines of cancelled performances. A ``ticket`` line for an instance
    flagged supplementary counts as ``supplementary`` (product income, never
    attendance). With a venue/season/event slice only lines attached to a matching
    performance count, because a donation or membership belongs to no venue.
    """
    basis = filters.basis_or("transaction")
    facts.ensure_fresh(session, [filters.org_id])
    sliced = _sql.slice_conditions(filters, "t")
    if sliced.text:
        at = "t.created_at" if basis == "transaction" else "COALESCE(t.starts_at, t.created_at)"
        where = [
            "t.org_id = ?",
            "t.status = 'issued'",
            "NOT t.cancelled",
            f"{at} >= ? AND {at} < ?",
            sliced.text,
        ]
        params: list[object] = [
            filters.org_id,
            filters.period.start_at,
            filters.period.end_at,
            *sliced.params,
        ]
        rows = session.fetchall(
            f"""
            SELECT t.kind, COUNT(*), SUM(t.price_paid)
            FROM {_sql.LINE_FACTS} t
            WHERE {" AND ".join(where)}
            GROUP BY t.kind
            """,
            params,
        )
    else:
        # Issued lines per kind and day are kept per basis: a period is whole days.
        rows = session.fetchall(
            f"""
            SELECT d.kind, SUM(d.lines), SUM(d.income_pence) FROM {_sql.DAY_FACTS} d
            WHERE d.org_id = ? AND d.basis = ? AND d.day >= ? AND d.day < ?
            GROUP BY d.kind
            """,
            [filters.org_id, basis, filters.period.start, filters.period.end],
        )
        rows = [(kind, n, _sql.pounds(pence)) for kind, n, pence in rows]
    found = {str(kind): (_sql.as_int(n), income or 0) for kind, n, income in rows}
    total = sum((v[1] for v in found.values()), start=0)
    order = [*LINE_KINDS, *sorted(k for k in found if k not in LINE_KINDS)]
    kinds = tuple(
        KindIncome(
            kind=k,
            lines=found.get(k, (0, 0))[0],
            income=_sql.money(found.get(k, (0, 0))[1]),
            share_of_income=_sql.ratio(found.get(k, (0, 0))[1], total),
        )
        for k in order
    )
    return IncomeByKind(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        kinds=kinds,
        total_income=_sql.money(total),
    )
