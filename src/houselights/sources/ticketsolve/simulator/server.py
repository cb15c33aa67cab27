"""The simulator's aiohttp application: the feed, faults, request log and admin.

URL space (``{client}`` is a configured client name):

* ``/{client}/shows.xml`` (``?tag=``, ``?category=``) and
  ``/{client}/shows/{showId}/events/{eventId}.xml`` — the documented feed (spec §1–§2);
  for a client with a ``feed_host``, the same paths without ``/{client}`` when the
  request's ``Host`` is that domain;
* ``/_simulator/...`` — **simulator-only** admin (clients, advance the clock, request
  counts, faults); no real Ticketsolve has these.

Order of handling a feed request: rate limit, then the fault chosen for it (refusals and
errors first, then delays), then the document, then faults that spoil the body. Every
request to a client — refused, failed or answered — is logged with its status so tests
can count what a sync fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .config import SimulatorConfig
from .data import AdvanceResult, ClientDataset
from .documents import billion_laughs, external_entity, malformed
from .faults import EVENT_ROUTE, SHOWS_ROUTE, FaultController, FaultKind, fault_kind

__all__ = ["RequestRecord", "ServerState", "build_app"]

XML = "application/xml"
_EVENT_PATH = re.compile(r"^shows/(\d+)/events/(\d+)\.xml$")

# Error pages [invented shapes]: Ticketsolve is Rails behind nginx + Passenger (spec §1).
_NGINX_403 = ("<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n"
              "<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n"
              "</body>\r\n</html>\r\n")
_RAILS_500 = ("<!DOCTYPE html>\n<html>\n<head><title>We're sorry, but something went wrong"
              " ({status})</title></head>\n<body><div class=\"dialog\"><h1>We're sorry, but "
              "something went wrong.</h1></div></body>\n</html>\n")
_RAILS_404 = ("<!DOCTYPE html>\n<html>\n<head><title>The page you were looking for doesn't "
              "exist (404)</title></head>\n<body><div class=\"dialog\"><h1>The page you were "
              "looking for doesn't exist.</h1></div></body>\n</html>\n")


@dataclass(frozen=True)
class RequestRecord:
    """One request a client's feed received: when (monotonic seconds), what, the answer."""

    at: float
    client: str
    path: str
    query: str
    status: int


@dataclass
class ServerState:
    """Everything the handlers share: config, datasets, faults, the log, feed cache."""

    config: SimulatorConfig
    datasets: dict[str, ClientDataset]
    faults: FaultController
    stopping: asyncio.Event | None = None
    log: dict[str, list[RequestRecord]] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    _cache: dict[tuple[str, int, str, str | None, str | None], bytes] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        for name, ds in self.datasets.items():
            self.log[name] = []
            if ds.config.feed_host:
                self.hosts[ds.config.feed_host.lower()] = name

    def shows_xml(self, ds: ClientDataset, base: str, tag: str | None,
                  category: str | None) -> bytes:
        """``shows.xml`` for these links and filters, rendered once per revision."""
        key = (ds.name, ds.revision, base, tag, category)
        body = self._cache.get(key)
        if body is None:
            stale = [k for k in self._cache if k[0] == ds.name and k[1] != ds.revision]
            for k in stale:
                del self._cache[k]
            body = "".join(ds.shows_xml(base, tag=tag, category=category)).encode()
            self._cache[key] = body
        return body

    def advance(self, client: str, seconds: float,
                show_changes: float | None = None) -> AdvanceResult:
        """Advance one client's clock; writes the new period's exports if configured."""
        ds = self.datasets[client]
        result = ds.advance(seconds, show_changes=show_changes)
        if self.config.exports_dir is not None:
            ds.write_exports(Path(self.config.exports_dir), self.config.export_formats,
                             [result.period.index])
        return result

    def urls(self, root: str) -> dict[str, Any]:
        """What an integrator is told about each client (the ``--urls-out`` JSON)."""
        return {"clients": [
            {"client": name, "organisation": ds.org.name, "currency": ds.currency,
             "zone": ds.org.zone, "base_url": f"{root}/{name}",
             "shows_url": f"{root}/{name}/shows.xml", "feed_host": ds.config.feed_host}
            for name, ds in self.datasets.items()
        ]}


def _text(status: int, text: str, content_type: str = "text/html",
          headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, content_type=content_type, headers=headers)


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload, default=str),
                        content_type="application/json")


