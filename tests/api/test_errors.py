"""The one JSON error shape: ``{"error": {"code", "message", "hint"}}`` for every failure."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from houselights.api import create_app
from houselights.api.errors import error_body
from houselights.context import Houselights
from houselights.errors import ConflictError, NotFoundError

from .server import running
from .world import Served


def assert_error_shape(body: object, code: str) -> dict[str, str]:
    assert isinstance(body, dict) and set(body) == {"error"}
    error: dict[str, str] = body["error"]
    assert set(error) == {"code", "message", "hint"}
    assert all(isinstance(v, str) for v in error.values())
    assert error["code"] == code
    assert error["message"] and error["hint"]
    return error


@pytest.mark.parametrize(
    ("path", "token", "params", "status", "code"),
    [
        ("/api/v1/me", None, {}, 401, "unauthenticated"),
        ("/api/v1/orgs/beta/runs", "alpha", {}, 403, "permission_denied"),
        ("/api/v1/orgs/nobody/runs", "admin", {}, 404, "not_found"),
        ("/api/v1/orgs/alpha/metrics/M999", "alpha", {}, 404, "not_found"),
        ("/api/v1/orgs/alpha/runs", "alpha", {"limit": 0}, 422, "invalid_input"),
        ("/api/v1/orgs/alpha/insights/reach", "alpha", {"basis": "moon"}, 422, "invalid_input"),
        (
            "/api/v1/orgs/alpha/insights/reach",
            "alpha",
            {"from": "2024-04-01"},
            422,
            "invalid_input",
        ),
        ("/api/v1/orgs/alpha/insights/reach", "alpha", {"period": "2024/99"}, 422, "invalid_input"),
        ("/api/v1/orgs/alpha/exports/event-id", "alpha", {"format": "pdf"}, 422, "invalid_input"),
        ("/api/v1/no-such-route", None, {}, 404, "not_found"),
    ],
)
def test_every_failure_has_the_one_shape(
    served_duckdb: Served,
    path: str,
    token: str | None,
    params: dict[str, object],
    status: int,
    code: str,
) -> None:
    response = served_duckdb.get(path, served_duckdb.tokens[token] if token else None, **params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert_error_shape(response.json(), code)


def test_validation_message_names_the_parameter(served_duckdb: Served) -> None:
    response = served_duckdb.get(
        "/api/v1/orgs/alpha/runs", served_duckdb.tokens["alpha"], limit="many"
    )
    assert "query parameter 'limit'" in response.json()["error"]["message"]


def test_wrong_method_keeps_the_shape(served_duckdb: Served) -> None:
    response = served_duckdb.call("DELETE", "/api/v1/orgs", served_duckdb.tokens["admin"])
    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


def test_error_body_translation_is_pinned() -> None:
    """The exact bodies, so a change to the shape is a visible, deliberate change."""
    status, body = error_body(NotFoundError("No run r1.", hint="List runs first."))
    assert (status, body) == (
        404,
        {"error": {"code": "not_found", "message": "No run r1.", "hint": "List runs first."}},
    )
    status, body = error_body(ConflictError("Busy."))
    assert (status, body) == (409, {"error": {"code": "conflict", "message": "Busy.", "hint": ""}})
    status, body = error_body(HTTPException(404, "Not Found"))
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = error_body(
        RequestValidationError([{"loc": ("query", "limit"), "msg": "too small", "type": "x"}])
    )
    assert status == 422
    assert body["error"]["message"] == "query parameter 'limit': too small"
    status, body = error_body(RuntimeError("secret detail"))
    assert status == 500 and body["error"]["code"] == "internal_error"
    assert "secret detail" not in json.dumps(body)


def test_a_bug_answers_500_in_the_shape_without_details(tmp_path: Path) -> None:
    """An unexpected exception inside a route leaves as internal_error, nothing leaked."""
    app = create_app(Houselights(data_dir=tmp_path))

    def broken() -> None:
        raise ValueError("boom at /secret/path")

    app.add_api_route("/api/v1/broken", broken)
    with running(app) as base, httpx.Client(base_url=base) as http:
        response = http.get("/api/v1/broken")
    assert response.status_code == 500
    payload = response.json()
    assert_error_shape(payload, "internal_error")
    assert "secret" not in response.text
