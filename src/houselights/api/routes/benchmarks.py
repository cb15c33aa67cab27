"""Benchmarks across organisations: only those that granted the viewer access, a cohort
of at least ``min_cohort``, small cells suppressed, no free-text labels.

The *viewer* is the recipient whose grants make the cohort: a recipient token is always
its own viewer; an org token is by default its own viewer (peers that granted it) and may
name a recipient it has itself granted benchmarks (so it only ever sees a cohort it is a
member of); an admin names any viewer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from houselights import insights as hi
from houselights.api.deps import MAX_TEXT, Ctx, PeriodParams, PeriodQuery, RequestContext, Slug
from houselights.api.models import CohortOut, RecipientsOut, model_of
from houselights.errors import InputError, PermissionDeniedError
from houselights.insights.benchmarks import Dimension
from houselights.orgs.service import granted_orgs, list_grants

__all__ = ["router"]

router = APIRouter(tags=["benchmarks"])

Viewer = Annotated[
    str | None,
    Query(
        max_length=MAX_TEXT,
        description="Recipient whose grants make the cohort (admin: required; org token: "
        "default itself, or a recipient it has granted benchmarks; recipient token: always "
        "itself).",
    ),
]
Region = Annotated[
    str | None, Query(max_length=MAX_TEXT, description="Narrow the cohort to one UK region.")
]
Artform = Annotated[
    str | None, Query(max_length=MAX_TEXT, description="Narrow the cohort to one artform.")
]


def _viewer(ctx: RequestContext, asked: str | None) -> str:
    principal = ctx.principal
    if principal.kind == "recipient":
        if asked not in (None, principal.subject):
            raise PermissionDeniedError(
                f"A token of '{principal.subject}' may not view the cohort of '{asked}'.",
                hint="Leave out 'viewer'; your own cohort is used.",
            )
        return principal.subject
    if principal.kind == "org":
        if asked is None or asked == principal.subject:
            return principal.subject
        # Its own grant puts the organisation in that cohort; without one, the cohort is
        # other organisations' figures, which only the recipient itself may see.
        if principal.subject not in granted_orgs(ctx.session, asked, "benchmarks"):
            raise PermissionDeniedError(
                f"Organisation '{principal.subject}' has not granted benchmarks to "
                f"'{asked}', so its token may not view that cohort.",
                hint="Leave out 'viewer' to compare with the organisations that granted "
                f"yours, or grant '{asked}' benchmarks first (`houselights grant add`).",
            )
        return asked
    if not asked:
        raise InputError(
            "An admin token must say whose cohort to benchmark.",
            hint="Add ?viewer=<recipient>, the name the grants were made to.",
        )
    return asked


@router.get("/benchmarks/cohort", summary="Benchmark cohort", response_model=CohortOut)
def cohort(
    ctx: Ctx, viewer: Viewer = None, region: Region = None, artform: Artform = None
) -> dict[str, Any]:
    """How many organisations share benchmarks with the viewer, and whether that is
    enough to show any. Members are listed only to an admin or the recipient itself."""
    who = _viewer(ctx, viewer)
    members = hi.benchmark_cohort(ctx.session, who, region=region, artform=artform)
    listed = ctx.principal.kind == "admin" or ctx.principal.subject == who
    return {
        "viewer": who,
        "size": len(members),
        "min_cohort": ctx.suppression.min_cohort,
        "enough": len(members) >= ctx.suppression.min_cohort,
        "organisations": members if listed else None,
    }


def _kpis(
    ctx: RequestContext,
    when: PeriodParams,
    viewer: str | None,
    org_id: str | None,
    region: str | None,
    artform: str | None,
) -> dict[str, Any]:
    return hi.benchmark_kpis(
        ctx.session,
        _viewer(ctx, viewer),
        when.resolve(),
        basis=when.basis or "performance",
        org_id=org_id,
        region=region,
        artform=artform,
        policy=ctx.suppression,
    ).to_dict()


def _distribution(
    ctx: RequestContext,
    when: PeriodParams,
    dimension: Dimension,
    viewer: str | None,
    org_id: str | None,
    region: str | None,
    artform: str | None,
) -> dict[str, Any]:
    return hi.benchmark_distribution(
        ctx.session,
        _viewer(ctx, viewer),
        when.resolve(),
        dimension,
        basis=when.basis or "performance",
        org_id=org_id,
        region=region,
        artform=artform,
        policy=ctx.suppression,
    ).to_dict()


@router.get(
    "/benchmarks/kpis", summary="Cohort KPI spread", response_model=model_of(hi.BenchmarkKpis)
)
def kpis(
    ctx: Ctx,
    when: PeriodQuery,
    viewer: Viewer = None,
    region: Region = None,
    artform: Artform = None,
) -> dict[str, Any]:
    """The cohort's quartiles of each benchmarked ratio."""
    return _kpis(ctx, when, viewer, None, region, artform)


@router.get(
    "/benchmarks/distribution/{dimension}",
    summary="Cohort distribution",
    response_model=model_of(hi.BenchmarkDistribution),
)
def distribution(
    ctx: Ctx,
    dimension: Dimension,
    when: PeriodQuery,
    viewer: Viewer = None,
    region: Region = None,
    artform: Artform = None,
) -> dict[str, Any]:
    """The cohort's bookers by region or frequency band, or tickets by channel or lead
    time, pooled, with small or dominated cells suppressed."""
    return _distribution(ctx, when, dimension, viewer, None, region, artform)


@router.get(
    "/orgs/{slug}/benchmarks/kpis",
    summary="An organisation against its cohort",
    response_model=model_of(hi.BenchmarkKpis),
)
def org_kpis(
    ctx: Ctx,
    slug: Slug,
    when: PeriodQuery,
    viewer: Viewer = None,
    region: Region = None,
    artform: Artform = None,
) -> dict[str, Any]:
    """The cohort's quartiles of each ratio, with the organisation's own value and its
    index against the median (100 = the median)."""
    org_id = ctx.org(slug, "benchmarks")
    return _kpis(ctx, when, viewer, org_id, region, artform)


@router.get(
    "/orgs/{slug}/benchmarks/distribution/{dimension}",
    summary="An organisation's shares against its cohort",
    response_model=model_of(hi.BenchmarkDistribution),
)
def org_distribution(
    ctx: Ctx,
    slug: Slug,
    dimension: Dimension,
    when: PeriodQuery,
    viewer: Viewer = None,
    region: Region = None,
    artform: Artform = None,
) -> dict[str, Any]:
    """The pooled cohort distribution with the organisation's own shares beside it."""
    org_id = ctx.org(slug, "benchmarks")
    return _distribution(ctx, when, dimension, viewer, org_id, region, artform)


@router.get(
    "/orgs/{slug}/benchmark-recipients",
    summary="Who the organisation shares benchmarks with",
    response_model=RecipientsOut,
)
def recipients(ctx: Ctx, slug: Slug) -> dict[str, Any]:
    """The recipients the organisation has granted benchmarks (an active grant of scope
    ``benchmarks`` or ``all``): the cohorts it may be compared in. A recipient token sees
    only itself."""
    org_id = ctx.org(slug, "benchmarks")
    names = sorted(
        {
            g.recipient
            for g in list_grants(ctx.session, org_id)
            if g.active and g.scope in ("benchmarks", "all")
        }
    )
    if ctx.principal.kind == "recipient":
        names = [n for n in names if n == ctx.principal.subject]
    return {"org_id": org_id, "recipients": names}