class _Handlers:
    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def _hang(self, seconds: float) -> None:
        stopping = self.state.stopping
        if stopping is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)

    async def feed(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        tail = request.match_info["tail"]
        client = state.hosts.get(request.host.rsplit(":", 1)[0].lower())
        prefix = ""
        if client is None:
            client, _, tail = tail.partition("/")
            prefix = f"/{client}"
        ds = state.datasets.get(client)
        if ds is None:
            return _text(404, _RAILS_404)
        started = time.monotonic()
        response = await self._answer(request, ds, tail, prefix)
        state.log[client].append(
            RequestRecord(started, client, f"/{tail}", request.query_string, response.status))
        return response

    async def _answer(self, request: web.Request, ds: ClientDataset, tail: str,
                      prefix: str) -> web.StreamResponse:
        state = self.state
        event = _EVENT_PATH.match(tail)
        template = SHOWS_ROUTE if tail == SHOWS_ROUTE else EVENT_ROUTE if event else None
        if template is None:
            return _text(404, _RAILS_404)
        if request.method not in ("GET", "HEAD"):
            return _text(405, "Method Not Allowed", "text/plain")
        faults = state.faults
        limiter = faults.limiter
        wait = limiter.acquire(ds.name) if limiter else 0.0
        fault = faults.choose(ds.name, template, tail) if faults.active else None
        kind = fault.kind if fault else None
        if wait > 0 and faults.rate_limit_status == 403:
            kind = FaultKind.FORBIDDEN
        elif wait > 0:
            kind = FaultKind.RATE_LIMIT
        if kind is FaultKind.RATE_LIMIT:
            retry = max(faults.config.retry_after_seconds, math.ceil(wait))
            return _text(429, "Rate limit exceeded. Retry later.\n", "text/plain",
                         {"Retry-After": str(retry)})
        if kind is FaultKind.FORBIDDEN:
            return _text(403, _NGINX_403)
        if fault and kind is FaultKind.SERVER_ERROR:
            return _text(fault.status, _RAILS_500.format(status=fault.status))
        if kind is FaultKind.TIMEOUT:
            await self._hang(faults.config.timeout_seconds)
        if kind is FaultKind.SLOW:
            await asyncio.sleep(faults.config.slow_ms / 1000)
        if state.config.latency_ms:
            await asyncio.sleep(state.config.latency_ms / 1000)

        base = f"{request.scheme}://{request.host}{prefix}"
        root = "venues" if event is None else "event"
        if event is None:
            body = state.shows_xml(ds, base, request.query.get("tag"),
                                   request.query.get("category"))
        else:
            found = ds.event_xml(base, int(event.group(1)), int(event.group(2)))
            if found is None:
                return _text(404, _RAILS_404)
            body = found
        if kind is FaultKind.TRUNCATED:
            body = body[: max(1, len(body) // 2)]
        elif kind is FaultKind.MALFORMED:
            body = malformed(body)
        elif kind is FaultKind.ENTITY_EXPANSION:
            body = billion_laughs(root)
        elif kind is FaultKind.EXTERNAL_ENTITY:
            body = external_entity(root)
        return web.Response(body=body, content_type=XML, charset="utf-8")

    # --- simulator-only admin ---------------------------------------------------------

    def _dataset(self, request: web.Request) -> ClientDataset:
        ds = self.state.datasets.get(request.match_info["client"])
        if ds is None:
            raise web.HTTPNotFound(text="no such simulated client")
        return ds

    async def admin_clients(self, request: web.Request) -> web.StreamResponse:
        return _json(self.state.urls(f"{request.scheme}://{request.host}"))

    async def admin_advance(self, request: web.Request) -> web.StreamResponse:
        ds = self._dataset(request)
        try:
            days = float(request.query.get("days", "0"))
            hours = float(request.query.get("hours", "0"))
            raw = request.query.get("show_changes")
            show_changes = None if raw is None else float(raw)
        except ValueError:
            return _json({"message": "days, hours and show_changes must be numbers"}, 400)
        seconds = days * 86_400 + hours * 3_600
        if seconds <= 0:
            return _json({"message": "advance by a positive number of days or hours"}, 400)
        result = self.state.advance(ds.name, seconds, show_changes)
        payload = {k: v for k, v in result.__dict__.items() if k != "period"}
        payload["period"] = result.period.label
        return _json(payload)

    async def admin_requests(self, request: web.Request) -> web.StreamResponse:
        ds = self._dataset(request)
        log = self.state.log[ds.name]
        counts: dict[str, int] = {}
        for record in log:
            counts[record.path] = counts.get(record.path, 0) + 1
        payload = {"client": ds.name, "total": len(log), "paths": counts}
        if request.method == "DELETE":  # answers with what it forgot
            log.clear()
        return _json(payload)

    async def admin_faults(self, request: web.Request) -> web.StreamResponse:
        faults = self.state.faults
        try:
            spec = await request.json()
            if spec.get("clear"):
                faults.clear()
            for kind, probability in spec.get("probabilities", {}).items():
                faults.set_probability(fault_kind(kind), float(probability))
            for rule in spec.get("rules", []):
                faults.script(fault_kind(rule["kind"]), rule.get("route", "*"),
                              frozenset(int(n) for n in rule.get("nth", [])),
                              probability=float(rule.get("probability", 0.0)),
                              status=int(rule.get("status", 503)))
            if "rate_limit" in spec:
                status = spec.get("rate_limit_status")
                faults.set_rate_limit(spec["rate_limit"], None if status is None else int(status))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return _json({"message": f"bad fault specification: {error}"}, 400)
        return _json({"ok": True})


def build_app(state: ServerState) -> web.Application:
    """The aiohttp application serving every configured client."""
    handlers = _Handlers(state)
    app = web.Application()
    app.router.add_get("/_simulator/clients", handlers.admin_clients)
    app.router.add_post("/_simulator/faults", handlers.admin_faults)
    app.router.add_post("/_simulator/{client}/advance", handlers.admin_advance)
    app.router.add_get("/_simulator/{client}/requests", handlers.admin_requests)
    app.router.add_delete("/_simulator/{client}/requests", handlers.admin_requests)
    app.router.add_route("*", "/{tail:.*}", handlers.feed)
    return app
