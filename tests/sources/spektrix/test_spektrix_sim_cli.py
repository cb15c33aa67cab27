"""``houselights simulate spektrix``: flags, credentials output, and errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from houselights.cli.simulate import app, build_config
from houselights.errors import ConfigError
from houselights.sources.spektrix.simulator import FaultKind

runner = CliRunner()


def _defaults(**changes: Any) -> dict[str, Any]:
    flags: dict[str, Any] = {
        "port": 0, "host": "127.0.0.1", "seed": 1, "scale": "tiny", "clients": "demo",
        "latency_ms": 0.0, "rate_limit": None, "variation": [], "fault": [], "fault_rate": [],
        "fault_seed": 0, "slow_ms": 1500.0, "hang_seconds": 120.0, "clock_offset": 0.0,
        "skew_window": 900.0, "repeat_pages_over_days": None, "start": None,
    }
    flags.update(changes)
    return flags


def test_no_serve_prints_and_writes_credentials(tmp_path: Path) -> None:
    out = tmp_path / "creds.json"
    result = runner.invoke(app, ["spektrix", "--no-serve", "--scale", "tiny", "--clients",
                                 "north,south", "--port", "9911", "--credentials-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Simulated Spektrix systems" in result.output
    creds = json.loads(out.read_text())
    assert [c["client"] for c in creds["clients"]] == ["north", "south"]
    first = creds["clients"][0]
    assert set(first) >= {"client", "base_url", "api_login", "api_key", "report_user",
                          "report_password", "audit_report_url", "order_ids_url"}
    assert first["base_url"] == "http://127.0.0.1:9911/north/api/v3"


def test_flags_build_the_config() -> None:
    config = build_config(**_defaults(
        clients="a,b", seed=10, rate_limit=4.0, latency_ms=25.0,
        variation=["fee-without-value", "b:api-user-not-system-owner", "a:bare-refs",
                   "sync-next-with-client"],
        fault=["503@orders/{id}=3,7"], fault_rate=["timeout=0.1"], repeat_pages_over_days=4,
        start="2025-06-01T10:00",
    ))
    a, b = config.clients
    assert (a.seed, b.seed) == (10, 11)
    assert a.variations.fee_items_without_fee_value and b.variations.fee_items_without_fee_value
    assert a.variations.api_user_is_system_owner and not b.variations.api_user_is_system_owner
    assert a.payload.bare_refs and not b.payload.bare_refs
    assert a.payload.sync_next == b.payload.sync_next == "with-client"
    assert a.timezone == "Europe/London" and a.catalogue is None
    assert config.faults.rules[0].nth == frozenset({3, 7})
    assert config.faults.probabilities == {FaultKind.TIMEOUT: 0.1}
    assert config.rate_limit == 4.0 and config.latency_ms == 25.0
    assert a.start.isoformat() == "2025-06-01T10:00:00+00:00"


@pytest.mark.parametrize("changes", [
    {"scale": "enormous"},
    {"clients": " , "},
    {"clients": "Bad Name"},
    {"variation": ["nonsense"]},
    {"variation": ["other:fee-without-value"]},
    {"fault": ["503@orders"]},
    {"fault_rate": ["5xx=7"]},
    {"rate_limit": -1.0},
    {"latency_ms": -5.0},
    {"port": 70_000},
    {"start": "next tuesday"},
    {"skew_window": 0.0},
])
def test_bad_flags_raise_config_errors_with_hints(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(**_defaults(**changes))
    assert info.value.message and info.value.hint


def test_bad_flag_through_the_command_is_a_config_error_not_a_crash() -> None:
    result = runner.invoke(app, ["spektrix", "--no-serve", "--scale", "enormous"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)  # the main CLI's handler prints it
