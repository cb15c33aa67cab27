"""The Spektrix sync use case: backfill from the order-ID file, then incremental syncs.

:func:`sync_org` is what ``houselights sync`` (and later the API and scheduler) call.

* **Backfill** (with an order-ID file): the catalogue is published first (order lines
  must find their instances), then every ``backfill_chunk`` orders (default 500) with
  their new customers are published as one load together with the checkpoint (the
  position in the file). A killed process resumes at the last committed checkpoint,
  losing and duplicating nothing. Fetching the next chunk overlaps publishing the last.
  The final load holds the whole Customer Audit trail and starts the incremental cursors.
* **Incremental**: catalogue lists that changed (by digest), orders from the
  ``orders/sync`` feed since the stored position (or 4-day date windows where the feed is
  not available), customers that are new or named in the audit since last time, and the
  audit rows since last time — all published as **one** load, so a failure anywhere
  publishes nothing. A very long feed (first sync without a backfill) is published every
  ``MAX_FEED_ORDERS`` orders with its position, so it resumes too.
* A switched-off partner toggle pauses the connection (status ``paused``, with the
  reason); the next sync that gets through re-activates it. Nothing is lost meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from houselights.context import Houselights
from houselights.errors import AccessWithdrawnError, InputError, SourceError
from houselights.exchange.batch import Batch, StreamCursor
from houselights.exchange.run import ExchangeRun, LoadResult
from houselights.exchange.state import get_state
from houselights.orgs.service import set_connection_status

from .batches import audit_batch, catalogue_batch, catalogue_digests, merge, orders_batch
from .client import SpektrixClient
from .connection import SOURCE, SpektrixConnection, load_connection
from .mapping import CatalogueIndex
from .reports import read_order_ids
from .runs import SyncSummary, download_report
from .status import connection_status
from .streams import (
    fetch_audit,
    fetch_catalogue,
    fetch_customers,
    fetch_orders_with_customers,
    read_order_feed,
    read_order_windows,
)

__all__ = ["ProgressFn", "SyncSummary", "connection_status", "download_report", "sync_org"]

ProgressFn = Callable[[str, int, "int | None"], None]
"""``progress(stage, done, total)``; stages: catalogue, orders, customers, feed, audit."""

EARLIEST = "2000-01-01T00:00:00"
MAX_FEED_ORDERS = 5_000
FEED_OVERLAP = timedelta(days=1)
LONDON = ZoneInfo("Europe/London")


def sync_org(
    hl: Houselights,
    org_id: str,
    *,
    backfill_file: Path | None = None,
    progress: ProgressFn | None = None,
    incremental: bool = True,
) -> SyncSummary:
    """Sync ``org_id`` from Spektrix: backfill from ``backfill_file`` if given, then catch
    up incrementally (unless ``incremental`` is false). Raises a :mod:`houselights.errors`
    error in plain words on failure."""
    conn = load_connection(hl, org_id)
    summary = SyncSummary(org_id)
    began = time.perf_counter()
    sync = _Sync(hl, conn, summary, progress or (lambda *_: None))
    try:
        asyncio.run(sync.run(backfill_file, incremental=incremental))
    except AccessWithdrawnError as exc:
        with hl.warehouse.connect() as s, s.transaction():
            set_connection_status(s, org_id, SOURCE, "paused", exc.message)
        raise
    if conn.status == "paused":
        with hl.warehouse.connect() as s, s.transaction():
            set_connection_status(s, org_id, SOURCE, "active", None)
    summary.seconds = time.perf_counter() - began
    return summary


def _modified_minus(value: str | None, delta: timedelta) -> str | None:
    if not value:
        return None
    return (datetime.fromisoformat(value[:19]) - delta).isoformat(timespec="seconds")


class _Sync:
    def __init__(
        self, hl: Houselights, conn: SpektrixConnection, summary: SyncSummary, progress: ProgressFn
    ) -> None:
        self.hl = hl
        self.conn = conn
        self.org = conn.org_id
        self.summary = summary
        self.progress = progress
        self.privacy = hl.settings.privacy

    def _state(self, stream: str) -> tuple[str | None, dict[str, Any]]:
        with self.hl.warehouse.connect() as s:
            state = get_state(s, self.org, SOURCE, stream)
        return (state.cursor, state.checkpoint or {}) if state else (None, {})

    def _known_customers(self, ids: set[str]) -> set[str]:
        """Which of ``ids`` the warehouse holds already."""
        found: set[str] = set()
        wanted = sorted(ids)
        with self.hl.warehouse.connect() as s:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                rows = s.fetchall(
                    "SELECT customer_id FROM customers WHERE org_id = ? AND customer_id IN ("
                    + ", ".join("?" * len(part))
                    + ")",
                    [self.org, *part],
                )
                found.update(str(r[0]) for r in rows)
        return found

    def _run(self, kind: str, params: dict[str, Any]) -> ExchangeRun:
        run = ExchangeRun(
            self.hl.warehouse,
            self.org,
            source=SOURCE,
            kind=kind,
            params=params,
            policy_overrides=self.conn.settings.get("checks"),
        )
        self.summary.run_ids.append(run.run_id)
        return run

    def _publish(self, run: ExchangeRun, batch: Batch) -> LoadResult:
        result = run.publish(batch)
        self.summary.loads.append(result)
        return result

    async def run(self, backfill_file: Path | None, *, incremental: bool = True) -> None:
        async with SpektrixClient(self.conn.credentials, self.conn.options) as client:
            try:
                if backfill_file is not None:
                    await self.backfill(client, backfill_file)
                if incremental:
                    await self.incremental(client)
            finally:
                self.summary.requests = client.stats.requests
                self.summary.retries = client.stats.retries
                self.summary.rate_limited = client.stats.rate_limited

    async def catalogue(
        self,
        client: SpektrixClient,
        *,
        everything: bool,
    ) -> tuple[Batch, CatalogueIndex]:
        self.progress("catalogue", 0, 1)
        lists = await fetch_catalogue(client)
        digests = catalogue_digests(lists, self.conn.fields)
        _, previous = self._state("catalogue")
        changed = [n for n, d in digests.items() if everything or previous.get(n) != d]
        batch, index, warnings = catalogue_batch(lists, self.conn.fields, changed=changed)
        batch.cursors.append(StreamCursor("catalogue", None, digests))
        self.summary.catalogue_changed = changed
        self.summary.warnings.extend(w for w in warnings if w not in self.summary.warnings)
        self.progress("catalogue", 1, 1)
        return batch, index

    async def customers_for(
        self,
        client: SpektrixClient,
        orders: list[dict[str, Any]],
        also: set[str],
        known: set[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Customers of ``orders`` not yet held, plus every id in ``also`` (changed)."""
        ids = {o["customer"]["id"] for o in orders if isinstance(o.get("customer"), dict)}
        held = known if known is not None else self._known_customers(ids - also)
        wanted = (ids - held) | also
        if not wanted:
            return []
        total = len(wanted)
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            self.progress("customers", done[0], total)

        customers, missing = await fetch_customers(client, sorted(wanted), tick)
        if missing:
            self.summary.warnings.append(
                f"{len(missing)} customer(s) named by orders or the audit are unknown to "
                f"Spektrix (e.g. {', '.join(missing[:3])})."
            )
        if known is not None:
            known.update(wanted)
        self.summary.customers += len(customers)
        return customers

    # --- backfill ----------------------------------------------------------------------

    async def backfill(self, client: SpektrixClient, path: Path) -> None:
        ids_file = read_order_ids(path)
        ids = ids_file.ids
        _, cp = self._state("orders_backfill")
        same = cp.get("sha256") == ids_file.sha256
        start = int(cp.get("position", 0)) if same else 0
        max_modified: str | None = cp.get("max_modified") if same else None
        max_day: str | None = cp.get("max_day") if same else None
        self.summary.backfill_total = len(ids)
        self.summary.backfill_resumed_at = start or None
        if same and cp.get("complete"):
            self.summary.warnings.append(
                f"The backfill from {path.name} was completed before; only the incremental "
                "sync ran."
            )
            return
        chunk = self.conn.backfill_chunk
        run = self._run(
            "backfill",
            {"file": path.name, "sha256": ids_file.sha256, "orders": len(ids), "resumed_at": start},
        )
        with run:
            cat_batch, index = await self.catalogue(client, everything=True)
            self._publish(run, cat_batch)
            known = self._all_customers()
            self.progress("orders", start, len(ids))
            pending: asyncio.Future[LoadResult] | None = None
            try:
                for pos in range(start, len(ids), chunk):
                    part = ids[pos : pos + chunk]
                    done = [pos]

                    def tick(n: int, done: list[int] = done) -> None:
                        done[0] += n
                        self.progress("orders", done[0], len(ids))

                    orders, customers, missing, lost = await fetch_orders_with_customers(
                        client, part, known, tick
                    )
                    if missing:
                        self.summary.warnings.append(
                            f"{len(missing)} order id(s) in {path.name} are unknown to "
                            f"Spektrix (e.g. {', '.join(missing[:3])})."
                        )
                    if lost:
                        self.summary.warnings.append(
                            f"{len(lost)} customer(s) of backfilled orders are unknown to "
                            f"Spektrix (e.g. {', '.join(lost[:3])})."
                        )
                    self.summary.customers += len(customers)
                    for o in orders:
                        modified = str(o.get("lastModifiedUtc") or "")
                        day = str(o.get("lastTransactionDate") or "")[:10]
                        max_modified = max(max_modified or "", modified) or None
                        max_day = max(max_day or "", day) or None
                    batch = orders_batch(orders, customers, index, privacy=self.privacy)
                    end = min(pos + chunk, len(ids))
                    batch.cursors.append(
                        StreamCursor(
                            "orders_backfill",
                            str(end),
                            {
                                "sha256": ids_file.sha256,
                                "file": path.name,
                                "position": end,
                                "total": len(ids),
                                "max_modified": max_modified,
                                "max_day": max_day,
                            },
                        )
                    )
                    self.summary.orders += len(orders)
                    if pending is not None:
                        await pending
                    pending = asyncio.ensure_future(asyncio.to_thread(self._publish, run, batch))
                if pending is not None:
                    await pending
            finally:
                if pending is not None and not pending.done():
                    await asyncio.wait([pending])  # never leave a publish running on failure
            await self._backfill_audit(
                client, run, known, ids_file.sha256, path.name, len(ids), max_modified, max_day
            )

    def _all_customers(self) -> set[str]:
        with self.hl.warehouse.connect() as s:
            rows = s.fetchall("SELECT customer_id FROM customers WHERE org_id = ?", [self.org])
        return {str(r[0]) for r in rows}

    async def _backfill_audit(
        self,
        client: SpektrixClient,
        run: ExchangeRun,
        known: set[str],
        sha: str,
        file: str,
        total: int,
        max_modified: str | None,
        max_day: str | None,
    ) -> None:
        batch, named = await self.audit(client, since=EARLIEST)
        customers = await self.customers_for(client, [], named - known, known)
        batch = merge([batch, orders_batch([], customers, CatalogueIndex(), privacy=self.privacy)])
        batch.cursors.append(
            StreamCursor(
                "orders_backfill",
                str(total),
                {
                    "sha256": sha,
                    "file": file,
                    "position": total,
                    "total": total,
                    "max_modified": max_modified,
                    "max_day": max_day,
                    "complete": True,
                },
            )
        )
        # The feed restarts a day before the newest change the backfill saw, so changes
        # made while a long backfill ran are read again (re-reading changes nothing).
        if self._state("orders_sync")[0] is None:
            since = _modified_minus(max_modified, FEED_OVERLAP) or EARLIEST
            batch.cursors.append(StreamCursor("orders_sync", since))
        if self._state("orders_windows")[0] is None and max_day:
            batch.cursors.append(StreamCursor("orders_windows", max_day))
        self._publish(run, batch)

    # --- audit -------------------------------------------------------------------------

    async def audit(self, client: SpektrixClient, *, since: str) -> tuple[Batch, set[str]]:
        """Audit rows since ``since`` as a batch, and the customers they name."""
        url = self.conn.credentials.audit_report_url
        if not url:
            self.summary.warnings.append(
                "No Customer Audit report link is configured: contact preferences are not synced."
            )
            return Batch(), set()
        self.progress("audit", 0, 1)
        report = await fetch_audit(client, url, since)
        if report.start and since != EARLIEST and report.start[:19] > since:
            self.summary.warnings.append(
                f"The Customer Audit report starts at {report.start}, after the last row "
                f"seen ({since}): changes in between are missing. Sync at least every "
                "3 days (the report's window)."
            )
        batch = audit_batch(report.rows)
        if report.rows:
            batch.cursors.append(StreamCursor("audit", str(report.rows[-1]["date"])[:19]))
        self.summary.audit_rows += len(report.rows)
        self.progress("audit", 1, 1)
        return batch, set(report.customer_ids)

    # --- incremental -------------------------------------------------------------------

    async def incremental(self, client: SpektrixClient) -> None:
        with self._run("incremental", {"feed": self.conn.orders_feed}) as run:
            cat_batch, index = await self.catalogue(client, everything=False)
            orders = await self._feed(client, run, index)
            audit_since = self._state("audit")[0] or EARLIEST
            audit, named = await self.audit(client, since=audit_since)
            # Customers named in the audit changed: fetch them again; others only if new.
            customers = await self.customers_for(client, orders.orders, named)
            batch = merge(
                [
                    cat_batch,
                    orders_batch(orders.orders, customers, index, privacy=self.privacy),
                    audit,
                ]
            )
            batch.cursors.extend(orders.cursors)
            self._publish(run, batch)

    async def _feed(
        self, client: SpektrixClient, run: ExchangeRun, index: CatalogueIndex
    ) -> _FeedResult:
        mode = self.conn.orders_feed
        if mode in ("auto", "sync"):
            result = await self._sync_feed(client, run, index)
            if result is not None:
                self.summary.feed = "orders/sync"
                return result
            if mode == "sync":
                raise SourceError(
                    "The orders/sync feed is not available on this Spektrix system (404).",
                    hint="It is an early-access feature: ask Spektrix to enable it, or set "
                    "the connection's orders feed to 'windows'.",
                )
        self.summary.feed = "date windows"
        return await self._window_feed(client)

    async def _sync_feed(
        self, client: SpektrixClient, run: ExchangeRun, index: CatalogueIndex
    ) -> _FeedResult | None:
        position = self._state("orders_sync")[0] or EARLIEST
        found: dict[str, dict[str, Any]] = {}
        pages = 0
        while True:
            page = await read_order_feed(client, position)
            if page is None:
                return None
            pages += 1
            for order in page.orders:
                found.pop(order["id"], None)
                found[order["id"]] = order
            position = page.position
            self.progress("feed", len(found), None)
            if page.last:
                break
            if len(found) >= MAX_FEED_ORDERS:  # a long first feed: publish and go on
                part = list(found.values())
                customers = await self.customers_for(client, part, set())
                batch = orders_batch(part, customers, index, privacy=self.privacy)
                batch.cursors.append(StreamCursor("orders_sync", position))
                self.summary.orders += len(part)
                await asyncio.to_thread(self._publish, run, batch)
                found.clear()
        self.summary.orders += len(found)
        return _FeedResult(list(found.values()), [StreamCursor("orders_sync", position)])

    async def _window_feed(self, client: SpektrixClient) -> _FeedResult:
        cursor = self._state("orders_windows")[0]
        if cursor is None:
            raise InputError(
                "Date-window syncing needs a starting point, and this organisation has none yet.",
                hint="Run the backfill first: `houselights sync SLUG --backfill "
                "ORDER_ID_FILE` (integration guide step 4).",
            )
        start = date.fromisoformat(cursor)
        server_now = client.last_server_date or datetime.now(UTC)
        end = max(start, server_now.astimezone(LONDON).date())
        total = (end - start).days // 4 + 1
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            self.progress("feed", done[0], total)

        orders = await read_order_windows(client, start, end, tick)
        latest = max([cursor, *(str(o.get("lastTransactionDate") or "")[:10] for o in orders)])
        self.summary.orders += len(orders)
        return _FeedResult(orders, [StreamCursor("orders_windows", latest)])


@dataclass
class _FeedResult:
    orders: list[dict[str, Any]]
    cursors: list[StreamCursor]
