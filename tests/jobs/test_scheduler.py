"""The schedule: due syncs are queued once per interval and run, even with several
schedulers racing; failures are retried with backoff, then shown failed."""

from __future__ import annotations

import sys
import threading
from datetime import timedelta
from pathlib import Path

from houselights.common import utcnow
from houselights.jobs import store
from houselights.jobs.embedded import EmbeddedScheduler, RetryPolicy
from houselights.jobs.queue import due_connections, enqueue_due, request_sync
from houselights.sources.spektrix.simulator import FaultKind

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources" / "spektrix"))
from source_kit import connect, make_hl, running, sim_config


def test_due_syncs_run_once_and_then_wait(tmp_path: Path, warehouse_url: str) -> None:
    hl = make_hl(tmp_path, warehouse_url)
    scheduler = EmbeddedScheduler(hl)
    with running(sim_config(tickets=800)) as sim:
        connect(hl, sim, org="org-a")
        connect(hl, sim, org="org-b")
        assert [d.org_id for d in due_connections(hl)] == ["org-a", "org-b"]
        first = scheduler.tick()
        assert len(first.queued) == 2
        assert sorted(o.result for o in first.ran.values()) == ["succeeded", "succeeded"]
        assert due_connections(hl) == []  # the hourly interval has not passed
        second = scheduler.tick()
        assert second.queued == [] and second.ran == {}
        # an hour later both are due again
        later = enqueue_due(hl, now=utcnow() + timedelta(minutes=61))
        assert sorted(j.org_id for j in later) == ["org-a", "org-b"]
        # Scheduled jobs read the orders feed every time, the daily Customer Audit report
        # once a day (refresh_hours); a sync someone asks for reads it too.
        sim.reset_hits()
        assert [scheduler.run_job(j).result for j in later] == ["succeeded", "succeeded"]
        hits = sim.hits("demo")
        assert hits["orders/sync"] >= 2 and "reports/customer-audit" not in hits, hits
        manual = request_sync(hl, "org-a")
        sim.reset_hits()
        assert scheduler.run_job(manual).result == "succeeded"
        assert sim.hits("demo")["reports/customer-audit"] == 1
    with hl.warehouse.connect() as s:
        for org in ("org-a", "org-b"):
            assert s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = ?", [org]) > 0
            done = store.list_jobs(s, org, statuses=("succeeded",))
            kinds = sorted(j.kind for j in done)
            assert kinds == (["manual", "scheduled", "scheduled"] if org == "org-a"
                             else ["scheduled", "scheduled"])
            assert all(j.attempts == 1 for j in done)
    hl.close()


def test_racing_schedulers_queue_each_due_sync_once(tmp_path: Path, pg_schemas: object) -> None:
    from ..conftest import PgSchemas

    assert isinstance(pg_schemas, PgSchemas)
    url = pg_schemas.new_url()
    setup = make_hl(tmp_path, url)
    with running(sim_config(tickets=300)) as sim:
        for org in ("org-a", "org-b", "org-c"):
            connect(setup, sim, org=org)
        schedulers = [make_hl(tmp_path, url) for _ in range(4)]  # four "machines"
        queued: list[str] = []
        barrier = threading.Barrier(len(schedulers))

        def race(hl: object) -> None:
            barrier.wait()
            queued.extend(j.org_id for j in enqueue_due(hl))  # type: ignore[arg-type]

        threads = [threading.Thread(target=race, args=(w,)) for w in schedulers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(queued) == ["org-a", "org-b", "org-c"]  # each exactly once
    with setup.warehouse.connect() as s:
        rows = s.fetchall("SELECT org_id, COUNT(*) FROM jobs GROUP BY org_id ORDER BY org_id")
    assert rows == [("org-a", 1), ("org-b", 1), ("org-c", 1)]
    setup.close()
    for w in schedulers:
        w.close()


def test_failing_box_office_is_retried_with_backoff_then_failed(
    tmp_path: Path, warehouse_url: str
) -> None:
    hl = make_hl(tmp_path, warehouse_url)
    policy = RetryPolicy(max_attempts=3, base_seconds=60.0)
    scheduler = EmbeddedScheduler(hl, retry=policy)
    with running(sim_config(tickets=300)) as sim:
        connect(hl, sim, org="org-a", retries=1, backoff_seconds=0.01)
        sim.faults.set_probability(FaultKind.SERVER_ERROR, 1.0)
        first = scheduler.tick()
        (outcome,) = first.ran.values()
        assert outcome.result == "retry"
        with hl.warehouse.connect() as s:
            (job,) = store.list_jobs(s, "org-a")
        assert job.status == "retrying" and job.attempts == 1 and job.last_error
        assert job.run_after is not None
        wait = (job.run_after - job.started_at).total_seconds()  # type: ignore[operator]
        assert 59 <= wait <= 61 + outcome.seconds + 5
        assert scheduler.tick().ran == {}  # not before its backoff
        # the backoff doubles: move the clock on by letting run_after pass
        waits = []
        for _ in range(2):
            with hl.warehouse.connect() as s, s.transaction():
                s.execute("UPDATE jobs SET run_after = ? WHERE job_id = ?",
                          [utcnow() - timedelta(seconds=1), job.job_id])
            ran = scheduler.tick().ran
            with hl.warehouse.connect() as s:
                current = store.get_job(s, job.job_id)
            if current.run_after is not None:
                assert current.started_at is not None
                waits.append((current.run_after - current.started_at).total_seconds())
            assert job.job_id in ran
        assert current.status == "failed" and current.attempts == 3
        assert current.last_error and current.finished_at is not None
        assert len(waits) == 1 and 119 <= waits[0] <= 130  # 60 s, then 120 s
    hl.close()


def test_withdrawn_access_is_not_retried_and_pauses(tmp_path: Path, warehouse_url: str) -> None:
    hl = make_hl(tmp_path, warehouse_url)
    scheduler = EmbeddedScheduler(hl, retry=RetryPolicy(max_attempts=5, base_seconds=0.01))
    with running(sim_config(tickets=300)) as sim:
        connect(hl, sim, org="org-a")
        sim.set_partner_access("demo", False)
        (outcome,) = scheduler.tick().ran.values()
        assert outcome.result == "failed"
        with hl.warehouse.connect() as s:
            (job,) = store.list_jobs(s, "org-a")
            status = s.fetchone(
                "SELECT status FROM connections WHERE org_id = 'org-a' AND source = 'spektrix'")
        assert job.status == "failed" and job.attempts == 1 and job.run_after is None
        assert status == ("paused",)
        assert due_connections(hl) == []  # a paused connection is not scheduled
    hl.close()
