"""The simulator's aiohttp application: auth, faults, reports and simulator-only admin.

URL space (``{client}`` is a configured client name):

* ``/{client}/api/v3/...`` — the Spektrix API v3 surface (see :mod:`.endpoints`);
* ``/{client}/reports/customer-audit`` and ``/{client}/reports/historical-order-ids`` —
  report downloads behind HTTP basic auth of a user with the Collect Report role
  (URLs and auth style **invented**: the real download mechanism is not public);
* ``/_simulator/...`` — **simulator-only** admin (advance the clock, toggle partner
  access, faults, credentials); no real Spektrix system has these.

Order of checks for an API request, chosen to mirror the real stack: the CDN in front
(HTML 403 fault), then signature, rate limit, partner toggle, permissions, then faults
inside the application (5xx, slow, hang, truncated body), then the answer.

Signatures are checked by :mod:`.verifier`, written from the spec independently of the
client's signer. Answered API requests are counted per client and route template
(:attr:`ServerState.hits`) so tests can see, for instance, that each order was fetched
exactly once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .clock import MICROS, format_local, local_day_start, parse_query_datetime
from .config import SimulatorConfig
from .data import ClientDataset
from .endpoints import OWNER_ONLY, ApiError, dispatch, resolve
from .faults import FaultController, FaultKind, fault_kind
from .verifier import Refusal, Verifier

__all__ = ["ServerState", "build_app", "credentials_for"]

JSON = "application/json"
STAFF_USER = "boxoffice_manager"
"""A staff user that exists on every simulated client but lacks the Collect Report role."""

_CLOUDFLARE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" /></head>
<body><div id="cf-wrapper"><h1>Sorry, you have been blocked</h1>
<h2>You are unable to access system.spektrix.com</h2>
<p>This website is using a security service to protect itself from online attacks.</p>
<p>Cloudflare Ray ID: <strong>{ray}</strong></p></div></body></html>
"""


