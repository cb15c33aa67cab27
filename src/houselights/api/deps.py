"""Request plumbing shared by every route: the caller, a warehouse session, filters, paging.

Every parameter is checked here, at the edge, before any query runs: types and ranges in
the declarations (so the OpenAPI document states them), and what a declaration cannot
say (a period that parses, dates inside the supported range) in :meth:`PeriodParams.resolve`.
A bad value answers 422 ``invalid_input`` naming the parameter, never a 5xx.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import HTTPBearer
from pydantic import StringConstraints

from houselights.api.auth import Access, Principal, authenticate, authorise_org
from houselights.context import Houselights
from houselights.errors import InputError
from houselights.insights import Filters, Period, SuppressionPolicy, parse_period
from houselights.insights.periods import current_financial_year
from houselights.orgs.service import SLUG
from houselights.warehouse.base import Session

__all__ = [
    "EARLIEST_DAY",
    "LATEST_DAY",
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_TEXT",
    "Ctx",
    "FilterQuery",
    "Filtering",
    "Name",
    "Page",
    "PageQuery",
    "PeriodParams",
    "PeriodQuery",
    "RequestContext",
    "Slug",
    "get_context",
    "paged",
]

MAX_LIMIT = 500
# Deep enough for any real list, small enough that offset + limit stays a small integer
# in every database (an offset near 2**63 once overflowed the SQL LIMIT).
MAX_OFFSET = 100_000_000
# The dates a period may cover (as services.reports.ALL_TIME): a figure for the year 9999
# or 0001 is a typing slip, and date arithmetic beyond them overflows.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2199, 12, 31)
MAX_TEXT = 200  # a free-text filter value (season, region, viewer…)
MAX_REPEATS = 50  # values of one repeatable filter

Slug = Annotated[
    str,
    Path(
        pattern=SLUG.pattern,
        max_length=63,
        description="The organisation's slug: lower-case letters, digits and hyphens.",
    ),
]
"""The ``{slug}`` path parameter."""

Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="An identifier.")]
"""A short identifier in the path (a source, a metric id)."""

_bearer = HTTPBearer(
    auto_error=False,
    description="An API token: `houselights token create` prints one.",
)


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
    request: Request, _: Annotated[object, Security(_bearer)] = None
) -> Iterator[RequestContext]:
    """One session per request; the token is checked before anything else runs.

    (``_`` only declares the bearer scheme in the OpenAPI document; the header itself is
    read here so that every malformed one gets the same 401.)
    """
    hl: Houselights = request.app.state.hl
    with hl.warehouse.connect() as session:
        principal = authenticate(session, request.headers.get("authorization"))
        _refuse_repeated_values(request)
        yield RequestContext(hl, session, principal)


def _single_valued(request: Request) -> set[str]:
    """The query parameters of the operation answering ``request`` that take one value,
    as the OpenAPI document says (the document is the contract)."""
    for template, operations in request.app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            return {
                p["name"]
                for p in operations.get(request.method.lower(), {}).get("parameters", [])
                if p["in"] == "query" and "array" not in json.dumps(p.get("schema", {}))
            }
    return set()


def _refuse_repeated_values(request: Request) -> None:
    # ?viewer=a&viewer=b would be read as "b" while a proxy or a log may read "a": a value
    # that is not the one asked for, so ask again instead of guessing.
    counts = Counter(key for key, _ in request.query_params.multi_items())
    given_twice = {k for k, n in counts.items() if n > 1}
    repeated = sorted(given_twice & _single_valued(request)) if given_twice else []
    if repeated:
        raise InputError(
            f"The query parameter '{repeated[0]}' is given {counts[repeated[0]]} times; it "
            "takes one value.",
            hint="Give it once (venue, season and event are the repeatable ones).",
        )


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
        """The period asked for (422 ``invalid_input`` if it cannot be one)."""
        if self.from_ or self.to:
            if not (self.from_ and self.to):
                raise InputError(
                    "Give both 'from' and 'to', or neither.",
                    hint="e.g. ?from=2024-04-01&to=2025-03-31 (both days included), or "
                    "?period=2024/25.",
                )
            for day, name in ((self.from_, "from"), (self.to, "to")):
                if not EARLIEST_DAY <= day <= LATEST_DAY:
                    raise _out_of_range(name)
            chosen = Period.between(self.from_, self.to)
        elif self.period:
            try:
                chosen = parse_period(self.period)
            except (ValueError, OverflowError):  # e.g. 9999/00: a year past 9999
                raise _out_of_range("period") from None
            if chosen.start < EARLIEST_DAY or chosen.last_day > LATEST_DAY:
                raise _out_of_range("period")
        else:
            chosen = current_financial_year()
        return chosen


def _out_of_range(what: str) -> InputError:
    return InputError(
        f"The query parameter '{what}' lies outside {EARLIEST_DAY.isoformat()} to "
        f"{LATEST_DAY.isoformat()}, the dates houselights reports on.",
        hint="Choose a period within those dates, e.g. ?period=2024/25.",
    )


_RANGE = f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
# What the document tells clients (and schema-driven test tools) about the accepted
# values; the checks themselves are in resolve(), whose messages say what to write.
_DAY_PATTERN = "^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$"
_PERIOD_PATTERN = (
    r"^\s*(([Ff][Yy]\s*)?[0-9]{4}\s*/\s*([0-9]{2}|[0-9]{4})(\s+[Qq][1-4])?"
    r"|[Ff][Yy]\s*[0-9]{4}(\s*[Qq][1-4])?"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}\s*\.\.\s*[0-9]{4}-[0-9]{2}-[0-9]{2})\s*$"
)


def _period_params(
    from_: Annotated[
        date | None,
        Query(
            alias="from",
            description=f"First day (ISO date, {_RANGE}); give 'to' with it.",
            json_schema_extra={"pattern": _DAY_PATTERN},
        ),
    ] = None,
    to: Annotated[
        date | None,
        Query(
            description=f"Last day, included (ISO date, {_RANGE}); give 'from' with it.",
            json_schema_extra={"pattern": _DAY_PATTERN},
        ),
    ] = None,
    period: Annotated[
        str | None,
        Query(
            max_length=40,
            description="A financial year or quarter: 2024/25, 2024/25 Q2, FY2024, or "
            f"2024-04-01..2024-06-30 (within {_RANGE}).",
            json_schema_extra={"pattern": _PERIOD_PATTERN},
        ),
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

    def for_org(self, org_id: str, *, performance_only: bool = False) -> Filters:
        """The insights :class:`Filters` for ``org_id``.

        ``performance_only``: for figures defined by performance date only (capacity,
        the quarterly and per-event reports), which answer on that basis whatever
        ``basis`` asks (their result says so) rather than refuse: a page asking for
        order dates still gets its capacity figures."""
        return Filters(
            org_id=org_id,
            period=self.when.resolve(),
            venue_ids=tuple(self.venues),
            seasons=tuple(self.seasons),
            event_ids=tuple(self.events),
            basis="performance" if performance_only else self.when.basis,
        )


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Repeated = Annotated[list[Text], Query(max_length=MAX_REPEATS)]


def _filtering(
    when: PeriodQuery,
    venue: Annotated[Repeated, Query(description="Venue id (repeatable).")] = [],  # noqa: B006
    season: Annotated[Repeated, Query(description="Season (repeatable).")] = [],  # noqa: B006
    event: Annotated[Repeated, Query(description="Event id (repeatable).")] = [],  # noqa: B006
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
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
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
