"""Who am I, which organisations I may see, and the filter choices of one of them."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request

from houselights.api.auth import visible_orgs
from houselights.api.deps import Ctx, PageQuery, Slug, paged
from houselights.api.models import FilterOptionsOut, MeOut, OrganisationOut, PageOut
from houselights.orgs.service import get_org
from houselights.web.options import filter_options

__all__ = ["router"]

router = APIRouter(tags=["organisations"])


@router.get("/me", summary="The calling token", response_model=MeOut)
def me(ctx: Ctx) -> dict[str, Any]:
    """The token's kind and subject, and the organisations it may see."""
    return {**ctx.principal.to_dict(), "orgs": visible_orgs(ctx.session, ctx.principal)}


@router.get("/orgs", summary="Organisations", response_model=PageOut[OrganisationOut])
def orgs(ctx: Ctx, request: Request, page: PageQuery) -> dict[str, Any]:
    """The organisations the token may see (admin: all; org: itself; recipient: those that
    granted it access), by slug."""
    result = paged(request, page, visible_orgs(ctx.session, ctx.principal))
    result["items"] = [dataclasses.asdict(get_org(ctx.session, s)) for s in result["items"]]
    return result


@router.get("/orgs/{slug}", summary="One organisation", response_model=OrganisationOut)
def org(ctx: Ctx, slug: Slug) -> dict[str, Any]:
    """The organisation's name, region and artform."""
    ctx.org(slug, "view")
    return dataclasses.asdict(get_org(ctx.session, slug))


@router.get(
    "/orgs/{slug}/filter-options",
    summary="Venues and seasons to filter by",
    response_model=FilterOptionsOut,
)
def options(ctx: Ctx, slug: Slug) -> dict[str, Any]:
    """The organisation's venues (id and name) and seasons, for filter menus."""
    return filter_options(ctx.session, ctx.org(slug, "data"))
