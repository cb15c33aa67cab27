"""SQL building blocks shared by every insight (internal).

All SQL here is in the subset DuckDB and PostgreSQL share (checked by running every
insight on both in the tests). Ratios are computed in Python from counts and sums
so both backends give bit-identical answers (integer division differs between them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period

LINE_FACTS = "insight_line_facts"
BOOKER_FACTS = "insight_booker_facts"
OCCASION_FACTS = "insight_occasion_facts"
INSTANCE_FACTS = "insight_instance_facts"
DAY_FACTS = "insight_day_facts"

# valid_ticket(t) from specs/metrics.md §1.1, on the line facts (alias t). The facts store
# a ticket for a supplementary instance as kind 'supplementary' (a product sale, never
# attendance), and a line whose instance is unknown has no start.
VALID_TICKET = (
    "t.kind = 'ticket' AND t.status = 'issued' AND NOT t.cancelled AND t.starts_at IS NOT NULL"
)


def paid(alias: str) -> str:
    """paid(t): a valid ticket that is not a comp and cost more than nothing."""
    return f"(NOT {alias}.is_comp AND {alias}.price_paid > 0)"


def comp(alias: str) -> str:
    """comp(t): a valid ticket flagged complimentary or issued at no charge."""
    return f"({alias}.is_comp OR {alias}.price_paid = 0)"


# The columns every valid-ticket scope exposes (alias vt in callers).
TICKET_COLUMNS = (
    "t.org_id, t.order_id, t.instance_id, t.event_id, t.venue_id, t.capacity, t.starts_at, "
    "t.created_at, t.customer_id, t.channel, t.price_paid, t.face_value, t.is_comp, "
    "t.is_concession"
)


@dataclass
class Sql:
    """A SQL fragment and its ``?`` parameters, in order."""

    text: str
    params: list[Any] = field(default_factory=list)


def placeholders(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an IN list."""
    return ", ".join("?" for _ in values)


def basis_column(basis: Basis) -> str:
    """The timestamp that dates a ticket under ``basis``."""
    return "t.starts_at" if basis == "performance" else "t.created_at"


def slice_conditions(filters: Filters, instance_alias: str = "i") -> Sql:
    """Venue, season and event conditions on an instances alias (may be empty)."""
    parts: list[str] = []
    params: list[Any] = []
    if filters.venue_ids:
        parts.append(f"{instance_alias}.venue_id IN ({placeholders(filters.venue_ids)})")
        params.extend(filters.venue_ids)
    if filters.event_ids:
        parts.append(f"{instance_alias}.event_id IN ({placeholders(filters.event_ids)})")
        params.extend(filters.event_ids)
    if filters.seasons:
        parts.append(
            f"{instance_alias}.event_id IN (SELECT e.event_id FROM events e "
            f"WHERE e.org_id = ? AND e.season IN ({placeholders(filters.seasons)}))"
        )
        params.extend([filters.org_id, *filters.seasons])
    return Sql(" AND ".join(f"({p})" for p in parts), params)


def ticket_scope(
    org_ids: Sequence[str],
    basis: Basis,
    *,
    period: Period | None,
    sliced: Sql | None = None,
    before: datetime | None = None,
    extra_columns: str = "",
) -> Sql:
    """A SELECT of the valid ticket lines of ``org_ids`` (one organisation, or a
    benchmark cohort) from the line facts (call ``facts.ensure_fresh`` first), dated by
    ``basis``, within ``period`` (None = all history) and strictly before ``before``.
    Rows carry :data:`TICKET_COLUMNS` plus ``at``, the date that placed the ticket.
    """
    at = basis_column(basis)
    one = len(org_ids) == 1
    where = ["t.org_id = ?" if one else f"t.org_id IN ({placeholders(org_ids)})", VALID_TICKET]
    params: list[Any] = list(org_ids)
    if period is not None:
        where.append(f"{at} >= ? AND {at} < ?")
        params.extend([period.start_at, period.end_at])
    if before is not None:
        where.append(f"{at} < ?")
        params.append(before)
    if sliced is not None and sliced.text:
        where.append(sliced.text)
        params.extend(sliced.params)
    extra = f", {extra_columns}" if extra_columns else ""
    text = (
        f"SELECT {TICKET_COLUMNS}, {at} AS at{extra} FROM {LINE_FACTS} t "
        f"WHERE {' AND '.join(where)}"
    )
    return Sql(text, params)


