"""The Spektrix commands end to end: connect, check-setup, sync, status — and the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from houselights.cli.main import app, main
from houselights.context import Houselights
from houselights.insights import benchmark_kpis, parse_period
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SetupVariations,
    SimulatorConfig,
    SpektrixSimulator,
    apply_variation,
)

ORG = "cli-org"


@pytest.fixture
def sim() -> Iterator[SpektrixSimulator]:
    config = SimulatorConfig(
        clients=(
            ClientConfig(name="demo", seed=4, scale=ScaleConfig(tickets=1_200)),
            ClientConfig(
                name="withdrawn",
                seed=5,
                scale=ScaleConfig(tickets=300),
                variations=apply_variation(SetupVariations(), "partner-access-off"),
            ),
        )
    )
    with SpektrixSimulator(config).running() as simulator:
        yield simulator


@pytest.fixture
def duck_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOUSELIGHTS_DATABASE_URL", f"duckdb://{tmp_path / 'wh.duckdb'}")
    monkeypatch.delenv("HOUSELIGHTS_SECRET_KEY", raising=False)
    return tmp_path / "data"


def _files(sim: SpektrixSimulator, tmp_path: Path) -> tuple[Path, Path]:
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps(sim.credentials()), encoding="utf-8")
    ids = tmp_path / "ids.csv"
    ids.write_text("Order ID\n" + "\n".join(sim.truth("demo").order_ids) + "\n", encoding="utf-8")
    return creds, ids


def test_connect_check_sync_status(
    sim: SpektrixSimulator, tmp_path: Path, hl_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    creds, ids = _files(sim, tmp_path)
    assert main(["org", "add", ORG, "--name", "CLI Theatre"]) == 0
    assert (
        main(
            [
                "connect",
                "spektrix",
                ORG,
                "--from-credentials",
                str(creds),
                "--client",
                "demo",
                "--request-budget",
                "0",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["check-setup", ORG, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["steps"][0]["mark"] == "✓"
    assert main(["sync", ORG, "--backfill", str(ids)]) == 0
    out = capsys.readouterr().out
    assert "Backfill:" in out and "orders" in out
    sim.advance("demo", days=2)
    assert main(["sync", ORG]) == 0
    assert "changes via orders/sync" in capsys.readouterr().out
    assert main(["status", ORG]) == 0
    status = capsys.readouterr().out
    assert "Last success:" in status and "orders_sync" in status and "complete" in status
    assert main(["status", ORG, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "active" and {s["stream"] for s in data["streams"]} >= {
        "orders_sync",
        "audit",
        "orders_backfill",
        "catalogue",
    }


def test_connect_with_secret_files(
    sim: SpektrixSimulator, tmp_path: Path, duck_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = sim.credentials()["clients"][0]
    key, password = tmp_path / "key.txt", tmp_path / "password.txt"
    key.write_text(c["api_key"] + "\n", encoding="utf-8")
    password.write_text(c["report_password"] + "\n", encoding="utf-8")
    assert main(["org", "add", ORG, "--name", "CLI Theatre"]) == 0
    assert (
        main(
            [
                "connect",
                "spektrix",
                ORG,
                "--client",
                "demo",
                "--base-url",
                sim.root_url,
                "--api-login",
                c["api_login"],
                "--api-key-file",
                str(key),
                "--report-user",
                c["report_user"],
                "--report-password-file",
                str(password),
                "--audit-report-url",
                c["audit_report_url"],
            ]
        )
        == 0
    )
    assert "Connected" in capsys.readouterr().out
    assert main(["check-setup", ORG]) == 0
    out = capsys.readouterr().out
    assert "✓ API user signs requests" in out and "⚠ Venue addresses" in out
    assert "Fix:" in out


def test_connect_prompts_for_secrets(sim: SpektrixSimulator, duck_env: Path) -> None:
    c = sim.credentials()["clients"][0]
    assert main(["org", "add", ORG, "--name", "CLI Theatre"]) == 0
    result = CliRunner().invoke(
        app,
        [
            "connect",
            "spektrix",
            ORG,
            "--client",
            "demo",
            "--base-url",
            sim.root_url,
            "--api-login",
            c["api_login"],
            "--report-user",
            c["report_user"],
        ],
        input=f"{c['api_key']}\n{c['report_password']}\n",
    )
    assert result.exit_code == 0, result.output
    assert c["api_key"] not in result.output and c["report_password"] not in result.output
    assert main(["check-setup", ORG]) == 0


def test_bad_input_and_withdrawn_access(
    sim: SpektrixSimulator, tmp_path: Path, duck_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    creds, _ = _files(sim, tmp_path)
    assert main(["org", "add", ORG, "--name", "CLI Theatre"]) == 0
    assert main(["connect", "spektrix", ORG, "--client", "demo"]) == 2
    assert "--api-login" in capsys.readouterr().err
    assert (
        main(
            ["connect", "spektrix", "nobody", "--from-credentials", str(creds), "--client", "demo"]
        )
        == 3
    )
    assert (
        main(
            ["connect", "spektrix", ORG, "--from-credentials", str(creds), "--client", "withdrawn"]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["check-setup", ORG]) == 1
    out = capsys.readouterr().out
    assert "✗ Partner access is switched on" in out and "switch partner data access" in out
    assert main(["sync", ORG]) == 9
    err = capsys.readouterr().err
    assert "withdrawn" in err and "What to do:" in err
    assert main(["status", ORG]) == 0
    assert "paused" in capsys.readouterr().out


def test_demo_runs_end_to_end(hl_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-serve", "--tickets", "700", "--lines", "1500"]) == 0
    out = capsys.readouterr().out
    assert out.count("Setup check of") == 6  # five Spektrix systems, one Ticketsolve account
    assert "⚠ Fee merchandise marked as Fee" in out  # the realistic slip in harbour-arts
    assert out.count("Backfill:") == 5 and "incremental sync" in out
    assert "Event ID report — northgate-theatre" in out
    assert "Riverside Arts Centre" in out
    # The Ticketsolve organisation: catalogue and a season of exports, then a week later.
    assert "simulated Ticketsolve account" in out
    assert "Setup check of foyle-quay-theatre (Ticketsolve account foylequay)" in out
    assert "Event ID report — foyle-quay-theatre" in out
    # Seven organisations grant the demo funder benchmarks: a cohort big enough to show.
    assert "7 organisations grant 'demo-arts-council' benchmarks" in out
    hl = Houselights()
    with hl.warehouse.connect() as s:
        kpis = benchmark_kpis(s, "demo-arts-council", parse_period("2024/25"))
    hl.close()
    assert (kpis.cohort_size, kpis.status) == (7, "ok")
