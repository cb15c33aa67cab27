"""The run lifecycle: start → (stage → check → publish) × loads → finish.

A run holds its organisation's lock from start to finish (one run per organisation at a
time, across processes and machines on PostgreSQL). Each :meth:`ExchangeRun.publish`
is one transaction: raw records, staged rows, checks, quarantine, the changed-only
publish, check results, the load record and stream cursors all commit together — or
nothing does. A process killed mid-load leaves the warehouse as it was before that load,
and the next run resumes from the last committed cursor.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pyarrow as pa

from houselights.common import utcnow
from houselights.errors import ChecksFailedError, ConflictError, HouselightsError
from houselights.exchange.batch import Batch, Finding, RejectedRow, StreamCursor
from houselights.exchange.checks.rules import Rule, apply_overrides, default_rules, volume_rule
from houselights.exchange.checks.runner import CheckOutcome, quarantine_staged, run_checks
from houselights.exchange.publish import PublishCounts, publish_staged
from houselights.exchange.stage import Stager
from houselights.warehouse.base import Session, Warehouse

__all__ = ["ExchangeRun", "LoadResult", "new_run_id", "utcnow"]

log = logging.getLogger(__name__)


def new_run_id() -> str:
    """A sortable, unique run id: ``r20261122T173452123456-3f9a1c``."""
    return f"r{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


@dataclass
class LoadResult:
    """What one publish did."""

    load_id: str
    records_in: int
    rows_staged: int
    counts: PublishCounts
    quarantined: int
    outcomes: list[CheckOutcome] = field(default_factory=list)
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    """What the source's mapping noticed but could not map (recorded as warnings)."""

    @property
    def warnings(self) -> list[CheckOutcome]:
        """Checks that warned or quarantined rows."""
        return [o for o in self.outcomes if o.outcome in ("warn", "quarantined")]