@dataclass
class ServerState:
    """Everything the handlers share: config, datasets, verifiers, live faults."""

    config: SimulatorConfig
    datasets: dict[str, ClientDataset]
    faults: FaultController
    verifiers: dict[str, Verifier] = field(default_factory=dict)
    stopping: asyncio.Event | None = None
    base_host: str = "127.0.0.1"
    port: int = 0
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Answered API requests per (client, route template)."""
    throttled: Counter[str] = field(default_factory=Counter)
    """Requests per client refused by the rate limit (over its budget; not injected 429s)."""

    def __post_init__(self) -> None:
        for name, ds in self.datasets.items():
            self.verifiers[name] = Verifier(
                {ds.config.api_login: ds.api_key},
                max_skew_seconds=self.config.max_clock_skew_seconds,
            )

    def staff_password(self, client: str) -> str:
        """Password of the staff user without the Collect Report role."""
        ds = self.datasets[client]
        digest = hashlib.sha256(f"{ds.seed}:{client}:staff".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:20]


def credentials_for(state: ServerState, root: str) -> dict[str, Any]:
    """What a partner is given for each client (the ``--credentials-out`` JSON)."""
    clients = []
    for name, ds in state.datasets.items():
        clients.append({
            "client": name,
            "organisation": ds.organisation,
            "base_url": f"{root}/{name}/api/v3",
            "api_login": ds.config.api_login,
            "api_key": ds.api_key,
            "report_user": ds.config.report_user,
            "report_password": ds.report_password,
            "audit_report_url": f"{root}/{name}/reports/customer-audit",
            "order_ids_url": f"{root}/{name}/reports/historical-order-ids",
        })
    return {"clients": clients}


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(status=status, body=body, content_type=JSON, headers=headers)


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return _json(status, {"message": message}, headers)


def _cloudflare(number: int) -> web.Response:
    ray = hashlib.sha1(str(number).encode(), usedforsecurity=False).hexdigest()[:16]
    return web.Response(
        status=403, text=_CLOUDFLARE_PAGE.format(ray=f"{ray}-LHR"), content_type="text/html",
        headers={"Server": "cloudflare", "CF-RAY": f"{ray}-LHR"},
    )


_AUTH_MESSAGES = {
    Refusal.MALFORMED_HEADER: "Authorization has been denied for this request.",
    Refusal.UNKNOWN_LOGIN: "Authorization has been denied for this request.",
    Refusal.MISSING_DATE: "Authorization has been denied for this request: invalid Date.",
    Refusal.CLOCK_SKEW: "Authorization has been denied for this request: request expired.",
    Refusal.BAD_SIGNATURE: "Authorization has been denied for this request.",
}


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

    async def api(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        client = request.match_info["client"]
        ds = state.datasets.get(client)
        if ds is None:
            return _message(404, "Not found.")
        route = resolve(request.match_info["tail"])
        template = route.template if route else "unknown"
        fault = None
        if state.faults.active:  # hot path: no bookkeeping while no fault is configured
            number, total = state.faults.count(client, template)
            fault = state.faults.choose(client, template, number, total)
        if fault and fault.kind is FaultKind.HTML_403:
            return _cloudflare(id(request))

        login: str | None = None
        authorization = request.headers.get("Authorization")
        if authorization is not None:
            body = await request.read() if request.method != "GET" else None
            url = f"{request.scheme}://{request.host}{request.raw_path}"
            now = datetime.now(UTC) + timedelta(seconds=state.faults.clock_offset_seconds)
            verdict = state.verifiers[client].check(
                request.method, url, request.headers.get("Date"), authorization, body, now=now,
            )
            refusal = verdict.refusal
            if refusal is None and fault and fault.kind is FaultKind.CLOCK_SKEW:
                refusal = Refusal.CLOCK_SKEW
            if refusal is not None:
                return _message(401, _AUTH_MESSAGES[refusal],
                                {"WWW-Authenticate": "SpektrixAPI3"})
            login = verdict.login
        elif fault and fault.kind is FaultKind.CLOCK_SKEW:
            return _message(401, _AUTH_MESSAGES[Refusal.CLOCK_SKEW])

        limiter = state.faults.limiter
        # One budget per API login of each client system (a login name may recur across
        # systems); unauthenticated calls share one per system and address.
        key = f"{client}:{login}" if login else f"{client}:web:{request.remote}"
        wait = limiter.acquire(key) if limiter else 0.0
        if wait > 0:
            state.throttled[client] += 1
        if wait > 0 or (fault and fault.kind is FaultKind.RATE_LIMIT):
            retry = max(state.faults.config.retry_after_seconds, math.ceil(wait))
            return _message(429, "Too many requests.", {"Retry-After": str(retry)})

        if login is not None and not ds.partner_access:
            return _message(403, "Access to this system's data has been withdrawn by the "
                                 "organisation for this API user.")
        if route is None:
            return _message(404, "No HTTP resource was found that matches the request URI.")
        if request.method != "GET":
            return _message(405, "The requested resource does not support this HTTP method.")
        owner = login is not None
        if route.template in OWNER_ONLY:
            if login is None:
                return _message(401, "Authorization has been denied for this request.")
            if not ds.config.variations.api_user_is_system_owner:
                return _message(403, "This API user does not have System Owner permissions.")

        if fault and fault.kind is FaultKind.SERVER_ERROR:
            return _message(fault.status, "An error has occurred.")
        if fault and fault.kind is FaultKind.TIMEOUT:
            await self._hang(state.faults.config.timeout_seconds)
        if fault and fault.kind is FaultKind.SLOW:
            await asyncio.sleep(state.faults.config.slow_ms / 1000)
        if state.config.latency_ms:
            await asyncio.sleep(state.config.latency_ms / 1000)

        try:
            status, payload = dispatch(
                ds, route, request.query, owner=owner,
                repeat_pages_over_days=state.config.repeat_pages_over_days,
                root=f"{request.scheme}://{request.host}",
            )
        except ApiError as error:
            return _message(error.status, error.message)
        state.hits[(client, route.template)] += 1
        response = _json(status, payload)
        if fault and fault.kind is FaultKind.TRUNCATED:
            full = response.body
            assert isinstance(full, bytes)
            response = web.Response(status=status, body=full[: max(1, len(full) // 2)],
                                    content_type=JSON)
        return response

    # --- reports ---------------------------------------------------------------------

    def _report_user(self, request: web.Request, ds: ClientDataset) -> web.Response | None:
        """None when the caller may collect reports, else the refusal to send."""
        challenge = {"WWW-Authenticate": 'Basic realm="Spektrix reports"'}
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if scheme.lower() != "basic" or not user:
            return web.Response(status=401, text="Log in to collect this report.",
                                headers=challenge)
        users = {
            ds.config.report_user: (
                ds.report_password, ds.config.variations.report_user_has_collect_role
            ),
            STAFF_USER: (self.state.staff_password(ds.name), False),
        }
        known = users.get(user)
        if known is None or known[0] != password:
            return web.Response(status=401, text="Invalid username or password.",
                                headers=challenge)
        if not known[1]:
            return web.Response(status=403, text="This user does not have the Collect Report "
                                                 "role.")
        return None

    async def audit_report(self, request: web.Request) -> web.StreamResponse:
        ds = self.state.datasets.get(request.match_info["client"])
        if ds is None:
            return web.Response(status=404, text="Not found.")
        refusal = self._report_user(request, ds)
        if refusal is not None:
            return refusal
        now = ds.clock.now_micros
        zone = ds.zone
        today = format_local(now, zone)
        # "Date is relative date range between 3 days ago and today" (integration guide).
        default_start = local_day_start(
            int(today[:4]), int(today[5:7]), int(today[8:10]), zone
        )
        start, end = default_start - 3 * 86_400 * MICROS, now
        for name in ("from", "to"):
            raw = request.query.get(name)
            if raw is None:
                continue
            parsed = parse_query_datetime(raw, local=True, zone=zone)
            if parsed is None:
                return web.Response(status=400, text=f"'{name}' is not a valid date.")
            us, date_only = parsed
            if name == "from":
                start = us
            else:
                end = min(now, us + 86_400 * MICROS - 1 if date_only else us)
        rows = ds.audit_rows(start, end)
        self.state.hits[(ds.name, "reports/customer-audit")] += 1
        body = ds.audit.to_xml(rows, "Activity Stream - customer audit report",
                               format_local(start, zone), format_local(end, zone))
        return web.Response(
            body=body, content_type="application/xml", charset="utf-8",
            headers={"Content-Disposition":
                     'attachment; filename="Customers updated in the last 3 days.xml"'},
        )

    async def order_ids(self, request: web.Request) -> web.StreamResponse:
        ds = self.state.datasets.get(request.match_info["client"])
        if ds is None:
            return web.Response(status=404, text="Not found.")
        refusal = self._report_user(request, ds)
        if refusal is not None:
            return refusal
        lines = ["Order ID,Order Date"]
        store = ds.orders
        for row in range(store.n_total):
            first = (store.get(row).transactions[0] if row in store.overlay
                     else int(store.base.tx1[row]))
            lines.append(f"{store.order_id(row)},{format_local(first, ds.zone)}")
        return web.Response(
            text="\r\n".join(lines) + "\r\n", content_type="text/csv", charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="historical-order-ids.csv"'},
        )

    # --- simulator-only admin ---------------------------------------------------------

    def _dataset(self, request: web.Request) -> ClientDataset:
        ds = self.state.datasets.get(request.match_info["client"])
        if ds is None:
            raise web.HTTPNotFound(text="no such simulated client")
        return ds

    async def admin_clients(self, request: web.Request) -> web.StreamResponse:
        root = f"{request.scheme}://{request.host}"
        return _json(200, credentials_for(self.state, root))

    async def admin_advance(self, request: web.Request) -> web.StreamResponse:
        ds = self._dataset(request)
        try:
            days = float(request.query.get("days", "0"))
            hours = float(request.query.get("hours", "0"))
        except ValueError:
            return _message(400, "days and hours must be numbers")
        seconds = days * 86_400 + hours * 3_600
        if seconds <= 0:
            return _message(400, "advance by a positive number of days or hours")
        counts = ds.advance(seconds)
        return _json(200, {"client": ds.name, "now": format_local(ds.clock.now_micros, ds.zone),
                           **counts})

    async def admin_partner_access(self, request: web.Request) -> web.StreamResponse:
        ds = self._dataset(request)
        if request.method == "POST":
            raw = request.query.get("on", "").lower()
            if raw not in ("true", "false", "1", "0", "on", "off"):
                return _message(400, "pass ?on=true or ?on=false")
            ds.partner_access = raw in ("true", "1", "on")
        return _json(200, {"client": ds.name, "partner_access": ds.partner_access})

    async def admin_clock(self, request: web.Request) -> web.StreamResponse:
        ds = self._dataset(request)
        return _json(200, {"client": ds.name, "now": format_local(ds.clock.now_micros, ds.zone),
                           "orders": ds.orders.n_total, "customers": len(ds.customers)})

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
                              frozenset(int(n) for n in rule["nth"]),
                              status=int(rule.get("status", 503)))
            if "clock_offset_seconds" in spec:
                faults.clock_offset_seconds = float(spec["clock_offset_seconds"])
            if "rate_limit" in spec:
                faults.set_rate_limit(spec["rate_limit"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return _message(400, f"bad fault specification: {error}")
        return _json(200, {"ok": True})


def build_app(state: ServerState) -> web.Application:
    """The aiohttp application serving every configured client."""
    handlers = _Handlers(state)
    app = web.Application()
    app.router.add_get("/_simulator/clients", handlers.admin_clients)
    app.router.add_post("/_simulator/faults", handlers.admin_faults)
    app.router.add_post("/_simulator/{client}/advance", handlers.admin_advance)
    app.router.add_get("/_simulator/{client}/partner-access", handlers.admin_partner_access)
    app.router.add_post("/_simulator/{client}/partner-access", handlers.admin_partner_access)
    app.router.add_get("/_simulator/{client}/clock", handlers.admin_clock)
    app.router.add_get("/{client}/reports/customer-audit", handlers.audit_report)
    app.router.add_get("/{client}/reports/historical-order-ids", handlers.order_ids)
    app.router.add_route("*", "/{client}/api/v3/{tail:.*}", handlers.api)
    return app
