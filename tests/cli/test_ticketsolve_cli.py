"""The Ticketsolve commands end to end through the source-neutral CLI: connect,
check-setup, sync (the watched folder), status, upload of an export, replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from houselights.cli.main import main
from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    TicketsolveSimulator,
)

ORG = "cli-venue"


@pytest.fixture
def sim() -> Iterator[TicketsolveSimulator]:
    config = SimulatorConfig(clients=(ClientConfig(
        name="sligo", seed=2, organisation="sligo",
        scale=ScaleConfig(shows=10, performances=40, tickets=800, history_days=21)),))
    with TicketsolveSimulator(config).running() as simulator:
        yield simulator


def test_connect_check_sync_status_upload(
    sim: TicketsolveSimulator, tmp_path: Path, hl_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "exports"
    paths = sim.write_exports("sligo", folder)
    later = tmp_path / "later"
    assert main(["org", "add", ORG, "--name", "Sligo Arts"]) == 0
    assert main(["connect", "ticketsolve", ORG, "--client", "sligo", "--base-url",
                 sim.base_url("sligo"), "--sales-folder", str(folder),
                 "--request-budget", "0"]) == 0
    capsys.readouterr()

    assert main(["check-setup", ORG, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    steps = {s["key"]: s for s in result["steps"]}
    assert list(steps) == ["feed", "shows", "venues", "documents", "exports"]
    assert steps["feed"]["status"] == "ok"
    assert steps["shows"]["status"] == "ok"
    assert steps["venues"]["status"] == "warn" and "--venue-postcodes" in steps["venues"]["fix"]
    assert steps["documents"]["status"] == "ok"
    assert steps["exports"]["status"] == "ok"

    assert main(["sync", ORG]) == 0
    out = capsys.readouterr().out
    assert "3 venues" in out and "sales lines" in out  # raw streams named plainly
    assert main(["status", ORG, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    text = json.dumps(status)
    assert "shows read at their current version" in text
    assert "export files loaded" in text

    # An export uploaded by hand is recognised by its header.
    sim.advance("sligo", days=7)
    new = [p for p in sim.write_exports("sligo", later) if p.name not in {x.name for x in paths}]
    sales = next(p for p in new if "-sales-" in p.name)
    assert main(["upload", ORG, str(sales)]) == 0
    out = capsys.readouterr().out
    assert "Read" in out and sales.name in out
    # Uploaded again: nothing changes, and it says so.
    assert main(["upload", ORG, str(sales)]) == 2
    assert "loaded before" in capsys.readouterr().err

    # A broken setting is one plain line.
    assert main(["connect", "ticketsolve", ORG, "--client", "Not A Name"]) == 2
    assert "client" in capsys.readouterr().err
    assert main(["replay", ORG]) == 0


def test_check_setup_says_what_to_fix(
    sim: TicketsolveSimulator, tmp_path: Path, hl_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "add", ORG, "--name", "Sligo Arts"]) == 0
    base = sim.base_url("sligo").rsplit("/", 1)[0] + "/nobody"
    assert main(["connect", "ticketsolve", ORG, "--client", "nobody", "--base-url", base,
                 "--sales-folder", str(tmp_path / "missing")]) == 0
    capsys.readouterr()
    main(["check-setup", ORG, "--json"])
    steps = {s["key"]: s for s in json.loads(capsys.readouterr().out)["steps"]}
    assert steps["feed"]["status"] == "fail" and "404" in steps["feed"]["detail"]
    assert steps["shows"]["status"] == "skip"
    assert steps["exports"]["status"] == "fail" and "--sales-folder" in steps["exports"]["fix"]
