"""Ticketsolve's streams: the catalogue from the XML feed, and report-export files.

**Catalogue** (``catalogue``): one request for ``shows.xml`` (streamed through the safe
parser, so only the shows that need work are held), then the per-performance documents
of the shows that are new or whose ``version`` changed since they were last read — at
most ``performance_documents_per_run`` of them per sync, whole shows at a time; the rest
wait for the next sync (a warning says how many). The versions read are the stream's
checkpoint, committed with the rows. One load per sync: a failure publishes nothing.

**Exports** (``exports``): each sales or customer export is one atomic load (kit
:class:`~houselights.sources.kit.files.FileStream`). Files are loaded once, by content:
the SHA-256 of every file loaded is kept in the stream's checkpoint. A sales file's
orders are published whole: lines of an order already loaded from an earlier export are
read back from the kept raw records and re-stated with the new ones (a refund in next
week's export marks the ticket it refunds ``returned``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from houselights.errors import UploadError
from houselights.exchange.batch import Batch, RawRecord, StreamCursor
from houselights.exchange.state import StreamState
from houselights.sources.kit.concurrency import run_all
from houselights.sources.kit.files import DetectedFormat, FileStream, TableFile
from houselights.sources.kit.http import Response
from houselights.sources.kit.source import Page, Stream
from houselights.sources.kit.values import ValueProblem

from .client import feed_bytes, retry_truncated
from .exports import ExportKind
from .feed import Performance, Show, TruncatedFeedError, Venue, iter_feed, parse_performance
from .mapping import (
    CUSTOMERS_STREAM,
    SALES_STREAM,
    SHOWS_STREAM,
    VENUES_STREAM,
    catalogue_batch,
    customers_batch,
    line_payload,
    parse_sales_line,
    sales_batch,
    show_payload,
    venue_payload,
)

if TYPE_CHECKING:
    from .source import TicketsolveSource

__all__ = ["CatalogueStream", "ExportFile", "ExportStream", "FeedReading", "read_export"]

_IN_CHUNK = 500


@dataclass
class FeedReading:
    """What one read of ``shows.xml`` found: every venue, every show's version, and the
    shows that need their performance documents (new or changed)."""

    venues: list[Venue]
    versions: dict[str, str]
    changed: list[Show]
    shows: int = 0
    events: int = 0


def read_feed(body: bytes, known: dict[str, str], document: str) -> FeedReading:
    """Stream ``shows.xml``: only shows whose version differs from ``known`` are kept."""
    reading = FeedReading([], {}, [])
    for item in iter_feed(body, document=document):
        if isinstance(item, Venue):
            reading.venues.append(item)
            continue
        reading.shows += 1
        reading.events += len(item.events)
        version = "" if item.version is None else str(item.version)
        reading.versions[item.id] = version
        if not version or known.get(item.id) != version:
            reading.changed.append(item)
    return reading


class CatalogueStream(Stream["TicketsolveSource"]):
    """Venues, shows, performances and prices from the public XML feed."""

    name = "catalogue"
    label = "Catalogue"
    raw_streams = (VENUES_STREAM, SHOWS_STREAM)
    periodic = True  # read daily by scheduled syncs (refresh_hours), unless shows wait

    def caught_up(self, state: StreamState) -> bool:
        return not int((state.checkpoint or {}).get("deferred") or 0)

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        source = self.source
        settings = source.settings
        checkpoint = (state.checkpoint if state else None) or {}
        known: dict[str, str] = {str(k): str(v) for k, v in
                                 (checkpoint.get("versions") or {}).items()}
        url = settings.shows_url

        def decode(response: Response) -> FeedReading:
            try:
                return read_feed(feed_bytes(response), known, "shows.xml")
            except TruncatedFeedError as error:
                raise retry_truncated(error) from None

        reading = await source.http.get(url, decode)
        cap = settings.performance_documents_per_run
        chosen: list[Show] = []
        documents = 0
        for show in reading.changed:
            if documents + len(show.events) > cap and chosen:
                break
            if len(show.events) > cap:
                source.warn(
                    f"Show {show.id} has {len(show.events):,} performances, more than the "
                    f"per-sync cap of {cap:,}: it was read whole."
                )
            chosen.append(show)
            documents += len(show.events)
        deferred = len(reading.changed) - len(chosen)
        if deferred:
            source.warn(
                f"{deferred:,} new or changed shows wait for the next sync: this one read "
                f"{documents:,} performance documents, the most one sync reads "
                "(--performance-documents-per-run)."
            )
        docs: dict[str, Performance] = {}
        total = documents
        done = 0

        async def fetch(show: Show, event_id: str) -> None:
            nonlocal done
            doc_url = f"{settings.account_url}/shows/{show.id}/events/{event_id}.xml"
            name = f"shows/{show.id}/events/{event_id}.xml"

            def parse(response: Response) -> Performance:
                try:
                    return parse_performance(feed_bytes(response), document=name)
                except TruncatedFeedError as error:
                    raise retry_truncated(error) from None

            docs[event_id] = await source.http.get(doc_url, parse)
            done += 1
            if done % 50 == 0 or done == total:
                source.progress("Performance documents", done, total)

        await run_all(fetch(show, e.id) for show in chosen for e in show.events)
        records = [RawRecord(VENUES_STREAM, v.id, venue_payload(v)) for v in reading.venues]
        records += [RawRecord(SHOWS_STREAM, s.id, show_payload(s, docs)) for s in chosen]
        versions = {sid: v for sid, v in reading.versions.items()
                    if known.get(sid) == v and v}
        versions.update({s.id: reading.versions[s.id] for s in chosen if reading.versions[s.id]})
        source.notes.update(
            shows_in_feed=reading.shows, performances_in_feed=reading.events,
            shows_read=len(chosen), performance_documents=documents,
            shows_waiting=deferred,
        )
        cursor = f"{len(versions):,} of {reading.shows:,} shows read at their current version"
        yield Page(records, [StreamCursor(self.name, cursor, {"versions": versions,
                                                             "deferred": deferred})],
                   done=1, total=1)

    def map(self, page: Page) -> Batch:
        venues = [r.payload for r in page.records if r.stream == VENUES_STREAM]
        shows = [r.payload for r in page.records if r.stream == SHOWS_STREAM]
        return catalogue_batch(venues, shows, zone=self.source.settings.zone,
                               postcodes=self.source.venue_postcodes,
                               known=self.source.known)


@dataclass
class ExportFile:
    """One export file, read and checked: its kind, content hash and lines."""

    path: Path
    kind: ExportKind
    sha256: str
    detected: DetectedFormat
    lines: list[dict[str, Any]]
    """Each line's cells (payload form), in file order."""


