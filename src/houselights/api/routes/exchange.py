"""Exchange runs, their quality-check results and quarantined rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from houselights.api.deps import Ctx, PageQuery, Slug, paged
from houselights.api.models import CheckResultOut, PageOut, QuarantinedRowOut, RunOut
from houselights.services.exchange import check_results, list_runs, quarantined_rows

__all__ = ["router"]

router = APIRouter(tags=["runs and data quality"])

RunId = Annotated[
    str | None, Query(max_length=64, description="One run (default: see the route).")
]


@router.get("/orgs/{slug}/runs", summary="Exchange runs", response_model=PageOut[RunOut])
def runs(ctx: Ctx, request: Request, slug: Slug, page: PageQuery) -> dict[str, Any]:
    """The organisation's runs, newest first, with row counts and outcome."""
    rows = list_runs(ctx.session, ctx.org(slug, "manage"), limit=page.stop)
    return paged(request, page, rows)


@router.get(
    "/orgs/{slug}/checks", summary="Quality-check results", response_model=PageOut[CheckResultOut]
)
def checks(
    ctx: Ctx, request: Request, slug: Slug, page: PageQuery, run_id: RunId = None
) -> dict[str, Any]:
    """Check results of one run (default: the latest run that ran checks)."""
    rows = check_results(ctx.session, ctx.org(slug, "manage"), run_id=run_id)
    return paged(request, page, rows)


@router.get(
    "/orgs/{slug}/quarantine", summary="Quarantined rows", response_model=PageOut[QuarantinedRowOut]
)
def quarantine(
    ctx: Ctx, request: Request, slug: Slug, page: PageQuery, run_id: RunId = None
) -> dict[str, Any]:
    """Rows held back by quality checks (default: of every run), newest run first."""
    rows = quarantined_rows(ctx.session, ctx.org(slug, "manage"), run_id=run_id, limit=page.stop)
    return paged(request, page, rows)
