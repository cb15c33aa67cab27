"""Who sees what: the route sweep, tokens of each kind, grants and their revocation."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from houselights.api import create_app
from houselights.api.routes import ROUTERS
from houselights.api.tokens import create_token, hash_token, revoke_token
from houselights.context import Houselights
from houselights.orgs.service import revoke_access

from .world import Served

# Sample values for path parameters other than {slug}: valid for every organisation.
SAMPLE_PATH = {
    "source": "spektrix",
    "metric_id": "M07",
    "report": "event-id",
    "dimension": "region",
    "event_id": "e0",
    "token_id": "0123456789ab",
}

# Routes that name no organisation. A new one must be added here on purpose, after
# deciding what it shows to whom (and covering that in a test below).
UNSCOPED = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/orgs"),
    ("GET", "/api/v1/metrics"),
    ("GET", "/api/v1/definitions"),  # the documentation of the metrics: any token
    ("GET", "/api/v1/geography/places"),  # postcode areas and their points: any token
    ("GET", "/api/v1/benchmarks/cohort"),
    ("GET", "/api/v1/benchmarks/kpis"),
    ("GET", "/api/v1/benchmarks/distribution/{dimension}"),
    # admin only (tests/api/test_operations.py: an org token is refused)
    ("GET", "/api/v1/tokens"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{token_id}"),
}


def api_routes() -> list[tuple[str, str]]:
    """(method, path template) of every API route, from the app's own OpenAPI document,
    after checking that every route of every router is in it (none hidden)."""
    app = create_app(Houselights(data_dir="/nonexistent-not-opened"))  # routes only, no I/O
    paths = app.openapi()["paths"]
    out = sorted((m.upper(), p) for p, ops in paths.items() for m in ops)
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods or ():
                assert (method, f"/api/v1{route.path}") in out, (method, route.path)
    return out


def fill(path: str, slug: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return slug if name == "slug" else SAMPLE_PATH[name]

    return re.sub(r"\{(\w+)\}", value, path)


ROUTES = api_routes()
SCOPED = [(m, p) for m, p in ROUTES if "{slug}" in p]


def test_route_table_is_what_the_sweep_expects() -> None:
    assert len(SCOPED) >= 25
    assert {(m, p) for m, p in ROUTES if "{slug}" not in p} == UNSCOPED


def test_every_route_refuses_a_token_of_another_organisation(served: Served) -> None:
    alpha = served.tokens["alpha"]
    for method, path in SCOPED:
        response = served.call(method, fill(path, "beta"), alpha, period="2025/26")
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "permission_denied"
        # The refusal is about the organisation, not a broken route: its own token passes.
        own = served.call(method, fill(path, "beta"), served.tokens["beta"], period="2025/26")
        assert own.status_code not in (401, 403), (method, path, own.text)


def test_every_route_but_health_needs_a_token(served: Served) -> None:
    for method, path in ROUTES:
        response = served.call(method, fill(path, "alpha"))
        if path == "/api/v1/health":
            assert response.status_code == 200
            continue
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthenticated"


def test_unknown_and_malformed_tokens_are_refused(served: Served) -> None:
    for header in ("Bearer hl_not-a-real-token", "Basic abc", "Bearer"):
        response = served.http.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_admin_sees_every_organisation(served: Served) -> None:
    admin = served.tokens["admin"]
    orgs = served.get("/api/v1/orgs", admin).json()
    assert [o["org_id"] for o in orgs["items"]] == [
        "alpha",
        "beta",
        "peer1",
        "peer2",
        "peer3",
        "peer4",
    ]
    for slug in ("alpha", "beta", "peer3"):
        assert served.get(f"/api/v1/orgs/{slug}/runs", admin).status_code == 200
        sales = served.get(f"/api/v1/orgs/{slug}/insights/ticket-sales", admin, period="2025/26")
        assert sales.json()["org_id"] == slug


def test_admin_must_name_the_benchmark_viewer(served: Served) -> None:
    admin = served.tokens["admin"]
    response = served.get("/api/v1/benchmarks/kpis", admin, period="2025/26")
    assert response.status_code == 422
    ok = served.get("/api/v1/benchmarks/kpis", admin, period="2025/26", viewer="arts-council")
    assert ok.json()["cohort_size"] == 6


def test_org_token_sees_only_itself(served: Served) -> None:
    alpha = served.tokens["alpha"]
    assert served.get("/api/v1/me", alpha).json()["orgs"] == ["alpha"]
    assert [o["org_id"] for o in served.get("/api/v1/orgs", alpha).json()["items"]] == ["alpha"]
    # A peer's token compares itself with a cohort it belongs to, never another member.
    kpis = served.get(
        "/api/v1/orgs/alpha/benchmarks/kpis", alpha, period="2025/26", viewer="arts-council"
    )
    assert kpis.status_code == 200 and kpis.json()["org_id"] == "alpha"


def test_recipient_sees_only_what_was_granted(served: Served) -> None:
    funder = served.tokens["funder-r"]  # alpha granted it reports
    assert served.get("/api/v1/me", funder).json()["orgs"] == ["alpha"]
    assert served.get("/api/v1/orgs/alpha/reports/event-id", funder, period="2025/26").is_success
    assert served.get(
        "/api/v1/orgs/alpha/exports/sales-by-event", funder, period="2025/26"
    ).is_success
    for path in (
        "/runs",
        "/connections",
        "/quarantine",
        "/insights/reach",
        "/metrics/M07",
        "/benchmarks/kpis",
    ):
        assert served.get(f"/api/v1/orgs/alpha{path}", funder).status_code == 403, path
    assert served.get("/api/v1/orgs/beta/reports/event-id", funder).status_code == 403

    council = served.tokens["arts-council"]  # six organisations granted it benchmarks
    assert len(served.get("/api/v1/me", council).json()["orgs"]) == 6
    cohort = served.get("/api/v1/benchmarks/cohort", council).json()
    assert cohort["size"] == 6 and cohort["enough"] is True
    kpis = served.get("/api/v1/orgs/peer2/benchmarks/kpis", council, period="2025/26")
    assert kpis.json()["status"] == "ok" and kpis.json()["viewer"] == "arts-council"
    assert served.get("/api/v1/orgs/peer2/reports/event-id", council).status_code == 403
    # A recipient cannot borrow another recipient's cohort.
    other = served.get("/api/v1/benchmarks/kpis", council, viewer="funder-r")
    assert other.status_code == 403

    stranger = served.tokens["stranger"]
    assert served.get("/api/v1/orgs", stranger).json()["items"] == []
    assert served.get("/api/v1/benchmarks/kpis", stranger).json()["status"] == (
        "not_enough_organisations"
    )


def test_revoked_grant_and_token_stop_working_at_once(fresh: Served) -> None:
    council = fresh.tokens["arts-council"]
    before = fresh.get("/api/v1/orgs/peer1/benchmarks/kpis", council, period="2025/26")
    assert before.json()["cohort_size"] == 6
    with fresh.hl.warehouse.connect() as s, s.transaction():
        revoke_access(s, "peer1", "arts-council", by="test")
    assert "peer1" not in fresh.get("/api/v1/me", council).json()["orgs"]
    assert fresh.get("/api/v1/orgs/peer1/benchmarks/kpis", council).status_code == 403
    kpis = fresh.get("/api/v1/benchmarks/kpis", council, period="2025/26").json()
    assert kpis["cohort_size"] == 5

    with fresh.hl.warehouse.connect() as s, s.transaction():
        token = create_token(s, "org", "alpha").token
    assert fresh.get("/api/v1/me", token).status_code == 200
    with fresh.hl.warehouse.connect() as s, s.transaction():
        revoke_token(s, hash_token(token)[:12])
    assert fresh.get("/api/v1/me", token).status_code == 401