class ExchangeRun:
    """One exchange run of an organisation from one source.

    Use as a context manager::

        with ExchangeRun(wh, "riverside", source="upload", kind="upload") as run:
            result = run.publish(batches)
    """

    def __init__(
        self,
        warehouse: Warehouse,
        org_id: str,
        *,
        source: str,
        kind: str,
        params: dict[str, Any] | None = None,
        rules: list[Rule] | None = None,
        policy_overrides: dict[str, str] | None = None,
    ) -> None:
        self.warehouse = warehouse
        self.org_id = org_id
        self.source = source
        self.kind = kind
        self.params = params or {}
        self.rules = apply_overrides(
            (rules if rules is not None else default_rules()) + [volume_rule()],
            policy_overrides,
        )
        self.run_id = new_run_id()
        self.loads: list[LoadResult] = []
        # Raw records are numbered across the whole run (its loads share one sequence),
        # matching the raw_records key (org, run, stream, seq).
        self._raw_seq = 0
        self._session: Session | None = None
        self._finished = False

    # lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> ExchangeRun:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
        else:
            message = (
                exc.message
                if isinstance(exc, HouselightsError)
                else (f"Interrupted: {exc_type.__name__ if exc_type else 'error'}: {exc}")
            )
            self.fail(message)

    def start(self) -> None:
        """Take the organisation's lock and record the run as running."""
        session = self.warehouse.session()
        if not session.try_lock_org(self.org_id):
            session.close()
            raise ConflictError(
                f"Another run for organisation '{self.org_id}' is in progress.",
                hint="Wait for it to finish (`houselights runs list "
                f"{self.org_id}`), then try again.",
            )
        self._session = session
        with session.transaction():
            # We hold the lock, so any run still marked running was killed mid-way.
            session.execute(
                "UPDATE runs SET status = 'failed', finished_at = ?, message = ?"
                " WHERE org_id = ? AND status = 'running'",
                [
                    utcnow(),
                    "Interrupted: the process ended before the run finished; "
                    "nothing after its last load was published.",
                    self.org_id,
                ],
            )
            session.execute(
                "INSERT INTO runs (run_id, org_id, kind, source, status, started_at, records_in,"
                " rows_staged, rows_published, rows_unchanged, rows_quarantined, params)"
                " VALUES (?, ?, ?, ?, 'running', ?, 0, 0, 0, 0, 0, ?)",
                [
                    self.run_id,
                    self.org_id,
                    self.kind,
                    self.source,
                    utcnow(),
                    json.dumps(self.params, default=str),
                ],
            )
        log.info("run %s started for %s (%s %s)", self.run_id, self.org_id, self.source, self.kind)

    def finish(self) -> None:
        """Mark the run published (or nothing_to_do) and release the lock."""
        status = "published" if self.loads else "nothing_to_do"
        self._close(status, None)

    def fail(self, message: str) -> None:
        """Mark the run failed with a plain message and release the lock."""
        self._close("failed", message)

    def _close(self, status: str, message: str | None) -> None:
        if self._finished or self._session is None:
            return
        self._finished = True
        session = self._session
        try:
            session.rollback()
            session.execute(
                "UPDATE runs SET status = ?, finished_at = ?, message = ? WHERE run_id = ?",
                [status, utcnow(), message, self.run_id],
            )
        finally:
            session.unlock_org(self.org_id)
            session.close()
            self._session = None
        log.info("run %s %s", self.run_id, status)

    @property
    def session(self) -> Session:
        """The run's own session (valid between start and finish)."""
        if self._session is None:
            raise RuntimeError("the run has not started")  # programming error, not user
        return self._session

    # publishing ----------------------------------------------------------------------

    def publish(
        self,
        batches: Batch | Iterable[Batch],
        *,
        progress: Callable[[Batch], None] | None = None,
    ) -> LoadResult:
        """Stage, check and publish ``batches`` as one atomic load."""
        parts: Iterable[Batch] = [batches] if isinstance(batches, Batch) else batches
        session = self.session
        load_id = f"{self.run_id}.{len(self.loads) + 1}"
        began = time.perf_counter()
        session.begin()
        try:
            result = self._load(session, load_id, parts, progress)
        except BaseException as exc:
            session.rollback()
            if isinstance(exc, ChecksFailedError):
                self._record_failed_checks(load_id, exc)
            raise
        session.commit()
        result.seconds = time.perf_counter() - began
        self.loads.append(result)
        log.info(
            "load %s: %d staged, %d inserted, %d updated, %d unchanged, %d quarantined",
            load_id,
            result.rows_staged,
            result.counts.inserted,
            result.counts.updated,
            result.counts.unchanged,
            result.quarantined,
        )
        return result

    def _load(
        self,
        session: Session,
        load_id: str,
        parts: Iterable[Batch],
        progress: Callable[[Batch], None] | None,
    ) -> LoadResult:
        stager = Stager(session)
        stager.create()
        records_in = 0
        raw_seq = self._raw_seq
        rejected: list[RejectedRow] = []
        cursors: dict[str, StreamCursor] = {}
        findings: dict[tuple[str, str, str], Finding] = {}
        for batch in parts:
            for table_name, rows in batch.tables.items():
                stager.load(table_name, rows)
            raw_seq = self._store_raw(session, batch, raw_seq)
            rejected.extend(batch.rejected)
            for cursor in batch.cursors:
                cursors[cursor.stream] = cursor
            for found in batch.findings:
                seen = findings.get(found.key)
                findings[found.key] = (
                    found
                    if seen is None
                    else Finding(
                        found.name,
                        found.table,
                        seen.rows + found.rows,
                        found.description,
                        (seen.sample + found.sample)[:5],
                    )
                )
            records_in += batch.records_in
            if progress is not None:
                progress(batch)
        rows_staged = sum(stager.counts.values())
        stager.finalise()  # hashes and stages the orders: before anything quarantines them
        quarantined = self._store_rejected(session, load_id, rejected)
        stager.load_rejected_orders(sorted({r.order_id for r in rejected if r.order_id}))
        quarantined += quarantine_staged(
            session,
            run_id=self.run_id,
            load_id=load_id,
            org_id=self.org_id,
            table="orders",
            where="s.order_id IN (SELECT order_id FROM stage_rejected_orders)",
            check_name="readable",
            reason="Held back: another line of this order could not be read",
        )
        outcomes = run_checks(
            session,
            self.rules,
            run_id=self.run_id,
            load_id=load_id,
            org_id=self.org_id,
            source=self.source,
            kind=self.kind,
        )
        failed = [o for o in outcomes if o.failed_run]
        if failed:
            raise ChecksFailedError(
                "Quality checks failed, so nothing from this run was published: "
                + "; ".join(
                    f"{o.rule.name} ({o.failing_rows} rows, e.g. {', '.join(o.sample[:3]) or '-'})"
                    for o in failed
                ),
                hint="Fix the data at the source and run again, or change the check's policy"
                " (`houselights checks list`).",
            ).with_outcomes(outcomes)
        quarantined += sum(o.failing_rows for o in outcomes if o.outcome == "quarantined")
        counts = publish_staged(session, org_id=self.org_id, source=self.source, load_id=load_id)
        self._store_outcomes(session, load_id, outcomes)
        self._store_findings(session, load_id, list(findings.values()))
        for cursor in cursors.values():
            self._store_cursor(session, cursor)
        session.execute(
            "INSERT INTO loads (load_id, run_id, org_id, seq, published_at, rows_inserted,"
            " rows_updated, rows_unchanged, rows_quarantined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id,
                self.run_id,
                self.org_id,
                len(self.loads) + 1,
                utcnow(),
                counts.inserted,
                counts.updated,
                counts.unchanged,
                quarantined,
            ],
        )
        session.execute(
            "UPDATE runs SET records_in = records_in + ?, rows_staged = rows_staged + ?,"
            " rows_published = rows_published + ?, rows_unchanged = rows_unchanged + ?,"
            " rows_quarantined = rows_quarantined + ? WHERE run_id = ?",
            [
                records_in,
                rows_staged,
                counts.inserted + counts.updated,
                counts.unchanged,
                quarantined,
                self.run_id,
            ],
        )
        stager.drop()
        self._raw_seq = raw_seq
        return LoadResult(
            load_id,
            records_in,
            rows_staged,
            counts,
            quarantined,
            outcomes,
            findings=list(findings.values()),
        )

    def _store_raw(self, session: Session, batch: Batch, seq: int) -> int:
        if not batch.raw:
            return seq
        n = len(batch.raw)
        now = utcnow()
        session.load_arrow(
            "raw_records",
            pa.table(
                {
                    "org_id": pa.array([self.org_id] * n, pa.string()),
                    "run_id": pa.array([self.run_id] * n, pa.string()),
                    "stream": pa.array([r.stream for r in batch.raw], pa.string()),
                    "record_key": pa.array([r.record_key for r in batch.raw], pa.string()),
                    "seq": pa.array(range(seq + 1, seq + n + 1), pa.int64()),
                    "payload": pa.array([r.payload_json() for r in batch.raw], pa.string()),
                    "fetched_at": pa.array([now] * n, pa.timestamp("us")),
                }
            ),
        )
        return seq + n

    def _store_rejected(self, session: Session, load_id: str, rows: list[RejectedRow]) -> int:
        if not rows:
            return 0
        seen: set[tuple[str, str, str]] = set()
        unique = []
        for r in rows:
            key = (r.table, r.record_key, r.check_name)
            if key not in seen:
                seen.add(key)
                unique.append(r)
        n = len(unique)
        session.load_arrow(
            "quarantine",
            pa.table(
                {
                    "run_id": pa.array([self.run_id] * n, pa.string()),
                    "load_id": pa.array([load_id] * n, pa.string()),
                    "org_id": pa.array([self.org_id] * n, pa.string()),
                    "table_name": pa.array([r.table for r in unique], pa.string()),
                    "record_key": pa.array([r.record_key for r in unique], pa.string()),
                    "check_name": pa.array([r.check_name for r in unique], pa.string()),
                    "reason": pa.array([r.reason for r in unique], pa.string()),
                    "record": pa.array(
                        [json.dumps(r.record, default=str, sort_keys=True) for r in unique],
                        pa.string(),
                    ),
                }
            ),
        )
        return n

    def _store_outcomes(self, session: Session, load_id: str, outcomes: list[CheckOutcome]) -> None:
        for o in outcomes:
            session.execute(
                "INSERT INTO check_results (run_id, load_id, org_id, check_name, table_name,"
                " policy, outcome, failing_rows, description, sample)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    self.run_id,
                    load_id,
                    self.org_id,
                    o.rule.name,
                    o.rule.table,
                    o.rule.policy,
                    o.outcome,
                    o.failing_rows,
                    o.rule.description,
                    json.dumps(o.sample),
                ],
            )

    def _store_findings(self, session: Session, load_id: str, findings: list[Finding]) -> None:
        for f in findings:
            session.execute(
                "INSERT INTO check_results (run_id, load_id, org_id, check_name, table_name,"
                " policy, outcome, failing_rows, description, sample)"
                " VALUES (?, ?, ?, ?, ?, 'warn', 'warn', ?, ?, ?)",
                [
                    self.run_id,
                    load_id,
                    self.org_id,
                    f.name,
                    f.table,
                    f.rows,
                    f.description,
                    json.dumps(list(f.sample)),
                ],
            )

    def _record_failed_checks(self, load_id: str, exc: ChecksFailedError) -> None:
        # The load rolled back, but what the checks found must stay queryable.
        session = self.session
        with session.transaction():
            self._store_outcomes(session, load_id, exc.outcomes)

    def _store_cursor(self, session: Session, cursor: StreamCursor) -> None:
        session.execute(
            "DELETE FROM stream_state WHERE org_id = ? AND source = ? AND stream = ?",
            [self.org_id, self.source, cursor.stream],
        )
        session.execute(
            "INSERT INTO stream_state (org_id, source, stream, cursor, checkpoint, run_id,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                self.org_id,
                self.source,
                cursor.stream,
                cursor.cursor,
                json.dumps(cursor.checkpoint) if cursor.checkpoint is not None else None,
                self.run_id,
                utcnow(),
            ],
        )
