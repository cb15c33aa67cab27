"""Request plumbing shared by every route: the caller, a warehouse session, filters, paging."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Query, Request

from houselights.api.auth import Access, Principal, authenticate, authorise_org
from houselights.context import Houselights
from houselights.errors import InputError
from houselights.insights import Filters, Period, SuppressionPolicy, parse_period
from houselights.insights.periods import current_financial_year
from houselights.warehouse.base import Session

__all__ = [
    "Ctx",
    "FilterQuery",
    "Filtering",
    "Page",
    "PageQuery",
    "PeriodParams",
    "PeriodQuery",
    "RequestContext",
    "get_context",
    "paged",
]

MAX_LIMIT = 500


@dataclass
class RequestContext:
    """The running app, a warehouse session for this request, and who is calling."""

    hl: Houselights
    session: Session
    principal: Principal

    def org(self, slug: str, access: Access) -> str:
        """``slug`` once the caller is allowed ``access`` to it (else 403 / 404)."""
        return authorise_org(self.session, self.principal, slug, access)

    @property
    def suppression(self) -> SuppressionPolicy:
        """The suppression thresholds from settings."""
        s = self.hl.settings
        return SuppressionPolicy(threshold=s.suppression_threshold, min_cohort=s.min_cohort)


def get_context(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Iterator[RequestContext]:
    """One session per request; the token is checked before anything else runs."""
    hl: Houselights = request.app.state.hl
    with hl.warehouse.connect() as session:
        yield RequestContext(hl, session, authenticate(session, authorization))


Ctx = Annotated[RequestContext, Depends(get_context)]


@dataclass
class PeriodParams:
    """``from`` / ``to`` (both days included) or ``period`` (``2024/25``, ``2024/25 Q2``,
    ``FY2024``); default the current UK financial year. Plus the period ``basis``."""

    from_: date | None = None
    to: date | None = None
    period: str | None = None
    basis: Literal["performance", "transaction"] | None = None

    def resolve(self) -> Period:
        """The period asked for."""
        if self.from_ or self.to:
            if not (self.from_ and self.to):
                raise InputError(
                    "Give both 'from' and 'to', or neither.",
                    hint="e.g. ?from=2024-04-01&to=2025-03-31 (both days included), or "
                    "?period=2024/25.",
                )
            return Period.between(self.from_, self.to)
        if self.period:
            return parse_period(self.period)
        return current_financial_year()


def _period_params(
    from_: Annotated[date | None, Query(alias="from", description="First day (ISO date).")] = None,
    to: Annotated[date | None, Query(description="Last day, included (ISO date).")] = None,
    period: Annotated[
        str | None, Query(description="A financial year or quarter: 2024/25, 2024/25 Q2, FY2024.")
    ] = None,
    basis: Annotated[
        Literal["performance", "transaction"] | None,
        Query(description="Date that places a ticket in the period (default: the metric's own)."),
    ] = None,
) -> PeriodParams:
    return PeriodParams(from_, to, period, basis)


PeriodQuery = Annotated[PeriodParams, Depends(_period_params)]


@dataclass
class Filtering:
    """Period, basis and slice (venues, seasons, events) from the query string."""

    when: PeriodParams
    venues: list[str]
    seasons: list[str]
    events: list[str]

    def for_org(self, org_id: str) -> Filters:
        """The insights :class:`Filters` for ``org_id``."""
        return Filters(
            org_id=org_id,
            period=self.when.resolve(),
            venue_ids=tuple(self.venues),
            seasons=tuple(self.seasons),
            event_ids=tuple(self.events),
            basis=self.when.basis,
        )


def _filtering(
    when: PeriodQuery,
    venue: Annotated[list[str], Query(description="Venue id (repeatable).")] = [],  # noqa: B006
    season: Annotated[list[str], Query(description="Season (repeatable).")] = [],  # noqa: B006
    event: Annotated[list[str], Query(description="Event id (repeatable).")] = [],  # noqa: B006
) -> Filtering:
    return Filtering(when, venue, season, event)


FilterQuery = Annotated[Filtering, Depends(_filtering)]


@dataclass
class Page:
    """``limit`` and ``offset`` of a list."""

    limit: int
    offset: int

    @property
    def stop(self) -> int:
        """One past the last row wanted, plus one to learn whether more follow."""
        return self.offset + self.limit + 1


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Rows to skip.")] = 0,
) -> Page:
    return Page(limit, offset)


PageQuery = Annotated[Page, Depends(_page)]


def paged(request: Request, page: Page, rows: Sequence[Any]) -> dict[str, Any]:
    """One page of ``rows`` (the whole list, or at least its first ``page.stop`` rows),
    with ``next``: the path of the following page, or ``None`` on the last one."""
    window = list(rows[page.offset : page.stop])
    items = window[: page.limit]
    nxt = None
    if len(window) > page.limit:
        url = request.url.include_query_params(offset=page.offset + page.limit)
        nxt = f"{url.path}?{url.query}"
    return {
        "items": [_plain(i) for i in items],
        "limit": page.limit,
        "offset": page.offset,
        "next": nxt,
    }


def _plain(item: Any) -> Any:
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item
