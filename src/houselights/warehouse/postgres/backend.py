"""PostgreSQL backend: a connection per session, COPY for bulk loads."""

from __future__ import annotations

import contextlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from houselights.errors import WarehouseError
from houselights.warehouse.base import Params, Row, Session, Warehouse
from houselights.warehouse.urls import redact_url

__all__ = ["PostgresSession", "PostgresWarehouse"]

_PLACEHOLDER = re.compile(r"\?")


def _translate(sql: str) -> str:
    """DuckDB-style ``?`` placeholders to psycopg's ``%s`` (and escape literal ``%``)."""
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


def _wrap(exc: Exception, sql: str) -> WarehouseError:
    first_line = sql.strip().splitlines()[0][:120] if sql.strip() else ""
    # Only a missing table or column can be an out-of-date schema (see the DuckDB backend).
    schema = isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn)
    return WarehouseError(
        f"PostgreSQL refused a statement: {str(exc).strip().splitlines()[0]}",
        hint="Run `houselights db upgrade`; if the problem persists, report it with --debug "
        "output."
        if schema
        else "If the problem persists, run again with --debug and report the output.",
        detail=first_line,
    )


_COPY_ROWS = 100_000


def _csv(batch: pa.RecordBatch | None) -> bytes | None:
    """A batch as PostgreSQL CSV, or None at the end.

    pyarrow's C++ CSV writer quotes every string and leaves NULL unquoted, which is
    exactly PostgreSQL's CSV convention (empty unquoted = NULL, "" = empty string).
    """
    if batch is None:
        return None
    buffer = io.BytesIO()
    pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
    return buffer.getvalue()


class PostgresSession(Session):
    """One psycopg connection (autocommit outside explicit transactions)."""

    dialect = "postgres"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> None:
        try:
            self._conn.execute(_translate(sql), list(params) if params else None)
        except psycopg.Error as exc:
            raise _wrap(exc, sql) from exc

    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            cur = self._conn.execute(_translate(sql), list(params) if params else None)
            rows: list[Row] = [tuple(r) for r in cur.fetchall()]
            return rows
        except psycopg.Error as exc:
            raise _wrap(exc, sql) from exc

    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        try:
            cur = self._conn.execute(_translate(sql), list(params) if params else None)
            names = [d.name for d in cur.description or []]
            rows = cur.fetchall()
        except psycopg.Error as exc:
            raise _wrap(exc, sql) from exc
        columns: list[tuple[Any, ...]] = (
            list(zip(*rows, strict=True)) if rows else [() for _ in names]
        )
        return pa.table({n: pa.array(list(c)) for n, c in zip(names, columns, strict=True)})

    def load_arrow(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        cols = ", ".join(data.column_names)
        try:
            with (
                self._conn.cursor() as cur,
                cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy,
                ThreadPoolExecutor(max_workers=1) as encoder,
            ):
                # Encode the next slice while the server parses this one: pyarrow's CSV
                # writer runs without the GIL, so the two overlap on two cores.
                slices = iter(data.to_batches(max_chunksize=_COPY_ROWS))
                pending = encoder.submit(_csv, next(slices, None))
                while (chunk := pending.result()) is not None:
                    pending = encoder.submit(_csv, next(slices, None))
                    copy.write(chunk)
        except psycopg.Error as exc:
            raise _wrap(exc, f"COPY {table}") from exc

    def begin(self) -> None:
        self.execute("BEGIN")

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(psycopg.Error):  # nothing open: then a no-op
            self._conn.execute("ROLLBACK")

    # Advisory locks are per server, so the key names the database and schema too:
    # two warehouses on one server never block each other.
    _LOCK_KEY = "hashtextextended(current_database() || '/' || current_schema() || '/run/' || ?, 0)"

    def try_lock_org(self, org_id: str) -> bool:
        # A session-level advisory lock: held across the run's transactions, and released
        # by the server if this process dies, so a killed worker never blocks an org.
        return bool(self.scalar(f"SELECT pg_try_advisory_lock({self._LOCK_KEY})", [org_id]))

    def unlock_org(self, org_id: str) -> None:
        self.execute(f"SELECT pg_advisory_unlock({self._LOCK_KEY})", [org_id])

    def close(self) -> None:
        self._conn.close()


# Settings every houselights connection runs with (per session; the server's own
# configuration is left alone). Profiled in docs/design-notes.md:
# * jit off — compiling a plan costs 50–400 ms, more than the dashboard queries it speeds up;
# * work_mem 64MB — a dashboard's hash aggregate over one organisation's bookers fits in
#   memory instead of spilling (the exchange raises it for its own transaction);
# * temp_buffers 256MB — the exchange's staging (temp) tables stay in memory; only
#   allocated by sessions that use temp tables;
# * plan_cache_mode force_custom_plan — psycopg prepares a statement after a few runs and
#   PostgreSQL then switches to a generic plan built for an "average" organisation: with
#   200 organisations the largest one's sales report went from 50 ms to 1.3 s. Every
#   query is planned for its organisation (about a millisecond).
SESSION_SETTINGS: dict[str, str] = {
    "jit": "off",
    "work_mem": "64MB",
    "temp_buffers": "256MB",
    "plan_cache_mode": "force_custom_plan",
}


class PostgresWarehouse(Warehouse):
    """Server mode: a PostgreSQL database shared by many processes and machines."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        # Fail early with a clear message rather than at the first query.
        self.session().close()

    def session(self) -> PostgresSession:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise WarehouseError(
                f"Cannot connect to PostgreSQL at {redact_url(self.url)}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc}",
                hint="Check that the server is running and the --db / HOUSELIGHTS_DATABASE_URL "
                "setting is right.",
            ) from exc
        calls = ", ".join("set_config(%s, %s, false)" for _ in SESSION_SETTINGS)
        conn.execute(f"SELECT {calls}", [v for pair in SESSION_SETTINGS.items() for v in pair])
        return PostgresSession(conn)
