"""What the connector reads from Spektrix, stream by stream.

Fetch helpers (on a :class:`~.client.SpektrixClient`):

* :func:`fetch_catalogue` — events, instances, plans, venues, stock items, funds,
  memberships and statements, each a bare-array list paged by ``page``/``pageSize``
  (spec §5.1), fetched concurrently;
* :func:`fetch_by_id` / :func:`fetch_orders_with_customers` — by id, concurrently (the
  client's budget and concurrency limit the pace); unknown ids are returned apart;
* :func:`read_order_windows` — ``orders?DateFrom&DateTo`` in windows of at most 4 days,
  de-duplicated by id (the repeated-page behaviour observed by peers, spec §6.7A);
* :func:`fetch_audit` — the Customer Audit report with the reporting user's credentials.

Streams (the kit's runner publishes their pages with their cursors):

* :class:`CatalogueStream` — every list each time, published only when its digest changed;
* :class:`BackfillStream` — the orders of the historical order-ID file, a checkpoint
  every ``backfill_chunk`` orders (position in the file);
* :class:`FeedStream` — changes: ``orders/sync?since=`` pages (spec §6.7B, §14.2: values
  are references, each order fetched by id; position = the server's ``paging.next``,
  resolved against the client's root), or 4-day date windows where the feed is not
  available;
* :class:`AuditStream` — Customer Audit rows since the last one seen, and the customers
  they name (their details changed).

Each orders page carries the customers of its orders that the warehouse does not hold.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from houselights.errors import InputError, SourceError
from houselights.exchange.batch import Batch, RawRecord, StreamCursor
from houselights.exchange.state import StreamState
from houselights.sources.kit.concurrency import run_all
from houselights.sources.kit.paging import NextLinkPaginator, PageNumberPaginator, date_windows
from houselights.sources.kit.source import Page, Stream

from .batches import (
    audit_records,
    catalogue_batch,
    catalogue_digests,
    payload_records,
    records_cursors,
)
from .client import SpektrixClient
from .mapping import CATALOGUE_LISTS
from .payloads import local_time, order_changed_utc, order_customer
from .reports import AuditReport, OrderIdFile, parse_audit_report

if TYPE_CHECKING:
    from .source import SpektrixSource

__all__ = [
    "CATALOGUE_PATHS",
    "EARLIEST",
    "AuditStream",
    "BackfillStream",
    "CatalogueStream",
    "FeedStream",
    "fetch_audit",
    "fetch_by_id",
    "fetch_catalogue",
    "fetch_list",
    "fetch_orders_with_customers",
    "read_order_windows",
]

CATALOGUE_PATHS = {
    "venues": "venues",
    "plans": "plans",
    "events": "events",
    "instances": "instances",
    "stock_items": "stock-items",
    "funds": "funds",
    "memberships": "memberships",
    "statements": "statements",
}
PAGE_SIZE = 200
FEED_LIMIT = 100
WINDOW_DAYS = 4
MAX_FEED_ORDERS = 5_000
"""A long feed (a first sync without a backfill) is published every this many orders."""
EARLIEST = "2000-01-01T00:00:00"
FEED_OVERLAP = timedelta(days=1)
Tick = Callable[[int], None]


# --- fetch helpers ------------------------------------------------------------------------


async def fetch_list(
    client: SpektrixClient,
    path: str,
    *,
    page_size: int = PAGE_SIZE,
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every item of a paged list, stopping on a short page or a page adding nothing."""

    async def page(query: dict[str, Any]) -> list[Any]:
        answer = await client.get_json(path, query)
        return answer if isinstance(answer, list) else []

    return await PageNumberPaginator(size=page_size).collect(page, params)


async def fetch_catalogue(client: SpektrixClient) -> dict[str, list[dict[str, Any]]]:
    """Every catalogue list, fetched concurrently."""
    lists = await asyncio.gather(
        *(fetch_list(client, CATALOGUE_PATHS[name]) for name in CATALOGUE_LISTS)
    )
    return dict(zip(CATALOGUE_LISTS, lists, strict=True))


