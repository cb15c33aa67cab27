"""Shared fixtures for the Spektrix simulator tests: running simulators and HTTP helpers.

The signer here is written independently of ``houselights.sources.spektrix.auth`` on
purpose, so the tests check the simulator against the spec, not against itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)


def independent_signature(
    key_b64: str, method: str, url: str, date: str, body: bytes | None = None
) -> str:
    """The spec §4.2 formula, written from the spec text alone."""
    text = f"{method}\n{url}\n{date}"
    if method != "GET":
        text += "\n" + base64.b64encode(hashlib.md5(body or b"").digest()).decode()
    mac = hmac.new(base64.b64decode(key_b64), text.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def gmt_now() -> str:
    """RFC 1123 date of now via the standard library (independent of our http_date)."""
    return format_datetime(datetime.now(UTC), usegmt=True)


@dataclass
class Partner:
    """A partner's view of one simulated client: signs requests like a careful client."""

    creds: dict[str, Any]
    http: httpx.Client

    @property
    def base(self) -> str:
        return str(self.creds["base_url"])

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.base}/{path.lstrip('/')}{query}"

    def get(
        self, path: str, params: dict[str, Any] | None = None, *, signed: bool = True,
        timeout: float | None = 10.0,
    ) -> httpx.Response:
        request = self.http.build_request("GET", self.url(path, params), timeout=timeout)
        if signed:
            date = gmt_now()
            # Sign the URL exactly as it will go on the wire.
            signature = independent_signature(
                self.creds["api_key"], "GET", str(request.url), date
            )
            request.headers["Date"] = date
            request.headers["Authorization"] = (
                f"SpektrixAPI3 {self.creds['api_login']}:{signature}"
            )
        return self.http.send(request)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return response.json()


def raw_request(
    root: str, method: str, target: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes, dict[str, str]]:
    """Send bytes exactly as given (no client-side URL normalisation)."""
    parsed = urllib.parse.urlsplit(root)
    conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=10)
    try:
        conn.request(method, target, body=body or None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def tiny_config(**overrides: Any) -> SimulatorConfig:
    """One small client ("demo"): data generates in a few milliseconds."""
    client = overrides.pop("client", ClientConfig(scale=ScaleConfig(tickets=3_000)))
    return SimulatorConfig(clients=(client,), **overrides)


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[SpektrixSimulator]:
    """A read-only simulator shared by tests that never change its state."""
    config = SimulatorConfig(clients=(
        ClientConfig(name="demo", seed=7, scale=ScaleConfig(tickets=6_000)),
        ClientConfig(name="second", seed=8, scale=ScaleConfig(tickets=1_000)),
    ))
    with SpektrixSimulator(config).running() as sim:
        yield sim


@pytest.fixture(scope="session")
def shared_truth(shared_sim: SpektrixSimulator) -> Any:
    return shared_sim.truth("demo")


@pytest.fixture
def partner(shared_sim: SpektrixSimulator, http_client: httpx.Client) -> Partner:
    return Partner(shared_sim.credentials()["clients"][0], http_client)


@pytest.fixture
def sim() -> Iterator[SpektrixSimulator]:
    """A fresh simulator for tests that change state (clock, faults, toggles)."""
    with SpektrixSimulator(tiny_config()).running() as simulator:
        yield simulator


@pytest.fixture
def own_partner(sim: SpektrixSimulator, http_client: httpx.Client) -> Partner:
    return Partner(sim.credentials()["clients"][0], http_client)


@pytest.fixture
def signer() -> Any:
    """The independent signer, for tests that build requests by hand."""
    return independent_signature


@pytest.fixture
def raw() -> Any:
    """Send an exact request line and headers (see :func:`raw_request`)."""
    return raw_request


@pytest.fixture
def now_gmt() -> Any:
    return gmt_now


@pytest.fixture
def make_partner(http_client: httpx.Client) -> Any:
    """Build a Partner for a given credentials entry."""

    def make(creds: dict[str, Any]) -> Partner:
        return Partner(creds, http_client)

    return make
