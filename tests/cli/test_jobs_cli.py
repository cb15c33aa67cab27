"""``houselights jobs``, ``houselights org pause|resume`` and ``houselights worker`` on DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from houselights.cli.main import app, main
from houselights.context import Houselights
from houselights.jobs import store
from houselights.orgs.service import add_org
from houselights.sources.kit.connections import save_connection


def _setup(tmp_path: Path) -> list[str]:
    hl = Houselights(data_dir=tmp_path, secret_key="")
    with hl.warehouse.connect() as s, s.transaction():
        add_org(s, "riverside", "Riverside")
    save_connection(hl, "riverside", "spektrix", {
        "client": "demo", "base_url": "http://127.0.0.1:9/", "api_login": "x",
        "api_key": "QUJD", "report_user": "u", "report_password": "p",
        "audit_report_url": "http://127.0.0.1:9/report",
    })
    with hl.warehouse.connect() as s, s.transaction():
        job, _ = store.enqueue(s, "riverside", "spektrix", "scheduled")
        store.start(s, job.job_id)
        store.finish(s, job.job_id, "failed", error="Spektrix did not answer (503)")
        store.enqueue(s, "riverside", "spektrix", "manual")
    hl.close()
    return ["--data-dir", str(tmp_path)]


def test_jobs_lists_waiting_and_failed_with_the_last_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _setup(tmp_path)
    result = CliRunner().invoke(app, [*base, "jobs", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert sorted(r["status"] for r in rows) == ["failed", "queued"]
    failed = next(r for r in rows if r["status"] == "failed")
    assert failed["org"] == "riverside" and failed["last_error"] == "Spektrix did not answer (503)"
    only = CliRunner().invoke(app, [*base, "jobs", "riverside", "--status", "queued", "-f", "json"])
    assert [r["status"] for r in json.loads(only.stdout)] == ["queued"]
    capsys.readouterr()
    assert main([*base, "jobs", "--status", "sleeping"]) == 2
    assert "not a job status" in capsys.readouterr().err
    assert main([*base, "jobs", "nobody"]) == 3


def test_org_pause_and_resume(tmp_path: Path) -> None:
    base = _setup(tmp_path)
    paused = CliRunner().invoke(app, [*base, "org", "pause", "riverside"])
    assert paused.exit_code == 0 and "Paused riverside's spektrix" in paused.output
    hl = Houselights(data_dir=tmp_path, secret_key="")
    with hl.warehouse.connect() as s:
        assert s.scalar("SELECT status FROM connections WHERE org_id = 'riverside'") == "paused"
        assert [j.status for j in store.list_jobs(s, "riverside", statuses=("queued",))] == []
    hl.close()
    resumed = CliRunner().invoke(app, [*base, "org", "resume", "riverside"])
    assert resumed.exit_code == 0 and "a sync is due now" in resumed.output
    hl = Houselights(data_dir=tmp_path, secret_key="")
    with hl.warehouse.connect() as s:
        assert s.scalar("SELECT status FROM connections WHERE org_id = 'riverside'") == "active"
    hl.close()


def test_worker_on_duckdb_points_at_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "worker"]) == 2
    err = capsys.readouterr().err
    assert "houselights serve" in err and "Traceback" not in err
