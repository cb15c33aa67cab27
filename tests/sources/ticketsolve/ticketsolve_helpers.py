"""Helpers shared by the Ticketsolve tests (imported by name, like the Spektrix kit)."""

from __future__ import annotations

from typing import Any

from houselights.sources.ticketsolve.simulator import (
    SCALE_PRESETS,
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
)

TINY = SCALE_PRESETS["tiny"]
SMALLISH = ScaleConfig(shows=30, performances=200, tickets=4_000)


def tiny_config(**overrides: Any) -> SimulatorConfig:
    """One tiny client ("demo"): generates in milliseconds."""
    client = overrides.pop("client", ClientConfig(name="demo", scale=TINY))
    return SimulatorConfig(clients=(client,), **overrides)
