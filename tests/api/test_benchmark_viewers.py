"""Whose cohort a token may see: every benchmark route × every token kind × every viewer.

An organisation's token may name only a recipient it has itself granted benchmarks (its
own grant makes it a member of that cohort); a recipient's token is always its own
viewer; an admin must name one. The matrix below is the whole rule, swept over the
app's own route table so a new benchmark route cannot escape it.
"""

from __future__ import annotations

import pytest

from houselights.api.tokens import create_token, hash_token, revoke_token

from .test_access import ROUTES, fill
from .world import Served

BENCHMARK_ROUTES = sorted((m, p) for m, p in ROUTES if "/benchmarks/" in p)
# Who each token is: alpha granted arts-council benchmarks and funder-r only reports;
# nobody granted stranger anything.
TOKENS = ("none", "revoked", "admin", "alpha", "arts-council", "funder-r", "stranger")
VIEWERS = (None, "alpha", "arts-council", "funder-r", "stranger")
SLUGS = ("alpha", "beta")


# Cohorts: the organisations that granted each viewer benchmarks (tests/api/data.py).
COHORTS = {"arts-council": {"alpha", "beta", "peer1", "peer2", "peer3", "peer4"}}


def expected(token: str, viewer: str | None, slug: str | None) -> int:
    """The status the rules in docs/api.md give."""
    if token in ("none", "revoked"):
        return 401
    if token == "admin":
        if viewer is None:
            return 422  # an admin must say whose cohort
        effective = viewer
    elif token == "alpha":
        if slug not in (None, "alpha"):
            return 403  # never another organisation's place in a cohort
        if viewer not in (None, "alpha", "arts-council"):
            return 403  # only a recipient alpha granted benchmarks
        effective = viewer or "alpha"
    else:  # a recipient: only its own cohort
        if viewer not in (None, token):
            return 403
        effective = token
    # An organisation is compared only with a cohort it belongs to (or as the viewer).
    if slug is not None and slug != effective and slug not in COHORTS.get(effective, set()):
        return 403
    return 200


@pytest.fixture(scope="module")
def tokens(served: Served) -> dict[str, str | None]:
    with served.hl.warehouse.connect() as s, s.transaction():
        revoked = create_token(s, "org", "alpha").token
        revoke_token(s, hash_token(revoked)[:12])
    return {**served.tokens, "none": None, "revoked": revoked}


def test_the_sweep_covers_every_benchmark_route() -> None:
    assert BENCHMARK_ROUTES == [
        ("GET", "/api/v1/benchmarks/cohort"),
        ("GET", "/api/v1/benchmarks/distribution/{dimension}"),
        ("GET", "/api/v1/benchmarks/kpis"),
        ("GET", "/api/v1/orgs/{slug}/benchmarks/distribution/{dimension}"),
        ("GET", "/api/v1/orgs/{slug}/benchmarks/kpis"),
    ]


def test_every_benchmark_route_with_every_token_and_viewer(
    served: Served, tokens: dict[str, str | None]
) -> None:
    wrong: list[tuple[str, str, str | None, str | None, int, int]] = []
    checked = 0
    for method, template in BENCHMARK_ROUTES:
        slugs: tuple[str | None, ...] = SLUGS if "{slug}" in template else (None,)
        for slug in slugs:
            path = fill(template, slug or "alpha")
            for token in TOKENS:
                for viewer in VIEWERS:
                    params = {"period": "2025/26", **({"viewer": viewer} if viewer else {})}
                    response = served.call(method, path, tokens[token], **params)
                    want = expected(token, viewer, slug)
                    checked += 1
                    if response.status_code != want:
                        wrong.append((path, token, viewer, slug, response.status_code, want))
                        continue
                    if want == 200:
                        body = response.json()
                        own = token if token not in ("admin", "alpha") else None
                        assert body["viewer"] == (viewer or own or "alpha"), (path, token)
    assert checked == 3 * len(TOKENS) * len(VIEWERS) + 2 * 2 * len(TOKENS) * len(VIEWERS)
    assert wrong == []


def test_an_org_never_sees_figures_of_a_cohort_it_is_not_in(served: Served) -> None:
    """The reported leak: alpha's token naming a recipient it never granted."""
    alpha = served.tokens["alpha"]
    for viewer in ("stranger", "funder-r"):
        response = served.get("/api/v1/benchmarks/kpis", alpha, period="2025/26", viewer=viewer)
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "permission_denied" and viewer in error["message"]
    cohort = served.get("/api/v1/benchmarks/cohort", alpha, viewer="arts-council").json()
    assert cohort["size"] == 6 and cohort["organisations"] is None  # counted, not listed
