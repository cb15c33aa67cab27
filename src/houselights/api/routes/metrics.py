"""Standard metrics: the catalogue, one metric by id, and the metric families the
dashboard draws (one query answers a whole family)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_type_hints

from fastapi import APIRouter, Query

from houselights import insights as hi
from houselights.api.deps import Ctx, FilterQuery, Name, Slug
from houselights.api.models import MetricDefinitionOut, model_of
from houselights.insights.geography import GeographyLevel
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


@router.get(
    "/orgs/{slug}/metrics/{metric_id}",
    summary="One metric",
    response_model=model_of(hi.MetricValue),
)
def metric(ctx: Ctx, slug: Slug, metric_id: Name, filters: FilterQuery) -> dict[str, Any]:
    """One catalogued metric (ids as in docs/metrics.md) for the period and slice."""
    scoped = filters.for_org(ctx.org(slug, "data"))
    return hi.compute_metric(ctx.session, metric_id, scoped).to_dict()


def _family_route(name: str, family: Family) -> None:
    def endpoint(ctx: Ctx, slug: Slug, filters: FilterQuery) -> dict[str, Any]:
        return family(ctx.session, filters.for_org(ctx.org(slug, "data"))).to_dict()

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
