"""One process on a laptop (DuckDB): ``houselights serve`` serves the dashboard, runs the
scheduled syncs and takes uploads; the CLI against the held file points at it; Ctrl-C
stops it cleanly and a restart resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from houselights.api.tokens import create_token
from houselights.context import Houselights
from houselights.jobs import store
from houselights.jobs.embedded import EmbeddedScheduler
from houselights.orgs.service import add_org

from ..api.server import free_port
from .fleet_kit import connect_fleet, fleet_config, poll

CSV = (
    "Order ID,Order Date,Customer ID,Customer Postcode,Event ID,Event Name,Instance ID,"
    "Instance Start,Venue,Line Type,Ticket Type,Face Value,Price Paid\n"
    "U1,2024-03-01 10:00,C1,NE1 4ST,E1,Hamlet,I1,2024-04-02 19:30,Main,ticket,Full,20,20\n"
    "U2,2024-03-01 10:00,C2,NE1 4ST,E1,Hamlet,I1,2024-04-02 19:30,Main,ticket,Full,20,abc\n"
)


def _cli(data: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "houselights.cli", "--data-dir", str(data), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_serve_runs_schedule_and_uploads_beside_the_dashboard(tmp_path: Path) -> None:
    from houselights.sources.spektrix.simulator import SpektrixSimulator

    data = tmp_path / "data"
    hl = Houselights(data_dir=data, secret_key="")
    with SpektrixSimulator(fleet_config(2, tickets=80, latency_ms=0)).running() as sim:
        orgs = connect_fleet(hl, sim, request_budget=None)
        with hl.warehouse.connect() as s, s.transaction():
            add_org(s, "uploader", "Uploads Only")
            token = create_token(s, "admin").token
        hl.close()  # the server holds the file from now on
        port = free_port()
        server = _cli(data, "serve", "--port", str(port),
                      env={"HOUSELIGHTS_JOBS_TICK_SECONDS": "1"})
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.Client(base_url=base, timeout=30, headers=auth) as http:
                def up() -> bool:
                    try:
                        return http.get("/api/v1/health").status_code == 200
                    except httpx.TransportError:
                        assert server.poll() is None, server.stdout.read()  # type: ignore[union-attr]
                        return False

                poll(up, timeout=60, what="the server to answer")

                def synced() -> bool:
                    for org in orgs:
                        jobs = http.get(f"/api/v1/orgs/{org}/jobs").json()["items"]
                        if not any(j["status"] == "succeeded" and j["kind"] == "scheduled"
                                   for j in jobs):
                            return False
                    return True

                # the dashboard serves while scheduled syncs run
                page = http.get("/dashboard/overview")
                assert page.status_code == 200 and "<html" in page.text.lower()
                upload = http.post("/api/v1/orgs/uploader/uploads",
                                   files={"file": ("sales.csv", CSV.encode(), "text/csv")})
                assert upload.status_code == 200, upload.text
                assert upload.json()["rows_held_back"] == 1
                assert upload.json()["row_errors"][0]["value"] == "abc"
                poll(synced, timeout=120, what="the scheduled syncs")
                assert http.get("/dashboard/overview").status_code == 200
                metrics = http.get("/metrics")
                assert metrics.status_code == 200
                assert 'houselights_sync_lag_seconds{org="org-c000"' in metrics.text

                # the CLI against the held file: pointed at the running server
                cli = _cli(data, "org", "list")
                out, _ = cli.communicate(timeout=60)
                assert cli.returncode == 4, out
                assert f"{base}/dashboard/" in out and "houselights serve" in out
                assert "Traceback" not in out
        finally:
            server.send_signal(signal.SIGINT)  # Ctrl-C
            out, _ = server.communicate(timeout=60)
        assert server.returncode == 0, out
        assert "Traceback" not in out
        assert not Path(f"{data / 'houselights.duckdb'}.server.json").exists()
    # stopped: the file is free again, and the CLI works on it
    again = _cli(data, "jobs", "--all", "-f", "json")
    text, _ = again.communicate(timeout=60)
    assert again.returncode == 0, text
    assert text.count('"succeeded"') >= 2


def test_a_restart_resumes_jobs_cut_short(tmp_path: Path) -> None:
    from houselights.sources.spektrix.simulator import SpektrixSimulator

    hl = Houselights(data_dir=tmp_path / "data", secret_key="")
    with SpektrixSimulator(fleet_config(1, tickets=60, latency_ms=0)).running() as sim:
        (org,) = connect_fleet(hl, sim, request_budget=None)
        with hl.warehouse.connect() as s, s.transaction():
            job, _ = store.enqueue(s, org, "spektrix", "scheduled")
            store.start(s, job.job_id)  # the server was stopped during this sync
        scheduler = EmbeddedScheduler(hl)
        assert scheduler.recover() == 1
        ran = scheduler.tick().ran
        assert ran[job.job_id].result == "succeeded"
        with hl.warehouse.connect() as s:
            again = store.get_job(s, job.job_id)
        assert again.status == "succeeded" and again.attempts == 2
    hl.close()
