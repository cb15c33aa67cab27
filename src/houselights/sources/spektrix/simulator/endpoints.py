"""The API v3 endpoints of the simulator: route matching, filters, paging, payloads.

Pure functions of a :class:`~.data.ClientDataset` and the query string, kept apart from
the HTTP plumbing in :mod:`.server` so they are easy to read and test. Each returns
``(status, payload)``; the server adds auth, faults and serialisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalogue import DAY
from .clock import LocalZone, format_utc7, parse_query_datetime
from .data import ClientDataset
from .orders import SYNC_PAGE_LIMIT

__all__ = ["OWNER_ONLY", "ApiError", "Route", "dispatch", "resolve"]

Query = Mapping[str, str]
Result = tuple[int, Any]
ORDERS_MAX_PAGE_SIZE = 500
ORDERS_DEFAULT_PAGE_SIZE = 200


class ApiError(Exception):
    """A 4xx answer with a JSON ``{"message": ...}`` body (body shape invented)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Route:
    """A matched request: its template (``orders/{id}``) and the id in the path, if any."""

    template: str
    ident: str | None = None


_COLLECTIONS = {
    "events", "instances", "plans", "venues", "stock-items", "funds", "memberships",
    "statements", "tags", "tag-groups", "customers", "orders",
}
_SINGLE = {"events", "instances", "plans", "venues", "stock-items", "funds", "memberships",
           "customers", "orders"}
OWNER_ONLY = frozenset({"customers", "customers/{id}", "orders", "orders/{id}", "orders/sync"})
"""Routes that need a System Owner signature (spec §2)."""


def resolve(tail: str) -> Route | None:
    """Match the part of the path after ``/api/v3/`` to a route template."""
    parts = tail.split("/")
    if len(parts) == 1 and parts[0] in _COLLECTIONS:
        return Route(parts[0])
    if len(parts) == 2 and parts[0] in _SINGLE and parts[1]:
        if parts == ["orders", "sync"]:
            return Route("orders/sync")
        return Route(f"{parts[0]}/{{id}}", parts[1])
    if len(parts) == 3 and parts[0] == "events" and parts[2] == "instances" and parts[1]:
        return Route("events/{id}/instances", parts[1])
    return None


# --- query helpers -------------------------------------------------------------------


def _int_param(query: Query, name: str, default: int | None) -> int | None:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, f"The request is invalid: '{name}' must be a positive integer.")
    return int(raw)


def _page(items: list[Any], query: Query, default_size: int | None = None) -> list[Any]:
    """Bare-array paging by ``page`` (1-based) and ``pageSize``; no pageSize = everything."""
    size = _int_param(query, "pageSize", default_size)
    page = _int_param(query, "page", 1) or 1
    if size is None:
        return items
    return items[(page - 1) * size: page * size]


def _date_bound(
    query: Query, name: str, *, end: bool, zone: LocalZone, local: bool = True
) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    parsed = parse_query_datetime(raw, local=local, zone=zone)
    if parsed is None:
        raise ApiError(400, f"The request is invalid: '{name}' is not a valid date.")
    us, date_only = parsed
    # A date-only upper bound includes that whole day.
    return us + DAY - 1 if end and date_only else us


