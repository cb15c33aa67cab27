"""The runner: one sync of one organisation's connection, for any source.

:func:`run_sync` takes a :class:`~houselights.sources.kit.source.Source` and a
:class:`~houselights.sources.kit.source.SyncRequest`, asks the source for its plan, and
owns every exchange run of it:

* each stream reads from its committed state; its pages wait, pending, until a page asks
  for a ``checkpoint`` or the run ends, then they are mapped and published as one load
  together with their cursors (so a killed process resumes at the last checkpoint,
  losing and duplicating nothing);
* while one load publishes (in a thread), the streams go on fetching the next — at most
  one publish is in flight, and none is left running when something fails;
* within one load a later raw record of a key replaces an earlier one (a feed that
  returns an order twice gives one row);
* a file stream (``atomic``) is published as one streamed load: never half a file;
* progress is reported per stream; the :class:`SyncSummary` counts records per raw
  stream, loads, warnings and requests;
* a connection whose access was withdrawn is paused (nothing lost), and re-activated by
  the next sync that gets through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from houselights.common import utcnow
from houselights.errors import AccessWithdrawnError
from houselights.exchange.batch import Batch, RawRecord
from houselights.exchange.run import ExchangeRun, LoadResult
from houselights.orgs.service import set_connection_status

from .files import FileStream
from .source import Page, RunPlan, Source, Stream, SyncRequest

__all__ = ["ProgressFn", "SyncSummary", "merge_batches", "run_sync"]

ProgressFn = Callable[[str, int, "int | None"], None]
"""``progress(label, done, total)``: a stream's progress (total ``None`` when unknown)."""