# The columns of an occasions scope (alias in callers: vt).
OCCASION_COLUMNS = (
    "o.org_id, o.customer_key, o.order_key, o.instance_key, o.starts_at, o.created_at, "
    "o.lead_days, o.channel, o.tickets, o.paid, o.comps, o.concessions, "
    "o.income_pence, o.face_paid_pence, o.discount_pence, o.has_postcode, o.region, "
    "o.postcode_area, "
    "o.postcode_district, o.first_performance_at, o.first_order_at"
)


def occasions(
    org_ids: Sequence[str],
    basis: Basis,
    *,
    period: Period | None,
    before: datetime | None = None,
) -> Sql:
    """A SELECT of the valid tickets of ``org_ids`` rolled up per order and performance
    (``facts.OCCASION_FACTS``, alias o), dated by ``basis`` within ``period`` and before
    ``before``, with ``at``, the date that placed them. No slice: a venue/season/event
    slice needs the line facts (:func:`valid_tickets`)."""
    at = "o.starts_at" if basis == "performance" else "o.created_at"
    one = len(org_ids) == 1
    where = ["o.org_id = ?" if one else f"o.org_id IN ({placeholders(org_ids)})"]
    params: list[Any] = list(org_ids)
    if period is not None:
        where.append(f"{at} >= ? AND {at} < ?")
        params.extend([period.start_at, period.end_at])
    if before is not None:
        where.append(f"{at} < ?")
        params.append(before)
    text = f"SELECT {OCCASION_COLUMNS}, {at} AS at FROM {OCCASION_FACTS} o WHERE " + " AND ".join(
        where
    )
    return Sql(text, params)


def valid_tickets(
    filters: Filters,
    basis: Basis,
    *,
    period: Period | None = None,
    whole_period: bool = True,
    apply_slice: bool = True,
    before: datetime | None = None,
    extra_columns: str = "",
) -> Sql:
    """:func:`ticket_scope` for ``filters``: its organisation, its slice and its period
    (or ``period``; ``whole_period=False`` for all history)."""
    return ticket_scope(
        [filters.org_id],
        basis,
        period=(period or filters.period) if whole_period else None,
        sliced=slice_conditions(filters, "t") if apply_slice else None,
        before=before,
        extra_columns=extra_columns,
    )


def performances(filters: Filters, *, include_cancelled: bool = False) -> Sql:
    """A SELECT of the organisation's performances starting in the period (alias i)."""
    where = ["i.org_id = ?", "NOT i.is_supplementary", "i.starts_at >= ?", "i.starts_at < ?"]
    params: list[Any] = [filters.org_id, filters.period.start_at, filters.period.end_at]
    if not include_cancelled:
        where.append("NOT i.cancelled")
    sliced = slice_conditions(filters)
    if sliced.text:
        where.append(sliced.text)
        params.extend(sliced.params)
    return Sql(
        "SELECT i.instance_id, i.event_id, i.venue_id, i.capacity, i.starts_at, i.cancelled "
        f"FROM instances i WHERE {' AND '.join(where)}",
        params,
    )


def plus_months(column: str, months: int) -> str:
    """SQL for ``column`` moved forward by whole calendar months (clamped to month end).

    ``INTERVAL 'N months'`` means the same in DuckDB and PostgreSQL (31 Jan + 1 month =
    29 Feb in a leap year on both), so no dialect switch is needed.
    """
    return f"({column} + INTERVAL '{int(months)} months')"


# Conversions to plain Python -----------------------------------------------------------


def pounds(pence: Any) -> Decimal | None:
    """A sum of whole pence from the rollups as exact pounds (NULL → None)."""
    return None if pence is None else Decimal(int(pence)) / 100


def money(value: Any) -> float:
    """A money sum as float pounds rounded to pence (NULL → 0.0)."""
    if value is None:
        return 0.0
    return round(float(Decimal(value)), 2)


def ratio(numerator: Any, denominator: Any) -> float | None:
    """``numerator / denominator`` as a float, or None when the denominator is zero."""
    if denominator is None or numerator is None:
        return None
    den = Decimal(denominator)
    if den == 0:
        return None
    return float(Decimal(numerator) / den)


def as_int(value: Any) -> int:
    """A count as int (NULL → 0)."""
    return int(value) if value is not None else 0


def as_date(value: Any) -> date | None:
    """A timestamp or date as a date (NULL → None)."""
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def as_float(value: Any) -> float | None:
    """A number as float (NULL → None)."""
    return None if value is None else float(value)


def uniq(values: Iterable[str]) -> tuple[str, ...]:
    """Distinct values in first-seen order."""
    return tuple(dict.fromkeys(values))
