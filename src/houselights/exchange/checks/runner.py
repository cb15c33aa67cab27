"""Evaluate rules on the staged batch: record outcomes, quarantine rows, or fail the run."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field

from houselights.common import Dialect
from houselights.exchange.checks.rules import Rule
from houselights.exchange.stage import TABLES_BY_NAME, stage_name
from houselights.warehouse.base import Session

__all__ = ["CheckOutcome", "quarantine_staged", "row_json", "run_checks"]

SAMPLE_SIZE = 5
_SHOWS_VALUE = ("accepted_values", "range", "date_range", "postcode_format")


@dataclass
class CheckOutcome:
    """What one rule found in one load."""

    rule: Rule
    failing_rows: int
    outcome: str  # pass | warn | quarantined | fail
    sample: list[str] = field(default_factory=list)

    @property
    def failed_run(self) -> bool:
        """True when this outcome stops the run."""
        return self.outcome == "fail"


def row_json(alias: str, dialect: Dialect) -> str:
    """SQL rendering the row ``alias`` as JSON text."""
    if dialect == "duckdb":
        return f"CAST(to_json({alias}) AS VARCHAR)"
    return f"CAST(row_to_json({alias}) AS TEXT)"


def _key_expr(table: str, alias: str = "s") -> str:
    key = [c for c in TABLES_BY_NAME[table].key if c != "org_id"]
    if len(key) == 1:
        return f"CAST({alias}.{key[0]} AS VARCHAR)"
    return "concat_ws('/', " + ", ".join(f"CAST({alias}.{c} AS VARCHAR)" for c in key) + ")"


def quarantine_staged(
    session: Session,
    *,
    run_id: str,
    load_id: str,
    org_id: str,
    table: str,
    where: str,
    check_name: str,
    reason: str,
    params: list[object] | None = None,
) -> int:
    """Move staged rows of ``table`` matching ``where`` (SQL over alias ``s``) to quarantine.

    Orders are published with all their lines or not at all, so quarantining a line or an
    order holds back the order and every line of it.
    """
    st = stage_name(table)
    p = list(params or [])
    count = int(session.scalar(f"SELECT COUNT(*) FROM {st} s WHERE {where}", p) or 0)
    if count == 0:
        return 0
    if table in ("orders", "order_lines"):
        session.execute("DROP TABLE IF EXISTS held_orders")
        session.execute(
            f"CREATE TEMP TABLE held_orders AS SELECT DISTINCT s.order_id FROM {st} s "
            f"WHERE {where}",
            p,
        )
    _insert_quarantine(session, run_id, load_id, org_id, table, where, p, check_name, reason)
    session.execute(f"DELETE FROM {st} AS s WHERE {where}", p)
    if table in ("orders", "order_lines"):
        sibling = "s.order_id IN (SELECT order_id FROM held_orders)"
        held_reason = f"Held back with the rest of its order: {reason}"
        for other in ("orders", "order_lines"):
            _insert_quarantine(
                session, run_id, load_id, org_id, other, sibling, [], check_name, held_reason
            )
            session.execute(f"DELETE FROM {stage_name(other)} AS s WHERE {sibling}")
    return count


def _insert_quarantine(
    session: Session,
    run_id: str,
    load_id: str,
    org_id: str,
    table: str,
    where: str,
    params: list[object],
    check_name: str,
    reason: str,
) -> None:
    st = stage_name(table)
    session.execute(
        "INSERT INTO quarantine (run_id, load_id, org_id, table_name, record_key, check_name,"
        " reason, record) "
        f"SELECT ?, ?, ?, ?, {_key_expr(table)}, ?, ?, {row_json('s', session.dialect)} "
        f"FROM {st} s WHERE {where}",
        [run_id, load_id, org_id, table, check_name, reason, *params],
    )


def run_checks(
    session: Session,
    rules: list[Rule],
    *,
    run_id: str,
    load_id: str,
    org_id: str,
    source: str,
    kind: str,
) -> list[CheckOutcome]:
    """Run ``rules`` in order on the staged batch; quarantine as each policy says."""
    outcomes: list[CheckOutcome] = []
    for rule in rules:
        if rule.kind == "volume_anomaly":
            outcomes.append(_volume(session, rule, org_id=org_id, source=source, kind=kind))
            continue
        sql = rule.failing_sql(session.dialect)
        params = [org_id] * sql.count("?")
        session.execute("DROP TABLE IF EXISTS failing_rows")
        session.execute(f"CREATE TEMP TABLE failing_rows AS {sql}", params)
        n = int(session.scalar("SELECT COUNT(*) FROM failing_rows") or 0)
        if n and session.dialect == "postgres":
            session.execute("ANALYZE failing_rows")
        if n == 0:
            outcomes.append(CheckOutcome(rule, 0, "pass"))
            continue
        # Show the offending value beside the key where the rule is about a value.
        shown = _key_expr(rule.table)
        if rule.kind in _SHOWS_VALUE and rule.columns:
            value = f"CAST(s.{rule.columns[0]} AS VARCHAR)"
            shown = f"{shown} || ' = ' || COALESCE({value}, 'empty')"
        sample = [
            str(r[0])
            for r in session.fetchall(
                f"SELECT {shown} FROM {stage_name(rule.table)} s "
                "WHERE s._row_id IN (SELECT _row_id FROM failing_rows) "
                f"ORDER BY s._row_id LIMIT {SAMPLE_SIZE}"
            )
        ]
        if rule.policy == "warn":
            outcomes.append(CheckOutcome(rule, n, "warn", sample))
        elif rule.policy == "fail_run":
            outcomes.append(CheckOutcome(rule, n, "fail", sample))
        else:
            quarantine_staged(
                session,
                run_id=run_id,
                load_id=load_id,
                org_id=org_id,
                table=rule.table,
                where="s._row_id IN (SELECT _row_id FROM failing_rows)",
                check_name=rule.name,
                reason=f"Failed check: {rule.description}",
            )
            outcomes.append(CheckOutcome(rule, n, "quarantined", sample))
    session.execute("DROP TABLE IF EXISTS failing_rows")
    return outcomes


def _volume(session: Session, rule: Rule, *, org_id: str, source: str, kind: str) -> CheckOutcome:
    # Compared on all staged rows, like the loads history it is measured against.
    staged = sum(
        int(session.scalar(f"SELECT COUNT(*) FROM {stage_name(t)}") or 0) for t in TABLES_BY_NAME
    )
    history = int(rule.params.get("history", 5))
    rows = session.fetchall(
        "SELECT l.rows_inserted + l.rows_updated + l.rows_unchanged FROM loads l"
        " JOIN runs r ON r.run_id = l.run_id"
        " WHERE l.org_id = ? AND r.source = ? AND r.kind = ?"
        f" ORDER BY l.published_at DESC LIMIT {history}",
        [org_id, source, kind],
    )
    previous = [int(r[0]) for r in rows if r[0]]
    if len(previous) < int(rule.params.get("min_history", 3)) or staged == 0:
        return CheckOutcome(rule, 0, "pass")
    median = statistics.median(previous)
    ratio = staged / median if median else float("inf")
    if rule.params.get("low", 0.1) <= ratio <= rule.params.get("high", 10.0):
        return CheckOutcome(rule, 0, "pass")
    outcome = "fail" if rule.policy == "fail_run" else "warn"
    detail = json.dumps({"staged": staged, "median_recent": median})
    return CheckOutcome(rule, staged, outcome, [detail])