@dataclass
class SyncSummary:
    """What one sync did, for the CLI, the API and the scheduler."""

    org_id: str
    source: str
    run_ids: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """Raw records read per raw stream (orders, customers, audit…)."""
    loads: list[LoadResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    """Facts particular to the source (which feed was used, where a backfill resumed…)."""
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds: float = 0.0

    @property
    def rows_changed(self) -> int:
        """Rows inserted or updated over all loads."""
        return sum(x.counts.inserted + x.counts.updated for x in self.loads)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form."""
        return {
            "org_id": self.org_id,
            "source": self.source,
            "run_ids": self.run_ids,
            "counts": self.counts,
            "loads": [
                {
                    "load_id": x.load_id,
                    "rows_staged": x.rows_staged,
                    "inserted": x.counts.inserted,
                    "updated": x.counts.updated,
                    "unchanged": x.counts.unchanged,
                    "quarantined": x.quarantined,
                }
                for x in self.loads
            ],
            "warnings": self.warnings,
            "notes": self.notes,
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "seconds": round(self.seconds, 3),
        }


def merge_batches(batches: list[Batch]) -> Batch:
    """One batch holding every part of ``batches`` (tables appended, cursors kept)."""
    if len(batches) == 1:
        return batches[0]
    out = Batch()
    for b in batches:
        for table, rows in b.tables.items():
            if isinstance(rows, list):
                out.add(table, rows)
            else:
                out.add(table, rows.to_pylist())
        out.raw.extend(b.raw)
        out.rejected.extend(b.rejected)
        out.cursors.extend(b.cursors)
        out.findings.extend(b.findings)
        out.records_in += b.records_in
    return out


def run_sync(
    source: Source[Any],
    request: SyncRequest | None = None,
    *,
    progress: ProgressFn | None = None,
    connection_status: str = "active",
) -> SyncSummary:
    """Sync ``source``'s organisation as ``request`` asks; raises a
    :mod:`houselights.errors` error in plain words on failure (what was published
    before it stays, with its cursor)."""
    summary = SyncSummary(source.org_id, source.name)
    runner = _Runner(source, summary, progress or (lambda *_: None))
    began = time.perf_counter()
    wh = source.hl.warehouse
    try:
        asyncio.run(runner.run(request or SyncRequest()))
    except AccessWithdrawnError as exc:
        if source.requires_connection:
            with wh.connect() as s, s.transaction():
                set_connection_status(s, source.org_id, source.name, "paused", exc.message)
        raise
    finally:
        summary.seconds = time.perf_counter() - began
        summary.warnings.extend(w for w in source.warnings if w not in summary.warnings)
        for key, value in source.client_stats().items():
            setattr(summary, key, value)
        summary.counts = dict(source.counts)
        summary.notes.update(source.notes)
    if connection_status == "paused":
        with wh.connect() as s, s.transaction():
            set_connection_status(s, source.org_id, source.name, "active", None)
    return summary


class _Runner:
    def __init__(self, source: Source[Any], summary: SyncSummary, progress: ProgressFn) -> None:
        self.source = source
        self.summary = summary
        self.progress = progress
        source.progress = progress

    async def run(self, request: SyncRequest) -> None:
        plans = self.source.plan(request)
        if request.scheduled:
            plans = self._due(plans)
        async with self.source:
            for plan in plans:
                await self._run_plan(plan)

    def _due(self, plans: list[RunPlan]) -> list[RunPlan]:
        """The plans of a scheduled sync without the periodic streams read recently
        (a plan left with no stream is not run at all); what waits is noted."""
        now = utcnow()
        every = self.source.settings.refresh_interval
        out: list[RunPlan] = []
        for plan in plans:
            streams: list[Stream[Any]] = []
            for stream in plan.streams:
                state = self.source.state(stream.name) if stream.periodic else None
                if (
                    state is not None
                    and now - state.updated_at < every
                    and stream.caught_up(state)
                ):
                    waiting = self.summary.notes.setdefault("not_due", {})
                    waiting[stream.name] = (state.updated_at + every).isoformat(timespec="seconds")
                    continue
                streams.append(stream)
            if streams:
                out.append(RunPlan(plan.kind, streams, plan.params))
        return out

    def _exchange_run(self, plan: RunPlan) -> ExchangeRun:
        run = ExchangeRun(
            self.source.hl.warehouse,
            self.source.org_id,
            source=self.source.name,
            kind=plan.kind,
            params=plan.params,
            policy_overrides=self.source.settings.checks,
        )
        self.summary.run_ids.append(run.run_id)
        return run

    async def _run_plan(self, plan: RunPlan) -> None:
        with self._exchange_run(plan) as run:
            publisher = _Publisher(run, self.summary.loads)
            pending = _Pending()
            try:
                for stream in plan.streams:
                    state = self.source.state(stream.name)
                    if isinstance(stream, FileStream):
                        await publisher.submit(pending.take())
                        await publisher.wait()
                        await self._file_load(run, stream, state)
                        continue
                    async for page in stream.read(state):
                        self._note(stream, page)
                        pending.add(stream, page)
                        if page.checkpoint:
                            await publisher.submit(pending.take())
                await publisher.submit(pending.take())
                await publisher.wait()
            finally:
                await publisher.drain()

    def _note(self, stream: Stream[Any], page: Page) -> None:
        counts = self.source.counts
        for record in page.records:
            counts[record.stream] = counts.get(record.stream, 0) + 1
        if page.batch is not None and not page.records:
            name = stream.owned_raw_streams()[0]
            counts[name] = counts.get(name, 0) + page.batch.records_in
        if page.done is not None:
            self.progress(stream.label or stream.name, page.done, page.total)

    async def _file_load(self, run: ExchangeRun, stream: FileStream[Any], state: Any) -> None:
        def batches() -> Iterator[Batch]:
            for page in stream.pages(state):
                self._note(stream, page)
                batch = stream.map(page)
                batch.raw.extend(page.records)
                batch.cursors.extend(page.cursors)
                yield batch

        result = await asyncio.to_thread(run.publish, batches())
        self.summary.loads.append(result)


class _Pending:
    """Pages read but not yet published, in reading order."""

    def __init__(self) -> None:
        self.items: list[tuple[Stream[Any], Page]] = []

    def add(self, stream: Stream[Any], page: Page) -> None:
        self.items.append((stream, page))

    def take(self) -> list[tuple[Stream[Any], Page]]:
        items, self.items = self.items, []
        return items


def _load_batch(items: list[tuple[Stream[Any], Page]]) -> Batch | None:
    """Map pending pages to one batch: a stream's pages merged into one page, a later raw
    record of a key replacing earlier ones (across streams that allow it)."""
    if not items:
        return None
    last_seen: dict[tuple[str, str], int] = {}
    for i, (stream, page) in enumerate(items):
        if stream.unique_keys:
            for record in page.records:
                last_seen[(record.stream, record.record_key)] = i
    merged: dict[int, tuple[Stream[Any], Page]] = {}
    for i, (stream, page) in enumerate(items):
        keep: list[RawRecord] = [
            r
            for r in page.records
            if not stream.unique_keys or last_seen[(r.stream, r.record_key)] == i
        ]
        if stream.unique_keys:
            # drop repeats within the page itself (keep the last of each key)
            dedup: dict[tuple[str, str], RawRecord] = {}
            for r in keep:
                dedup.pop((r.stream, r.record_key), None)
                dedup[(r.stream, r.record_key)] = r
            keep = list(dedup.values())
        key = id(stream)
        if key in merged:
            _, acc = merged[key]
            acc.records.extend(keep)
            acc.cursors.extend(page.cursors)
            acc.meta.update(page.meta)
        else:
            merged[key] = (
                stream,
                Page(records=keep, cursors=list(page.cursors), meta=dict(page.meta)),
            )
    batches = []
    for stream, page in merged.values():
        batch = stream.map(page)
        batch.raw.extend(page.records)
        batch.cursors.extend(page.cursors)
        batches.append(batch)
    return merge_batches(batches)


class _Publisher:
    """Publishes loads in a thread, one at a time, so reading goes on meanwhile."""

    def __init__(self, run: ExchangeRun, results: list[LoadResult]) -> None:
        self.run = run
        self.results = results
        self.inflight: asyncio.Future[None] | None = None

    def _publish(self, items: list[tuple[Stream[Any], Page]]) -> None:
        batch = _load_batch(items)
        if batch is None:
            return
        self.results.append(self.run.publish(batch))

    async def submit(self, items: list[tuple[Stream[Any], Page]]) -> None:
        """Wait for the load in flight, then start publishing ``items`` (if any)."""
        await self.wait()
        if items:
            self.inflight = asyncio.ensure_future(asyncio.to_thread(self._publish, items))

    async def wait(self) -> None:
        """Wait for the load in flight; its failure is raised here."""
        if self.inflight is not None:
            task, self.inflight = self.inflight, None
            await task

    async def drain(self) -> None:
        """Never leave a publish running (after a failure elsewhere)."""
        if self.inflight is not None and not self.inflight.done():
            await asyncio.wait([self.inflight])
