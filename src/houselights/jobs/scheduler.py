"""The scheduler: run each organisation's box office sync when it is due.

``run_due_syncs`` is one pass: every active connection whose next run is due is synced,
one organisation at a time per process. Several workers (``houselights worker``) may run
at once on many machines against one PostgreSQL warehouse: the exchange's
per-organisation run lock (a PostgreSQL advisory lock) lets exactly one of them sync an
organisation, and the others skip it — so an organisation never has two syncs at once
and never exceeds its request budget toward the box office.

Due = the connection is active and its ``next_sync_at`` has passed (or it never synced).
A worker claims a due connection by moving ``next_sync_at`` one interval
(the connection's ``sync_interval_minutes``) on in one compare-and-set
UPDATE, so of several workers racing for it exactly one syncs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.errors import AccessWithdrawnError, ConflictError, HouselightsError
from houselights.services.connections import sync
from houselights.sources.kit.connections import open_source
from houselights.sources.kit.registry import source_names

__all__ = ["DueSync", "PassResult", "claim", "due_syncs", "run_due_syncs", "run_worker"]

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class DueSync:
    """A connection whose sync is due."""

    org_id: str
    source: str
    last_run: datetime | None


@dataclass
class PassResult:
    """What one scheduler pass did."""

    synced: list[str] = field(default_factory=list)
    skipped_busy: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def due_syncs(hl: Houselights, *, now: datetime | None = None) -> list[DueSync]:
    """Active connections whose next sync is due, longest-waiting first."""
    now = now or utcnow()
    with hl.warehouse.connect() as s:
        rows = s.fetchall(
            "SELECT org_id, source, next_sync_at FROM connections WHERE status = 'active'"
            " AND (next_sync_at IS NULL OR next_sync_at <= ?) ORDER BY next_sync_at, org_id",
            [now],
        )
    syncable = set(source_names())
    return [DueSync(str(r[0]), str(r[1]), r[2]) for r in rows if r[1] in syncable]


def claim(hl: Houselights, item: DueSync, *, now: datetime | None = None) -> bool:
    """Atomically take ``item``: move its next sync one interval on, if still due.

    Exactly one of several workers racing for the same connection gets True (a
    compare-and-set UPDATE … RETURNING), so a sync another worker has just finished is
    not run again.
    """
    now = now or utcnow()
    interval = open_source(hl, item.org_id, item.source).source.settings.sync_interval
    with hl.warehouse.connect() as s, s.transaction():
        won = s.fetchall(
            "UPDATE connections SET next_sync_at = ? WHERE org_id = ? AND source = ?"
            " AND status = 'active' AND (next_sync_at IS NULL OR next_sync_at <= ?)"
            " RETURNING org_id",
            [now + interval, item.org_id, item.source, now],
        )
    return bool(won)


def _sync(hl: Houselights, item: DueSync) -> None:
    sync(hl, item.org_id, source=item.source)


def run_due_syncs(
    hl: Houselights, *, sync: Callable[[Houselights, DueSync], None] = _sync
) -> PassResult:
    """One pass over the due connections; errors are recorded, never fatal to the pass."""
    result = PassResult()
    for item in due_syncs(hl):
        if not claim(hl, item):
            result.skipped_busy.append(item.org_id)  # another worker took it
            continue
        try:
            sync(hl, item)
        except ConflictError:
            # An interactive `houselights sync` holds this organisation's lock.
            result.skipped_busy.append(item.org_id)
        except AccessWithdrawnError as exc:
            result.failed[item.org_id] = exc.message  # the connection is paused by the sync
        except HouselightsError as exc:
            log.warning("sync of %s failed: %s", item.org_id, exc.message)
            result.failed[item.org_id] = exc.message
        else:
            result.synced.append(item.org_id)
    return result


def run_worker(
    hl: Houselights, *, poll_seconds: float = 30.0, max_passes: int | None = None,
    on_pass: Callable[[PassResult], None] | None = None,
) -> None:
    """Run passes until interrupted (or ``max_passes``), sleeping ``poll_seconds`` between."""
    passes = 0
    while max_passes is None or passes < max_passes:
        outcome = run_due_syncs(hl)
        passes += 1
        if on_pass is not None:
            on_pass(outcome)
        if max_passes is not None and passes >= max_passes:
            break
        time.sleep(poll_seconds)
