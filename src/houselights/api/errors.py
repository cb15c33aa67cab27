"""The API's one error boundary: every failure leaves as ``{"error": {code, message, hint}}``.

:class:`~houselights.errors.HouselightsError` keeps its own status and code; request
validation errors become ``invalid_input`` (422); unknown paths and methods keep their
HTTP status; anything else is a bug and answers 500 ``internal_error`` without details
(they go to the log). The shape is pinned by ``tests/api/test_errors.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from houselights.errors import HouselightsError

__all__ = ["ERROR_RESPONSES", "ErrorBody", "ErrorDetail", "error_body", "install_error_handler"]

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
    )
}
"""OpenAPI documentation of the error responses every route may give."""


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    if parts and parts[0] in ("query", "path", "header"):
        return f"{parts[0]} parameter '{'.'.join(parts[1:])}'"
    return ".".join(parts) or "request"


def error_body(exc: Exception) -> tuple[int, dict[str, dict[str, str]]]:
    """The HTTP status and JSON body for ``exc``."""
    if isinstance(exc, HouselightsError):
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
    return 500, {
        "error": {
            "code": "internal_error",
            "message": "The server met an unexpected error.",
            "hint": "This is a bug in houselights; the server log has the details. Please "
            "report it.",
        }
    }


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    status, body = error_body(exc)
    if status >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(body, status_code=status)


def install_error_handler(app: FastAPI) -> None:
    """Route every error of ``app`` through the one handler."""
    for exc_class in (
        HouselightsError,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(exc_class, _handle)
