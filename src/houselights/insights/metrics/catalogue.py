"""The metric catalogue: every metric id, what computes it, and a one-call lookup.

Metrics are computed in families (one query answers several related metrics, which is
what a dashboard page needs); :data:`METRICS` says which family function and which field
of its result holds each metric, so ``compute_metric(session, "M07", filters)`` works for
the CLI and the ``/metrics/{id}`` API route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from houselights.errors import NotFoundError
from houselights.insights.filters import Filters
from houselights.insights.geography import geographic_distribution
from houselights.insights.metrics.bookings import bookings_and_channels, lead_time
from houselights.insights.metrics.income import income_by_kind, ticket_sales
from houselights.insights.metrics.loyalty import first_timer_return, lapsed, loyalty, retention
from houselights.insights.metrics.reach import reach
from houselights.insights.metrics.volume import volume_and_capacity
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult, plain
from houselights.warehouse.base import Session

__all__ = ["METRICS", "MetricDefinition", "MetricValue", "compute_metric"]

Unit = Literal["count", "ratio", "gbp", "days", "table"]


@dataclass(frozen=True)
class MetricDefinition:
    """One catalogued metric."""

    metric_id: str
    name: str
    unit: Unit
    default_basis: Basis
    bases: tuple[Basis, ...]
    family: Callable[[Session, Filters], InsightResult]
    field: str  # attribute of the family result holding the value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (for a metric list endpoint)."""
        return {
            "metric_id": self.metric_id,
            "name": self.name,
            "unit": self.unit,
            "default_basis": self.default_basis,
            "bases": list(self.bases),
            "family": self.family.__name__,
            "field": self.field,
        }


_BOTH: tuple[Basis, ...] = ("performance", "transaction")
_PERF: tuple[Basis, ...] = ("performance",)


def _d(
    mid: str,
    name: str,
    unit: Unit,
    family: Callable[..., Any],
    field: str,
    bases: tuple[Basis, ...] = _BOTH,
    default: Basis = "performance",
) -> MetricDefinition:
    return MetricDefinition(mid, name, unit, default, bases, family, field)


METRICS: dict[str, MetricDefinition] = {
    m.metric_id: m
    for m in (
        _d("M01", "Performances", "count", volume_and_capacity, "performances", _PERF),
        _d("M02", "Tickets issued", "count", ticket_sales, "tickets_issued"),
        _d("M03", "Paid tickets", "count", ticket_sales, "paid_tickets"),
        _d("M04", "Complimentary tickets", "count", ticket_sales, "comp_tickets"),
        _d("M06", "Capacity (sellable)", "count", volume_and_capacity, "capacity", _PERF),
        _d("M07", "Capacity utilisation", "ratio", volume_and_capacity, "utilisation", _PERF),
        _d(
            "M07p",
            "Paid capacity utilisation",
            "ratio",
            volume_and_capacity,
            "paid_utilisation",
            _PERF,
        ),
        _d(
            "M08",
            "Average audience per performance",
            "count",
            volume_and_capacity,
            "average_audience",
            _PERF,
        ),
        _d("M09", "Gross ticket income", "gbp", ticket_sales, "gross_ticket_income"),
        _d(
            "M10",
            "Average ticket yield (per paid ticket)",
            "gbp",
            ticket_sales,
            "yield_per_paid_ticket",
        ),
        _d("M10b", "Yield per ticket issued", "gbp", ticket_sales, "yield_per_ticket"),
        _d("M11", "Financial capacity", "gbp", volume_and_capacity, "financial_capacity", _PERF),
        _d(
            "M12",
            "Financial utilisation",
            "ratio",
            volume_and_capacity,
            "financial_utilisation",
            _PERF,
        ),
        _d("M13", "Discount rate", "ratio", ticket_sales, "discount_rate"),
        _d("M14", "Concession share", "ratio", ticket_sales, "concession_share"),
        _d("M15", "Income per booker", "gbp", ticket_sales, "income_per_booker"),
        _d("INC", "Income by line kind", "table", income_by_kind, "kinds", _BOTH, "transaction"),
        _d("M16", "Bookings", "count", bookings_and_channels, "bookings"),
        _d("M17", "Tickets per booking", "ratio", bookings_and_channels, "tickets_per_booking"),
        _d("M18", "Channel mix", "table", bookings_and_channels, "channels"),
        _d("M19", "Booking lead time (median days)", "days", lead_time, "median_days"),
        _d("M19b", "Booking lead time buckets", "table", lead_time, "buckets"),
        _d("M20", "Bookers", "count", reach, "bookers"),
        _d("M21", "Data capture rate", "ratio", reach, "data_capture_rate"),
        _d("M22", "Postcode capture rate", "ratio", reach, "postcode_capture_rate"),
        _d("M25", "Average rate of attendance", "ratio", loyalty, "average_frequency"),
        _d("M26", "Frequency bands", "table", loyalty, "bands"),
        _d("M30", "New bookers", "count", loyalty, "new_bookers"),
        _d("M31", "Returning bookers", "count", loyalty, "returning_bookers"),
        _d("M32", "Share of new bookers", "ratio", loyalty, "new_share"),
        _d("M33", "Retention rate", "ratio", retention, "retention_rate"),
        _d("M34", "Re-attendance within period", "ratio", loyalty, "reattendance_rate"),
        _d("M35", "First-timer return rate", "table", first_timer_return, "windows"),
        _d("M36", "Lapsed bookers", "table", lapsed, "thresholds"),
        _d("M40", "Income share of repeat bookers", "ratio", loyalty, "repeat_income_share"),
        _d("M43", "Geographic distribution (region)", "table", geographic_distribution, "cells"),
    )
}
"""Every catalogued metric by id (spec ids; ``M07p``, ``M19b`` and ``INC`` are ours)."""


@dataclass(frozen=True)
class MetricValue(InsightResult):
    """One metric's value for one organisation and period."""

    metric_id: str
    name: str
    unit: Unit
    org_id: str
    period: Period
    basis: Basis
    value: Any  # a number, None when undefined, or a list of rows for ``table`` metrics


def compute_metric(session: Session, metric_id: str, filters: Filters) -> MetricValue:
    """Compute one catalogued metric (see :data:`METRICS`).

    Runs the metric's family query; call the family function directly when you need
    several metrics of the same family (one query instead of several).
    """
    definition = METRICS.get(metric_id)
    if definition is None:
        raise NotFoundError(
            f"There is no metric {metric_id!r}.",
            hint=f"Known metrics: {', '.join(METRICS)} (see docs/metrics.md).",
        )
    result = definition.family(session, filters)
    value = getattr(result, definition.field)
    if definition.unit == "table":
        value = plain(value)
    return MetricValue(
        metric_id=definition.metric_id,
        name=definition.name,
        unit=definition.unit,
        org_id=filters.org_id,
        period=filters.period,
        basis=getattr(result, "basis", filters.basis_or(definition.default_basis)),
        value=value,
    )
