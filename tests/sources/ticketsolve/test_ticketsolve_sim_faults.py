"""Fault injection (by rule, by probability, by path pattern), rate limiting, and the
request log that lets tests count what a client fetched."""

from __future__ import annotations

import httpx
import pytest
from defusedxml import ElementTree
from defusedxml.common import EntitiesForbidden
from ticketsolve_helpers import tiny_config

from houselights.sources.ticketsolve.simulator import (
    FaultConfig,
    FaultKind,
    FaultRule,
    TicketsolveSimulator,
)
from houselights.sources.ticketsolve.simulator.faults import (
    EVENT_ROUTE,
    fault_kind,
    parse_fault_probability,
    parse_fault_rule,
)
from houselights.sources.ticketsolve.simulator.runtime import max_requests_in_window
from houselights.sources.ticketsolve.simulator.server import RequestRecord


def _event_url(sim: TicketsolveSimulator, index: int = 0) -> str:
    perf = sim.truth().listed_performances[index]
    return f"{sim.base_url()}/shows/{perf.show_id}/events/{perf.event_id}.xml"


def test_scripted_503_on_the_2nd_and_4th_shows_request(sim: TicketsolveSimulator,
                                                       http_client: httpx.Client) -> None:
    sim.faults.script(FaultKind.SERVER_ERROR, "shows.xml", {2, 4})
    statuses = [http_client.get(sim.shows_url()).status_code for _ in range(5)]
    assert statuses == [200, 503, 200, 503, 200]
    assert http_client.get(_event_url(sim)).status_code == 200  # other routes untouched


def test_path_globs_and_route_templates(sim: TicketsolveSimulator,
                                        http_client: httpx.Client) -> None:
    perf = sim.truth().listed_performances[0]
    sim.faults.script(FaultKind.SERVER_ERROR, f"shows/{perf.show_id}/events/*.xml", {1},
                      status=502)
    sim.faults.script(FaultKind.FORBIDDEN, EVENT_ROUTE, {3})
    other = sim.truth().listed_performances[-1]
    assert other.show_id != perf.show_id
    first = http_client.get(_event_url(sim, 0))
    assert first.status_code == 502 and "something went wrong" in first.text
    assert http_client.get(_event_url(sim, -1)).status_code == 200
    third = http_client.get(_event_url(sim, -1))
    assert third.status_code == 403 and "nginx" in third.text


def test_probability_one_then_clear(sim: TicketsolveSimulator, http_client: httpx.Client) -> None:
    sim.faults.set_probability(FaultKind.SERVER_ERROR, 1.0)
    assert http_client.get(sim.shows_url()).status_code == 503
    sim.faults.clear()
    assert http_client.get(sim.shows_url()).status_code == 200


def test_a_rule_probability_hits_about_that_share(sim: TicketsolveSimulator,
                                                  http_client: httpx.Client) -> None:
    sim.faults.script(FaultKind.SERVER_ERROR, "shows.xml", probability=0.3)
    statuses = [http_client.get(sim.shows_url()).status_code for _ in range(80)]
    assert 8 < statuses.count(503) < 45 and set(statuses) == {200, 503}


def test_rate_limit_faults_answer_429_with_retry_after_or_403(sim: TicketsolveSimulator,
                                                              http_client: httpx.Client) -> None:
    sim.faults.script(FaultKind.RATE_LIMIT, "*", {1})
    limited = http_client.get(sim.shows_url())
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    sim.faults.script(FaultKind.FORBIDDEN, "*", {1})
    forbidden = http_client.get(sim.shows_url())
    assert forbidden.status_code == 403 and "Retry-After" not in forbidden.headers


@pytest.mark.parametrize("status", [429, 403])
def test_the_rate_limit_is_measured_per_client(status: int, http_client: httpx.Client) -> None:
    with TicketsolveSimulator(tiny_config(rate_limit=2, rate_limit_status=status)
                              ).running() as sim:
        statuses = [http_client.get(sim.shows_url()).status_code for _ in range(6)]
        assert statuses[:2] == [200, 200] and status in statuses[2:]
        refused = [r for r in sim.request_log() if r.status == status]
        assert refused and all(r.path == "/shows.xml" for r in refused)
        sim.faults.set_rate_limit(None)
        assert http_client.get(sim.shows_url()).status_code == 200


def test_truncated_and_malformed_bodies(sim: TicketsolveSimulator,
                                        http_client: httpx.Client) -> None:
    full = http_client.get(sim.shows_url()).content
    sim.faults.script(FaultKind.TRUNCATED, "shows.xml", {1})
    sim.faults.script(FaultKind.MALFORMED, "shows.xml", {2})
    truncated = http_client.get(sim.shows_url())
    assert truncated.status_code == 200 and full.startswith(truncated.content)
    assert len(truncated.content) == len(full) // 2
    malformed = http_client.get(sim.shows_url())
    assert malformed.status_code == 200 and b"</mismatched_" in malformed.content
    for body in (truncated.content, malformed.content):
        with pytest.raises(ElementTree.ParseError):
            ElementTree.fromstring(body)


