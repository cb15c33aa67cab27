"""The web application: the REST API under ``/api/v1`` and the dashboard beside it.

Routes call the same service and insights functions as the CLI; errors leave through the
one handler in :mod:`houselights.api.errors`. The OpenAPI description is served at
``/api/v1/openapi.json`` (the interactive docs page is off: it would load its scripts
from a CDN).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from houselights import __version__
from houselights.api.errors import ERROR_RESPONSES, handle_error, install_error_handler
from houselights.api.models import HealthOut
from houselights.api.routes import ROUTERS
from houselights.context import Houselights

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"

# Everything the dashboard needs is served from here; the policy makes a stray CDN
# reference fail loudly in the browser instead of silently phoning out. Vega compiles
# its expressions with Function(), hence 'unsafe-eval'; vega-embed injects its styles.
_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


def _health() -> dict[str, Any]:
    """Liveness: answers without a token."""
    return {"status": "ok", "version": __version__}


class SecurityHeaders:
    """Adds the security headers to every response, errors included.

    A pure ASGI middleware rather than ``@app.middleware``: it sees an exception that no
    handler turned into a response (which Starlette would otherwise answer outside every
    middleware, without these headers) and answers it with the one error shape itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", _CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if str(scope.get("path", "")).startswith(API_PREFIX):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:  # half a response is out: nothing better to do than to stop
                raise
            response = await handle_error(Request(scope, receive), exc)
            await response(scope, receive, send_with_headers)


def operations_router() -> APIRouter:
    """``/health`` (liveness and the database, no token) and ``/metrics`` (Prometheus,
    an admin token), at the root where monitoring looks for them."""
    from fastapi.responses import JSONResponse, Response

    from houselights.api.auth import authenticate
    from houselights.errors import PermissionDeniedError

    router = APIRouter(include_in_schema=False)

    @router.get("/health")
    def health(request: Request) -> JSONResponse:
        hl: Houselights = request.app.state.hl
        try:
            with hl.warehouse.connect() as s:
                s.scalar("SELECT 1")
        except Exception:  # the database is what a health check is for
            return JSONResponse(
                {"status": "unavailable", "version": __version__, "database": "unreachable"},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "version": __version__, "database": "ok"})

    @router.get("/metrics")
    def metrics(request: Request) -> Response:
        # Invented: the figures name organisations, so scraping needs an admin token
        # (Prometheus: `authorization: {credentials_file: …}` in the scrape config).
        from houselights.jobs.metrics import CONTENT_TYPE, render

        hl: Houselights = request.app.state.hl
        with hl.warehouse.connect() as s:
            principal = authenticate(s, request.headers.get("authorization"))
        if principal.kind != "admin":
            raise PermissionDeniedError(
                "Only an admin token may read /metrics (it names every organisation).",
                hint="Give Prometheus an admin token: `houselights token create admin "
                "--label prometheus`.",
            )
        return Response(render(hl), media_type=CONTENT_TYPE)

    return router


def create_app(hl: Houselights) -> FastAPI:
    """The FastAPI application serving ``hl``'s warehouse."""
    from houselights.web.pages import mount_dashboard

    app = FastAPI(
        title="houselights",
        version=__version__,
        description="Box office data exchange: organisations, connections, runs, metrics, "
        "reports, benchmarks and exports. Authenticate with 'Authorization: Bearer <token>'.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        # Starlette's own trailing-slash redirect builds an absolute URL from the Host
        # header; the error handler redirects with a relative one instead.
        redirect_slashes=False,
        # Telemetry of dependencies is off by default (DESIGN.md): no spans, metrics or
        # logs are produced, and no exporter is ever configured from the environment.
        telemetry={
            "tracing": False, "metrics": False, "logs": False, "operation_spans": False,
            "auto_configure": False,
        },
    )
    app.state.hl = hl
    install_error_handler(app)
    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    api.add_api_route(
        "/health",
        _health,
        methods=["GET"],
        tags=["service"],
        summary="Health",
        response_model=HealthOut,
    )
    for router in ROUTERS:
        api.include_router(router)
    app.include_router(api)
    app.include_router(operations_router())
    mount_dashboard(app)

    app.add_middleware(SecurityHeaders)
    return app
