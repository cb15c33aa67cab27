"""Reach: bookers and data capture (metrics.md §5: M20–M22)."""

from __future__ import annotations

from dataclasses import dataclass

from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = ["Reach", "reach"]


@dataclass(frozen=True)
class Reach(InsightResult):
    """M20 bookers, M21 data capture, M22 postcode capture."""

    org_id: str
    period: Period
    basis: Basis
    bookers: int  # M20
    bookings: int
    bookings_with_customer: int
    data_capture_rate: float | None  # M21
    bookers_with_postcode: int
    postcode_capture_rate: float | None  # M22
    tickets_per_booker: float | None


def reach(session: Session, filters: Filters) -> Reach:
    """Unique bookers and how well they are identified (M20–M22).

    Basis: performance by default; transaction supported.
    Choices: M21 is over bookings (orders) with at least one valid ticket in the period;
    M22 counts bookers whose customer record has a valid UK postcode (the exchange stores
    NULL for a missing or invalid one). ``tickets_per_booker`` counts only tickets of
    identified bookers.
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    if filters.has_slice:
        vt = _sql.valid_tickets(filters, basis)
        row = session.fetchone(
            f"""
            WITH vt AS ({vt.text}),
            b AS (SELECT vt.customer_id, COUNT(*) AS tickets FROM vt
                  WHERE vt.customer_id IS NOT NULL GROUP BY vt.customer_id)
            SELECT (SELECT COUNT(*) FROM b),
                   (SELECT COUNT(DISTINCT vt.order_id) FROM vt),
                   (SELECT COUNT(DISTINCT vt.order_id) FROM vt
                    WHERE vt.customer_id IS NOT NULL),
                   (SELECT COUNT(*) FROM b JOIN customers c
                       ON c.org_id = ? AND c.customer_id = b.customer_id
                    WHERE c.postcode IS NOT NULL),
                   (SELECT SUM(b.tickets) FROM b)
            """,
            [*vt.params, filters.org_id],
        )
    else:
        # The occasions carry the booker's key and whether their record has a postcode:
        # no probe of the customers table per booker. Distinct integers are counted by
        # sorting; PostgreSQL's hash aggregate over 200k bookers was several times slower
        # (docs/design-notes.md).
        occ = _sql.occasions([filters.org_id], basis, period=filters.period)
        row = session.fetchone(
            f"""
            SELECT COUNT(DISTINCT vt.customer_key), COUNT(DISTINCT vt.order_key),
                   COUNT(DISTINCT vt.order_key) FILTER (WHERE vt.customer_key IS NOT NULL),
                   COUNT(DISTINCT vt.customer_key) FILTER (WHERE vt.has_postcode),
                   SUM(vt.tickets) FILTER (WHERE vt.customer_key IS NOT NULL)
            FROM ({occ.text}) vt
            """,
            occ.params,
        )
    assert row is not None
    bookers, bookings, with_customer, with_postcode, booker_tickets = (_sql.as_int(v) for v in row)
    return Reach(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        bookers=bookers,
        bookings=bookings,
        bookings_with_customer=with_customer,
        data_capture_rate=_sql.ratio(with_customer, bookings),
        bookers_with_postcode=with_postcode,
        postcode_capture_rate=_sql.ratio(with_postcode, bookers),
        tickets_per_booker=_sql.ratio(booker_tickets, bookers),
    )