@pytest.mark.parametrize("kind", [FaultKind.ENTITY_EXPANSION, FaultKind.EXTERNAL_ENTITY])
def test_hostile_documents(sim: TicketsolveSimulator, http_client: httpx.Client,
                           kind: FaultKind) -> None:
    sim.faults.script(kind, "*", {1, 2})
    shows = http_client.get(sim.shows_url())
    event = http_client.get(_event_url(sim))
    assert shows.status_code == event.status_code == 200
    assert b"<!ENTITY" in shows.content and b"<venues" in shows.content
    assert b"<event" in event.content
    if kind is FaultKind.EXTERNAL_ENTITY:
        assert b'SYSTEM "file:///etc/passwd"' in shows.content
    else:
        assert shows.content.count(b"<!ENTITY") == 10
    with pytest.raises(EntitiesForbidden):
        ElementTree.fromstring(shows.content)


def test_slow_and_hanging_answers_outlast_a_short_client_timeout(
    sim: TicketsolveSimulator, http_client: httpx.Client
) -> None:
    sim.faults.script(FaultKind.SLOW, "shows.xml", {1})
    sim.faults.script(FaultKind.TIMEOUT, "shows.xml", {2})
    for _ in range(2):  # the 1.5 s delay, then the hang, both beat a 0.3 s timeout
        with pytest.raises(httpx.ReadTimeout):
            http_client.get(sim.shows_url(), timeout=0.3)
    assert http_client.get(sim.shows_url()).status_code == 200


def test_the_request_log_counts_every_path(sim: TicketsolveSimulator,
                                           http_client: httpx.Client) -> None:
    url = _event_url(sim)
    sim.faults.script(FaultKind.SERVER_ERROR, "shows.xml", {1})
    for target in (sim.shows_url(), sim.shows_url(), url, url, url):
        http_client.get(target)
    http_client.get(sim.shows_url(), params={"tag": "Festival"})
    path = url.removeprefix(sim.base_url())
    assert sim.requests() == {"/shows.xml": 3, path: 3}
    log = sim.request_log()
    assert [r.status for r in log][:2] == [503, 200] and log[-1].query == "tag=Festival"
    assert sim.max_requests_per_second(window=3600) == 6
    admin = http_client.get(f"{sim.root_url}/_simulator/demo/requests").json()
    assert admin["total"] == 6 and admin["paths"]["/shows.xml"] == 3
    assert http_client.delete(f"{sim.root_url}/_simulator/demo/requests").json()["total"] == 6
    assert sim.requests() == {}
    http_client.get(sim.shows_url())
    sim.reset_requests()
    assert sim.request_log() == []


def test_max_requests_in_a_window() -> None:
    log = [RequestRecord(t, "demo", "/shows.xml", "", 200) for t in (0.0, 0.2, 0.9, 1.0, 1.5)]
    assert max_requests_in_window(log, 1.0) == 3
    assert max_requests_in_window(log, 0.5) == 2
    assert max_requests_in_window([], 1.0) == 0


def test_faults_through_the_admin_endpoint(sim: TicketsolveSimulator,
                                           http_client: httpx.Client) -> None:
    spec = {"rules": [{"kind": "xxe", "route": "shows.xml", "nth": [1]}],
            "rate_limit": 100, "rate_limit_status": 403}
    assert http_client.post(f"{sim.root_url}/_simulator/faults", json=spec).status_code == 200
    assert b"file:///etc/passwd" in http_client.get(sim.shows_url()).content
    assert http_client.post(f"{sim.root_url}/_simulator/faults",
                            json={"clear": True, "probabilities": {"503": 1}}).status_code == 200
    assert http_client.get(sim.shows_url()).status_code == 503
    bad = http_client.post(f"{sim.root_url}/_simulator/faults", json={"rules": [{"kind": "x"}]})
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["message"]


def test_configured_rules_apply_from_the_start(http_client: httpx.Client) -> None:
    faults = FaultConfig(rules=(FaultRule(FaultKind.MALFORMED, "events", frozenset({1})),))
    with TicketsolveSimulator(tiny_config(faults=faults)).running() as sim:
        assert b"</mismatched_" in http_client.get(_event_url(sim)).content


@pytest.mark.parametrize(("text", "expected"), [
    ("503@shows.xml=1,3", FaultRule(FaultKind.SERVER_ERROR, "shows.xml", frozenset({1, 3}))),
    ("500@*=2", FaultRule(FaultKind.SERVER_ERROR, "*", frozenset({2}), status=500)),
    ("xxe@shows/*/events/*.xml=4", FaultRule(FaultKind.EXTERNAL_ENTITY,
                                             "shows/*/events/*.xml", frozenset({4}))),
    ("billion-laughs@event.xml=1", FaultRule(FaultKind.ENTITY_EXPANSION, EVENT_ROUTE,
                                             frozenset({1}))),
    ("slow@shows.xml=25%", FaultRule(FaultKind.SLOW, "shows.xml", probability=0.25)),
])
def test_parse_fault_rule(text: str, expected: FaultRule) -> None:
    assert parse_fault_rule(text) == expected


@pytest.mark.parametrize("text", ["503@shows.xml", "nope@*=1", "503@*=0", "slow@*=150%"])
def test_bad_fault_rules(text: str) -> None:
    with pytest.raises(ValueError):
        parse_fault_rule(text)


def test_fault_kinds_and_probabilities() -> None:
    assert fault_kind("429") is FaultKind.RATE_LIMIT
    assert fault_kind("403") is FaultKind.FORBIDDEN
    assert fault_kind("504") is FaultKind.SERVER_ERROR
    assert fault_kind("truncated") is FaultKind.TRUNCATED
    assert parse_fault_probability("malformed=0.5") == (FaultKind.MALFORMED, 0.5)
    with pytest.raises(ValueError):
        parse_fault_probability("5xx=2")
    with pytest.raises(ValueError):
        parse_fault_probability("5xx")
