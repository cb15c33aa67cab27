"""The embedded scheduler: due syncs run inside ``houselights serve`` (one machine, DuckDB).

A DuckDB file has one writing process, so the server that holds it also runs its syncs,
in one background thread beside the API and the dashboard. Each tick:

1. every active connection whose next sync is due gets a ``scheduled`` job
   (:func:`houselights.jobs.queue.enqueue_due`, which moves its next sync one interval on);
2. waiting jobs whose time has come — queued, or retrying after their backoff — run one
   after the other, oldest first (one sync at a time: the box offices and the file are
   shared), each recorded by :func:`houselights.jobs.execute.run_sync_job`.

Stopping (Ctrl-C) lets the running sync finish its current step only if it ends within
the grace period; a sync cut short publishes nothing half-done (runs are atomic), and its
job, left ``running``, is queued again when the server starts: a restart resumes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.jobs import store
from houselights.jobs.execute import JobOutcome, run_sync_job
from houselights.jobs.queue import enqueue_due

__all__ = ["EmbeddedScheduler", "RetryPolicy", "TickResult"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed sync is retried: ``max_attempts`` in all,
    waiting ``base_seconds`` × 2^(attempt-1) (at most ``cap_seconds``) between them."""

    max_attempts: int = 5
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def wait(self, attempt: int) -> float:
        """Seconds before the attempt after ``attempt``."""
        return store.backoff(attempt, base_seconds=self.base_seconds, cap_seconds=self.cap_seconds)


@dataclass
class TickResult:
    """What one tick did: jobs queued, and each job run with its outcome."""

    queued: list[str] = field(default_factory=list)
    ran: dict[str, JobOutcome] = field(default_factory=dict)


class EmbeddedScheduler:
    """Runs due syncs in a background thread of this process."""

    def __init__(
        self, hl: Houselights, *, tick_seconds: float = 15.0, retry: RetryPolicy | None = None
    ) -> None:
        self.hl = hl
        self.tick_seconds = tick_seconds
        self.retry = retry or RetryPolicy()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------------- one step at a time
    def recover(self) -> int:
        """Queue again the jobs a previous run of the server left running."""
        with self.hl.warehouse.connect() as s, s.transaction():
            return store.recover_running(s)

    def next_job(self) -> store.Job | None:
        """The oldest waiting job whose time has come."""
        with self.hl.warehouse.connect() as s:
            row = s.fetchone(
                "SELECT job_id FROM jobs WHERE status IN ('queued', 'retrying')"
                " AND (run_after IS NULL OR run_after <= ?) ORDER BY queued_at, job_id LIMIT 1",
                [utcnow()],
            )
            return store.get_job(s, str(row[0])) if row else None

    def run_job(self, job: store.Job) -> JobOutcome:
        """Run one attempt of ``job``."""
        attempt = job.attempts + 1
        may_retry = attempt < self.retry.max_attempts
        retry_at = utcnow() + timedelta(seconds=self.retry.wait(attempt))
        return run_sync_job(
            self.hl, job.job_id, job.org_id, job.source,
            attempt=attempt, may_retry=may_retry, retry_at=retry_at,
        )

    def tick(self) -> TickResult:
        """Queue what is due, then run every job whose time has come."""
        result = TickResult(queued=[j.job_id for j in enqueue_due(self.hl)])
        while not self._stop.is_set():
            job = self.next_job()
            if job is None:
                break
            result.ran[job.job_id] = self.run_job(job)
        return result

    # ------------------------------------------------------------------ background
    def wake(self) -> None:
        """Look for work now (a sync was asked for)."""
        self._wake.set()

    def _loop(self) -> None:
        self.recover()
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # never let one bad tick stop the schedule
                log.exception("the scheduler's tick failed; trying again next tick")
            self._wake.wait(self.tick_seconds)
            self._wake.clear()

    def start(self) -> None:
        """Start the background thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="houselights-scheduler",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the thread to stop and wait up to ``timeout`` seconds; True if it did."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        stopped = not self._thread.is_alive()
        self._thread = None
        return stopped
