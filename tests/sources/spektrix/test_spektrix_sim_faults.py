"""Fault injection: every kind, by script and by probability, plus the rate limit."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from houselights.sources.spektrix.simulator import (
    FaultConfig,
    FaultKind,
    FaultRule,
    SpektrixSimulator,
)
from houselights.sources.spektrix.simulator.faults import (
    RateLimiter,
    parse_fault_probability,
    parse_fault_rule,
)


def _order_path(sim: SpektrixSimulator) -> str:
    return f"orders/{sim.truth().orders[0]['id']}"


def test_scripted_503_on_the_3rd_and_7th_request(sim: SpektrixSimulator,
                                                 own_partner: Any) -> None:
    path = _order_path(sim)
    sim.faults.script(FaultKind.SERVER_ERROR, "orders/{id}", {3, 7})
    statuses = [own_partner.get(path).status_code for _ in range(8)]
    assert statuses == [200, 200, 503, 200, 200, 200, 503, 200]
    assert own_partner.get("events").status_code == 200  # other routes untouched


def test_probability_one_and_clear(sim: SpektrixSimulator, own_partner: Any) -> None:
    sim.faults.set_probability(FaultKind.SERVER_ERROR, 1.0)
    response = own_partner.get("events")
    assert response.status_code == 503 and response.json()["message"]
    sim.faults.clear()
    assert own_partner.get("events").status_code == 200


def test_random_faults_hit_about_the_configured_share(sim: SpektrixSimulator,
                                                      own_partner: Any) -> None:
    sim.faults.set_probability(FaultKind.SERVER_ERROR, 0.3)
    statuses = [own_partner.get("funds").status_code for _ in range(100)]
    assert 10 < statuses.count(503) < 55
    assert set(statuses) == {200, 503}


def test_html_403_looks_like_cloudflare(sim: SpektrixSimulator, own_partner: Any) -> None:
    sim.faults.script(FaultKind.HTML_403, "*", {1})
    response = own_partner.get("events", signed=False)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Cloudflare" in response.text and response.headers["Server"] == "cloudflare"


def test_truncated_json(sim: SpektrixSimulator, own_partner: Any) -> None:
    sim.faults.script(FaultKind.TRUNCATED, "events", {1})
    response = own_partner.get("events")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert own_partner.get("events").json()


def test_slow_response(sim: SpektrixSimulator, own_partner: Any) -> None:
    sim.faults.set_probability(FaultKind.SLOW, 1.0)
    began = time.perf_counter()
    assert own_partner.get("funds").status_code == 200
    assert time.perf_counter() - began >= 1.4  # slow_ms defaults to 1.5 s


def test_timeout_hangs_longer_than_a_client_timeout(sim: SpektrixSimulator,
                                                    own_partner: Any) -> None:
    sim.faults.script(FaultKind.TIMEOUT, "orders/sync", {1})
    with pytest.raises(httpx.ReadTimeout):
        own_partner.get("orders/sync", {"since": "2024-01-01"}, timeout=0.3)
    assert own_partner.get("orders/sync", {"since": "2024-01-01"}).status_code == 200


def test_clock_skew_rejection(sim: SpektrixSimulator, own_partner: Any) -> None:
    sim.faults.script(FaultKind.CLOCK_SKEW, "events", {1})
    response = own_partner.get("events")
    assert response.status_code == 401 and "expired" in response.json()["message"]
    assert own_partner.get("events").status_code == 200
    sim.faults.clock_offset_seconds = 20 * 60  # the server clock runs 20 minutes fast
    assert own_partner.get("events").status_code == 401
    sim.faults.clock_offset_seconds = 10 * 60  # inside the ±15 min window
    assert own_partner.get("events").status_code == 200


def test_rate_limit_per_login_with_retry_after(sim: SpektrixSimulator,
                                               own_partner: Any) -> None:
    sim.faults.set_rate_limit(5)
    statuses = []
    retry_after = None
    for _ in range(12):
        response = own_partner.get("funds")
        statuses.append(response.status_code)
        if response.status_code == 429:
            retry_after = response.headers["Retry-After"]
    assert 429 in statuses and statuses[:5] == [200] * 5
    assert retry_after is not None and int(retry_after) >= 1
    time.sleep(1.1)
    assert own_partner.get("funds").status_code == 200
    sim.faults.script(FaultKind.RATE_LIMIT, "funds", {1})
    sim.faults.set_rate_limit(None)
    scripted = own_partner.get("funds")
    assert scripted.status_code == 429 and scripted.headers["Retry-After"] == "1"


def test_rate_limiter_token_bucket() -> None:
    limiter = RateLimiter(2)
    assert limiter.acquire("a", now=0.0) == 0 and limiter.acquire("a", now=0.0) == 0
    assert limiter.acquire("a", now=0.0) == pytest.approx(0.5)
    assert limiter.acquire("b", now=0.0) == 0  # budgets are per login
    assert limiter.acquire("a", now=0.6) == 0


def test_fault_flags_parse() -> None:
    rule = parse_fault_rule("503@orders/{id}=3,7")
    assert rule == FaultRule(FaultKind.SERVER_ERROR, "orders/{id}", frozenset({3, 7}), 503)
    assert parse_fault_rule("502@*=1").status == 502
    assert parse_fault_rule("html403@events=2").kind is FaultKind.HTML_403
    assert parse_fault_probability("timeout=0.25") == (FaultKind.TIMEOUT, 0.25)
    for bad in ("503", "bogus@x=1", "503@x=0"):
        with pytest.raises(ValueError):
            parse_fault_rule(bad)
    with pytest.raises(ValueError):
        parse_fault_probability("5xx=2")


def test_faults_from_config_and_admin_endpoint(http_client: httpx.Client,
                                               make_partner: Any) -> None:
    from houselights.sources.spektrix.simulator import ClientConfig, ScaleConfig, SimulatorConfig

    config = SimulatorConfig(
        clients=(ClientConfig(scale=ScaleConfig(tickets=500)),),
        faults=FaultConfig(rules=(FaultRule(FaultKind.SERVER_ERROR, "*", frozenset({2}), 500),)),
    )
    with SpektrixSimulator(config).running() as sim:
        p = make_partner(sim.credentials()["clients"][0])
        assert [p.get("funds").status_code for _ in range(3)] == [200, 500, 200]
        admin = f"{sim.root_url}/_simulator/faults"
        spec = {"rules": [{"kind": "truncated", "route": "funds", "nth": [1]}]}
        assert http_client.post(admin, json=spec).status_code == 200
        truncated = p.get("funds")
        assert truncated.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(truncated.content)
        http_client.post(admin, json={"clear": True, "probabilities": {"5xx": 1}})
        assert p.get("funds").status_code == 503
        assert http_client.post(admin, json={"probabilities": {"bogus": 1}}).status_code == 400
        http_client.post(admin, json={"clear": True})
        assert p.get("funds").status_code == 200
