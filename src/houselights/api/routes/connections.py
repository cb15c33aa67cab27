"""Box office connections (secrets redacted), their status and the setup check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from houselights.api.deps import Ctx, Name, PageQuery, Slug, paged
from houselights.api.errors import ErrorBody
from houselights.api.models import ConnectionOut, ConnectionStatusOut, PageOut, SetupCheckOut
from houselights.orgs.service import get_connection, list_connections
from houselights.services import connections as svc

__all__ = ["router"]

router = APIRouter(tags=["connections"])


@router.get(
    "/orgs/{slug}/connections", summary="Connections", response_model=PageOut[ConnectionOut]
)
def connections(ctx: Ctx, request: Request, slug: Slug, page: PageQuery) -> dict[str, Any]:
    """The organisation's box office connections; secrets only by name, redacted."""
    rows = list_connections(ctx.session, ctx.org(slug, "manage"), ctx.hl.vault)
    return paged(request, page, [c.redacted() for c in rows])


@router.get(
    "/orgs/{slug}/connections/{source}", summary="One connection", response_model=ConnectionOut
)
def connection(ctx: Ctx, slug: Slug, source: Name) -> dict[str, Any]:
    """One connection; secrets only by name, redacted."""
    return get_connection(ctx.session, ctx.org(slug, "manage"), source, ctx.hl.vault).redacted()


@router.get(
    "/orgs/{slug}/connections/{source}/status",
    summary="Connection status",
    response_model=ConnectionStatusOut,
)
def connection_status(ctx: Ctx, slug: Slug, source: Name) -> dict[str, Any]:
    """Last success, lag per stream, last error and next run of the connection."""
    org_id = ctx.org(slug, "manage")
    get_connection(ctx.session, org_id, source)
    return svc.connection_status(ctx.hl, org_id, source).to_dict()


@router.post(
    "/orgs/{slug}/connections/{source}/setup-check",
    summary="Run the setup check",
    response_model=SetupCheckOut,
    responses={502: {"model": ErrorBody, "description": "The box office failed to answer"}},
)
def setup_check(ctx: Ctx, slug: Slug, source: Name) -> dict[str, Any]:
    """Verify the connection's setup against the integration guide, step by step, with
    the fix for each failing step. Calls the box office, hence POST."""
    org_id = ctx.org(slug, "manage")
    get_connection(ctx.session, org_id, source)
    return svc.check_setup(ctx.hl, org_id, source).to_dict()
