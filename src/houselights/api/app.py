"""The web application: the REST API under ``/api/v1`` and the dashboard beside it.

Routes call the same service and insights functions as the CLI; errors leave through the
one handler in :mod:`houselights.api.errors`. The OpenAPI description is served at
``/api/v1/openapi.json`` (the interactive docs page is off: it would load its scripts
from a CDN).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from houselights import __version__
from houselights.api.errors import ERROR_RESPONSES, install_error_handler
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
    api.add_api_route("/health", _health, methods=["GET"], tags=["service"], summary="Health")
    for router in ROUTERS:
        api.include_router(router)
    app.include_router(api)
    mount_dashboard(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith(API_PREFIX):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
