"""The API's one error boundary: every failure leaves as ``{"error": {code, message, hint}}``.

:class:`~houselights.errors.HouselightsError` keeps its own status and code; request
validation errors become ``invalid_input`` (422); unknown paths and methods keep their
HTTP status (a 405 names the allowed methods in ``Allow``); anything else is a bug and
answers 500 ``internal_error`` without details (they go to the log). A server-side
failure (5xx) never carries the database's words — they can quote SQL — only what
happened and what to do. The shape is pinned by ``tests/api/test_errors.py``.

A path that only misses (or has one too many) trailing slash is redirected here too,
with a relative ``Location`` built from the path alone, never from the ``Host`` header.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from houselights.errors import HouselightsError, SourceError, UploadError, WarehouseError

__all__ = [
    "ERROR_RESPONSES",
    "ErrorBody",
    "ErrorDetail",
    "error_body",
    "handle_error",
    "install_error_handler",
]

log = logging.getLogger(__name__)

_HTTP_CODES = {
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
}


class ErrorDetail(BaseModel):
    """What went wrong and what to do about it."""

    code: str
    message: str
    hint: str


class ErrorBody(BaseModel):
    """The one JSON error shape of the API."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "No token, or an unknown or revoked one"),
        (403, "The token may not see this organisation"),
        (404, "Not found"),
        (422, "A parameter is invalid"),
        (503, "The database is unavailable"),
    )
}
"""OpenAPI documentation of the error responses every route may give."""


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    if parts and parts[0] in ("query", "path", "header"):
        return f"{parts[0]} parameter '{'.'.join(parts[1:])}'"
    return ".".join(parts) or "request"


_SERVER_SIDE = {
    "code": "internal_error",
    "message": "The server met an unexpected error.",
    "hint": "This is a bug in houselights; the server log has the details. Please report it.",
}


def error_body(exc: Exception) -> tuple[int, dict[str, dict[str, Any]]]:
    """The HTTP status and JSON body for ``exc``."""
    if isinstance(exc, WarehouseError):
        # Its message quotes the database, which may quote the statement: log it only.
        return exc.http_status, {
            "error": {
                "code": exc.code,
                "message": "The database could not answer this request.",
                "hint": "Try again in a moment; if it keeps failing, the server log has the "
                "details.",
            }
        }
    if isinstance(exc, UploadError):
        from houselights.services.exchange import row_errors

        return exc.http_status, {"error": {**exc.to_dict(), "row_errors": row_errors(exc.rejected)}}
    if isinstance(exc, HouselightsError):
        if exc.http_status >= 500 and not isinstance(exc, SourceError):
            return exc.http_status, {"error": {**_SERVER_SIDE, "code": exc.code}}
        return exc.http_status, {"error": exc.to_dict()}
    if isinstance(exc, RequestValidationError):
        problems = [f"{_location(e['loc'])}: {e['msg']}" for e in exc.errors()]
        return 422, {
            "error": {
                "code": "invalid_input",
                "message": "; ".join(problems) or "The request is invalid.",
                "hint": "Check the parameter against the API description at /api/v1/openapi.json.",
            }
        }
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code, {
            "error": {
                "code": _HTTP_CODES.get(exc.status_code, "http_error"),
                "message": str(exc.detail),
                "hint": "The routes and methods are described at /api/v1/openapi.json.",
            }
        }
    return 500, {"error": dict(_SERVER_SIDE)}


def _headers(exc: Exception) -> dict[str, str] | None:
    if isinstance(exc, StarletteHTTPException):
        return dict(exc.headers) if exc.headers else None  # e.g. Allow on a 405
    if isinstance(exc, HouselightsError) and exc.http_status == 401:
        return {"WWW-Authenticate": "Bearer"}
    return None


def _slash_twin(request: Request) -> str | None:
    """The path with its trailing slash added or removed, if a route answers that path and
    none answers the path as asked; relative, with the query string kept."""
    path = str(request.scope["path"])
    if path == "/":
        return None
    twin = path.rstrip("/") if path.endswith("/") else path + "/"
    if not twin or twin.startswith("//"):  # "//host" would leave the site
        return None
    routes = request.app.router.routes
    if any(r.matches(request.scope)[0] == Match.FULL for r in routes):
        return None
    if not any(r.matches({**request.scope, "path": twin})[0] == Match.FULL for r in routes):
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    root = str(request.scope.get("root_path", ""))
    return root + twin + (f"?{query}" if query else "")


async def handle_error(request: Request, exc: Exception) -> Response:
    """The response for ``exc``: the one JSON error shape (or a trailing-slash redirect)."""
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 404:
        twin = _slash_twin(request)
        if twin is not None:
            return RedirectResponse(twin, status_code=307)
    status, body = error_body(exc)
    if status >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(body, status_code=status, headers=_headers(exc))


def install_error_handler(app: FastAPI) -> None:
    """Route every error of ``app`` through the one handler."""
    for exc_class in (
        HouselightsError,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(exc_class, handle_error)
