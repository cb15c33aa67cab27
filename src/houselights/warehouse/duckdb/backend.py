"""DuckDB backend: one database file opened once per process, a cursor per session."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from houselights.errors import ConflictError, WarehouseError
from houselights.warehouse.base import Params, Row, Session, Warehouse
from houselights.warehouse.duckdb.holder import running_server

__all__ = ["DuckDBSession", "DuckDBWarehouse"]

# DuckDB allows one writing process per file, so per-organisation run locks only need to
# be coordinated between threads of this process.
_ORG_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_ORG_LOCKS_GUARD = threading.Lock()
_UMASK_GUARD = threading.Lock()


@contextlib.contextmanager
def _owner_only() -> Iterator[None]:
    """Files created inside the block are readable and writable by their owner only.

    The database holds customers' data and is as private as the key file (0600). DuckDB
    creates the file itself, so the process umask is tightened around the call; the lock
    keeps two threads from restoring each other's umask wrongly. (The CLI runs every
    command under the same umask, which also covers DuckDB's write-ahead log.)
    """
    with _UMASK_GUARD:
        previous = os.umask(0o077)
        os.umask(previous | 0o077)
        try:
            yield
        finally:
            os.umask(previous)


def _in_use(path: str, exc: Exception) -> ConflictError:
    """The file is held by another process: point at the running server if it is one."""
    server = running_server(path)
    if server is not None:
        return ConflictError(
            f"`houselights serve` (process {server.pid}) is running on {path} and holds it; "
            "while it runs, do this through it.",
            hint=f"Open the dashboard at {server.url}/dashboard/ (upload, sync now, pause, "
            f"tokens), or call its API: {server.url}/api/v1/openapi.json — e.g. "
            f"curl -H 'Authorization: Bearer TOKEN' -F file=@FILE "
            f"{server.url}/api/v1/orgs/SLUG/uploads. Or stop it (Ctrl-C) and run the "
            "command again.",
            detail=str(exc),
        )
    return ConflictError(
        f"The database file {path} is in use by another houselights process.",
        hint="Stop the other process, or use PostgreSQL (--db postgresql://…) to run "
        "several processes at once.",
        detail=str(exc),
    )


def _first_line(exc: Exception) -> str:
    # DuckDB appends the offending SQL ("LINE 1: SELECT …"); the statement belongs in
    # the --debug detail, not in the message.
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _wrap(exc: Exception, sql: str) -> WarehouseError:
    first_line = sql.strip().splitlines()[0][:120] if sql.strip() else ""
    # Only a missing table or column can be an out-of-date schema; suggesting an upgrade
    # for anything else (a value out of range, a locked file) sends people the wrong way.
    schema = isinstance(exc, duckdb.CatalogException | duckdb.BinderException)
    return WarehouseError(
        f"The embedded database refused a statement: {_first_line(exc)}",
        hint="Run `houselights db upgrade`; if the problem persists, report it with --debug "
        "output."
        if schema
        else "If the problem persists, run again with --debug and report the output.",
        detail=first_line,
    )


class DuckDBSession(Session):
    """A DuckDB cursor: its own transaction and temp tables, same database."""

    dialect = "duckdb"

    def __init__(self, warehouse: DuckDBWarehouse, cursor: duckdb.DuckDBPyConnection) -> None:
        self._warehouse = warehouse
        self._cur = cursor
        self._held: dict[str, threading.Lock] = {}

    def execute(self, sql: str, params: Params = ()) -> None:
        try:
            self._cur.execute(sql, list(params) if params else None)
        except duckdb.Error as exc:
            raise _wrap(exc, sql) from exc

    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return self._cur.execute(sql, list(params) if params else None).fetchall()
        except duckdb.Error as exc:
            raise _wrap(exc, sql) from exc

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        try:
            # A relation streams straight to Arrow (the DB-API cursor path copies rows).
            relation = self._cur.sql(sql, params=list(params) if params else None)
            table: pa.Table = relation.to_arrow_table()
        except duckdb.Error as exc:
            raise _wrap(exc, sql) from exc
        return table

    def load_arrow(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        name = f"_arrow_in_{id(data)}"
        self._cur.register(name, data)
        try:
            cols = ", ".join(data.column_names)
            self.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
        finally:
            self._cur.unregister(name)

    def begin(self) -> None:
        self.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):  # nothing open: then a no-op
            self._cur.execute("ROLLBACK")

    def try_lock_org(self, org_id: str) -> bool:
        key = (self._warehouse.url, org_id)
        with _ORG_LOCKS_GUARD:
            lock = _ORG_LOCKS.setdefault(key, threading.Lock())
        if not lock.acquire(blocking=False):
            return False
        self._held[org_id] = lock
        return True

    def unlock_org(self, org_id: str) -> None:
        lock = self._held.pop(org_id, None)
        if lock is not None:
            lock.release()

    def close(self) -> None:
        for org_id in list(self._held):
            self.unlock_org(org_id)
        self._cur.close()


class DuckDBWarehouse(Warehouse):
    """The embedded warehouse in one DuckDB file (or ``:memory:``)."""

    dialect = "duckdb"

    def __init__(self, path: str | Path, *, threads: int | None = None) -> None:
        self.path = str(path)
        self.url = f"duckdb://{self.path}"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        try:
            with _owner_only():
                self._con = duckdb.connect(self.path, config=config)
        except duckdb.IOException as exc:
            raise _in_use(self.path, exc) from exc
        except duckdb.Error as exc:
            raise WarehouseError(
                f"Cannot open the database file {self.path}: {exc}",
                hint="Check the --data-dir / --db setting and file permissions.",
            ) from exc

    def session(self) -> DuckDBSession:
        return DuckDBSession(self, self._con.cursor())

    def close(self) -> None:
        self._con.close()
