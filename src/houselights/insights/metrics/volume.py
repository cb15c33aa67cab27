"""Volume and capacity (metrics.md §2) plus financial capacity (M11, M12).

Performance basis only: capacity belongs to performances, so "tickets sold in a month
over the seats of that month's performances" would compare unrelated things.
"""

from __future__ import annotations

from dataclasses import dataclass

from houselights.errors import InputError
from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = ["VolumeCapacity", "volume_and_capacity"]


@dataclass(frozen=True)
class VolumeCapacity(InsightResult):
    """M01–M04, M06–M09, M11, M12 for one organisation and period.

    Ratios are ``None`` when their denominator is zero.
    """

    org_id: str
    period: Period
    basis: Basis
    performances: int  # M01
    tickets_issued: int  # M02
    paid_tickets: int  # M03
    comp_tickets: int  # M04
    capacity: int  # M06, performances with a known capacity
    performances_without_capacity: int
    utilisation: float | None  # M07 = tickets on performances with capacity / M06
    paid_utilisation: float | None  # M07 paid variant
    average_audience: float | None  # M08 = M02 / M01
    gross_ticket_income: float  # M09
    financial_capacity: float  # M11 = Σ capacity × max face value
    performances_without_price: int
    financial_utilisation: float | None  # M12


def volume_and_capacity(session: Session, filters: Filters) -> VolumeCapacity:
    """Performances, tickets, capacity and utilisation (M01–M04, M06–M09, M11, M12).

    Basis: performance only (a ``transaction`` basis raises :class:`InputError`).

    Choices: performances are non-cancelled instances not flagged supplementary.
    Utilisation counts only performances whose capacity is known (the others are
    reported in ``performances_without_capacity``) so unknown capacity cannot push it
    above 100%. M11 prices every seat of a performance at the highest face value of any
    ticket line for it (returned ones included): an upper bound, because the box office
    does not tell us the full price of each seat; M12 uses the income of performances
    with both a capacity and a price.
    """
    basis = filters.basis_or("performance")
    if basis != "performance":
        raise InputError(
            "Capacity and utilisation are only defined by performance date.",
            hint="Use basis 'performance' for volume and capacity; ticket_sales() gives "
            "tickets and income by transaction date.",
        )
    facts.ensure_fresh(session, [filters.org_id])
    perf = _sql.performances(filters)
    sql = f"""
        WITH perf AS ({perf.text}),
        t AS (
            -- ticket lines per performance, kept by the facts build
            SELECT l.instance_id, l.tickets, l.paid, l.comps, l.income_pence AS income,
                   l.full_price_pence AS full_price
            FROM {_sql.INSTANCE_FACTS} l
            WHERE l.org_id = ? AND l.starts_at >= ? AND l.starts_at < ?
        )
        SELECT COUNT(*),
               COALESCE(SUM(t.tickets), 0),
               COALESCE(SUM(t.paid), 0),
               COALESCE(SUM(t.comps), 0),
               SUM(p.capacity),
               COUNT(*) FILTER (WHERE p.capacity IS NULL),
               SUM(t.tickets) FILTER (WHERE p.capacity IS NOT NULL),
               SUM(t.paid) FILTER (WHERE p.capacity IS NOT NULL),
               SUM(t.income),
               SUM(p.capacity * t.full_price),
               COUNT(*) FILTER (WHERE t.full_price IS NULL),
               SUM(t.income) FILTER (WHERE p.capacity IS NOT NULL AND t.full_price IS NOT NULL)
        FROM perf p LEFT JOIN t ON t.instance_id = p.instance_id
    """
    row = session.fetchone(
        sql, [*perf.params, filters.org_id, filters.period.start_at, filters.period.end_at]
    )
    assert row is not None
    (
        n_perf,
        tickets,
        paid,
        comps,
        capacity,
        no_cap,
        tickets_cap,
        paid_cap,
        income,
        fin_cap,
        no_price,
        income_fin,
    ) = row
    n_perf, tickets, capacity = _sql.as_int(n_perf), _sql.as_int(tickets), _sql.as_int(capacity)
    # the instance rollup keeps money in pence
    income, fin_cap, income_fin = (_sql.pounds(v) for v in (income, fin_cap, income_fin))
    return VolumeCapacity(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        performances=n_perf,
        tickets_issued=tickets,
        paid_tickets=_sql.as_int(paid),
        comp_tickets=_sql.as_int(comps),
        capacity=capacity,
        performances_without_capacity=_sql.as_int(no_cap),
        utilisation=_sql.ratio(_sql.as_int(tickets_cap), capacity),
        paid_utilisation=_sql.ratio(_sql.as_int(paid_cap), capacity),
        average_audience=_sql.ratio(tickets, n_perf),
        gross_ticket_income=_sql.money(income),
        financial_capacity=_sql.money(fin_cap),
        performances_without_price=_sql.as_int(no_price),
        financial_utilisation=_sql.ratio(income_fin or 0, fin_cap or 0),
    )
