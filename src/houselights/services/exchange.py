"""Exchange use cases: upload a file, replay raw records, list runs, checks and quarantine."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.errors import InputError, NotFoundError
from houselights.exchange.batch import RawRecord
from houselights.exchange.run import ExchangeRun, LoadResult
from houselights.orgs.service import get_org
from houselights.sources.kit.connections import connected_sources, open_source, sync_connection
from houselights.sources.kit.registry import source_class, source_names
from houselights.sources.kit.replay import replay_batches
from houselights.sources.kit.runner import run_sync
from houselights.sources.kit.settings import ConnectionSettings
from houselights.sources.kit.source import SyncRequest
from houselights.sources.upload.columns import match_header
from houselights.sources.upload.source import UploadSource
from houselights.warehouse.history import (
    check_results,
    every_raw_record,
    latest_raw_records,
    list_runs,
    quarantine_counts,
    quarantined_rows,
    raw_record_sources,
)

__all__ = [
    "SUMMARY_PROBLEMS",
    "UploadSummary",
    "check_results",
    "list_runs",
    "quarantined_rows",
    "replay",
    "row_errors",
    "run_problems",
    "upload_file",
]

SUMMARY_PROBLEMS = 50
"""How many held-back rows an upload summary lists; the rest are counted."""


@dataclass
class UploadSummary:
    """What an upload did, for the CLI and the API.

    ``problems`` lists the first :data:`SUMMARY_PROBLEMS` rows held back (a summary stays
    small whatever the file); ``problems_total`` and ``problems_by_check`` count them
    all. :func:`run_problems` pages through every one.
    """

    org_id: str
    run_id: str
    file: str
    lines_read: int
    rows_rejected: int
    detected: dict[str, Any]
    load: LoadResult
    problems: list[dict[str, Any]] = field(default_factory=list)
    problems_total: int = 0
    problems_by_check: dict[str, int] = field(default_factory=dict)


def upload_file(
    hl: Houselights,
    org_id: str,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    policy_overrides: dict[str, str] | None = None,
    chunk_rows: int = 20_000,
) -> UploadSummary:
    """Read an upload file and publish it for ``org_id`` in one atomic run.

    The file is streamed in chunks of ``chunk_rows`` lines (20,000 keeps memory growth
    under ~100 MB even for a 200 MB file; see tests/sources/upload), within the limits of
    the settings (``file_max_*``, ``upload_max_rejected_*``): a file beyond one is refused
    whole with :class:`~houselights.errors.UploadError`, and nothing is published.

    ``progress(bytes_read, total_bytes)`` is called after each chunk.
    """
    with hl.warehouse.connect() as session:
        get_org(session, org_id)
    if not path.exists():
        raise InputError(f"The file {path} does not exist.", hint="Check the path and try again.")
    own = _export_source(path)
    if own is not None:
        return _upload_export(hl, org_id, path, own, progress)
    settings = ConnectionSettings.parse_input(
        {"checks": policy_overrides} if policy_overrides else {}, where="the upload's policies"
    )
    source = UploadSource(hl, org_id, settings, chunk_rows=chunk_rows)

    def on_progress(_: str, done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total or done)

    summary = run_sync(source, SyncRequest(files=(path,)), progress=on_progress)
    run_id = summary.run_ids[-1]
    with hl.warehouse.connect() as session:
        problems = quarantined_rows(session, org_id, run_id=run_id, limit=SUMMARY_PROBLEMS)
        by_check = quarantine_counts(session, org_id, run_id=run_id)
    notes = source.notes
    return UploadSummary(
        org_id,
        run_id,
        path.name,
        int(notes.get("lines_read", 0)),
        int(notes.get("rows_rejected", 0)),
        dict(notes.get("detected", {})),
        summary.loads[-1],
        problems,
        sum(by_check.values()),
        by_check,
    )


def _export_source(path: Path) -> str | None:
    """The box office whose own export ``path`` is (by its header), if any."""
    for name in source_names():
        if name != "upload" and source_class(name).recognises(path):
            return name
    return None


def _upload_export(
    hl: Houselights,
    org_id: str,
    path: Path,
    source: str,
    progress: Callable[[int, int], None] | None,
) -> UploadSummary:
    """Load a box office's own export through its source (one atomic load)."""
    title = source_class(source).title
    if source not in connected_sources(hl, org_id):
        raise InputError(
            f"{path.name} is a {title} export, and '{org_id}' is not connected to {title}.",
            hint=f"Connect it first (`houselights connect {source} {org_id} …`), then upload "
            "the file again.",
        )

    def on_progress(_: str, done: int, total: int | None) -> None:
        if progress is not None:
            progress(done, total or done)

    summary = sync_connection(
        hl, org_id, source, SyncRequest(files=(path,), incremental=False), progress=on_progress
    )
    if not summary.loads:
        raise InputError(
            f"{path.name} was loaded before (a file with the same content): nothing changed.",
            hint=f"Each {title} export is loaded once, by its content; upload new exports.",
        )
    run_id = summary.run_ids[-1]
    with hl.warehouse.connect() as session:
        problems = quarantined_rows(session, org_id, run_id=run_id, limit=SUMMARY_PROBLEMS)
        by_check = quarantine_counts(session, org_id, run_id=run_id)
    files = summary.notes.get("files") or [{}]
    return UploadSummary(
        org_id,
        run_id,
        path.name,
        int(files[-1].get("lines", 0)),
        0,
        dict(files[-1].get("detected") or {}),
        summary.loads[-1],
        problems,
        sum(by_check.values()),
        by_check,
    )