def _ref(value: Any) -> str | None:
    """The id of an ``{id}`` reference (or of a bare id string)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _matches(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return str(value).lower() == wanted.lower()
    if value is None:
        return wanted == ""
    return str(value) == wanted


def _attribute_filters(query: Query, prefix: str) -> list[tuple[str, str]]:
    n = len(prefix)
    return [("attribute_" + k[n:], v) for k, v in query.items()
            if k.lower().startswith(prefix) and len(k) > n]


def _filter_attributes(items: list[dict[str, Any]], filters: list[tuple[str, str]]) -> list[Any]:
    return [p for p in items if all(k in p and _matches(p[k], v) for k, v in filters)]


# --- catalogue -----------------------------------------------------------------------


def _events(ds: ClientDataset, query: Query, owner: bool) -> list[dict[str, Any]]:
    cat = ds.catalogue
    events = cat.events if owner else cat.events_web
    instances = cat.instances if owner else cat.instances_web
    start_from = _date_bound(query, "instanceStart_from", end=False, zone=ds.zone)
    start_to = _date_bound(query, "instanceStart_to", end=True, zone=ds.zone)
    inst_filters = _attribute_filters(query, "instanceattribute_")
    if start_from is not None or start_to is not None or inst_filters:
        lo = start_from if start_from is not None else -(2**62)
        hi = start_to if start_to is not None else 2**62
        index = {p["id"]: i for i, p in enumerate(cat.instances)}
        keep: set[str] = set()
        for inst in _filter_attributes(instances, inst_filters):
            start = int(cat.inst_start[index[inst["id"]]])
            if lo <= start <= hi:
                keep.add(_ref(inst.get("event")) or "")
        events = [e for e in events if e["id"] in keep]
    events = _filter_attributes(events, _attribute_filters(query, "attribute_"))
    name = query.get("name")
    if name:
        events = [e for e in events if name.lower() in e["name"].lower()]
    on_sale = query.get("onSale")
    if on_sale is not None:
        events = [e for e in events if _matches(e["isOnSale"], on_sale)]
    return events


def _instances(
    ds: ClientDataset, query: Query, owner: bool, event_id: str | None = None
) -> list[dict[str, Any]]:
    cat = ds.catalogue
    items = cat.instances if owner else cat.instances_web
    if event_id is not None:
        items = [p for p in items if _ref(p.get("event")) == event_id]
    # ``startFrom``/``startTo`` are the help page's names (spec §14.4); ``start_from``/
    # ``start_to`` what peers send to events/{id}/instances (§6.1). Both are honoured.
    lo = _date_bound(query, "startFrom" if "startFrom" in query else "start_from", end=False,
                     zone=ds.zone)
    hi = _date_bound(query, "startTo" if "startTo" in query else "start_to", end=True,
                     zone=ds.zone)
    if lo is not None or hi is not None:
        index = {p["id"]: i for i, p in enumerate(cat.instances)}
        lo = lo if lo is not None else -(2**62)
        hi = hi if hi is not None else 2**62
        items = [p for p in items if lo <= int(cat.inst_start[index[p["id"]]]) <= hi]
    return _filter_attributes(items, _attribute_filters(query, "attribute_"))


def _by_id(items: list[dict[str, Any]], ident: str, what: str) -> dict[str, Any]:
    for item in items:
        if item["id"] == ident:
            return item
    raise ApiError(404, f"{what} not found.")


def _catalogue(ds: ClientDataset, route: Route, query: Query, owner: bool) -> Result:
    cat = ds.catalogue
    lists: dict[str, list[dict[str, Any]]] = {
        "plans": cat.plans, "venues": cat.venues,
        "stock-items": cat.stock_items if owner else cat.stock_items_web,
        "funds": cat.funds, "memberships": cat.memberships, "statements": cat.statements,
        "tags": cat.tags if owner else cat.tags_web,
        "tag-groups": cat.tag_groups if owner else cat.tag_groups_web,
    }
    t = route.template
    if t == "events":
        return 200, _page(_events(ds, query, owner), query)
    if t == "instances":
        return 200, _page(_instances(ds, query, owner), query)
    if t == "events/{id}":
        return 200, _by_id(cat.events if owner else cat.events_web, route.ident or "", "Event")
    if t == "events/{id}/instances":
        _by_id(cat.events if owner else cat.events_web, route.ident or "", "Event")
        return 200, _page(_instances(ds, query, owner, route.ident), query)
    if t == "instances/{id}":
        items = cat.instances if owner else cat.instances_web
        return 200, _by_id(items, route.ident or "", "Instance")
    collection, _, single = t.partition("/")
    items = lists[collection]
    if single:
        return 200, _by_id(items, route.ident or "", collection.rstrip("s").capitalize())
    return 200, _page(_filter_attributes(items, _attribute_filters(query, "attribute_")), query)


# --- customers and orders (System Owner) -----------------------------------------------


def _customers(ds: ClientDataset, route: Route, query: Query) -> Result:
    now = ds.clock.now_micros
    if route.template == "customers/{id}":
        row = ds.customers.row_of(route.ident or "", now)
    else:
        email = query.get("email")
        if not email:
            raise ApiError(400, "The request is invalid: an 'email' filter is required.")
        row = ds.customers.row_by_email(email, now)
    if row is None:
        raise ApiError(404, "Customer not found.")
    return 200, ds.customers.render(row, now)


def _orders_by_date(ds: ClientDataset, query: Query, repeat_over_days: int | None) -> Result:
    start = _date_bound(query, "DateFrom", end=False, zone=ds.zone)
    end = _date_bound(query, "DateTo", end=True, zone=ds.zone)
    if start is None or end is None:
        raise ApiError(400, "The request is invalid: 'DateFrom' and 'DateTo' are required.")
    if end < start:
        raise ApiError(400, "The request is invalid: 'DateTo' is before 'DateFrom'.")
    size = _int_param(query, "pageSize", ORDERS_DEFAULT_PAGE_SIZE) or ORDERS_DEFAULT_PAGE_SIZE
    if size > ORDERS_MAX_PAGE_SIZE:
        raise ApiError(400, f"The request is invalid: 'pageSize' may not exceed "
                            f"{ORDERS_MAX_PAGE_SIZE}.")
    page = _int_param(query, "page", 1) or 1
    rows = ds.orders.in_window(start, end)
    pages = -(-len(rows) // size)
    if repeat_over_days is not None and (end - start) / DAY > repeat_over_days and page <= pages:
        page = 1  # the observed quirk: long windows serve the first page again and again
    chosen = rows[(page - 1) * size: page * size]
    return 200, [ds.orders.render(ds.orders.get(r)) for r in chosen]


def _orders_sync(ds: ClientDataset, query: Query, root: str) -> Result:
    raw_since = query.get("since")
    parsed = parse_query_datetime(raw_since, local=False) if raw_since else None
    if parsed is None:
        raise ApiError(400, "The request is invalid: 'since' must be an ISO-8601 date-time.")
    since = parsed[0]
    after = query.get("after")
    after_row = None
    if after:
        after_row = ds.orders.row_of(after)
        if after_row is None:
            raise ApiError(400, "The request is invalid: 'after' is not an order id.")
    limit = min(_int_param(query, "limit", SYNC_PAGE_LIMIT) or SYNC_PAGE_LIMIT, SYNC_PAGE_LIMIT)
    records = ds.orders.sync(since, after_row, limit)
    # The docs print ``next`` host-relative without the client segment (spec §14.2).
    form = ds.config.payload.sync_next
    base = {
        "documented": "/api/v3/orders/sync",
        "with-client": f"/{ds.name}/api/v3/orders/sync",
        "absolute": f"{root}/{ds.name}/api/v3/orders/sync",
    }[form]
    if records:
        last = records[-1]
        nxt = f"{base}?since={format_utc7(last.modified)}&after={ds.orders.order_id(last.row)}"
    else:
        nxt = f"{base}?since={format_utc7(since)}" + (f"&after={after}" if after else "")
    return 200, {
        "paging": {"limit": SYNC_PAGE_LIMIT, "next": nxt},
        "values": [ds.orders.sync_value(r) for r in records],
    }


def _order(ds: ClientDataset, route: Route) -> Result:
    row = ds.orders.row_of(route.ident or "")
    if row is None:
        raise ApiError(404, "Order not found.")
    return 200, ds.orders.render(ds.orders.get(row))


def dispatch(
    ds: ClientDataset, route: Route, query: Query, *, owner: bool,
    repeat_pages_over_days: int | None = None, root: str = "",
) -> Result:
    """Answer one authorised GET; raises :class:`ApiError` for 4xx answers."""
    t = route.template
    if t.startswith("customers"):
        return _customers(ds, route, query)
    if t == "orders":
        return _orders_by_date(ds, query, repeat_pages_over_days)
    if t == "orders/sync":
        return _orders_sync(ds, query, root)
    if t == "orders/{id}":
        return _order(ds, route)
    return _catalogue(ds, route, query, owner)

