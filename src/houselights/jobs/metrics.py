"""Prometheus metrics (``prometheus_client``): what syncs did, and the state of the queue.

Two kinds:

* **counted by this process** as jobs finish — run durations, rows published, failures
  (:func:`record_success`, :func:`record_failure`). The server's ``/metrics`` shows its
  own (all of them with the embedded scheduler); each ``houselights worker`` can serve
  its own with ``--metrics-port``.
* **read from the warehouse at scrape time** — sync lag per connection, queue depth per
  status, jobs failed for good — so any one process (the API) shows the whole fleet's.

Metric names are invented (no standard exists): ``houselights_*``, documented in
docs/deploy.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from houselights.common import utcnow

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from houselights.context import Houselights

__all__ = [
    "CONTENT_TYPE",
    "REGISTRY",
    "WarehouseCollector",
    "record_failure",
    "record_success",
    "render",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry(auto_describe=True)
"""This process's registry (not the library's global one: tests build several apps)."""

SYNC_SECONDS = Histogram(
    "houselights_sync_duration_seconds",
    "How long sync jobs ran, by source and result.",
    ["source", "result"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
ROWS = Counter(
    "houselights_rows_published",
    "Rows inserted or changed by sync jobs, per organisation.",
    ["org", "source"],
    registry=REGISTRY,
)
FAILURES = Counter(
    "houselights_sync_failures",
    "Sync job attempts that failed (retrying: yes when another attempt follows).",
    ["org", "source", "retrying"],
    registry=REGISTRY,
)
SUCCESSES = Counter(
    "houselights_sync_successes",
    "Sync jobs that succeeded, per organisation.",
    ["org", "source"],
    registry=REGISTRY,
)


def record_success(org_id: str, source: str, seconds: float, rows: int) -> None:
    """Count a finished sync."""
    SYNC_SECONDS.labels(source, "succeeded").observe(seconds)
    ROWS.labels(org_id, source).inc(rows)
    SUCCESSES.labels(org_id, source).inc()


def record_failure(org_id: str, source: str, seconds: float, *, retrying: bool) -> None:
    """Count a failed attempt."""
    SYNC_SECONDS.labels(source, "failed").observe(seconds)
    FAILURES.labels(org_id, source, "yes" if retrying else "no").inc()


class WarehouseCollector(Collector):
    """Gauges read from the warehouse at each scrape: lag, queue depth, failed jobs."""

    def __init__(self, hl: Houselights) -> None:
        self.hl = hl

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        lag = GaugeMetricFamily(
            "houselights_sync_lag_seconds",
            "Seconds since each connection's last successful sync (-1: never synced).",
            labels=["org", "source", "status"],
        )
        depth = GaugeMetricFamily(
            "houselights_jobs", "Sync jobs by status (queue depth: queued + retrying).",
            labels=["status"],
        )
        overdue = GaugeMetricFamily(
            "houselights_sync_overdue_seconds",
            "How long the most overdue active connection has waited past its due time.",
        )
        with self.hl.warehouse.connect() as s:
            rows = s.fetchall(
                "SELECT c.org_id, c.source, c.status, MAX(j.finished_at) FROM connections c"
                " LEFT JOIN jobs j ON j.org_id = c.org_id AND j.source = c.source"
                " AND j.status = 'succeeded' WHERE c.source <> 'upload'"
                " GROUP BY c.org_id, c.source, c.status ORDER BY c.org_id, c.source"
            )
            last_runs = {
                (str(r[0]), str(r[1])): r[2]
                for r in s.fetchall(
                    "SELECT org_id, source, MAX(finished_at) FROM runs"
                    " WHERE status IN ('published', 'nothing_to_do') GROUP BY org_id, source"
                )
            }
            counts: dict[str, int] = {
                str(r[0]): int(r[1])
                for r in s.fetchall("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            }
            oldest = s.scalar(
                "SELECT MIN(next_sync_at) FROM connections WHERE status = 'active'"
                " AND next_sync_at <= ? AND source <> 'upload'",
                [now],
            )
        for org, source, status, finished in rows:
            last = max(
                (t for t in (finished, last_runs.get((str(org), str(source)))) if t is not None),
                default=None,
            )
            seconds = (now - last).total_seconds() if last is not None else -1.0
            lag.add_metric([str(org), str(source), str(status)], seconds)
        yield lag
        for status in ("queued", "running", "retrying", "failed", "succeeded", "cancelled"):
            depth.add_metric([status], float(counts.get(status, 0)))
        yield depth
        overdue.add_metric([], (now - oldest).total_seconds() if oldest is not None else 0.0)
        yield overdue


def render(hl: Houselights | None = None) -> bytes:
    """The exposition text: this process's counters, and the warehouse's gauges."""
    if hl is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    registry.register(WarehouseCollector(hl))
    return generate_latest(REGISTRY) + generate_latest(registry)