_LINE = re.compile(r"\bline (\d+)\b")
_LEADING_LINE = re.compile(r"^line \d+,\s*")


def _record(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _row_number(record: dict[str, Any], key: str) -> int | None:
    line = record.get("line")
    if isinstance(line, int):
        return line
    found = _LINE.search(key)
    return int(found.group(1)) if found else None


def row_errors(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Held-back rows as row-level errors ``{row, column, value, problem}``.

    One entry per problem a row has (a line may break several columns): ``row`` is the
    file's line number, ``column`` the header as written in the file, ``value`` what the
    line holds there (``None`` when blank or when the problem is not one column's).
    ``problems`` are quarantined rows (``record_key``, ``reason``, ``record``), as an
    :class:`UploadSummary` or a refused file's :class:`~houselights.errors.UploadError`
    lists them: the same rows, in the same order and number, as the CLI prints.
    """
    errors: list[dict[str, Any]] = []
    for p in problems:
        record = _record(p.get("record"))
        key = str(p.get("record_key", ""))
        row = _row_number(record, key)
        values = record.get("values") if isinstance(record.get("values"), dict) else {}
        assert isinstance(values, dict)
        reason = _LEADING_LINE.sub("", str(p.get("reason", "")))
        for part in reason.split("; ") if reason else [""]:
            label, sep, message = part.partition(": ")
            column: str | None = label.strip() if sep else None
            value: Any = None
            if column is not None:
                positions = match_header([column]).positions
                name = next(iter(positions), None)
                value = values.get(name) if name is not None else None
                if value is None and column in values:
                    value = values[column]
            errors.append({
                "row": row,
                "column": column,
                "value": None if value is None else str(value),
                "problem": message if sep else part,
            })
    return errors


def run_problems(
    hl: Houselights, org_id: str, run_id: str, *, page: int = 10_000
) -> Iterator[dict[str, Any]]:
    """Every row one run held back, read a page at a time (for a full problem report)."""
    offset = 0
    while True:
        with hl.warehouse.connect() as session:
            rows = quarantined_rows(session, org_id, run_id=run_id, limit=page, offset=offset)
        yield from rows
        if len(rows) < page:
            return
        offset += page


class _RawLoader:
    """Reads a source's kept raw records for replay (and counts them for progress)."""

    def __init__(self, hl: Houselights, org_id: str, source: str) -> None:
        self.hl, self.org_id, self.source = hl, org_id, source
        self.records = 0

    def __call__(self, every_run: bool) -> list[RawRecord]:
        read = every_raw_record if every_run else latest_raw_records
        with self.hl.warehouse.connect() as session:
            rows = read(session, self.org_id, self.source)
        self.records = max(self.records, len(rows))
        return [RawRecord(stream, key, json.loads(data), run) for run, stream, key, data in rows]


def replay(
    hl: Houselights,
    org_id: str,
    *,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LoadResult | None:
    """Rebuild canonical rows from the kept raw records, without calling the box office.

    For each ``(stream, record_key)`` the raw rows of the latest run holding that key are
    re-mapped with today's mapping code and published changed-only, so only rows whose
    mapping changed get a new load id.
    """
    with hl.warehouse.connect() as session:
        get_org(session, org_id)
        sources = [source] if source else raw_record_sources(session, org_id)
    if not sources:
        raise NotFoundError(
            f"Organisation '{org_id}' has no raw records to replay.",
            hint="Replay rebuilds data that was loaded before; load some first "
            "(`houselights upload` or `houselights sync`).",
        )
    result: LoadResult | None = None
    for name in sources:
        opened = open_source(hl, org_id, name)
        loader = _RawLoader(hl, org_id, name)
        with ExchangeRun(
            hl.warehouse,
            org_id,
            source=name,
            kind="replay",
            policy_overrides=opened.source.settings.checks,
        ) as run:
            result = run.publish(replay_batches(opened.source, loader))
        if progress is not None:
            progress(loader.records, loader.records)
    return result
