"""Publishing: changed-only upsert of the staged batch into the live tables.

For every canonical table, rows whose natural key is new are inserted; rows whose key
exists with a different ``row_hash`` replace the live row; identical rows are left alone
(they keep the ``load_id`` that first published them, so publishing the same batch twice
leaves the tables identical). An order's lines are replaced as a set whenever the order
changes — and since an order's hash covers the hash of its line set, any line change
changes the order.

Portable SQL (DELETE … EXISTS + INSERT … SELECT) rather than ``ON CONFLICT``: DuckDB keeps
no key index on bulk tables (faster loads), and both engines run it as hash joins.
"""

from __future__ import annotations

from dataclasses import dataclass

from houselights.exchange.stage import TABLES_BY_NAME, stage_name, staged_columns
from houselights.model.schema import CANONICAL_TABLES, Table
from houselights.warehouse.base import Session

__all__ = ["PublishCounts", "publish_staged"]

ANALYZE_AFTER_ROWS = 20_000


@dataclass
class PublishCounts:
    """Rows inserted, updated and left unchanged, per table and in total."""

    by_table: dict[str, tuple[int, int, int]]

    @property
    def inserted(self) -> int:
        """New rows."""
        return sum(v[0] for v in self.by_table.values())

    @property
    def updated(self) -> int:
        """Rows replaced because they changed."""
        return sum(v[1] for v in self.by_table.values())

    @property
    def unchanged(self) -> int:
        """Rows identical to the live ones."""
        return sum(v[2] for v in self.by_table.values())


def _key(table: Table) -> list[str]:
    return [c for c in table.key if c != "org_id"]


def _match(cols: list[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in cols)


def publish_staged(session: Session, *, org_id: str, source: str, load_id: str) -> PublishCounts:
    """Publish every staging table into its live table (inside the caller's transaction)."""
    counts: dict[str, tuple[int, int, int]] = {}
    for table in CANONICAL_TABLES:
        if table.name == "order_lines":
            continue
        counts[table.name] = _publish_table(session, table, org_id, source, load_id)
    counts["order_lines"] = _publish_lines(session, org_id, source, load_id)
    if session.dialect == "postgres":
        # A large load changes the live tables' shape faster than autovacuum notices;
        # stale statistics make the planner choose nested loops in the next run's checks.
        for name, (inserted, updated, _) in counts.items():
            if inserted + updated >= ANALYZE_AFTER_ROWS:
                session.execute(f"ANALYZE {name}")
    return PublishCounts(counts)


def _publish_table(
    session: Session, table: Table, org_id: str, source: str, load_id: str
) -> tuple[int, int, int]:
    st = stage_name(table.name)
    key = _key(table)
    changed = f"changed_{table.name}"
    session.execute(f"DROP TABLE IF EXISTS {changed}")
    session.execute(
        f"CREATE TEMP TABLE {changed} AS SELECT {', '.join('s.' + k for k in key)},"
        f" (l.{key[0]} IS NULL) AS is_new"
        f" FROM {st} s LEFT JOIN {table.name} l ON l.org_id = ? AND {_match(key, 'l', 's')}"
        f" WHERE l.{key[0]} IS NULL OR l.row_hash <> s.row_hash",
        [org_id],
    )
    if session.dialect == "postgres":
        session.execute(f"ANALYZE {changed}")
    staged = int(session.scalar(f"SELECT COUNT(*) FROM {st}") or 0)
    row = session.fetchone(
        f"SELECT COUNT(*) FILTER (WHERE is_new), COUNT(*) FILTER (WHERE NOT is_new) FROM {changed}"
    )
    inserted, updated = (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)
    if inserted + updated:
        if updated:
            session.execute(
                f"DELETE FROM {table.name} WHERE org_id = ? AND EXISTS (SELECT 1 FROM {changed} c"
                f" WHERE NOT c.is_new AND {_match(key, 'c', table.name)})",
                [org_id],
            )
        # Every staged row changed (a first load): no need to join the changed keys back.
        join = (
            "" if inserted + updated == staged else f"JOIN {changed} c ON {_match(key, 'c', 's')}"
        )
        _insert_from_stage(session, table, org_id, source, load_id, join)
    return inserted, updated, staged - inserted - updated


def _insert_from_stage(
    session: Session, table: Table, org_id: str, source: str, load_id: str, join: str
) -> None:
    payload = [c.name for c in staged_columns(table)]
    # PostgreSQL maintains a B-tree primary key on every live table: inserting in key order
    # appends to the index instead of touching a random leaf page per row (profiled).
    order = (
        f" ORDER BY {', '.join('s.' + k for k in _key(table))}"
        if session.dialect == "postgres"
        else ""
    )
    session.execute(
        f"INSERT INTO {table.name} (org_id, {', '.join(payload)}, source, row_hash, load_id)"
        f" SELECT ?, {', '.join('s.' + c for c in payload)}, ?, s.row_hash, ?"
        f" FROM {stage_name(table.name)} s {join}{order}",
        [org_id, source, load_id],
    )


def _publish_lines(
    session: Session, org_id: str, source: str, load_id: str
) -> tuple[int, int, int]:
    """Replace the line set of every order that changed (orders published just before)."""
    lines = TABLES_BY_NAME["order_lines"]
    staged = int(session.scalar("SELECT COUNT(*) FROM stage_order_lines") or 0)
    replaced_orders = int(
        session.scalar("SELECT COUNT(*) FROM changed_orders WHERE NOT is_new") or 0
    )
    previous = 0
    if replaced_orders:
        previous = int(
            session.scalar(
                "SELECT COUNT(*) FROM order_lines l WHERE l.org_id = ? AND EXISTS"
                " (SELECT 1 FROM changed_orders c WHERE NOT c.is_new AND c.order_id = l.order_id)",
                [org_id],
            )
            or 0
        )
        session.execute(
            "DELETE FROM order_lines WHERE org_id = ? AND EXISTS (SELECT 1 FROM changed_orders c"
            " WHERE NOT c.is_new AND c.order_id = order_lines.order_id)",
            [org_id],
        )
    # Lines whose order is not in the batch are left alone (the order_exists check also
    # accepts a line of a live order), so the changed orders are always joined back.
    session.execute("DROP TABLE IF EXISTS changed_order_ids")
    session.execute("CREATE TEMP TABLE changed_order_ids AS SELECT order_id FROM changed_orders")
    join = "JOIN changed_order_ids c ON c.order_id = s.order_id"
    written = int(session.scalar(f"SELECT COUNT(*) FROM stage_order_lines s {join}") or 0)
    if written:
        _insert_from_stage(session, lines, org_id, source, load_id, join)
    replaced = min(previous, written)
    return written - replaced, replaced, staged - written
