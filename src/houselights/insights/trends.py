"""Monthly trends: issued lines and income by line kind, month by month, over years.

What a box office manager compares first: this month against the same month last year,
and whether the year is ahead or behind. One query over the facts the income metric
already keeps (``INC`` in docs/metrics.md), grouped by calendar month instead of summed
over the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.metrics.income import LINE_KINDS
from houselights.insights.periods import Basis, Period, add_months
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = ["DEFAULT_TREND_MONTHS", "MonthKind", "MonthlyTrends", "monthly_trends"]

DEFAULT_TREND_MONTHS = 36
"""Three years of months: enough to see a season come round twice against the last."""


@dataclass(frozen=True)
class MonthKind(InsightResult):
    """Issued lines and their income of one kind in one calendar month.

    For ``ticket`` the lines are tickets issued (M02 counted by month) and the income is
    gross ticket income (M09 by month)."""

    month: str  # YYYY-MM
    kind: str
    lines: int
    income: float


@dataclass(frozen=True)
class MonthlyTrends(InsightResult):
    """Every month of the window × every line kind (zero when nothing was sold)."""

    org_id: str
    period: Period  # the whole window: ``months`` calendar months
    basis: Basis
    months: int
    rows: tuple[MonthKind, ...]


def trend_window(period: Period, months: int) -> Period:
    """The ``months`` whole calendar months ending with the month of the period's last
    day (so a financial year shows itself and the years before it)."""
    last = period.last_day
    end = add_months(date(last.year, last.month, 1), 1)
    return Period(add_months(end, -months), end)


def monthly_trends(
    session: Session, filters: Filters, months: int = DEFAULT_TREND_MONTHS
) -> MonthlyTrends:
    """Issued lines and income per calendar month and line kind, for the ``months``
    months ending with the last month of ``filters.period``.

    Basis: **performance by default** here (unlike ``income_by_kind``), so the ticket
    line of a month adds up to the month's tickets and income on the other pages; lines
    with no performance (donations, memberships) are dated by their order, as in INC.
    Choices: the same lines as INC — issued lines, none of a cancelled performance; with
    a venue/season/event slice only lines of a matching performance.
    """
    basis = filters.basis_or("performance")
    window = trend_window(filters.period, months)
    facts.ensure_fresh(session, [filters.org_id])
    sliced = _sql.slice_conditions(filters, "t")
    if sliced.text:
        at = "t.created_at" if basis == "transaction" else "COALESCE(t.starts_at, t.created_at)"
        rows = session.fetchall(
            f"""
            SELECT EXTRACT(YEAR FROM {at}), EXTRACT(MONTH FROM {at}), t.kind, COUNT(*),
                   SUM(t.price_paid)
            FROM {_sql.LINE_FACTS} t
            WHERE t.org_id = ? AND t.status = 'issued' AND NOT t.cancelled
              AND {at} >= ? AND {at} < ? AND {sliced.text}
            GROUP BY 1, 2, 3
            """,
            [filters.org_id, window.start_at, window.end_at, *sliced.params],
        )
    else:
        rows = session.fetchall(
            f"""
            SELECT EXTRACT(YEAR FROM d.day), EXTRACT(MONTH FROM d.day), d.kind, SUM(d.lines),
                   SUM(d.income_pence)
            FROM {_sql.DAY_FACTS} d
            WHERE d.org_id = ? AND d.basis = ? AND d.day >= ? AND d.day < ?
            GROUP BY 1, 2, 3
            """,
            [filters.org_id, basis, window.start, window.end],
        )
        rows = [(y, m, kind, n, _sql.pounds(pence)) for y, m, kind, n, pence in rows]
    found = {
        (f"{int(y):04d}-{int(m):02d}", str(kind)): (_sql.as_int(n), _sql.money(income))
        for y, m, kind, n, income in rows
    }
    kinds = [*LINE_KINDS, *sorted({k for _, k in found} - set(LINE_KINDS))]
    labels = []
    month = window.start
    while month < window.end:
        labels.append(f"{month.year:04d}-{month.month:02d}")
        month = add_months(month, 1)
    return MonthlyTrends(
        org_id=filters.org_id,
        period=window,
        basis=basis,
        months=months,
        rows=tuple(
            MonthKind(label, kind, *found.get((label, kind), (0, 0.0)))
            for label in labels
            for kind in kinds
        ),
    )
