"""Running one sync job, the same way under the embedded scheduler and procrastinate.

:func:`run_sync_job` marks the job running, syncs, and records the outcome in the
``jobs`` table and the metrics; it tells its caller whether the failure is worth
retrying. Retriable: the box office was unavailable (429, 5xx, timeouts — after the HTTP
client's own retries), the database was, or another sync of the organisation holds its
lock. Not retriable: withdrawn access (the sync pauses the connection), rejected
credentials, a setting or input the user must fix — retrying cannot help those.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.errors import (
    AccessWithdrawnError,
    ConflictError,
    HouselightsError,
    WarehouseError,
)
from houselights.jobs import metrics, store
from houselights.jobs.queue import PAUSED_BY_USER
from houselights.orgs.service import get_connection
from houselights.services.connections import sync
from houselights.sources.kit.source import SyncRequest

__all__ = ["JobOutcome", "is_retriable", "run_sync_job"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    """How a job attempt ended: ``succeeded``, ``failed``, ``retry`` or ``skipped``."""

    result: str
    error: str | None = None
    rows: int = 0
    seconds: float = 0.0


def is_retriable(exc: BaseException) -> bool:
    """True when trying the same sync again later may succeed."""
    if isinstance(exc, AccessWithdrawnError):
        return False
    if isinstance(exc, ConflictError | WarehouseError):
        return True
    return bool(getattr(exc, "retriable", False))


def run_sync_job(
    hl: Houselights,
    job_id: str,
    org_id: str,
    source: str,
    *,
    attempt: int,
    may_retry: bool,
    retry_at: datetime | None = None,
    budget: AbstractContextManager[None] | None = None,
) -> JobOutcome:
    """Run attempt ``attempt`` of a job and record it.

    ``may_retry``: whether a retriable failure will be tried again (then the job shows
    ``retrying`` until ``retry_at``); else it shows ``failed``. ``budget`` is entered
    around the sync (a shared request budget, in server mode).
    """
    with hl.warehouse.connect() as s, s.transaction():
        conn = get_connection(s, org_id, source)
        if conn.status == "paused" and conn.status_reason == PAUSED_BY_USER:
            store.finish(s, job_id, "cancelled", error="the connection is paused")
            return JobOutcome("skipped", "the connection is paused")
        scheduled = store.get_job(s, job_id).kind == "scheduled"
        store.start(s, job_id, attempt=attempt)
    # A scheduled job leaves the slowly changing streams (the Customer Audit report, a
    # catalogue) for their daily read; a sync someone asked for reads everything.
    request = SyncRequest(scheduled=scheduled)
    began = time.perf_counter()
    try:
        with budget or nullcontext():
            summary = sync(hl, org_id, source=source, request=request)
    except HouselightsError as exc:
        seconds = time.perf_counter() - began
        retry = may_retry and is_retriable(exc)
        status: store.JobStatus = "retrying" if retry else "failed"
        with hl.warehouse.connect() as s, s.transaction():
            store.finish(s, job_id, status, error=exc.message, retry_at=retry_at if retry else None)
        metrics.record_failure(org_id, source, seconds, retrying=retry)
        log.warning("sync of %s (%s) failed: %s", org_id, source, exc.message)
        return JobOutcome("retry" if retry else "failed", exc.message, seconds=seconds)
    except Exception as exc:  # a bug: recorded, never retried, never fatal to the worker
        seconds = time.perf_counter() - began
        message = f"unexpected error ({type(exc).__name__}); the worker log has the details"
        with hl.warehouse.connect() as s, s.transaction():
            store.finish(s, job_id, "failed", error=message)
        metrics.record_failure(org_id, source, seconds, retrying=False)
        log.exception("sync of %s (%s) failed", org_id, source)
        return JobOutcome("failed", message, seconds=seconds)
    seconds = time.perf_counter() - began
    with hl.warehouse.connect() as s, s.transaction():
        store.finish(s, job_id, "succeeded", now=utcnow())
    metrics.record_success(org_id, source, seconds, summary.rows_changed)
    return JobOutcome("succeeded", rows=summary.rows_changed, seconds=seconds)
