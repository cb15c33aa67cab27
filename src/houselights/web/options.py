"""What the dashboard's filter menus offer for one organisation: venues, seasons, years.

A small read of published catalogue tables, always scoped to one organisation.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from houselights.insights import financial_year_of
from houselights.warehouse.base import Session

__all__ = ["filter_options"]


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def filter_options(session: Session, org_id: str) -> dict[str, Any]:
    """``venues`` (id, name), ``seasons``, the ``financial_years`` its performances
    span (newest first, labels such as ``2024/25``), and the ``default_year`` to open on.

    The default is the financial year of the latest performance that had taken place by
    ``data_until``, the day of the organisation's latest order — the data's own "today".
    Not the calendar's: a box office feed that stopped, or simulated data, would
    otherwise open on a year with a few weeks of advance sales and look empty."""
    venues = session.fetch_dicts(
        "SELECT venue_id, name FROM venues WHERE org_id = ? ORDER BY name, venue_id", [org_id]
    )
    seasons = [
        str(r[0])
        for r in session.fetchall(
            "SELECT DISTINCT season FROM events WHERE org_id = ? AND season IS NOT NULL"
            " ORDER BY season",
            [org_id],
        )
    ]
    span = session.fetchone(
        "SELECT MIN(starts_at), MAX(starts_at) FROM instances WHERE org_id = ?", [org_id]
    )
    years: list[str] = []
    first, last = (_day(span[0]), _day(span[1])) if span else (None, None)
    if first and last:
        year = financial_year_of(last)
        while year.end > first:
            years.append(year.label)
            year = year.previous()
    last_order = _day(
        session.scalar("SELECT MAX(created_at) FROM orders WHERE org_id = ?", [org_id])
    )
    default = None
    if last_order is not None:
        played = _day(
            session.scalar(
                "SELECT MAX(starts_at) FROM instances WHERE org_id = ? AND NOT cancelled"
                " AND NOT is_supplementary AND starts_at < ?",
                [org_id, datetime.combine(last_order, datetime.min.time()) + timedelta(days=1)],
            )
        )
        default = financial_year_of(played).label if played else None
    if default is None and last is not None:  # only advance sales so far
        default = financial_year_of(last).label
    return {
        "venues": venues,
        "seasons": seasons,
        "financial_years": years,
        "default_year": default,
        "data_until": last_order,
    }
