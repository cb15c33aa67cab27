"""What the connector reads from Spektrix, stream by stream (async, on a SpektrixClient).

* :func:`fetch_catalogue` — events, instances, plans, venues, stock items, funds,
  memberships and statements, each a bare-array list paged by ``page``/``pageSize``
  (spec §5.1), fetched concurrently.
* :func:`fetch_orders` / :func:`fetch_customers` — by id, concurrently (the client's
  budget and concurrency limit the pace); unknown ids are returned apart.
* :func:`read_order_feed` — ``orders/sync?since=`` pages (spec §6.7B): oldest first,
  ≤ 100 a page; the position is the server's ``paging.next`` link (``since`` + ``after``
  in the simulator). ``None`` when the feed is not enabled (early access → 404).
* :func:`read_order_windows` — the fallback: ``orders?DateFrom&DateTo`` in windows of at
  most 4 days, de-duplicated by id, stopping a window when a page adds no new id (the
  repeated-page behaviour observed by peers, spec §6.7A).
* :func:`fetch_audit` — the Customer Audit report with the reporting user's credentials.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from houselights.errors import HouselightsError

from .client import SpektrixClient
from .mapping import CATALOGUE_LISTS
from .reports import AuditReport, parse_audit_report

__all__ = [
    "CATALOGUE_PATHS",
    "FeedPage",
    "fetch_audit",
    "fetch_catalogue",
    "fetch_customers",
    "fetch_list",
    "fetch_orders",
    "fetch_orders_with_customers",
    "read_order_feed",
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
Tick = Callable[[int], None]


async def fetch_list(
    client: SpektrixClient,
    path: str,
    *,
    page_size: int = PAGE_SIZE,
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every item of a paged list, stopping on a short page or a page adding nothing."""
    items: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        answer = await client.get_json(
            path, {**(params or {}), "page": page, "pageSize": page_size}
        )
        batch = answer if isinstance(answer, list) else []
        new = 0
        for item in batch:
            key = str(item.get("id"))
            if key not in items:
                new += 1
            items[key] = item
        if len(batch) < page_size or new == 0:
            return list(items.values())
        page += 1


async def fetch_catalogue(client: SpektrixClient) -> dict[str, list[dict[str, Any]]]:
    """Every catalogue list, fetched concurrently."""
    lists = await asyncio.gather(
        *(fetch_list(client, CATALOGUE_PATHS[name]) for name in CATALOGUE_LISTS)
    )
    return dict(zip(CATALOGUE_LISTS, lists, strict=True))


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real failure inside a TaskGroup's exception group (errors stay plain)."""
    leaves: list[BaseException] = []

    def walk(e: BaseException) -> None:
        if isinstance(e, BaseExceptionGroup):
            for inner in e.exceptions:
                walk(inner)
        else:
            leaves.append(e)

    walk(group)
    return next((e for e in leaves if isinstance(e, HouselightsError)), leaves[0])


async def _all(coros: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run ``coros`` concurrently; the first failure cancels the rest and is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                group.create_task(coro)
    except BaseExceptionGroup as failed:
        raise _first_error(failed) from None


async def _by_id(
    client: SpektrixClient,
    template: str,
    ids: Iterable[str],
    tick: Tick | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    wanted = list(dict.fromkeys(ids))
    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []

    async def one(ident: str) -> None:
        payload = await client.get_json(
            template.format(urllib.parse.quote(ident, safe="")), missing_ok=True
        )
        if payload is None:
            missing.append(ident)
        else:
            found[ident] = payload
        if tick is not None:
            tick(1)

    await _all(one(ident) for ident in wanted)
    return [found[i] for i in wanted if i in found], missing


async def fetch_orders(
    client: SpektrixClient,
    ids: Iterable[str],
    tick: Tick | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Orders by id (``orders/{id}``), in the order asked; ids Spektrix does not know apart."""
    return await _by_id(client, "orders/{}", ids, tick)


async def fetch_customers(
    client: SpektrixClient,
    ids: Iterable[str],
    tick: Tick | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Customers by id (``customers/{id}``); ids Spektrix does not know apart."""
    return await _by_id(client, "customers/{}", ids, tick)


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
        order = await client.get_json(
            f"orders/{urllib.parse.quote(ident, safe='')}", missing_ok=True
        )
        if tick is not None:
            tick(1)
        if order is None:
            missing_orders.append(ident)
            return
        orders[ident] = order
        ref = order.get("customer")
        cid = ref.get("id") if isinstance(ref, dict) else None
        if cid and cid not in known:
            known.add(cid)
            customer = await client.get_json(
                f"customers/{urllib.parse.quote(cid, safe='')}", missing_ok=True
            )
            if customer is None:
                missing_customers.append(cid)
            else:
                customers[cid] = customer

    await _all(one(ident) for ident in wanted)
    return (
        [orders[i] for i in wanted if i in orders],
        list(customers.values()),
        missing_orders,
        missing_customers,
    )


@dataclass
class FeedPage:
    """One ``orders/sync`` page: its orders and the position after it."""

    orders: list[dict[str, Any]]
    position: str
    last: bool


async def read_order_feed(client: SpektrixClient, position: str) -> FeedPage | None:
    """One page of the order feed from ``position`` (a ``since`` time or a ``next`` link).

    ``None`` when the feed is not available on this system (404: not in early access).
    """
    if position.startswith("/"):
        answer = await client.get_json(position, missing_ok=True)
    else:
        answer = await client.get_json("orders/sync", {"since": position}, missing_ok=True)
    if answer is None:
        return None
    values = answer.get("values") or []
    paging = answer.get("paging") or {}
    limit = int(paging.get("limit") or FEED_LIMIT)
    orders = [v["order"] if isinstance(v.get("order"), dict) else v for v in values]
    nxt = str(paging.get("next") or position)
    if nxt.startswith(("http://", "https://")):
        parts = urllib.parse.urlsplit(nxt)
        nxt = parts.path + (f"?{parts.query}" if parts.query else "")
    return FeedPage(orders, nxt, len(values) < limit)


async def read_order_windows(
    client: SpektrixClient,
    start: date,
    end: date,
    tick: Tick | None = None,
    *,
    concurrency: int = 4,
) -> list[dict[str, Any]]:
    """Orders with a transaction between ``start`` and ``end`` (local dates, inclusive)."""
    windows = []
    day = start
    while day <= end:
        last = min(end, day + timedelta(days=WINDOW_DAYS - 1))
        windows.append((day, last))
        day = last + timedelta(days=1)
    found: dict[str, dict[str, Any]] = {}
    gate = asyncio.Semaphore(concurrency)

    async def window(first: date, last: date) -> None:
        async with gate:
            params = {"DateFrom": first.isoformat(), "DateTo": last.isoformat()}
            for order in await fetch_list(client, "orders", params=params):
                seen = found.get(order["id"])
                if seen is None or str(seen.get("lastModifiedUtc", "")) <= str(
                    order.get("lastModifiedUtc", "")
                ):
                    found[order["id"]] = order
        if tick is not None:
            tick(1)

    await _all(window(first, last) for first, last in windows)
    return sorted(found.values(), key=lambda o: (str(o.get("lastModifiedUtc", "")), o["id"]))


async def fetch_audit(client: SpektrixClient, url: str, since: str | None) -> AuditReport:
    """The Customer Audit report; ``since`` (local date-time) widens its window.

    The ``from`` parameter is honoured by the simulator **[invented]**; a real scheduled
    report returns its own criteria window ("updated in the last 3 days").
    """
    if since:
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}from={urllib.parse.quote(since)}"
    return parse_audit_report(await client.get_report(url))
