"""The ``jobs`` table: every sync job, queued, running, retried or finished, on both backends.

The record the CLI (``houselights jobs``), the API (``GET /orgs/{slug}/jobs``), the
dashboard and the metrics read. Both ways of running jobs write it: the embedded scheduler
of ``houselights serve`` (which also takes its work from it) and the procrastinate
workers of server mode (whose own queue is procrastinate's tables; this table mirrors
each job's life in houselights' words).

Statuses: ``queued`` (waiting), ``running``, ``retrying`` (failed with a retriable error,
waiting for its backoff), ``succeeded``, ``failed`` (for good), ``cancelled``.
At most one job per connection is waiting (queued or retrying) at a time: asking again
returns the waiting one (duplicates collapse).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from houselights.common import utcnow
from houselights.errors import InputError, NotFoundError
from houselights.warehouse.base import Session

__all__ = [
    "JOB_STATUSES",
    "WAITING",
    "Job",
    "JobStatus",
    "backoff",
    "cancel_waiting",
    "enqueue",
    "finish",
    "get_job",
    "list_jobs",
    "new_job_id",
    "recover_running",
    "start",
    "this_worker",
    "waiting_job",
]

JobStatus = Literal["queued", "running", "succeeded", "failed", "retrying", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = (
    "queued", "running", "succeeded", "failed", "retrying", "cancelled"
)
WAITING: tuple[JobStatus, ...] = ("queued", "retrying")
"""Statuses of a job that has yet to run (again)."""

_COLUMNS = (
    "job_id, org_id, source, kind, status, attempts, last_error, queued_at, started_at,"
    " finished_at, run_after, worker"
)
_ERROR_CHARS = 1_000  # a last error is a message, never a dump


@dataclass(frozen=True)
class Job:
    """One sync job."""

    job_id: str
    org_id: str
    source: str
    kind: str
    status: JobStatus
    attempts: int
    last_error: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_after: datetime | None
    worker: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the API answers)."""
        return {
            "id": self.job_id,
            "org_id": self.org_id,
            "source": self.source,
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "queued_at": self.queued_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "run_after": self.run_after,
        }


def _job(row: tuple[Any, ...]) -> Job:
    return Job(
        str(row[0]), str(row[1]), str(row[2]), str(row[3]), row[4], int(row[5]), row[6],
        row[7], row[8], row[9], row[10], row[11],
    )


def new_job_id() -> str:
    """A fresh job id."""
    return uuid.uuid4().hex[:16]


def this_worker() -> str:
    """Names this process in the ``worker`` column (host and pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int, *, base_seconds: float = 30.0, cap_seconds: float = 3600.0) -> float:
    """Seconds before retry number ``attempts`` (1, 2, …): exponential, capped."""
    return float(min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def waiting_job(session: Session, org_id: str, source: str) -> Job | None:
    """The connection's job that has yet to run, if any."""
    row = session.fetchone(
        f"SELECT {_COLUMNS} FROM jobs WHERE org_id = ? AND source = ?"
        " AND status IN ('queued', 'retrying') ORDER BY queued_at LIMIT 1",
        [org_id, source],
    )
    return _job(row) if row else None


def enqueue(
    session: Session,
    org_id: str,
    source: str,
    kind: str,
    *,
    job_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Job, bool]:
    """Queue a sync of the connection; returns ``(job, created)``.

    A job already waiting for the connection is returned instead (``created`` False):
    duplicates collapse. Call inside a transaction.
    """
    waiting = waiting_job(session, org_id, source)
    if waiting is not None:
        return waiting, False
    now = now or utcnow()
    job = Job(
        job_id or new_job_id(), org_id, source, kind, "queued", 0, None, now, None, None,
        None, None,
    )
    session.execute(
        f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [job.job_id, org_id, source, kind, "queued", 0, None, now, None, None, None, None],
    )
    return job, True


def get_job(session: Session, job_id: str) -> Job:
    """One job by id."""
    row = session.fetchone(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", [job_id])
    if row is None:
        raise NotFoundError(
            f"There is no job '{job_id}'.", hint="`houselights jobs` lists the jobs."
        )
    return _job(row)


def list_jobs(
    session: Session,
    org_id: str | None = None,
    *,
    statuses: tuple[str, ...] = (),
    limit: int | None = 100,
    offset: int = 0,
) -> list[Job]:
    """Jobs, newest first, of one organisation (or every one), optionally by status."""
    where: list[str] = []
    params: list[Any] = []
    if org_id is not None:
        where.append("org_id = ?")
        params.append(org_id)
    if statuses:
        unknown = sorted(set(statuses) - set(JOB_STATUSES))
        if unknown:
            raise InputError(
                f"'{unknown[0]}' is not a job status.",
                hint=f"Use one of: {', '.join(JOB_STATUSES)}.",
            )
        where.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params.extend(statuses)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    lim = f" LIMIT {int(limit)}" if limit else ""
    lim += f" OFFSET {int(offset)}" if offset else ""
    rows = session.fetchall(
        f"SELECT {_COLUMNS} FROM jobs{clause} ORDER BY queued_at DESC, job_id{lim}", params
    )
    return [_job(r) for r in rows]


def start(
    session: Session, job_id: str, *, attempt: int | None = None, now: datetime | None = None
) -> None:
    """Mark a job running (attempt number ``attempt``, default one more than before)."""
    now = now or utcnow()
    attempts = "attempts + 1" if attempt is None else str(int(attempt))
    session.execute(
        f"UPDATE jobs SET status = 'running', attempts = {attempts}, started_at = ?,"
        " finished_at = NULL, run_after = NULL, worker = ? WHERE job_id = ?",
        [now, this_worker(), job_id],
    )


def finish(
    session: Session,
    job_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    retry_at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Record a job's outcome: succeeded, failed, cancelled, or retrying at ``retry_at``."""
    now = now or utcnow()
    text = error[:_ERROR_CHARS] if error else None
    finished = None if status == "retrying" else now
    session.execute(
        "UPDATE jobs SET status = ?, last_error = COALESCE(?, last_error), finished_at = ?,"
        " run_after = ? WHERE job_id = ?",
        [status, text, finished, retry_at, job_id],
    )


def cancel_waiting(session: Session, org_id: str, source: str | None = None) -> int:
    """Cancel the organisation's waiting jobs (of one source); returns how many."""
    where, params = "org_id = ? AND status IN ('queued', 'retrying')", [org_id]
    if source is not None:
        where += " AND source = ?"
        params.append(source)
    count = int(session.scalar(f"SELECT COUNT(*) FROM jobs WHERE {where}", params) or 0)
    session.execute(
        f"UPDATE jobs SET status = 'cancelled', finished_at = ? WHERE {where}",
        [utcnow(), *params],
    )
    return count


def recover_running(session: Session, *, now: datetime | None = None) -> int:
    """Put jobs left ``running`` by a stopped process back in the queue (embedded mode:
    one process owns the file, so any running job at start-up was interrupted)."""
    now = now or utcnow()
    count = int(session.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'running'") or 0)
    session.execute(
        "UPDATE jobs SET status = 'queued', run_after = ?,"
        " last_error = COALESCE(last_error, 'interrupted: the server stopped during the sync')"
        " WHERE status = 'running'",
        [now - timedelta(seconds=1)],
    )
    return count