def _quoted(ident: str) -> str:
    return urllib.parse.quote(ident, safe="")


async def fetch_by_id(
    client: SpektrixClient,
    template: str,
    ids: Iterable[str],
    tick: Tick | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Payloads by id (``template`` like ``customers/{}``) in the order asked; ids Spektrix
    does not know apart."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []

    async def one(ident: str) -> None:
        payload = await client.get_json(template.format(_quoted(ident)), missing_ok=True)
        if payload is None:
            missing.append(ident)
        else:
            found[ident] = payload
        if tick is not None:
            tick(1)

    await run_all(one(ident) for ident in wanted)
    return [found[i] for i in wanted if i in found], missing


async def fetch_orders_with_customers(
    client: SpektrixClient,
    ids: Iterable[str],
    known: set[str],
    tick: Tick | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], list[str]]:
    """Orders by id, each followed at once by its customer unless ``known`` holds it (one
    pipeline, no wait between the orders and the customers). ``known`` gains the customers
    fetched. Returns orders, customers, unknown order ids, unknown customer ids."""
    wanted = list(dict.fromkeys(ids))
    orders: dict[str, dict[str, Any]] = {}
    customers: dict[str, dict[str, Any]] = {}
    missing_orders: list[str] = []
    missing_customers: list[str] = []

    async def one(ident: str) -> None:
        order = await client.get_json(f"orders/{_quoted(ident)}", missing_ok=True)
        if tick is not None:
            tick(1)
        if order is None:
            missing_orders.append(ident)
            return
        orders[ident] = order
        cid = order_customer(order)
        if cid and cid not in known:
            known.add(cid)
            customer = await client.get_json(f"customers/{_quoted(cid)}", missing_ok=True)
            if customer is None:
                missing_customers.append(cid)
            else:
                customers[cid] = customer

    await run_all(one(ident) for ident in wanted)
    return (
        [orders[i] for i in wanted if i in orders],
        list(customers.values()),
        missing_orders,
        missing_customers,
    )


def _version(order: dict[str, Any], zone: ZoneInfo) -> str:
    changed = order_changed_utc(order, zone)
    return changed.isoformat() if changed is not None else ""


async def read_order_windows(
    client: SpektrixClient,
    start: date,
    end: date,
    tick: Tick | None = None,
    *,
    concurrency: int = 4,
) -> list[dict[str, Any]]:
    """Orders with a transaction between ``start`` and ``end`` (local dates, inclusive),
    once each (the latest version where windows overlap), oldest change first."""
    found: dict[str, dict[str, Any]] = {}
    gate = asyncio.Semaphore(concurrency)
    zone = client.settings.zone

    async def window(first: date, last: date) -> None:
        async with gate:
            params = {"DateFrom": first.isoformat(), "DateTo": last.isoformat()}
            for order in await fetch_list(client, "orders", params=params):
                if order.get("id") is None:
                    continue
                key = str(order["id"])
                seen = found.get(key)
                if seen is None or _version(seen, zone) <= _version(order, zone):
                    found[key] = order
        if tick is not None:
            tick(1)

    await run_all(window(first, last) for first, last in date_windows(start, end, WINDOW_DAYS))
    return sorted(found.values(), key=lambda o: (_version(o, zone), str(o["id"])))


async def fetch_audit(client: SpektrixClient, url: str, since: str | None) -> AuditReport:
    """The Customer Audit report; ``since`` (local date-time) widens its window.

    The ``from`` parameter is honoured by the simulator **[invented]**; a real scheduled
    report returns its own criteria window ("updated in the last 3 days").
    """
    if since:
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}from={urllib.parse.quote(since)}"
    return parse_audit_report(await client.get_report(url))


def _modified_minus(value: str | None, delta: timedelta) -> str | None:
    if not value:
        return None
    return (datetime.fromisoformat(value[:19]) - delta).isoformat(timespec="seconds")


# --- streams ------------------------------------------------------------------------------


