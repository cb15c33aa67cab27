"""Server mode: sync jobs on procrastinate workers, on any number of machines.

* **One task per sync** (``houselights.sync``): deferred with ``lock=<organisation>`` —
  procrastinate runs at most one job holding a lock at a time, so an organisation is
  never synced twice at once — and ``queueing_lock=<organisation>:<source>``, so a
  second request while one waits collapses into it.
* **Scheduling** (``houselights.schedule``): a periodic task every
  ``jobs_tick_seconds`` (procrastinate defers each tick once, whatever the number of
  workers) queues every due connection (:func:`houselights.jobs.queue.enqueue_due`).
* **Retries**: a retriable failure (box office unavailable after the client's own
  retries, database unavailable, lock held) is retried by procrastinate after
  ``jobs_retry_seconds`` × 2^(attempt-1), up to ``jobs_max_attempts``; withdrawn access
  fails at once (the sync has paused the connection).
* **A killed worker**: every worker beats a heartbeat (every ``jobs_stalled_seconds``/4);
  the periodic ``houselights.recover`` task puts the jobs of a worker silent for
  ``jobs_stalled_seconds`` back in the queue, where another worker takes them. The
  exchange publishes atomically, so the killed attempt left nothing half-done.
* **The request budget** toward each box office is shared through PostgreSQL
  (:mod:`houselights.jobs.budget`).

Procrastinate's tables live in the warehouse database, in the warehouse's schema (the
``search_path`` of the URL); :func:`ensure_schema` creates them on first use.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import datetime, timedelta
from typing import Any

import procrastinate
import psycopg
from procrastinate import exceptions as pexc
from procrastinate.jobs import Job as PJob
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.schema import SchemaManager

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.errors import ConfigError
from houselights.jobs import store
from houselights.jobs.budget import postgres_budgets
from houselights.jobs.execute import run_sync_job
from houselights.jobs.queue import enqueue_due

__all__ = [
    "RetryLater",
    "SyncRetry",
    "build_app",
    "defer_sync",
    "ensure_schema",
    "recover_stalled",
    "run_worker",
]

log = logging.getLogger(__name__)

SYNC_TASK = "houselights.sync"
SCHEDULE_TASK = "houselights.schedule"
RECOVER_TASK = "houselights.recover"
_SCHEMA_LOCK = 4242424243


class RetryLater(Exception):
    """Raised by the sync task for a retriable failure: procrastinate retries it."""


class SyncRetry(BaseRetryStrategy):
    """Exponential backoff for :class:`RetryLater` only: ``base`` × 2^(attempt-1)
    seconds (at most an hour), up to ``max_attempts`` attempts in all."""

    def __init__(self, max_attempts: int, base_seconds: float) -> None:
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds

    def wait(self, attempts_done: int) -> float:
        """Seconds before the next attempt, after ``attempts_done`` attempts."""
        return store.backoff(attempts_done, base_seconds=self.base_seconds)

    def get_retry_decision(self, *, exception: BaseException, job: PJob) -> RetryDecision | None:
        done = job.attempts + 1
        if not isinstance(exception, RetryLater) or done >= self.max_attempts:
            return None
        return RetryDecision(retry_at=datetime.now().astimezone() + timedelta(
            seconds=self.wait(done)))


# ----------------------------------------------------------------------------- schema
def ensure_schema(url: str) -> bool:
    """Create procrastinate's tables in the warehouse's schema unless they exist;
    True if it created them. Safe when several processes start at once."""
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone() != (None,):
            return False
        # A session lock, then a fresh transaction: it sees what a process that held the
        # lock before created.
        conn.execute("SELECT pg_advisory_lock(%s)", [_SCHEMA_LOCK])
        try:
            if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone() != (None,):
                return False
            with conn.transaction():
                conn.execute(SchemaManager.get_schema())
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [_SCHEMA_LOCK])
    return True


# ------------------------------------------------------------------------------- app
_HL: Houselights | None = None
_APPS: dict[str, procrastinate.App] = {}
_WORKER_APP: procrastinate.App | None = None
_DEFER_LOCK = threading.Lock()  # an app opened for one defer is closed before the next


def _hl() -> Houselights:
    if _HL is None:
        raise ConfigError(
            "This process runs houselights jobs without a configured houselights.",
            hint="Start workers with `houselights worker`.",
        )
    return _HL


def _url(hl: Houselights) -> str:
    url = hl.settings.resolved_database_url
    if not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "Workers need PostgreSQL; this houselights uses the embedded DuckDB file.",
            hint="With DuckDB, `houselights serve` runs the syncs itself. For workers, use "
            "--db postgresql://… (see docs/deploy.md).",
        )
    return url


def _cron(seconds: float) -> str:
    """A cron line for every ``seconds`` (seconds in the 6th column under a minute)."""
    if seconds < 60:
        step = max(1, math.floor(seconds))
        return f"* * * * * */{step}"
    return f"*/{max(1, min(59, round(seconds / 60)))} * * * *"


def build_app(hl: Houselights) -> procrastinate.App:
    """A procrastinate app on ``hl``'s PostgreSQL warehouse, with houselights' tasks."""
    settings = hl.settings
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_url(hl)),
    )
    retry = SyncRetry(settings.jobs_max_attempts, settings.jobs_retry_seconds)

    @app.task(name=SYNC_TASK, pass_context=True, retry=retry)
    def sync_task(context: procrastinate.JobContext, job_id: str, org_id: str,
                  source: str) -> None:
        current = _hl()
        assert context.job is not None
        attempt = context.job.attempts + 1
        may_retry = attempt < retry.max_attempts
        outcome = run_sync_job(
            current, job_id, org_id, source,
            attempt=attempt, may_retry=may_retry,
            retry_at=utcnow() + timedelta(seconds=retry.wait(attempt)),
            budget=postgres_budgets(_url(current), org_id, source),
        )
        if outcome.result == "retry":
            raise RetryLater(outcome.error or "retriable failure")

    @app.periodic(cron=_cron(settings.jobs_tick_seconds), periodic_id="due")
    @app.task(name=SCHEDULE_TASK, queueing_lock=SCHEDULE_TASK)
    def schedule_task(timestamp: int) -> None:
        del timestamp
        enqueue_due(_hl())

    @app.periodic(cron=_cron(max(1.0, settings.jobs_stalled_seconds / 3)), periodic_id="stalled")
    @app.task(name=RECOVER_TASK, queueing_lock=RECOVER_TASK)
    def recover_task(timestamp: int) -> None:
        del timestamp
        recover_stalled(app, _hl().settings.jobs_stalled_seconds)

    del sync_task, schedule_task, recover_task
    return app


def recover_stalled(app: procrastinate.App, seconds: float) -> list[int]:
    """Put back in the queue the jobs of workers silent for ``seconds`` (killed or cut
    off); returns their procrastinate ids."""
    from asgiref.sync import async_to_sync

    stalled = async_to_sync(app.job_manager.get_stalled_jobs)(seconds_since_heartbeat=seconds)
    hl = _hl()
    again: list[int] = []
    for job in stalled:
        if job.id is None:
            continue
        app.job_manager.retry_job_by_id(job.id, retry_at=datetime.now().astimezone())
        again.append(job.id)
        job_id = job.task_kwargs.get("job_id")
        if isinstance(job_id, str):
            with hl.warehouse.connect() as s, s.transaction():
                store.finish(s, job_id, "retrying",
                             error="the worker running it stopped (no heartbeat); run again")
        log.warning("job %s of a stopped worker is queued again", job.id)
    return again


def _app_for(hl: Houselights) -> procrastinate.App:
    url = _url(hl)
    app = _APPS.get(url)
    if app is None:
        ensure_schema(url)
        app = _APPS[url] = build_app(hl)
    return app


def defer_sync(hl: Houselights, job: store.Job) -> None:
    """Hand ``job`` to procrastinate (called by :mod:`houselights.jobs.queue`). A sync of
    the connection already waiting in procrastinate makes this one ``cancelled``."""
    options: dict[str, Any] = {"lock": job.org_id, "queueing_lock": f"{job.org_id}:{job.source}"}
    kwargs = {"job_id": job.job_id, "org_id": job.org_id, "source": job.source}
    try:
        if _WORKER_APP is not None:
            _WORKER_APP.tasks[SYNC_TASK].configure(**options).defer(**kwargs)
        else:
            with _DEFER_LOCK:
                app = _app_for(hl)
                with app.open():
                    app.tasks[SYNC_TASK].configure(**options).defer(**kwargs)
    except pexc.AlreadyEnqueued:
        with hl.warehouse.connect() as s, s.transaction():
            store.finish(s, job.job_id, "cancelled", error="a sync was already queued")


def run_worker(hl: Houselights, *, concurrency: int = 1, name: str | None = None) -> None:
    """Run a procrastinate worker for ``hl`` until interrupted (SIGINT/SIGTERM stop it
    gracefully: the running syncs finish)."""
    global _HL, _WORKER_APP
    url = _url(hl)
    ensure_schema(url)
    _HL = hl
    app = build_app(hl)
    _WORKER_APP = app
    stalled = hl.settings.jobs_stalled_seconds
    try:
        app.run_worker(
            concurrency=concurrency,
            name=name,
            delete_jobs="successful",
            update_heartbeat_interval=max(0.5, stalled / 4),
            stalled_worker_timeout=stalled,
            fetch_job_polling_interval=min(5.0, hl.settings.jobs_tick_seconds),
            install_signal_handlers=True,
        )
    finally:
        _WORKER_APP = None
