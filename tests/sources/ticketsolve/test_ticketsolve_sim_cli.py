"""``houselights simulate ticketsolve``: flags, URLs output, exports, errors with hints."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from houselights.cli.main import main
from houselights.cli.simulate import app, build_ticketsolve_config
from houselights.errors import ConfigError
from houselights.sources.ticketsolve.simulator import FaultKind

runner = CliRunner()


def _defaults(**changes: Any) -> dict[str, Any]:
    flags: dict[str, Any] = {
        "port": 0, "host": "127.0.0.1", "seed": 1, "scale": "tiny", "shows": None,
        "performances": None, "tickets": None, "clients": "demo", "organisation": [],
        "postcodeless_venues": 1, "feed_host": [], "latency_ms": 0.0, "rate_limit": None,
        "rate_limit_status": 429, "fault": [], "fault_rate": [], "fault_seed": 0,
        "slow_ms": 1500.0, "hang_seconds": 120.0, "start": None, "zone_label": None,
        "event_time_format": "rails", "cdata": True, "venue_addresses": False,
        "past_performances": False, "exports_dir": None, "exports_format": "csv",
        "export_period": "week",
    }
    flags.update(changes)
    return flags


def test_no_serve_writes_urls_and_exports(tmp_path: Path) -> None:
    urls_out, exports = tmp_path / "urls.json", tmp_path / "exports"
    result = runner.invoke(app, [
        "ticketsolve", "--no-serve", "--scale", "tiny", "--clients", "north,south",
        "--port", "9912", "--urls-out", str(urls_out), "--exports-dir", str(exports),
        "--exports-format", "both", "--organisation", "south=lancaster",
    ])
    assert result.exit_code == 0, result.output
    assert "Simulated Ticketsolve accounts" in result.output
    urls = json.loads(urls_out.read_text())["clients"]
    assert [c["client"] for c in urls] == ["north", "south"]
    assert urls[0]["base_url"] == "http://127.0.0.1:9912/north"
    assert urls[0]["shows_url"] == "http://127.0.0.1:9912/north/shows.xml"
    assert urls[1]["organisation"] == "Lune Street Playhouse" and urls[1]["currency"] == "GBP"
    names = {p.name for p in exports.iterdir()}
    assert any(n.startswith("north-sales-000_") and n.endswith(".xlsx") for n in names)
    assert any(n.startswith("south-customers-") and n.endswith(".csv") for n in names)


def test_flags_build_the_config(tmp_path: Path) -> None:
    config = build_ticketsolve_config(**_defaults(
        clients="a,b", seed=10, shows="50", performances="400", tickets="2k",
        organisation=["cork", "b=derry"], feed_host=["b=tickets.example.ie"],
        rate_limit=4.0, rate_limit_status=403, latency_ms=30.0,
        fault=["503@shows.xml=1,2", "xxe@shows/*/events/*.xml=10%"],
        fault_rate=["truncated=0.1"], zone_label="GMT", event_time_format="iso", cdata=False,
        venue_addresses=True, past_performances=True, exports_dir=tmp_path,
        exports_format="both", export_period="month", start="2025-10-01T09:00",
    ))
    a, b = config.clients
    assert (a.seed, b.seed) == (10, 11)
    assert (a.organisation, b.organisation) == ("cork", "derry")
    assert (a.feed_host, b.feed_host) == (None, "tickets.example.ie")
    assert (a.scale.shows, a.scale.performances, a.scale.tickets) == (50, 400, 2_000)
    assert config.faults.rules[0].nth == frozenset({1, 2})
    assert config.faults.rules[1].probability == pytest.approx(0.1)
    assert config.faults.probabilities == {FaultKind.TRUNCATED: 0.1}
    assert (config.rate_limit, config.rate_limit_status, config.latency_ms) == (4.0, 403, 30.0)
    assert config.feed.zone_label == "GMT" and not config.feed.cdata
    assert config.feed.venue_addresses and config.feed.past_performances
    assert config.export_formats == ("csv", "xlsx") and config.export_period == "month"
    assert a.start.isoformat() == "2025-10-01T09:00:00+00:00"


@pytest.mark.parametrize("changes", [
    {"scale": "enormous"},
    {"shows": "lots"},
    {"clients": " , "},
    {"clients": "Bad_Name"},
    {"organisation": ["atlantis"]},
    {"organisation": ["other=cork"]},
    {"feed_host": ["other=x.ie"]},
    {"fault": ["503@shows.xml"]},
    {"fault_rate": ["5xx=7"]},
    {"rate_limit": -1.0},
    {"rate_limit_status": 418},
    {"latency_ms": -5.0},
    {"port": 70_000},
    {"start": "next tuesday"},
    {"event_time_format": "unix"},
    {"exports_format": "pdf"},
    {"export_period": "fortnight"},
])
def test_bad_flags_raise_config_errors_with_hints(changes: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        build_ticketsolve_config(**_defaults(**changes))
    assert info.value.message and info.value.hint


def test_bad_flag_through_the_main_cli_prints_a_hint_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["simulate", "ticketsolve", "--no-serve", "--scale", "enormous"])
    err = capsys.readouterr().err
    assert code == 2 and "is not a preset" in err and "Traceback" not in err


def test_the_command_serves_until_interrupted(tmp_path: Path) -> None:
    urls_out = tmp_path / "urls.json"
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(  # a real process, as a user would run it
        [str(Path(sys.executable).parent / "houselights"), "simulate", "ticketsolve",
         "--port", "0", "--scale", "tiny", "--urls-out", str(urls_out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not urls_out.exists() or not urls_out.read_text().endswith("\n"):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the simulator did not start"
            time.sleep(0.05)
        url = json.loads(urls_out.read_text())["clients"][0]["shows_url"]
        with httpx.Client(trust_env=False) as http:
            assert http.get(url).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and b"Stopped." in out
