"""Asking for work: queue a sync now, find the due connections, pause and resume.

The same calls serve both ways of running jobs. With the embedded DuckDB file the
``jobs`` table *is* the queue (the server's scheduler thread takes from it); on
PostgreSQL each job is also deferred to procrastinate (:mod:`houselights.jobs.workers`),
whose workers run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.errors import ConflictError
from houselights.jobs import store
from houselights.jobs.store import Job
from houselights.orgs.service import (
    Connection,
    get_connection,
    get_org,
    list_connections,
    set_connection_status,
)
from houselights.sources.kit.connections import open_source
from houselights.sources.kit.registry import source_class, source_names

__all__ = [
    "PAUSED_BY_USER",
    "DueConnection",
    "due_connections",
    "enqueue_due",
    "pause",
    "request_sync",
    "resume",
    "uses_procrastinate",
]

PAUSED_BY_USER = "paused by a user (houselights org resume, or Resume on the dashboard)"


def uses_procrastinate(hl: Houselights) -> bool:
    """True in server mode (PostgreSQL): jobs run on procrastinate workers."""
    return hl.warehouse.dialect == "postgres"


@dataclass(frozen=True)
class DueConnection:
    """A connection whose scheduled sync is due."""

    org_id: str
    source: str
    due_at: datetime | None


def _syncable(source: str) -> bool:
    return source in source_names() and source_class(source).requires_connection


def due_connections(hl: Houselights, *, now: datetime | None = None) -> list[DueConnection]:
    """Active connections whose next sync is due, longest-waiting first."""
    now = now or utcnow()
    with hl.warehouse.connect() as s:
        rows = s.fetchall(
            "SELECT org_id, source, next_sync_at FROM connections WHERE status = 'active'"
            " AND (next_sync_at IS NULL OR next_sync_at <= ?) ORDER BY next_sync_at, org_id",
            [now],
        )
    return [DueConnection(str(r[0]), str(r[1]), r[2]) for r in rows if _syncable(str(r[1]))]


def _interval(hl: Houselights, org_id: str, source: str) -> timedelta:
    interval: timedelta = open_source(hl, org_id, source).source.settings.sync_interval
    return interval


def _submit(hl: Houselights, job: Job) -> None:
    if uses_procrastinate(hl):
        from houselights.jobs.workers import defer_sync

        defer_sync(hl, job)


def enqueue_due(hl: Houselights, *, now: datetime | None = None) -> list[Job]:
    """Queue a scheduled sync of every due connection and move its next sync one
    interval on, in one compare-and-set per connection: of several schedulers racing
    (one per worker), exactly one queues each due sync."""
    now = now or utcnow()
    queued: list[Job] = []
    for due in due_connections(hl, now=now):
        interval = _interval(hl, due.org_id, due.source)
        with hl.warehouse.connect() as s, s.transaction():
            won = s.fetchall(
                "UPDATE connections SET next_sync_at = ? WHERE org_id = ? AND source = ?"
                " AND status = 'active' AND (next_sync_at IS NULL OR next_sync_at <= ?)"
                " RETURNING org_id",
                [now + interval, due.org_id, due.source, now],
            )
            if not won:
                continue
            job, created = store.enqueue(s, due.org_id, due.source, "scheduled", now=now)
        if created:
            _submit(hl, job)
            queued.append(job)
    return queued


def request_sync(hl: Houselights, org_id: str, source: str | None = None) -> Job:
    """Queue a sync of ``org_id``'s connection now (its only one unless ``source``).

    A sync already waiting for the connection is returned instead of a second one.
    """
    name = open_source(hl, org_id, source).source.name
    with hl.warehouse.connect() as s, s.transaction():
        conn = get_connection(s, org_id, name)
        if conn.status == "paused" and conn.status_reason == PAUSED_BY_USER:
            raise ConflictError(
                f"{org_id}'s {name} connection is paused.",
                hint=f"Resume it first (`houselights org resume {org_id}`, or Resume on the "
                "dashboard).",
            )
        job, created = store.enqueue(s, org_id, name, "manual")
    if created:
        _submit(hl, job)
    return job


def _connections(hl: Houselights, org_id: str, source: str | None) -> list[Connection]:
    with hl.warehouse.connect() as s:
        get_org(s, org_id)
        if source is not None:
            return [get_connection(s, org_id, source)]
        found = [c for c in list_connections(s, org_id) if _syncable(c.source)]
    if not found:
        raise ConflictError(
            f"Organisation '{org_id}' has no box office connection to pause or resume.",
            hint=f"Connect one first: `houselights connect SOURCE {org_id} …`.",
        )
    return found


def pause(hl: Houselights, org_id: str, source: str | None = None) -> list[Connection]:
    """Stop scheduled syncs of the organisation's connections (or one); waiting jobs are
    cancelled, a running sync finishes. Returns the connections as they are now."""
    out: list[Connection] = []
    for conn in _connections(hl, org_id, source):
        with hl.warehouse.connect() as s, s.transaction():
            set_connection_status(s, org_id, conn.source, "paused", PAUSED_BY_USER)
            store.cancel_waiting(s, org_id, conn.source)
            out.append(get_connection(s, org_id, conn.source, hl.vault))
    return out


def resume(hl: Houselights, org_id: str, source: str | None = None) -> list[Connection]:
    """Resume the organisation's connections (or one): their next sync is due at once."""
    out: list[Connection] = []
    for conn in _connections(hl, org_id, source):
        with hl.warehouse.connect() as s, s.transaction():
            set_connection_status(s, org_id, conn.source, "active", None)
            s.execute(
                "UPDATE connections SET next_sync_at = ? WHERE org_id = ? AND source = ?",
                [utcnow(), org_id, conn.source],
            )
            out.append(get_connection(s, org_id, conn.source, hl.vault))
    return out