class _SpektrixStream(Stream["SpektrixSource"]):
    """Spektrix streams map through their source (which holds the catalogue index)."""

    def map(self, page: Page) -> Batch:
        return self.source.map_records(page.records)

    @property
    def client(self) -> SpektrixClient:
        return self.source.api


class CatalogueStream(_SpektrixStream):
    """The catalogue lists; only lists whose digest changed are published (``everything``
    publishes all, as a backfill does)."""

    name = "catalogue"
    label = "Catalogue"
    raw_streams = CATALOGUE_LISTS

    def __init__(self, source: SpektrixSource, *, everything: bool = False) -> None:
        super().__init__(source)
        self.everything = everything

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        self.source.progress(self.label, 0, 1)
        lists = await fetch_catalogue(self.client)
        fields = self.source.settings.fields
        digests = catalogue_digests(lists, fields)
        previous = (state.checkpoint if state else None) or {}
        changed = [n for n, d in digests.items() if self.everything or previous.get(n) != d]
        self.source.notes["catalogue_changed"] = changed
        records = [r for name in changed for r in payload_records(name, lists.get(name, []))]
        yield Page(
            records=records,
            cursors=[StreamCursor(self.name, None, digests)],
            meta={"lists": lists, "changed": changed},
            done=1,
            total=1,
        )

    def map(self, page: Page) -> Batch:
        lists = page.meta.get("lists")
        if lists is None:  # replay: the kept records are the lists
            lists = {name: [] for name in CATALOGUE_LISTS}
            for record in page.records:
                lists[record.stream].append(record.payload)
        changed = page.meta.get("changed")
        batch, index, warnings = catalogue_batch(
            lists, self.source.settings.fields, changed=changed
        )
        self.source.index = index
        for warning in warnings:
            self.source.warn(warning)
        return batch


class BackfillStream(_SpektrixStream):
    """The orders of the historical order-ID file, from the last committed position."""

    name = "orders_backfill"
    label = "Orders (backfill)"
    raw_streams = ("orders", "customers")

    def __init__(self, source: SpektrixSource, ids_file: OrderIdFile, start: int) -> None:
        super().__init__(source)
        self.ids_file = ids_file
        self.start = start
        self.max_modified: str | None = None
        self.max_day: str | None = None

    def checkpoint(self, position: int, *, complete: bool = False) -> StreamCursor:
        """The backfill's position as a cursor (with what the feeds start from)."""
        f = self.ids_file
        data: dict[str, Any] = {
            "sha256": f.sha256,
            "file": f.path.name,
            "position": position,
            "total": len(f.ids),
            "max_modified": self.max_modified,
            "max_day": self.max_day,
        }
        if complete:
            data["complete"] = True
        return StreamCursor(self.name, str(position), data)

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        cp = (state.checkpoint if state else None) or {}
        if cp.get("sha256") == self.ids_file.sha256:
            self.max_modified = cp.get("max_modified")
            self.max_day = cp.get("max_day")
        ids = self.ids_file.ids
        chunk = self.source.settings.backfill_chunk
        known = self.source.all_customers()
        self.source.progress(self.label, self.start, len(ids))
        for pos in range(self.start, len(ids), chunk):
            part = ids[pos : pos + chunk]
            done = [pos]

            def tick(n: int, done: list[int] = done) -> None:
                done[0] += n
                self.source.progress(self.label, done[0], len(ids))

            orders, customers, missing, lost = await fetch_orders_with_customers(
                self.client, part, known, tick
            )
            name = self.ids_file.path.name
            if missing:
                self.source.warn(
                    f"{len(missing)} order id(s) in {name} are unknown to Spektrix "
                    f"(e.g. {', '.join(missing[:3])})."
                )
            if lost:
                self.source.warn(
                    f"{len(lost)} customer(s) of backfilled orders are unknown to Spektrix "
                    f"(e.g. {', '.join(lost[:3])})."
                )
            zone = self.source.settings.zone
            for o in orders:
                # Where the feeds start after the backfill: the order's last change as far
                # as its payload tells (no public model has a modification time).
                modified = _version(o, zone)
                last = local_time(o.get("lastTransactionDate")) or local_time(
                    o.get("firstTransactionDate")
                )
                day = last.date().isoformat() if last is not None else ""
                self.max_modified = max(self.max_modified or "", modified) or None
                self.max_day = max(self.max_day or "", day) or None
            end = min(pos + chunk, len(ids))
            yield Page(
                records=payload_records("orders", orders) + payload_records("customers", customers),
                cursors=[self.checkpoint(end), *records_cursors(customers)],
                checkpoint=True,
            )


