"""Exchange use cases: upload a file, replay raw records, list runs, checks and quarantine."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.errors import InputError, NotFoundError
from houselights.exchange.batch import Batch
from houselights.exchange.run import ExchangeRun, LoadResult
from houselights.orgs.service import get_org
from houselights.warehouse.base import Session

__all__ = [
    "UploadSummary",
    "check_results",
    "list_runs",
    "quarantined_rows",
    "replay",
    "upload_file",
]


@dataclass
class UploadSummary:
    """What an upload did, for the CLI and the API."""

    org_id: str
    run_id: str
    file: str
    lines_read: int
    rows_rejected: int
    detected: dict[str, Any]
    load: LoadResult
    problems: list[dict[str, Any]] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    under ~100 MB even for a 200 MB file; see tests/sources/upload).

    ``progress(bytes_read, total_bytes)`` is called after each chunk.
    """
    from houselights.sources.upload.reader import read_upload

    with hl.warehouse.connect() as session:
        get_org(session, org_id)
    if not path.exists():
        raise InputError(f"The file {path} does not exist.", hint="Check the path and try again.")
    reader = read_upload(path, chunk_rows=chunk_rows)
    params = {"file": path.name, "sha256": _sha256(path), "bytes": reader.total_bytes}

    def on_batch(_: Batch) -> None:
        if progress is not None:
            progress(reader.bytes_read, reader.total_bytes)

    with ExchangeRun(
        hl.warehouse,
        org_id,
        source="upload",
        kind="upload",
        params=params,
        policy_overrides=policy_overrides,
    ) as run:
        load = run.publish(reader, progress=on_batch)
    with hl.warehouse.connect() as session:
        problems = quarantined_rows(session, org_id, run_id=run.run_id, limit=None)
    return UploadSummary(
        org_id,
        run.run_id,
        path.name,
        reader.lines_read,
        reader.rows_rejected,
        dict(reader.detected),
        load,
        problems,
    )


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
    from houselights.sources.registry import mapper_for

    with hl.warehouse.connect() as session:
        get_org(session, org_id)
        sources = (
            [source]
            if source
            else [
                str(r[0])
                for r in session.fetchall(
                    "SELECT DISTINCT r.source FROM raw_records w JOIN runs r ON r.run_id = w.run_id"
                    " WHERE w.org_id = ? ORDER BY 1",
                    [org_id],
                )
            ]
        )
    if not sources:
        raise NotFoundError(
            f"Organisation '{org_id}' has no raw records to replay.",
            hint="Replay rebuilds data that was loaded before; load some first "
            "(`houselights upload` or `houselights sync`).",
        )
    result: LoadResult | None = None
    for src in sources:
        mapper = mapper_for(src)
        with hl.warehouse.connect() as session:
            rows = session.fetchall(
                "WITH latest AS (SELECT w.stream, w.record_key, MAX(w.run_id) AS run_id"
                "  FROM raw_records w JOIN runs r ON r.run_id = w.run_id"
                "  WHERE w.org_id = ? AND r.source = ? GROUP BY w.stream, w.record_key)"
                " SELECT w.stream, w.record_key, w.payload FROM raw_records w"
                " JOIN latest l ON l.stream = w.stream AND l.record_key = w.record_key"
                "  AND l.run_id = w.run_id"
                " WHERE w.org_id = ? ORDER BY w.run_id, w.seq",
                [org_id, src, org_id],
            )
        records = [(str(r[0]), str(r[1]), json.loads(r[2])) for r in rows]
        batches = mapper(hl, org_id, records)
        with ExchangeRun(
            hl.warehouse, org_id, source=src, kind="replay", params={"records": len(records)}
        ) as run:
            result = run.publish(batches)
        if progress is not None:
            progress(len(records), len(records))
    return result


def list_runs(session: Session, org_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The organisation's most recent runs, newest first."""
    return session.fetch_dicts(
        "SELECT run_id, kind, source, status, started_at, finished_at, records_in, rows_staged,"
        " rows_published, rows_unchanged, rows_quarantined, message FROM runs"
        f" WHERE org_id = ? ORDER BY started_at DESC, run_id DESC LIMIT {int(limit)}",
        [org_id],
    )


def check_results(
    session: Session, org_id: str, *, run_id: str | None = None
) -> list[dict[str, Any]]:
    """Check results of a run (default: the latest run that ran checks)."""
    if run_id is None:
        run_id = session.scalar("SELECT MAX(run_id) FROM check_results WHERE org_id = ?", [org_id])
        if run_id is None:
            return []
    return session.fetch_dicts(
        "SELECT run_id, load_id, check_name, table_name, policy, outcome, failing_rows,"
        " description, sample FROM check_results WHERE org_id = ? AND run_id = ?"
        " ORDER BY load_id, check_name",
        [org_id, run_id],
    )


def quarantined_rows(
    session: Session,
    org_id: str,
    *,
    run_id: str | None = None,
    limit: int | None = 100,
) -> list[dict[str, Any]]:
    """Quarantined rows of the organisation (optionally of one run)."""
    where = "org_id = ?"
    params: list[Any] = [org_id]
    if run_id:
        where += " AND run_id = ?"
        params.append(run_id)
    lim = f" LIMIT {int(limit)}" if limit else ""
    return session.fetch_dicts(
        "SELECT run_id, load_id, table_name, record_key, check_name, reason, record"
        f" FROM quarantine WHERE {where} ORDER BY run_id DESC, load_id, table_name,"
        f" record_key{lim}",
        params,
    )
