"""Shared fixtures for the Ticketsolve simulator and feed-parser tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from ticketsolve_helpers import SMALLISH, TINY, tiny_config

from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    SimulatorConfig,
    TicketsolveSimulator,
    TicketsolveTruth,
)


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    # trust_env=False: never route loopback requests through a proxy from the environment.
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[TicketsolveSimulator]:
    """A read-only simulator (two accounts) shared by tests that never change its state."""
    config = SimulatorConfig(clients=(
        ClientConfig(name="demo", seed=7, scale=SMALLISH, organisation="galway"),
        ClientConfig(name="north", seed=8, scale=TINY, organisation="derry"),
    ))
    with TicketsolveSimulator(config).running() as sim:
        yield sim


@pytest.fixture(scope="session")
def shared_truth(shared_sim: TicketsolveSimulator) -> TicketsolveTruth:
    return shared_sim.truth("demo")


@pytest.fixture
def sim() -> Iterator[TicketsolveSimulator]:
    """A fresh simulator for tests that change state (clock, faults, request log)."""
    with TicketsolveSimulator(tiny_config()).running() as simulator:
        yield simulator
