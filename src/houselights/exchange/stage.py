"""Staging: a run's canonical rows land in session-local temp tables before any check.

Each canonical table ``T`` gets ``stage_T`` with T's payload columns plus ``_row_id`` (a
stable row number used by checks and quarantine) and ``row_hash``. Rows arrive in parts
(a large upload streams). On PostgreSQL each part is hashed as it arrives, by an
in-process DuckDB over the part's Arrow columns, so the staged rows are written once and
never updated (an ``UPDATE … SET row_hash`` left dead rows that every check then scanned);
on DuckDB the staged rows are hashed in place, which is faster there. An order's hash
covers its whole line set, so orders are hashed once every part has arrived
(:meth:`Stager.finalise`). Profiles: docs/design-notes.md, "Performance".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import duckdb
import pyarrow as pa

from houselights.errors import ExchangeError
from houselights.model.schema import CANONICAL_TABLES, Column, Table
from houselights.warehouse.base import Session

__all__ = ["Stager", "arrow_schema", "stage_name"]

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in CANONICAL_TABLES}
_NOT_STAGED = {"org_id", "source", "row_hash", "load_id"}
_NULL_MARK = "\u2205"

_ARROW: dict[str, pa.DataType] = {
    "text": pa.string(),
    "json": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "money": pa.decimal128(14, 2),
    "timestamp": pa.timestamp("us"),
    "double": pa.float64(),
}


def stage_name(table: str) -> str:
    """The staging table of canonical table ``table``."""
    return f"stage_{table}"


def staged_columns(table: Table) -> list[Column]:
    """The columns a source provides for ``table``."""
    return [c for c in table.columns if c.name not in _NOT_STAGED]


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of rows a source provides for ``table``."""
    return pa.schema([pa.field(c.name, _ARROW[c.type]) for c in staged_columns(table)])


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ExchangeError(
            f"A money value {value!r} is not a number.",
            hint="This is a mapping bug in the source; report it.",
        ) from exc


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def _to_arrow(table: Table, rows: list[dict[str, Any]] | pa.Table) -> pa.Table:
    schema = arrow_schema(table)
    if isinstance(rows, pa.Table):
        missing = [f for f in schema if f.name not in rows.column_names]
        for f in missing:
            rows = rows.append_column(f, pa.nulls(rows.num_rows, f.type))
        return rows.select(schema.names).cast(schema)
    columns: dict[str, pa.Array] = {}
    for col in staged_columns(table):
        values = [row.get(col.name) for row in rows]
        if col.type == "money":
            values = [_money(v) for v in values]
        elif col.type == "timestamp":
            values = [_timestamp(v) for v in values]
        columns[col.name] = pa.array(values, type=_ARROW[col.type])
    return pa.table(columns, schema=schema)


