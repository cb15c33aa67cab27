"""Standard reports of one organisation: Event ID, sales by event and by performance,
the funder quarterly activity report and the data-quality report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from houselights import insights as hi
from houselights.api.deps import MAX_TEXT, Ctx, FilterQuery, PageQuery, Slug, paged
from houselights.api.models import PageOut, PeriodOut, model_of
from houselights.insights.events import EventDetail, event_detail
from houselights.insights.reports import EventIdRow

__all__ = ["router"]

router = APIRouter(tags=["reports"])


class EventIdPageOut(PageOut[model_of(EventIdRow)]):  # type: ignore[misc]
    """A page of the Event ID report, with the organisation and period it covers."""

    org_id: str
    period: PeriodOut


@router.get(
    "/orgs/{slug}/reports/event-id", summary="Event ID report", response_model=EventIdPageOut
)
def event_id(
    ctx: Ctx, request: Request, slug: Slug, filters: FilterQuery, page: PageQuery
) -> dict[str, Any]:
    """Event ID, name, first and last instance of every event with an instance in the
    period — what a funded organisation gives Illuminate. Paged over its rows."""
    report = hi.event_id_report(ctx.session, filters.for_org(ctx.org(slug, "reports")))
    return {
        "org_id": report.org_id,
        "period": report.period.to_dict(),
        **paged(request, page, report.rows),
    }


@router.get(
    "/orgs/{slug}/reports/sales-by-event",
    summary="Sales by event",
    response_model=PageOut[model_of(hi.EventSales)],  # type: ignore[misc]
)
def sales_by_event(
    ctx: Ctx, request: Request, slug: Slug, filters: FilterQuery, page: PageQuery
) -> dict[str, Any]:
    """Performances, capacity, tickets, income and utilisation of each event."""
    rows = hi.sales_by_event(
        ctx.session, filters.for_org(ctx.org(slug, "reports"), performance_only=True)
    )
    return paged(request, page, rows)


@router.get(
    "/orgs/{slug}/reports/sales-by-instance",
    summary="Sales by performance",
    response_model=PageOut[model_of(hi.InstanceSales)],  # type: ignore[misc]
)
def sales_by_instance(
    ctx: Ctx, request: Request, slug: Slug, filters: FilterQuery, page: PageQuery
) -> dict[str, Any]:
    """Tickets, returns, income and utilisation of each performance."""
    rows = hi.sales_by_instance(
        ctx.session, filters.for_org(ctx.org(slug, "reports"), performance_only=True)
    )
    return paged(request, page, rows)


@router.get(
    "/orgs/{slug}/reports/funder-quarterly",
    summary="Funder quarterly activity",
    response_model=model_of(hi.QuarterlyActivityReport),
)
def funder_quarterly(ctx: Ctx, slug: Slug, filters: FilterQuery) -> dict[str, Any]:
    """Events, performances, attendance, capacity and income per financial quarter."""
    scoped = filters.for_org(ctx.org(slug, "reports"), performance_only=True)
    return hi.funder_quarterly_report(ctx.session, scoped).to_dict()


@router.get(
    "/orgs/{slug}/reports/data-quality",
    summary="Data-quality report",
    response_model=model_of(hi.DataQualityReport),
)
def data_quality(
    ctx: Ctx,
    slug: Slug,
    filters: FilterQuery,
    runs: Annotated[int, Query(ge=1, le=200, description="How many recent runs.")] = 20,
) -> dict[str, Any]:
    """Recent runs, their check results and quarantined rows grouped by check."""
    scoped = filters.for_org(ctx.org(slug, "manage"))
    return hi.data_quality_report(ctx.session, scoped, runs=runs).to_dict()


@router.get(
    "/orgs/{slug}/events/{event_id}",
    summary="One event: performances, price types, booking curve",
    response_model=model_of(EventDetail),
)
def event(
    ctx: Ctx,
    slug: Slug,
    event_id: Annotated[str, Path(max_length=MAX_TEXT, description="The event's id.")],
) -> dict[str, Any]:
    """An event across all its dates: each performance's capacity, tickets and income,
    tickets by price type, and the booking curve (tickets by days before the
    performance). Not limited by a period."""
    return event_detail(ctx.session, ctx.org(slug, "reports"), event_id).to_dict()
