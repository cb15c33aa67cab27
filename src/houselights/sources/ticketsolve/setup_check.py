"""``houselights check-setup SLUG`` for Ticketsolve: each step ✓ / ⚠ / ✗ with its fix.

1. the feed (``shows.xml``) is reachable and is the feed;
2. it lists shows (with the connection's tag/category filter);
3. every venue has a postcode (the feed has none: they are set on the connection);
4. per-performance documents are readable (a few are fetched);
5. the sales folder holds exports whose columns are recognised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from houselights.errors import HouselightsError
from houselights.model.postcodes import normalise_any_postcode
from houselights.sources.kit.http import Response
from houselights.sources.kit.limits import FileLimits
from houselights.sources.kit.setup import SetupStep, StepStatus

from .client import feed_bytes
from .exports import recognise
from .feed import Performance, Show, Venue, iter_feed, parse_performance

if TYPE_CHECKING:
    from .source import TicketsolveSource

__all__ = ["run_setup_check"]

_GUIDE = "docs/ticketsolve.md"
_SAMPLE_DOCUMENTS = 3


def _step(key: str, title: str, status: StepStatus, detail: str, fix: str = "") -> SetupStep:
    return SetupStep(key, title, _GUIDE, status, detail, fix)


async def run_setup_check(source: TicketsolveSource) -> list[SetupStep]:
    """Every step, in order (later feed steps are skipped when the feed is not readable)."""
    settings = source.settings
    steps: list[SetupStep] = []
    venues: list[Venue] = []
    shows: list[Show] = []
    count = 0

    def decode(response: Response) -> None:
        nonlocal count
        for item in iter_feed(feed_bytes(response), document="shows.xml"):
            if isinstance(item, Venue):
                venues.append(item)
            else:
                count += 1
                if len(shows) < _SAMPLE_DOCUMENTS:
                    shows.append(item)

    async with source:
        try:
            await source.http.get(settings.shows_url, decode)
        except HouselightsError as error:
            steps.append(_step("feed", "Catalogue feed reachable", "fail", error.message,
                               error.hint or "Check --client and --base-url."))
            for key, title in (("shows", "Shows listed"), ("venues", "Venue postcodes"),
                               ("documents", "Performance documents readable")):
                steps.append(_step(key, title, "skip", "needs the feed"))
            steps.append(_exports_step(source))
            return steps
        steps.append(_step("feed", "Catalogue feed reachable", "ok",
                           f"{settings.shows_url}: {len(venues):,} venues, {count:,} shows."))
        if count:
            steps.append(_step("shows", "Shows listed", "ok", f"{count:,} shows on sale."))
        else:
            filters = " with the tag/category filter" if settings.tag or settings.category else ""
            steps.append(_step(
                "shows", "Shows listed", "warn", f"The feed lists no shows{filters}.",
                "Check the tag and category filters (connect again without them), or that "
                "the account has shows on sale.",
            ))
        postcodes = source.venue_postcodes
        missing = [v for v in venues
                   if not normalise_any_postcode(postcodes.get(v.id) or
                                                 (v.address.postcode if v.address else None)
                                                 ).valid]
        if missing:
            names = ", ".join(f"{v.name or v.id} ({v.id})" for v in missing[:5])
            steps.append(_step(
                "venues", "Venue postcodes", "warn",
                f"{len(missing):,} of {len(venues):,} venues have no postcode: {names}.",
                "The feed carries no venue address: connect again with --venue-postcodes "
                "'VENUE_ID=POSTCODE;…' (a UK postcode or an Eircode).",
            ))
        else:
            steps.append(_step("venues", "Venue postcodes", "ok",
                               f"All {len(venues):,} venues have a postcode."))
        steps.append(await _documents_step(source, shows))
    steps.append(_exports_step(source))
    return steps


async def _documents_step(source: TicketsolveSource, shows: list[Show]) -> SetupStep:
    title = "Performance documents readable"
    events = [(s, e) for s in shows for e in s.events][:_SAMPLE_DOCUMENTS]
    if not events:
        return _step("documents", title, "skip", "no performance to read")
    base = source.settings.account_url
    try:
        for show, event in events:
            name = f"shows/{show.id}/events/{event.id}.xml"

            def parse(response: Response, document: str = name) -> Performance:
                return parse_performance(feed_bytes(response), document=document)

            doc = await source.http.get(f"{base}/{name}", parse)
            if doc.capacity is None or not doc.prices:
                return _step("documents", title, "warn",
                             f"{name} has no capacity or no prices.",
                             "Report it to the houselights maintainers with the document.")
    except HouselightsError as error:
        return _step("documents", title, "fail", error.message, error.hint)
    return _step("documents", title, "ok", f"{len(events)} documents read (capacity, prices).")


def _exports_step(source: TicketsolveSource) -> SetupStep:
    title = "Sales exports found"
    folder = source.settings.sales_folder
    if folder is None:
        return _step(
            "exports", title, "warn",
            "No sales folder is set: sales come only from `houselights upload`.",
            "Ticketsolve has no sales API: export the sales and customer reports and "
            "connect again with --sales-folder DIR (a sync loads each new file once).",
        )
    if not folder.is_dir():
        return _step("exports", title, "fail", f"The sales folder {folder} does not exist.",
                     "Create it, or connect again with the right --sales-folder.")
    found = {"sales": 0, "customers": 0}
    problems: list[str] = []
    limits = FileLimits.from_settings(source.hl.settings)
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".csv", ".xlsx") or not path.is_file():
            continue
        try:
            kind, _ = recognise(path, limits)
        except HouselightsError as error:
            problems.append(error.message)
            continue
        found[kind] += 1
    if problems:
        return _step("exports", title, "warn",
                     f"{len(problems):,} files not recognised; the first: {problems[0]}",
                     "Export the reports again from Ticketsolve without renaming their "
                     "columns (docs/ticketsolve.md lists them), or move other files out.")
    if not found["sales"]:
        return _step("exports", title, "warn", f"No sales export in {folder} yet.",
                     "Export the sales report (CSV or Excel) into the folder.")
    return _step("exports", title, "ok",
                 f"{found['sales']:,} sales and {found['customers']:,} customer exports "
                 f"in {folder}, columns recognised.")