class Stager:
    """Creates the staging tables of one run and loads parts into them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counts: dict[str, int] = {t.name: 0 for t in CANONICAL_TABLES}
        # Hashing happens in an in-process DuckDB of this stager's own, which also keeps
        # the orders and each order's partial line-set sums until finalise().
        self._local = duckdb.connect()
        self._local.execute(
            "CREATE TABLE order_parts (order_id VARCHAR, customer_id VARCHAR,"
            " created_at TIMESTAMP, channel VARCHAR, _row_id BIGINT)"
        )
        self._local.execute("CREATE TABLE line_sums (order_id VARCHAR, s HUGEINT, n BIGINT)")

    def create(self) -> None:
        """(Re)create empty staging tables for every canonical table."""
        if self.session.dialect == "postgres":
            # The load's sorts and hash joins (checks, hashing, publish) run over the whole
            # batch: in memory for this transaction only (4MB default spills to disk).
            self.session.execute("SET LOCAL work_mem = '256MB'")
        for table in CANONICAL_TABLES:
            cols = [f"{c.name} {c.sql_type(self.session.dialect)}" for c in staged_columns(table)]
            cols += ["_row_id BIGINT NOT NULL", "row_hash VARCHAR"]
            name = stage_name(table.name)
            self.session.execute(f"DROP TABLE IF EXISTS {name}")
            self.session.execute(f"CREATE TEMP TABLE {name} ({', '.join(cols)})")
        self.session.execute("DROP TABLE IF EXISTS stage_rejected_orders")
        self.session.execute("CREATE TEMP TABLE stage_rejected_orders (order_id VARCHAR)")

    def drop(self) -> None:
        """Drop the staging tables (temp tables also vanish with the session)."""
        self._local.close()
        for table in CANONICAL_TABLES:
            self.session.execute(f"DROP TABLE IF EXISTS {stage_name(table.name)}")
        self.session.execute("DROP TABLE IF EXISTS stage_rejected_orders")

    def load(self, table_name: str, rows: list[dict[str, Any]] | pa.Table) -> int:
        """Append rows to ``stage_<table_name>``; returns how many."""
        table = TABLES_BY_NAME.get(table_name)
        if table is None:
            raise ExchangeError(
                f"A source produced rows for an unknown table {table_name!r}.",
                hint="This is a bug in the source mapping; report it.",
            )
        data = _to_arrow(table, rows)
        n = int(data.num_rows)
        if n == 0:
            return 0
        start = self.counts[table_name]
        data = data.append_column("_row_id", pa.array(range(start + 1, start + n + 1), pa.int64()))
        self.counts[table_name] = start + n
        if self.session.dialect == "duckdb":
            # DuckDB hashes its own staged rows faster than a round trip through Arrow
            # (profiled: 1.3 s in process vs 0.6 s in place per million lines).
            self.session.load_arrow(stage_name(table_name), data)
            return n
        if table_name == "orders":
            # An order's hash covers its whole line set: staged by finalise().
            self._local.register("part", data)
            self._local.execute(
                "INSERT INTO order_parts SELECT order_id, customer_id, created_at, channel,"
                " _row_id FROM part"
            )
            self._local.unregister("part")
            return n
        data = data.append_column(
            "row_hash", _row_hashes(self._local, data, _hashed_columns(table))
        )
        if table_name == "order_lines":
            self._local.register("part", data)
            self._local.execute(
                f"INSERT INTO line_sums SELECT order_id, SUM({_line_number(self.session.dialect)}),"
                " COUNT(*) FROM part GROUP BY order_id"
            )
            self._local.unregister("part")
        self.session.load_arrow(stage_name(table_name), data)
        return n

    def load_rejected_orders(self, order_ids: list[str]) -> None:
        """Remember orders held back because a line could not be read."""
        if order_ids:
            self.session.load_arrow(
                "stage_rejected_orders", pa.table({"order_id": pa.array(order_ids, pa.string())})
            )

    def analyze(self) -> None:
        """Give PostgreSQL's planner statistics: temp tables are never auto-analysed, and
        without them it plans nested loops over a million staged rows."""
        if self.session.dialect == "postgres":
            for table in CANONICAL_TABLES:
                self.session.execute(f"ANALYZE {stage_name(table.name)}")

    def finalise(self) -> None:
        """Hash every staged row and stage the orders with their line-set hash.

        An order's ``lines_hash`` is an order-independent sum of its lines' md5 numbers
        (each line's hash includes its line_no) and the line count, so no line is sorted.
        On DuckDB all of it runs in the warehouse, over the staged rows. On PostgreSQL
        every other row was hashed in process as it arrived; here the per-part sums are
        added up in process and the orders written once, hashed (an ``UPDATE`` of the
        staged rows left dead versions that every check scanned, and the SQL pass over
        the staged orders joined to their lines cost 4 s of a 1M-line load).
        """
        if self.session.dialect == "duckdb":
            self._finalise_in_place()
        else:
            self._finalise_in_process()
        self._local.execute("DELETE FROM order_parts")
        self._local.execute("DELETE FROM line_sums")
        self.analyze()

    def _orders_select(self, orders: str, sums: str) -> str:
        """SELECT of hashed orders from ``orders`` (alias o) and line sums ``sums``."""
        order_cols = [c.name for c in staged_columns(TABLES_BY_NAME["orders"])]
        hashed = _hash_expr(
            ["COALESCE(a.h, '0:0')" if c == "lines_hash" else f"o.{c}" for c in order_cols]
        )
        return (
            f"SELECT o.order_id, o.customer_id, o.created_at, o.channel,"
            f" COALESCE(a.h, '0:0') AS lines_hash, o._row_id, {hashed} AS row_hash"
            f" FROM {orders} o LEFT JOIN ({sums}) a ON a.order_id = o.order_id"
        )

    def _finalise_in_place(self) -> None:
        s = self.session
        s.execute(
            f"UPDATE stage_order_lines SET row_hash ="
            f" {_hash_expr(_hashed_columns(TABLES_BY_NAME['order_lines']))}"
        )
        # One CREATE TABLE AS rather than an UPDATE … FROM join: the fastest form.
        sums = (
            f"SELECT order_id, CAST(SUM({_line_number('duckdb')}) AS VARCHAR) || ':'"
            " || CAST(COUNT(*) AS VARCHAR) AS h FROM stage_order_lines GROUP BY order_id"
        )
        s.execute("DROP TABLE IF EXISTS stage_orders_hashed")
        s.execute(
            "CREATE TEMP TABLE stage_orders_hashed AS " + self._orders_select("stage_orders", sums)
        )
        s.execute("DROP TABLE stage_orders")
        s.execute("ALTER TABLE stage_orders_hashed RENAME TO stage_orders")
        for table in CANONICAL_TABLES:
            if table.name not in ("order_lines", "orders"):
                s.execute(
                    f"UPDATE {stage_name(table.name)} SET row_hash ="
                    f" {_hash_expr(_hashed_columns(table))}"
                )

    def _finalise_in_process(self) -> None:
        sums = (
            "SELECT order_id, CAST(SUM(s) AS VARCHAR) || ':' || CAST(SUM(n) AS VARCHAR) AS h"
            " FROM line_sums GROUP BY order_id"
        )
        orders: pa.Table = self._local.sql(
            self._orders_select("order_parts", sums) + " ORDER BY o._row_id"
        ).to_arrow_table()
        self.session.load_arrow(stage_name("orders"), orders)


def _line_number(dialect: str) -> str:
    """A line's md5 as a number, the terms of its order's line-set sum, as each warehouse
    has always computed it (DuckDB: ``md5_number_lower``; PostgreSQL: the first 16 hex
    digits as a signed 64-bit integer) so published orders keep their hashes."""
    if dialect == "duckdb":
        return "CAST(md5_number_lower(row_hash) AS HUGEINT)"
    unsigned = "CAST('0x' || substr(row_hash, 1, 16) AS UBIGINT)"
    return (
        f"CASE WHEN {unsigned} >= 9223372036854775808"
        f" THEN CAST({unsigned} AS HUGEINT) - 18446744073709551616"
        f" ELSE CAST({unsigned} AS HUGEINT) END"
    )


def _hash_expr(columns: list[str]) -> str:
    """md5 of the columns' text forms, NULL marked: the same text on DuckDB and PostgreSQL
    for every canonical type (tested), so either engine may compute it."""
    parts = ", ".join(f"COALESCE(CAST({c} AS VARCHAR), '{_NULL_MARK}')" for c in columns)
    return f"md5(concat_ws('|', {parts}))"


def _hashed_columns(table: Table) -> list[str]:
    """The columns ``row_hash`` covers: the staged payload (an order line's hash leaves out
    its order id, which the order's own hash already covers)."""
    cols = [c.name for c in staged_columns(table)]
    return [c for c in cols if c != "order_id"] if table.name == "order_lines" else cols


def _row_hashes(con: duckdb.DuckDBPyConnection, data: pa.Table, columns: list[str]) -> pa.Array:
    """``row_hash`` of every row of ``data``, in row order, computed by the in-process
    DuckDB ``con`` whatever the warehouse: vectorised, and off the warehouse."""
    # A projection of one Arrow scan keeps the rows in order (preserve_insertion_order).
    relation = con.from_arrow(data.select(columns)).project(f"{_hash_expr(columns)} AS h")
    hashes: pa.Table = relation.to_arrow_table()
    return hashes.column("h").combine_chunks().cast(pa.string())
