"""Standard metrics: the catalogue, one metric by id, and the metric families the
dashboard draws (one query answers a whole family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_type_hints

from fastapi import APIRouter, Query

from houselights import insights as hi
from houselights.api.deps import Ctx, FilterQuery, Name, Slug
from houselights.api.models import MetricDefinitionOut, model_of
from houselights.insights.definitions import Definitions, definitions
from houselights.insights.geography import GeographyLevel
from houselights.insights.maps import MapLevel, MapPlaces, PlacedDistribution, map_cells, map_places
from houselights.insights.trends import DEFAULT_TREND_MONTHS, MonthlyTrends, monthly_trends
from houselights.warehouse.base import Session

__all__ = ["FAMILIES", "router"]

router = APIRouter(tags=["metrics"])

Family = Callable[[Session, hi.Filters], hi.InsightResult]

FAMILIES: dict[str, Family] = {
    "ticket-sales": hi.ticket_sales,
    "volume-capacity": hi.volume_and_capacity,
    "income": hi.income_by_kind,
    "reach": hi.reach,
    "loyalty": hi.loyalty,
    "retention": hi.retention,
    "lapsed": hi.lapsed,
    "first-timer-return": hi.first_timer_return,
    "bookings-channels": hi.bookings_and_channels,
    "lead-time": hi.lead_time,
}
"""Route name → family function; each becomes ``GET /orgs/{slug}/insights/<name>``."""


@router.get("/metrics", summary="Metric catalogue", response_model=list[MetricDefinitionOut])
def catalogue(ctx: Ctx) -> list[dict[str, Any]]:
    """Every metric id with its name, unit, default basis and family."""
    return [d.to_dict() for d in hi.METRICS.values()]


@router.get("/definitions", summary="What every figure means", response_model=model_of(Definitions))
def metric_definitions(ctx: Ctx) -> dict[str, Any]:
    """Every metric and report with its formula, basis and the choices made, as in
    docs/metrics.md (shipped with the package), and the common rules."""
    return definitions().to_dict()


@router.get(
    "/orgs/{slug}/metrics/{metric_id}",
    summary="One metric",
    response_model=model_of(hi.MetricValue),
)
def metric(ctx: Ctx, slug: Slug, metric_id: Name, filters: FilterQuery) -> dict[str, Any]:
    """One catalogued metric (ids as in docs/metrics.md) for the period and slice. A
    metric defined by performance date only answers on it whatever the basis."""
    known = hi.METRICS.get(metric_id)
    by_performance = known is not None and "transaction" not in known.bases
    scoped = filters.for_org(ctx.org(slug, "data"), performance_only=by_performance)
    return hi.compute_metric(ctx.session, metric_id, scoped).to_dict()


PERFORMANCE_ONLY = frozenset({"volume-capacity"})
"""Families defined by performance date only: they answer on it whatever the basis."""


def _family_route(name: str, family: Family) -> None:
    by_performance = name in PERFORMANCE_ONLY

    def endpoint(ctx: Ctx, slug: Slug, filters: FilterQuery) -> dict[str, Any]:
        scoped = filters.for_org(ctx.org(slug, "data"), performance_only=by_performance)
        return family(ctx.session, scoped).to_dict()

    doc = (family.__doc__ or "").strip().split("\n\n")[0]
    endpoint.__name__ = f"insight_{name.replace('-', '_')}"
    router.add_api_route(
        f"/orgs/{{slug}}/insights/{name}",
        endpoint,
        methods=["GET"],
        summary=name.replace("-", " ").capitalize(),
        description=doc,
        response_model=model_of(get_type_hints(family)["return"]),
    )


for _name, _family in FAMILIES.items():
    _family_route(_name, _family)


@router.get(
    "/orgs/{slug}/insights/geography",
    summary="Geography",
    response_model=model_of(hi.GeographicDistribution),
)
def geography(
    ctx: Ctx,
    slug: Slug,
    filters: FilterQuery,
    level: Annotated[GeographyLevel, Query(description="Geographic level.")] = "region",
) -> dict[str, Any]:
    """Bookers, tickets and income by region, postcode area or district (or, with the ONS
    Postcode Directory loaded, local authority or LSOA)."""
    scoped = filters.for_org(ctx.org(slug, "data"))
    return hi.geographic_distribution(ctx.session, scoped, level).to_dict()


@router.get(
    "/orgs/{slug}/insights/trends",
    summary="Monthly trends",
    response_model=model_of(MonthlyTrends),
)
def trends(
    ctx: Ctx,
    slug: Slug,
    filters: FilterQuery,
    months: Annotated[
        int, Query(ge=1, le=120, description="Calendar months, ending with the period's last.")
    ] = DEFAULT_TREND_MONTHS,
) -> dict[str, Any]:
    """Issued lines and income per calendar month and line kind (tickets are the
    ``ticket`` lines), over the months ending with the period's last month."""
    scoped = filters.for_org(ctx.org(slug, "data"))
    return monthly_trends(ctx.session, scoped, months).to_dict()


@router.get(
    "/orgs/{slug}/insights/geography-map",
    summary="Geography, placed on a map",
    response_model=model_of(PlacedDistribution),
)
def geography_map(
    ctx: Ctx,
    slug: Slug,
    filters: FilterQuery,
    level: Annotated[MapLevel, Query(description="Postcode area or region.")] = "area",
) -> dict[str, Any]:
    """Bookers, tickets and income by postcode area or region, each with the point it
    is drawn at (shipped with the package); places with fewer bookers than the
    suppression threshold are kept without figures."""
    scoped = filters.for_org(ctx.org(slug, "data"))
    return map_cells(ctx.session, scoped, level, ctx.suppression).to_dict()


@router.get(
    "/geography/places", summary="Postcode areas on the map", response_model=model_of(MapPlaces)
)
def places(ctx: Ctx) -> dict[str, Any]:
    """Every UK postcode area with the point it is drawn at (reference data shipped with
    the package, no organisation's figures)."""
    return map_places().to_dict()
