"""Server mode on PostgreSQL: several ``houselights worker`` processes, many simulated
Spektrix organisations, one worker killed with SIGKILL mid-sync."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from houselights.cli.main import app as cli
from houselights.common import utcnow
from houselights.context import Houselights
from houselights.jobs import store
from houselights.sources.spektrix.simulator import FaultKind, SpektrixSimulator

from ..conftest import PgSchemas
from .fleet_kit import connect_fleet, fleet_config, org_of, poll, workers

ENV = {"jobs_tick_seconds": 1, "jobs_stalled_seconds": 8, "jobs_retry_seconds": 1,
       "jobs_max_attempts": 3}
BUDGET = 40.0  # requests per second per organisation, and the simulator's limit per login


def _synced(hl: Houselights, orgs: list[str]) -> bool:
    with hl.warehouse.connect() as s:
        done = {str(r[0]) for r in s.fetchall(
            "SELECT DISTINCT org_id FROM jobs WHERE status = 'succeeded'")}
    return set(orgs) <= done


def _overlaps(intervals: list[tuple[datetime, datetime]]) -> bool:
    ordered = sorted(intervals)
    return any(b[0] < a[1] for a, b in itertools.pairwise(ordered))


def test_workers_sync_every_org_once_at_a_time_within_budget_despite_sigkill(
    tmp_path: Path, pg_schemas: PgSchemas
) -> None:
    url = pg_schemas.new_url()
    hl = Houselights(data_dir=tmp_path / "data", database_url=url, secret_key="")
    sim: SpektrixSimulator
    with SpektrixSimulator(fleet_config(8, rate_limit=BUDGET)).running() as sim, workers(
        url, tmp_path / "data", tmp_path / "logs", **ENV
    ) as pool:
        orgs = connect_fleet(hl, sim, request_budget=BUDGET)
        pids = pool.start(3)
        # Kill a worker while it is syncing an organisation.
        victim = poll(lambda: _running_on(hl, pids), timeout=120, what="a running sync")
        pool.kill(victim[0])
        killed_at = utcnow()
        try:
            poll(lambda: _synced(hl, orgs), timeout=300, what="every organisation synced")
        except AssertionError:
            raise AssertionError(pool.logs()) from None
        with hl.warehouse.connect() as s:
            killed = store.get_job(s, victim[1])
        assert killed.status == "succeeded" and killed.attempts >= 2, killed
        # taken up again once the worker is seen dead (seconds), not after the hourly interval
        assert killed.started_at is not None
        assert (killed.started_at - killed_at).total_seconds() < 600
        for client in (c["client"] for c in sim.credentials()["clients"]):
            assert sim.throttled(client) == 0, client  # never over its budget at the box office
            truth = {o["id"] for o in sim.truth(client).orders}
            with hl.warehouse.connect() as s:
                got = [str(r[0]) for r in s.fetchall(
                    "SELECT order_id FROM orders WHERE org_id = ?", [org_of(client)])]
            assert sorted(got) == sorted(truth)  # fully synced, nothing duplicated
    with hl.warehouse.connect() as s:
        for org in orgs:
            runs = s.fetchall(
                "SELECT started_at, finished_at, status FROM runs WHERE org_id = ?", [org])
            finished = [(r[0], r[1]) for r in runs if r[1] is not None]
            assert not _overlaps(finished), org  # never two syncs of one org at once
            unfinished = [r for r in runs if r[1] is None]
            if org != killed.org_id:
                assert unfinished == []
            else:  # the killed attempt's run: started before every later one
                assert len(unfinished) <= 1
                assert all(u[0] <= f[0] for u in unfinished for f in finished if f[0] > u[0])
        # one scheduled job per organisation did the work (no duplicate jobs)
        per_org = s.fetchall("SELECT org_id, COUNT(*) FROM jobs WHERE status = 'succeeded'"
                             " GROUP BY org_id ORDER BY org_id")
        assert per_org == [(org, 1) for org in sorted(orgs)]
    hl.close()


def _running_on(hl: Houselights, pids: list[int]) -> tuple[int, str] | None:
    with hl.warehouse.connect() as s:
        rows = s.fetchall("SELECT job_id, worker FROM jobs WHERE status = 'running'")
    for job_id, worker in rows:
        pid = int(str(worker).rsplit(":", 1)[1])
        if pid in pids:
            return pid, str(job_id)
    return None


def test_failing_box_office_is_retried_then_failed_in_jobs_and_status(
    tmp_path: Path, pg_schemas: PgSchemas
) -> None:
    url = pg_schemas.new_url()
    hl = Houselights(data_dir=tmp_path / "data", database_url=url, secret_key="")
    with SpektrixSimulator(fleet_config(1, tickets=60)).running() as sim, workers(
        url, tmp_path / "data", tmp_path / "logs", **ENV
    ) as pool:
        (org,) = connect_fleet(hl, sim, retries=1)
        sim.faults.set_probability(FaultKind.SERVER_ERROR, 1.0)
        pool.start(2)

        def failed() -> store.Job | None:
            with hl.warehouse.connect() as s:
                jobs = store.list_jobs(s, org, statuses=("failed",))
            return jobs[0] if jobs else None

        try:
            job = poll(failed, timeout=180, what="the job to fail for good")
        except AssertionError:
            raise AssertionError(pool.logs()) from None
    assert job.attempts == 3 and job.last_error and "503" in job.last_error
    # the backoff: attempts were spaced by 1 s, then 2 s (procrastinate's retries)
    with hl.warehouse.connect() as s:
        starts = [r[0] for r in s.fetchall(
            "SELECT started_at FROM runs WHERE org_id = ? ORDER BY started_at", [org])]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert len(starts) == 3 and gaps[0] >= 1.0 and gaps[1] >= 2.0, gaps
    runner = CliRunner()
    shown = runner.invoke(
        cli, ["--db", url, "--data-dir", str(tmp_path / "data"), "jobs", org, "-f", "json"])
    assert shown.exit_code == 0, shown.output
    (row,) = json.loads(shown.stdout)
    assert row["status"] == "failed" and row["attempts"] == 3 and "503" in row["last_error"]
    status = runner.invoke(
        cli, ["--db", url, "--data-dir", str(tmp_path / "data"), "status", org])
    assert status.exit_code == 0, status.output
    assert "503" in status.output  # the last error
    hl.close()
