"""Reading the exchange's own records: runs, check results, quarantined rows, raw records.

The one module that queries these tables for reading (the exchange writes them), so the
CLI, the API, connection status and replay all see them the same way. Every query is
scoped to an organisation.
"""

from __future__ import annotations

from typing import Any

from houselights.warehouse.base import Session

__all__ = [
    "check_results",
    "check_results_of_runs",
    "every_raw_record",
    "latest_raw_records",
    "list_runs",
    "quarantine_counts",
    "quarantine_groups",
    "quarantined_rows",
    "raw_record_sources",
    "recent_runs",
]

_RUN_COLUMNS = (
    "run_id, kind, source, status, started_at, finished_at, records_in, rows_staged,"
    " rows_published, rows_unchanged, rows_quarantined, message"
)


def list_runs(
    session: Session, org_id: str, *, limit: int = 20, offset: int = 0
) -> list[dict[str, Any]]:
    """The organisation's most recent runs, newest first."""
    return session.fetch_dicts(
        f"SELECT {_RUN_COLUMNS} FROM runs WHERE org_id = ?"
        f" ORDER BY started_at DESC, run_id DESC LIMIT {int(limit)} OFFSET {int(offset)}",
        [org_id],
    )


def _marks(ids: list[str]) -> str:
    return ", ".join("?" * len(ids))


def check_results_of_runs(
    session: Session, org_id: str, run_ids: list[str]
) -> list[dict[str, Any]]:
    """Every check result (and finding) of the given runs."""
    if not run_ids:
        return []
    return session.fetch_dicts(
        "SELECT run_id, load_id, check_name, table_name, policy, outcome, failing_rows,"
        f" description FROM check_results WHERE org_id = ? AND run_id IN ({_marks(run_ids)})",
        [org_id, *run_ids],
    )


def quarantine_groups(
    session: Session, org_id: str, run_ids: list[str], *, samples: int = 3
) -> list[tuple[str, str, str, int, list[tuple[str, str]]]]:
    """Quarantined rows of the given runs grouped by run, table and check:
    ``(run_id, table, check, rows, [(record_key, reason)…])`` with up to ``samples``
    examples each (by record key)."""
    if not run_ids:
        return []
    marks = _marks(run_ids)
    groups = session.fetchall(
        "SELECT run_id, table_name, check_name, COUNT(*) FROM quarantine"
        f" WHERE org_id = ? AND run_id IN ({marks}) GROUP BY run_id, table_name, check_name",
        [org_id, *run_ids],
    )
    examples: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    if groups:
        for run_id, table, check, key, reason in session.fetchall(
            "SELECT run_id, table_name, check_name, record_key, reason FROM ("
            " SELECT q.*, ROW_NUMBER() OVER ("
            "  PARTITION BY run_id, table_name, check_name ORDER BY record_key) AS rn"
            f" FROM quarantine q WHERE org_id = ? AND run_id IN ({marks})) x"
            " WHERE rn <= ? ORDER BY record_key",
            [org_id, *run_ids, int(samples)],
        ):
            examples.setdefault((run_id, table, check), []).append((key, reason))
    return [
        (str(r), str(t), str(c), int(n), examples.get((r, t, c), []))
        for r, t, c, n in groups
    ]


def recent_runs(
    session: Session, org_id: str, source: str, *, limit: int = 50
) -> list[tuple[Any, ...]]:
    """``(run_id, status, started_at, finished_at, message)`` of a connection's latest runs."""
    return session.fetchall(
        "SELECT run_id, status, started_at, finished_at, message FROM runs"
        " WHERE org_id = ? AND source = ?"
        f" ORDER BY started_at DESC, run_id DESC LIMIT {int(limit)}",
        [org_id, source],
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
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Quarantined rows of the organisation (optionally of one run), a page at a time."""
    where = "org_id = ?"
    params: list[Any] = [org_id]
    if run_id:
        where += " AND run_id = ?"
        params.append(run_id)
    lim = f" LIMIT {int(limit)}" if limit else ""
    lim += f" OFFSET {int(offset)}" if offset else ""
    return session.fetch_dicts(
        "SELECT run_id, load_id, table_name, record_key, check_name, reason, record"
        f" FROM quarantine WHERE {where} ORDER BY run_id DESC, load_id, table_name,"
        f" record_key, check_name{lim}",
        params,
    )


def quarantine_counts(session: Session, org_id: str, *, run_id: str) -> dict[str, int]:
    """How many rows of one run each check held back, by check name."""
    rows = session.fetchall(
        "SELECT check_name, COUNT(*) FROM quarantine WHERE org_id = ? AND run_id = ?"
        " GROUP BY check_name ORDER BY check_name",
        [org_id, run_id],
    )
    return {str(name): int(count) for name, count in rows}


def raw_record_sources(session: Session, org_id: str) -> list[str]:
    """The sources the organisation has kept raw records from."""
    return [
        str(r[0])
        for r in session.fetchall(
            "SELECT DISTINCT r.source FROM raw_records w JOIN runs r ON r.run_id = w.run_id"
            " WHERE w.org_id = ? ORDER BY 1",
            [org_id],
        )
    ]


def latest_raw_records(
    session: Session, org_id: str, source: str
) -> list[tuple[str, str, str, str]]:
    """``(run_id, stream, record_key, payload JSON)`` of the latest run holding each key
    (replays excluded), in the order they were fetched (a record split over several raw
    rows comes back whole)."""
    rows = session.fetchall(
        "WITH latest AS (SELECT w.stream, w.record_key, MAX(w.run_id) AS run_id"
        "  FROM raw_records w JOIN runs r ON r.run_id = w.run_id"
        "  WHERE w.org_id = ? AND r.source = ? AND r.kind <> 'replay'"
        "  GROUP BY w.stream, w.record_key)"
        " SELECT w.run_id, w.stream, w.record_key, w.payload FROM raw_records w"
        " JOIN latest l ON l.stream = w.stream AND l.record_key = w.record_key"
        "  AND l.run_id = w.run_id"
        " WHERE w.org_id = ? ORDER BY w.run_id, w.seq",
        [org_id, source, org_id],
    )
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def every_raw_record(
    session: Session, org_id: str, source: str
) -> list[tuple[str, str, str, str]]:
    """``(run_id, stream, record_key, payload JSON)`` of every run that fetched records
    (replays excluded), oldest run first, in the order each run fetched them."""
    rows = session.fetchall(
        "SELECT w.run_id, w.stream, w.record_key, w.payload FROM raw_records w"
        " JOIN runs r ON r.run_id = w.run_id"
        " WHERE w.org_id = ? AND r.source = ? AND r.kind <> 'replay'"
        " ORDER BY w.run_id, w.seq",
        [org_id, source],
    )
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]