def read_export(path: Path, kind: ExportKind, table: TableFile, sha256: str) -> ExportFile:
    """Read every line of an export and check it (a line that cannot be read refuses the
    whole file: :class:`~houselights.errors.UploadError` naming the line)."""
    lines: list[dict[str, Any]] = []
    for row in table.rows():
        if not row.cells and not row.extra:
            continue
        if row.extra:
            raise UploadError(
                f"{path.name}, line {row.line}: has {row.width} values but the header has "
                f"{len(table.header.headers)} columns",
                hint="Export the report again from Ticketsolve without editing it.",
            )
        if row.problems:
            raise UploadError(
                f"{path.name}, line {row.line}: " + "; ".join(row.problems.values()),
                hint="Export the report again from Ticketsolve without editing it.",
            )
        payload = line_payload(row.cells)
        if not payload:
            continue
        try:
            if kind == "sales":
                parse_sales_line(payload)
            elif "customer_id" not in payload:
                raise ValueProblem("Customer ID: missing")
        except ValueProblem as problem:
            raise UploadError(
                f"{path.name}, line {row.line}: {problem}",
                hint="Export the report again from Ticketsolve without editing it; the file "
                "was left as it is and nothing of it was loaded.",
            ) from None
        lines.append(payload)
    return ExportFile(path, kind, sha256, table.detected, lines)


class ExportStream(FileStream["TicketsolveSource"]):
    """One sales or customer export, published as one load (or kept records, on replay)."""

    name = "exports"
    label = "Report export"
    raw_streams = (SALES_STREAM, CUSTOMERS_STREAM)

    def __init__(self, source: TicketsolveSource, export: ExportFile | None = None) -> None:
        super().__init__(source)
        self.export = export

    def pages(self, state: StreamState | None) -> Iterator[Page]:
        export = self.export
        if export is None:
            return
        checkpoint = (state.checkpoint if state else None) or {}
        loaded = dict(checkpoint.get("loaded") or {})
        loaded[export.sha256] = export.path.name
        cursor = StreamCursor(self.name, f"{len(loaded):,} export files loaded",
                              {"loaded": loaded})
        if export.kind == "customers":
            records = [RawRecord(CUSTOMERS_STREAM, str(p["customer_id"]), p)
                       for p in export.lines]
            batch = customers_batch(records, privacy=self.source.hl.settings.privacy)
        else:
            records, batch = self._sales(export)
        self.source.notes.setdefault("files", []).append(
            {"file": export.path.name, "kind": export.kind, "lines": len(export.lines),
             "detected": dict(export.detected)}
        )
        yield Page(records=records, cursors=[cursor], batch=batch,
                   done=export.path.stat().st_size, total=export.path.stat().st_size)

    def _sales(self, export: ExportFile) -> tuple[list[RawRecord], Batch]:
        orders: dict[str, dict[str, dict[str, Any]]] = {}
        for payload in export.lines:
            orders.setdefault(str(payload["order_id"]), {})[str(payload["line_id"])] = payload
        earlier = self.source.kept_order_lines(list(orders))
        for order_id, lines in orders.items():
            merged = dict(earlier.get(order_id, {}))
            merged.update(lines)
            orders[order_id] = merged
        records = [RawRecord(SALES_STREAM, order_id, p)
                   for order_id, lines in orders.items() for p in lines.values()]
        grouped = {order_id: list(lines.values()) for order_id, lines in orders.items()}
        known = self.source.known_catalogue()
        return records, sales_batch(grouped, known=known)

    def map(self, page: Page) -> Batch:
        assert page.batch is not None
        return page.batch

    def replay(self, records: list[RawRecord]) -> Iterable[Batch]:
        customers = [r for r in records if r.stream == CUSTOMERS_STREAM]
        if customers:
            yield customers_batch(customers, privacy=self.source.hl.settings.privacy)
        orders: dict[str, dict[str, dict[str, Any]]] = {}
        for r in records:
            if r.stream == SALES_STREAM:
                orders.setdefault(r.record_key, {})[str(r.payload["line_id"])] = r.payload
        if orders:
            grouped = {k: list(v.values()) for k, v in orders.items()}
            yield sales_batch(grouped, known=self.source.known)


def decode_lines(rows: Iterable[tuple[str, str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Kept raw sales records ``(order id, payload JSON)`` → order → line id → payload."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, text in rows:
        payload = json.loads(text)
        out.setdefault(key, {})[str(payload["line_id"])] = payload
    return out