class FeedStream(_SpektrixStream):
    """Orders changed since the stored position: ``orders/sync`` where the system has it
    (``orders_feed`` auto or sync), else 4-day date windows."""

    name = "orders_sync"
    label = "Orders (changes)"
    raw_streams = ("orders", "customers")

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        mode = self.source.settings.orders_feed
        if mode in ("auto", "sync"):
            available = False
            async for page in self._sync_feed(state):
                available = True
                self.source.notes["feed"] = "orders/sync"
                yield page
            if available:
                return
            if mode == "sync":
                raise SourceError(
                    "The orders/sync feed is not available on this Spektrix system (404).",
                    hint="It is an early-access feature: ask Spektrix to enable it, or set "
                    "the connection's orders feed to 'windows'.",
                )
        self.source.notes["feed"] = "date windows"
        async for page in self._window_feed():
            yield page

    async def _sync_feed(self, state: StreamState | None) -> AsyncIterator[Page]:
        client = self.client
        position = (state.cursor if state else None) or EARLIEST
        first = (
            client.resolve(position)
            if position.startswith("/")
            else client.url("orders/sync", {"since": position})
        )

        async def fetch(url: str) -> Any:
            return await client.get_json(url, missing_ok=url == first)

        def next_of(answer: Any) -> str | None:
            paging = (answer or {}).get("paging") or {}
            return str(paging["next"]) if paging.get("next") else None

        def is_last(answer: Any) -> bool:
            paging = answer.get("paging") or {}
            return len(answer.get("values") or []) < int(paging.get("limit") or FEED_LIMIT)

        paginator = NextLinkPaginator(
            next_of=next_of, is_last=is_last, resolve=lambda _, link: client.resolve(link)
        )
        read = since_checkpoint = 0
        async for linked in paginator.pages(fetch, first):
            if linked.answer is None:  # 404 on the first page: not in early access
                return
            orders = await self._orders_of(linked.answer.get("values") or [])
            parts = urllib.parse.urlsplit(linked.next_url or linked.url)
            position = parts.path + (f"?{parts.query}" if parts.query else "")
            customers = await self.source.new_customers(orders)
            read += len(orders)
            since_checkpoint += len(orders)
            checkpoint = since_checkpoint >= MAX_FEED_ORDERS and not linked.last
            if checkpoint:
                since_checkpoint = 0
            yield Page(
                records=payload_records("orders", orders) + payload_records("customers", customers),
                cursors=[StreamCursor(self.name, position), *records_cursors(customers)],
                checkpoint=checkpoint,
                done=read,
            )

    async def _orders_of(self, values: list[Any]) -> list[dict[str, Any]]:
        """The orders an ``orders/sync`` page names.

        Documented values are references (``orderId``, ``customerId``…, spec §14.2): each
        order is fetched by id, concurrently within the client's budget, once per page.
        Values that carry the order itself (the first build's invented shape, kept raw
        by older versions) are used as they are.
        """
        orders: list[dict[str, Any]] = []
        wanted: dict[str, str | None] = {}
        for value in values:
            if not isinstance(value, dict):
                continue
            if isinstance(value.get("order"), dict):
                orders.append(value["order"])
            elif value.get("orderId") is not None:
                wanted[str(value["orderId"])] = (
                    str(value["customerId"]) if value.get("customerId") else None
                )
            elif value.get("id") is not None:
                orders.append(value)
        if wanted:
            fetched, missing = await fetch_by_id(self.client, "orders/{}", list(wanted))
            for order in fetched:
                customer = wanted.get(str(order.get("id")))
                # The sync value names the customer; an order payload might not.
                if customer and order_customer(order) is None:
                    order = {**order, "customerId": customer}
                orders.append(order)
            if missing:
                self.source.warn(
                    f"{len(missing)} order(s) named by orders/sync are unknown to Spektrix "
                    f"(e.g. {', '.join(missing[:3])})."
                )
        return orders

    async def _window_feed(self) -> AsyncIterator[Page]:
        state = self.source.state("orders_windows")
        cursor = state.cursor if state else None
        if cursor is None:
            raise InputError(
                "Date-window syncing needs a starting point, and this organisation has none yet.",
                hint="Run the backfill first: `houselights sync SLUG --backfill "
                "ORDER_ID_FILE` (integration guide step 4).",
            )
        client = self.client
        start = date.fromisoformat(cursor)
        server_now = client.last_server_date or datetime.now(UTC)
        end = max(start, server_now.astimezone(self.source.settings.zone).date())
        total = len(date_windows(start, end, WINDOW_DAYS))
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            self.source.progress(self.label, done[0], total)

        orders = await read_order_windows(client, start, end, tick)
        latest = max([cursor, *(str(o.get("lastTransactionDate") or "")[:10] for o in orders)])
        customers = await self.source.new_customers(orders)
        yield Page(
            records=payload_records("orders", orders) + payload_records("customers", customers),
            cursors=[StreamCursor("orders_windows", latest), *records_cursors(customers)],
        )


