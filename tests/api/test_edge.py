"""The API's edge: every bad parameter is a 4xx in the one shape, no 5xx leaks the
database's words, every error keeps the security headers, redirects never trust Host."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import httpx
import pytest

from houselights.api import create_app
from houselights.api.errors import error_body
from houselights.context import Houselights
from houselights.errors import WarehouseError

from .server import running
from .test_errors import assert_error_shape
from .world import Served

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")

# Routes that reach back before or forward past the period asked for.
PERIOD_ROUTES = [
    "/api/v1/orgs/alpha/insights/retention",
    "/api/v1/orgs/alpha/insights/lapsed",
    "/api/v1/orgs/alpha/insights/first-timer-return",
    "/api/v1/orgs/alpha/insights/ticket-sales",
    "/api/v1/orgs/alpha/reports/funder-quarterly",
    "/api/v1/orgs/alpha/exports/ticketing",
    "/api/v1/orgs/alpha/metrics/M07",
    "/api/v1/benchmarks/kpis",
]
BAD_PERIODS = [
    {"from": "9999-01-01", "to": "9999-12-31"},
    {"from": "0001-01-01", "to": "0001-12-31"},
    {"from": "0001-01-01", "to": "2024-12-31"},
    {"from": "1899-12-31", "to": "1900-01-31"},
    {"period": "9999/00"},
    {"period": "0000/01"},
    {"period": "FY9999 Q4"},
    {"period": "2199/00"},
    {"period": "0001-01-01..0001-02-01"},
    {"period": "x" * 41},
]


@pytest.mark.parametrize("path", PERIOD_ROUTES)
def test_impossible_periods_are_refused_as_input(served_duckdb: Served, path: str) -> None:
    token = served_duckdb.tokens["admin"]
    for params in BAD_PERIODS:
        query = {**params, "viewer": "arts-council"} if "benchmarks" in path else params
        response = served_duckdb.get(path, token, **query)
        assert response.status_code == 422, (path, params, response.text)
        error = assert_error_shape(response.json(), "invalid_input")
        assert "from" in error["message"] or "period" in error["message"], error


def test_the_edges_of_the_range_are_served(served_duckdb: Served) -> None:
    token = served_duckdb.tokens["alpha"]
    for params in (
        {"from": "1900-01-01", "to": "2199-12-31"},
        {"period": "1900/01"},
        {"period": "2198/99 Q4"},
    ):
        for path in PERIOD_ROUTES[:6]:
            response = served_duckdb.get(path, token, **params)
            assert response.status_code == 200, (path, params, response.text)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/orgs/alpha/runs", {"offset": "9223372036854775807"}),
        ("/api/v1/orgs/alpha/quarantine", {"offset": "100000001"}),
        ("/api/v1/orgs/alpha/runs", {"limit": "501"}),
        ("/api/v1/orgs/alpha/insights/reach", {"venue": ["v"] * 51}),
        ("/api/v1/orgs/alpha/insights/reach", {"season": "s" * 201}),
        ("/api/v1/orgs/alpha/checks", {"run_id": "r" * 65}),
        ("/api/v1/benchmarks/kpis", {"region": "r" * 201, "viewer": "arts-council"}),
        ("/api/v1/orgs/Not%20A%20Slug/runs", {}),
        ("/api/v1/orgs/alpha/metrics/M07%3B%20DROP", {}),
        ("/api/v1/orgs/alpha/reports/data-quality", {"runs": "0"}),
    ],
)
def test_out_of_range_parameters_are_422(
    served_duckdb: Served, path: str, params: dict[str, object]
) -> None:
    response = served_duckdb.get(path, served_duckdb.tokens["admin"], **params)
    assert response.status_code == 422, response.text
    error = assert_error_shape(response.json(), "invalid_input")
    assert "SELECT" not in error["message"] and "db upgrade" not in error["hint"]


def test_a_database_failure_answers_503_without_sql(tmp_path: Path) -> None:
    """A statement the database refuses: the body says so, in plain words only."""
    hl = Houselights(data_dir=tmp_path)
    app = create_app(hl)

    def overflow() -> None:
        with hl.warehouse.connect() as s:
            s.fetchall("SELECT CAST(9223372036854775807 AS BIGINT) + 1 AS secret_column")

    app.add_api_route("/api/v1/overflow", overflow)
    try:
        with running(app) as base, httpx.Client(base_url=base) as http:
            response = http.get("/api/v1/overflow")
    finally:
        hl.close()
    assert response.status_code == 503
    error = assert_error_shape(response.json(), "warehouse_error")
    assert "secret_column" not in response.text and "SELECT" not in response.text
    assert "db upgrade" not in response.text and "Overflow" not in response.text
    assert all(h in response.headers for h in SECURITY_HEADERS)
    assert error["hint"]


def test_server_side_errors_are_translated_without_their_message() -> None:
    status, body = error_body(
        WarehouseError(
            "The embedded database refused a statement: SELECT secret FROM x",
            hint="Run `houselights db upgrade`.",
        )
    )
    assert status == 503 and "SELECT" not in json.dumps(body)
    assert "db upgrade" not in json.dumps(body)


def test_every_error_keeps_the_security_headers(served_duckdb: Served, tmp_path: Path) -> None:
    admin = served_duckdb.tokens["admin"]
    responses = [
        served_duckdb.get("/api/v1/me"),  # 401
        served_duckdb.get("/api/v1/orgs/beta/runs", served_duckdb.tokens["alpha"]),  # 403
        served_duckdb.get("/api/v1/orgs/nobody/runs", admin),  # 404
        served_duckdb.get("/api/v1/orgs/alpha/runs", admin, limit=0),  # 422
        served_duckdb.call("DELETE", "/api/v1/orgs", admin),  # 405
        served_duckdb.get("/api/v1/no-such-route"),  # 404 without a route
    ]
    app = create_app(Houselights(data_dir=tmp_path))

    def broken() -> None:
        raise ValueError("boom")

    app.add_api_route("/api/v1/broken", broken)
    with running(app) as base, httpx.Client(base_url=base) as http:
        responses.append(http.get("/api/v1/broken"))  # 500
    assert [r.status_code for r in responses] == [401, 403, 404, 422, 405, 404, 500]
    for response in responses:
        missing = [h for h in SECURITY_HEADERS if h not in response.headers]
        assert missing == [], (response.status_code, missing)
        assert response.headers["cache-control"] == "no-store"


def test_405_names_the_allowed_methods(served_duckdb: Served) -> None:
    admin = served_duckdb.tokens["admin"]
    response = served_duckdb.call("DELETE", "/api/v1/orgs", admin)
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    response = served_duckdb.call("GET", "/api/v1/orgs/alpha/connections/spektrix/setup-check")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_401_names_the_scheme(served_duckdb: Served) -> None:
    response = served_duckdb.get("/api/v1/me")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_trailing_slash_redirect_never_uses_the_host_header(served_duckdb: Served) -> None:
    admin = {"Authorization": f"Bearer {served_duckdb.tokens['admin']}"}
    for path, target in (
        ("/api/v1/orgs/?limit=5", "/api/v1/orgs?limit=5"),
        ("/api/v1/orgs/alpha/runs/", "/api/v1/orgs/alpha/runs"),
        ("/dashboard/overview/", "/dashboard/overview"),
    ):
        response = served_duckdb.http.get(
            path, headers={**admin, "Host": "evil.example"}, follow_redirects=False
        )
        assert response.status_code == 307, path
        assert response.headers["location"] == target
        assert "evil" not in response.headers["location"]
    followed = served_duckdb.http.get("/api/v1/orgs/", headers=admin, follow_redirects=True)
    assert followed.status_code == 200 and followed.json()["items"]
    # No protocol-relative "//host" target, and no redirect to a path without a route.
    # (http.client sends the path exactly as written; httpx would normalise "//host/".)
    url = httpx.URL(str(served_duckdb.http.base_url))
    for path in ("//evil.example/", "/api/v1/nothing-here/", "//dashboard/overview/"):
        connection = http.client.HTTPConnection(url.host, url.port, timeout=30)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            assert answer.status == 404, (path, answer.status, answer.getheader("location"))
        finally:
            connection.close()


def test_openapi_says_what_every_route_returns() -> None:
    app = create_app(Houselights(data_dir="/nonexistent-not-opened"))  # routes only, no I/O
    document = app.openapi()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    free_form = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success = next(c for c in ("200", "201", "202") if c in operation["responses"])
            ok = operation["responses"][success]["content"]
            if path.endswith("/exports/{report}"):
                assert set(ok) == {
                    "text/csv",
                    "application/vnd.apache.parquet",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                }
                continue
            schema = ok["application/json"]["schema"]
            if not ("$ref" in schema or schema.get("type") == "array"):
                free_form.append((method, path, schema))
            assert "authorization" not in [
                p["name"].lower() for p in operation.get("parameters", [])
            ], path
    assert free_form == []


def test_a_single_valued_parameter_given_twice_is_refused(served_duckdb: Served) -> None:
    council = served_duckdb.tokens["arts-council"]
    response = served_duckdb.http.get(
        "/api/v1/benchmarks/cohort?viewer=arts-council&viewer=stranger",
        headers={"Authorization": f"Bearer {council}"},
    )
    assert response.status_code == 422
    assert "'viewer' is given 2 times" in assert_error_shape(response.json(), "invalid_input")[
        "message"
    ]
    # The repeatable filters still repeat.
    admin = {"Authorization": f"Bearer {served_duckdb.tokens['admin']}"}
    ok = served_duckdb.http.get(
        "/api/v1/orgs/alpha/insights/reach?period=2025/26&venue=v1&venue=v2", headers=admin
    )
    assert ok.status_code == 200
    twice = served_duckdb.http.get(
        "/api/v1/orgs/alpha/insights/reach?period=2025/26&period=2024/25", headers=admin
    )
    assert twice.status_code == 422