class AuditStream(_SpektrixStream):
    """Customer Audit rows since the last seen (all of them after a ``backfill``), and the
    customers they name — fetched again, since their details changed."""

    name = "audit"
    label = "Customer Audit"
    raw_streams = ("audit",)
    periodic = True  # the report is scheduled daily in Spektrix (3 days of changes kept)

    def __init__(self, source: SpektrixSource, *, backfill: BackfillStream | None = None) -> None:
        super().__init__(source)
        self.backfill = backfill

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        since = EARLIEST if self.backfill else (state.cursor if state else None) or EARLIEST
        self.source.progress(self.label, 0, 1)
        report = await fetch_audit(self.client, self.source.settings.audit_url, since)
        if report.start and since != EARLIEST and report.start[:19] > since:
            self.source.warn(
                f"The Customer Audit report starts at {report.start}, after the last row "
                f"seen ({since}): changes in between are missing. Sync at least every "
                "3 days (the report's window)."
            )
        named = set(report.customer_ids)
        if self.backfill:
            customers = await self.source.fetch_customers(named - self.source.all_customers())
        else:
            customers = await self.source.fetch_customers(named)
        records: list[RawRecord] = audit_records(report.rows)
        records += payload_records("customers", customers)
        cursors = records_cursors(customers)
        if report.rows:
            cursors.append(StreamCursor(self.name, str(report.rows[-1]["date"])[:19]))
        else:  # read, nothing new: the position stays, the time of the read moves
            cursors.append(StreamCursor(self.name, state.cursor if state else None))
        if self.backfill:
            cursors.extend(self._feed_starts(self.backfill))
        self.source.progress(self.label, 1, 1)
        yield Page(records=records, cursors=cursors)

    def _feed_starts(self, backfill: BackfillStream) -> list[StreamCursor]:
        """The backfill's completion, and where the feeds start after it."""
        cursors = [backfill.checkpoint(len(backfill.ids_file.ids), complete=True)]
        # The feed restarts a day before the newest change the backfill saw, so changes
        # made while a long backfill ran are read again (re-reading changes nothing).
        if self.source.state("orders_sync") is None:
            since = _modified_minus(backfill.max_modified, FEED_OVERLAP) or EARLIEST
            cursors.append(StreamCursor("orders_sync", since))
        if self.source.state("orders_windows") is None and backfill.max_day:
            cursors.append(StreamCursor("orders_windows", backfill.max_day))
        return cursors
