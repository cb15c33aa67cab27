"""Derived tables that make insights fast: one wide row per order line, one row per booker.

Joining 10 million order lines to their orders and instances on every dashboard call
costs about half a second on DuckDB (docs/benchmarks.md); scanning one pre-joined table,
stored in (organisation, performance date) order, costs a few tens of milliseconds. So
insights keep two derived tables, rebuilt **per organisation** from the published tables:

``insight_line_facts``
    every order line with its order (date, channel, customer) and instance (start,
    venue, capacity, cancelled) — a ``ticket`` line for a supplementary instance is
    stored with kind ``supplementary``, so ``kind = 'ticket'`` means attendance;
``insight_booker_facts``
    per booker, the first occasion and the next one after it, by performance date and by
    order date (for new vs returning, first-timer return and lapsed counts), and a dense
    integer ``customer_key``;
``insight_occasion_facts``
    the valid tickets (metrics.md §1.1) rolled up per order and performance — about half
    as many rows as tickets, a fraction of their width, with integer keys for the booker,
    order and performance, the booker's geography and first dates, so the person-based
    metrics count distinct integers in one narrow scan (PostgreSQL sorted 560k text
    customer ids under its locale collation in 1.3 s: docs/design-notes.md);
``insight_instance_facts``
    ticket lines per performance (issued, paid, comp, returned, income, highest face);
``insight_day_facts``
    issued lines per kind and day, by order date and by performance date (income by kind).

Metrics without a venue/season/event slice read the rollups; a slice reads the line facts.

They are refreshed lazily: before answering, :func:`ensure_fresh` compares a cheap
signature of the organisation's published data (its ``loads``; row counts for data
written without the exchange) with the one recorded at the last build, and rebuilds that
organisation only when it changed. The
exchange may also call :func:`refresh_facts` right after publishing so the first
dashboard call does not pay for the rebuild. Nothing here changes a published table.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from houselights.insights._sql import placeholders
from houselights.warehouse.base import Session

__all__ = [
    "BOOKER_FACTS",
    "DAY_FACTS",
    "INSTANCE_FACTS",
    "LINE_FACTS",
    "OCCASION_FACTS",
    "cached_per_org",
    "ensure_fresh",
    "refresh_facts",
]

LINE_FACTS = "insight_line_facts"
BOOKER_FACTS = "insight_booker_facts"
OCCASION_FACTS = "insight_occasion_facts"
INSTANCE_FACTS = "insight_instance_facts"
DAY_FACTS = "insight_day_facts"
_STATE = "insight_facts_state"
_CACHE = "insight_org_cache"

# Created by migrations 3 and 5 (houselights.warehouse.migrations, which keeps its own
# frozen copy); `_create` also makes them on first use for a warehouse opened without
# migrating.
_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {LINE_FACTS} (
        org_id TEXT NOT NULL, order_id TEXT NOT NULL, line_no INTEGER NOT NULL,
        kind TEXT NOT NULL, status TEXT NOT NULL, instance_id TEXT, event_id TEXT,
        venue_id TEXT, capacity INTEGER, starts_at TIMESTAMP, cancelled BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL, customer_id TEXT, channel TEXT,
        price_paid NUMERIC(14,2) NOT NULL, face_value NUMERIC(14,2),
        is_comp BOOLEAN NOT NULL, is_concession BOOLEAN NOT NULL,
        ticket_type TEXT, price_band TEXT)""",
    f"""CREATE TABLE IF NOT EXISTS {BOOKER_FACTS} (
        org_id TEXT NOT NULL, customer_id TEXT NOT NULL,
        first_performance_at TIMESTAMP, next_performance_at TIMESTAMP,
        first_order_at TIMESTAMP, next_order_at TIMESTAMP)""",
    f"""CREATE TABLE IF NOT EXISTS {_CACHE} (
        org_id TEXT NOT NULL, signature TEXT NOT NULL, cache_key TEXT NOT NULL,
        payload TEXT NOT NULL)""",
    *(
        f"ALTER TABLE {BOOKER_FACTS} ADD COLUMN IF NOT EXISTS customer_key INTEGER",
        f"""CREATE TABLE IF NOT EXISTS {OCCASION_FACTS} (
        org_id TEXT NOT NULL, customer_key INTEGER, order_key INTEGER NOT NULL,
        instance_key INTEGER NOT NULL, starts_at TIMESTAMP NOT NULL,
        created_at TIMESTAMP NOT NULL, lead_days INTEGER NOT NULL, channel TEXT,
        tickets INTEGER NOT NULL, paid INTEGER NOT NULL, comps INTEGER NOT NULL,
        concessions INTEGER NOT NULL, income_pence BIGINT, face_paid_pence BIGINT,
        discount_pence BIGINT, has_postcode BOOLEAN, region TEXT, postcode_area TEXT,
        postcode_district TEXT, first_performance_at TIMESTAMP, first_order_at TIMESTAMP)""",
        f"""CREATE TABLE IF NOT EXISTS {INSTANCE_FACTS} (
        org_id TEXT NOT NULL, instance_id TEXT NOT NULL, starts_at TIMESTAMP,
        tickets INTEGER NOT NULL, paid INTEGER NOT NULL, comps INTEGER NOT NULL,
        returned INTEGER NOT NULL, income_pence BIGINT, full_price_pence BIGINT)""",
        f"""CREATE TABLE IF NOT EXISTS {DAY_FACTS} (
        org_id TEXT NOT NULL, basis TEXT NOT NULL, day DATE NOT NULL, kind TEXT NOT NULL,
        lines INTEGER NOT NULL, income_pence BIGINT)""",
    ),
    # Created last: its existence says all the others exist.
    f"""CREATE TABLE IF NOT EXISTS {_STATE} (
        org_id TEXT PRIMARY KEY, signature TEXT NOT NULL, built_at TIMESTAMP NOT NULL)""",
)
# DuckDB answers from zone maps over rows inserted in (org, date) order; PostgreSQL
# needs indexes.
_PG_INDEXES = (
    f"CREATE INDEX IF NOT EXISTS ix_{LINE_FACTS}_start ON {LINE_FACTS} (org_id, starts_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{LINE_FACTS}_created ON {LINE_FACTS} (org_id, created_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{BOOKER_FACTS}_org ON {BOOKER_FACTS} (org_id, customer_id)",
    f"CREATE INDEX IF NOT EXISTS ix_{BOOKER_FACTS}_first_perf"
    f" ON {BOOKER_FACTS} (org_id, first_performance_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{BOOKER_FACTS}_first_order"
    f" ON {BOOKER_FACTS} (org_id, first_order_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{OCCASION_FACTS}_start ON {OCCASION_FACTS} (org_id, starts_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{OCCASION_FACTS}_created"
    f" ON {OCCASION_FACTS} (org_id, created_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{INSTANCE_FACTS}_start ON {INSTANCE_FACTS} (org_id, starts_at)",
    f"CREATE INDEX IF NOT EXISTS ix_{DAY_FACTS}_day ON {DAY_FACTS} (org_id, basis, day)",
)
# The newest derived table: when it exists, migration 5 (or `_create`) has run.
_NEWEST = DAY_FACTS

_SIGNED_TABLES = ("order_lines", "orders", "instances")
_DUCKDB_BUILD_LOCK = threading.Lock()


def _create(session: Session) -> None:
    exists = session.scalar(
        "SELECT COUNT(*) FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ?",
        [_NEWEST],
    )
    if exists:
        return
    for stmt in _DDL:
        session.execute(stmt)
    if session.dialect == "postgres":
        for stmt in _PG_INDEXES:
            session.execute(stmt)
    # Facts built before the rollups existed are rebuilt (with them) on next use.
    session.execute(f"DELETE FROM {_STATE}")


def _signatures(session: Session, org_ids: Sequence[str]) -> dict[str, str]:
    """What the organisation's published data looks like, cheaply.

    Every publish records a row in ``loads``, so for an organisation with loads their
    count and latest time say whether anything changed. Data written without the exchange
    (tests, a manual import) has no loads: its row counts are used instead.
    """
    parts: dict[str, list[str]] = {o: [] for o in org_ids}
    for org, n, last in session.fetchall(
        f"SELECT org_id, COUNT(*), MAX(published_at) FROM loads "
        f"WHERE org_id IN ({placeholders(org_ids)}) GROUP BY org_id",
        list(org_ids),
    ):
        parts[org].append(f"loads:{n}:{last}")
    unloaded = [o for o in org_ids if not parts[o]]
    for table in _SIGNED_TABLES if unloaded else ():
        for org, n in session.fetchall(
            f"SELECT org_id, COUNT(*) FROM {table} "
            f"WHERE org_id IN ({placeholders(unloaded)}) GROUP BY org_id",
            unloaded,
        ):
            parts[org].append(f"{table}:{n}")
    return {o: hashlib.sha256("|".join(sorted(p)).encode()).hexdigest() for o, p in parts.items()}


def ensure_fresh(session: Session, org_ids: Sequence[str]) -> None:
    """Rebuild the derived tables of any organisation in ``org_ids`` whose published data
    changed since they were built (or that was never built)."""
    if not org_ids:
        return
    _create(session)
    wanted = _signatures(session, org_ids)
    have: dict[str, str] = dict(
        session.fetchall(
            f"SELECT org_id, signature FROM {_STATE} WHERE org_id IN ({placeholders(org_ids)})",
            list(org_ids),
        )
    )
    for org in org_ids:
        if have.get(org) != wanted[org]:
            _rebuild(session, org, wanted[org])


def refresh_facts(session: Session, org_id: str) -> None:
    """Rebuild one organisation's derived tables now (e.g. right after a publish)."""
    _create(session)
    _rebuild(session, org_id, _signatures(session, [org_id])[org_id], force=True)


def _rebuild(session: Session, org_id: str, signature: str, *, force: bool = False) -> None:
    if session.dialect == "duckdb":
        # One DuckDB process: two threads rebuilding the same tables would conflict.
        with _DUCKDB_BUILD_LOCK:
            _rebuild_locked(session, org_id, signature, force)
    else:
        _rebuild_locked(session, org_id, signature, force)


def _rebuild_locked(session: Session, org_id: str, signature: str, force: bool) -> None:
    with session.transaction():
        if session.dialect == "postgres":
            # Two API workers noticing the same change: the second waits, then finds the
            # state already current and does nothing.
            # Advisory locks are database-wide: key on the schema too, so warehouses in
            # other schemas of the same database never wait for each other.
            schema = session.scalar("SELECT current_schema()")
            key = int.from_bytes(
                hashlib.sha256(f"houselights-facts:{schema}:{org_id}".encode()).digest()[:8],
                "big",
                signed=True,
            )
            session.execute("SELECT pg_advisory_xact_lock(?)", [key])
            # Every statement of a build joins all of one organisation's rows: hash joins.
            # Statistics that have not seen this organisation yet (they are refreshed only
            # when it is a large part of a table) estimate one row, and a nested loop
            # over a seq scan per row then ran for minutes.
            session.execute("SET LOCAL enable_nestloop = off")
        current = session.scalar(f"SELECT signature FROM {_STATE} WHERE org_id = ?", [org_id])
        if current == signature and not force:
            return
        session.execute(f"DELETE FROM {LINE_FACTS} WHERE org_id = ?", [org_id])
        session.execute(
            f"""
            INSERT INTO {LINE_FACTS}
            SELECT l.org_id, l.order_id, l.line_no,
                   CASE WHEN l.kind = 'ticket' AND i.is_supplementary THEN 'supplementary'
                        ELSE l.kind END,
                   l.status, l.instance_id, i.event_id, i.venue_id, i.capacity, i.starts_at,
                   COALESCE(i.cancelled, FALSE), o.created_at, o.customer_id, o.channel,
                   l.price_paid, l.face_value, l.is_comp, l.is_concession, l.ticket_type,
                   l.price_band
            FROM order_lines l
            JOIN orders o ON o.org_id = l.org_id AND o.order_id = l.order_id
            LEFT JOIN instances i ON i.org_id = l.org_id AND i.instance_id = l.instance_id
            WHERE l.org_id = ?
            ORDER BY i.starts_at NULLS LAST, o.created_at
            """,
            [org_id],
        )
        # Fresh statistics, or the planner joins the new rows with a nested loop
        # (minutes instead of seconds for a million lines).
        _analyze_if_grown(session, LINE_FACTS, org_id)
        _build_rollups(session, org_id)
        session.execute(f"DELETE FROM {_CACHE} WHERE org_id = ?", [org_id])
        session.execute(f"DELETE FROM {_STATE} WHERE org_id = ?", [org_id])
        session.execute(
            f"INSERT INTO {_STATE} (org_id, signature, built_at) VALUES (?, ?, ?)",
            [org_id, signature, datetime.now(UTC).replace(tzinfo=None)],
        )


# valid_ticket(t) (metrics.md §1.1) on the line facts; see houselights.insights._sql.
_VALID = "f.kind = 'ticket' AND f.status = 'issued' AND NOT f.cancelled AND f.starts_at IS NOT NULL"
_PAID = "(NOT f.is_comp AND f.price_paid > 0)"
_COMP = "(f.is_comp OR f.price_paid = 0)"
_PAID_FACE = f"{_PAID} AND f.face_value IS NOT NULL"


def _analyze_if_grown(session: Session, table: str, org_id: str) -> None:
    """ANALYZE ``table`` on PostgreSQL when the organisation's rows are a large part of it.

    Sampling the whole table after each of 200 small organisations was most of their
    rebuild; their rows barely move the statistics the planner needs.
    """
    if session.dialect != "postgres":
        return
    known = session.scalar(
        "SELECT reltuples FROM pg_class WHERE oid = CAST(? AS regclass)", [table]
    )
    mine = session.scalar(f"SELECT COUNT(*) FROM {table} WHERE org_id = ?", [org_id])
    if known is None or float(known) < 10 * float(mine or 0) or float(known) < 10_000:
        session.execute(f"ANALYZE {table}")


def _pence(amount: str) -> str:
    """A money expression as whole pence: the rollups sum integers, which both engines
    add several times faster than decimals (exact either way)."""
    return f"CAST(({amount}) * 100 AS BIGINT)"


def _build_rollups(session: Session, org_id: str) -> None:
    """(Re)build the organisation's booker facts and rollups from its line facts."""
    pg = session.dialect == "postgres"
    # Keys number ids in byte order: PostgreSQL's locale collation (strcoll per
    # comparison) made numbering 1.5M order ids several times slower; DuckDB is binary.
    binary = ' COLLATE "C"' if pg else ""
    for table in (BOOKER_FACTS, OCCASION_FACTS, INSTANCE_FACTS, DAY_FACTS):
        session.execute(f"DELETE FROM {table} WHERE org_id = ?", [org_id])
    # Bookers: first and next occasion by both dates, and a dense integer key.
    session.execute(
        f"""
        INSERT INTO {BOOKER_FACTS} (org_id, customer_id, first_performance_at,
            next_performance_at, first_order_at, next_order_at, customer_key)
        WITH occ AS (
            SELECT f.customer_id, f.starts_at, f.created_at FROM {LINE_FACTS} f
            WHERE f.org_id = ? AND {_VALID} AND f.customer_id IS NOT NULL),
        firsts AS (
            SELECT occ.customer_id, MIN(occ.starts_at) AS fp, MIN(occ.created_at) AS fo
            FROM occ GROUP BY occ.customer_id)
        SELECT ?, occ.customer_id, firsts.fp,
               MIN(occ.starts_at) FILTER (WHERE occ.starts_at > firsts.fp), firsts.fo,
               MIN(occ.created_at) FILTER (WHERE occ.created_at > firsts.fo),
               CAST(ROW_NUMBER() OVER (ORDER BY occ.customer_id{binary}) AS INTEGER)
        FROM occ JOIN firsts ON firsts.customer_id = occ.customer_id
        GROUP BY occ.customer_id, firsts.fp, firsts.fo
        """,
        [org_id, org_id],
    )
    _analyze_if_grown(session, BOOKER_FACTS, org_id)
    # Valid tickets per order and performance, with integer keys and the booker's
    # geography and first dates; stored in performance-date order.
    session.execute(
        f"""
        INSERT INTO {OCCASION_FACTS} (org_id, customer_key, order_key, instance_key,
            starts_at, created_at, lead_days, channel, tickets, paid, comps, concessions,
            income_pence, face_paid_pence, discount_pence, has_postcode, region, postcode_area,
            postcode_district, first_performance_at, first_order_at)
        WITH occ AS (
            SELECT f.order_id, f.instance_id, MIN(f.customer_id) AS customer_id,
                   MIN(f.starts_at) AS starts_at, MIN(f.created_at) AS created_at,
                   MIN(f.channel) AS channel, COUNT(*) AS tickets,
                   COUNT(*) FILTER (WHERE {_PAID}) AS paid,
                   COUNT(*) FILTER (WHERE {_COMP}) AS comps,
                   COUNT(*) FILTER (WHERE {_PAID} AND f.is_concession) AS concessions,
                   {_pence("SUM(f.price_paid)")} AS income,
                   {_pence(f"SUM(f.face_value) FILTER (WHERE {_PAID_FACE})")} AS face_paid,
                   {_pence(f"SUM(f.face_value - f.price_paid) FILTER (WHERE {_PAID_FACE})")}
                       AS discount
            FROM {LINE_FACTS} f WHERE f.org_id = ? AND {_VALID}
            GROUP BY f.order_id, f.instance_id)
        SELECT ?, b.customer_key,
               CAST(DENSE_RANK() OVER (ORDER BY occ.order_id{binary}) AS INTEGER),
               CAST(DENSE_RANK() OVER (ORDER BY occ.instance_id{binary}) AS INTEGER),
               occ.starts_at, occ.created_at,
               CAST(CAST(occ.starts_at AS DATE) - CAST(occ.created_at AS DATE) AS INTEGER),
               occ.channel, occ.tickets, occ.paid, occ.comps, occ.concessions, occ.income,
               occ.face_paid, occ.discount, c.postcode IS NOT NULL, c.region,
               c.postcode_area, c.postcode_district, b.first_performance_at,
               b.first_order_at
        FROM occ
        LEFT JOIN {BOOKER_FACTS} b ON b.org_id = ? AND b.customer_id = occ.customer_id
        LEFT JOIN customers c ON c.org_id = ? AND c.customer_id = occ.customer_id
        ORDER BY occ.starts_at, occ.created_at
        """,
        [org_id, org_id, org_id, org_id],
    )
    # Ticket lines per performance, whatever their status (sales reports, capacity).
    session.execute(
        f"""
        INSERT INTO {INSTANCE_FACTS}
        SELECT ?, f.instance_id, f.starts_at,
               COUNT(*) FILTER (WHERE f.status = 'issued'),
               COUNT(*) FILTER (WHERE f.status = 'issued' AND {_PAID}),
               COUNT(*) FILTER (WHERE f.status = 'issued' AND {_COMP}),
               COUNT(*) FILTER (WHERE f.status = 'returned'),
               {_pence("SUM(f.price_paid) FILTER (WHERE f.status = 'issued')")},
               {_pence("MAX(f.face_value)")}
        FROM {LINE_FACTS} f
        WHERE f.org_id = ? AND f.kind = 'ticket' AND f.instance_id IS NOT NULL
        GROUP BY f.instance_id, f.starts_at
        ORDER BY f.starts_at
        """,
        [org_id, org_id],
    )
    # Issued lines of every kind per day, dated by order and by performance (income).
    for basis, day in (
        ("transaction", "f.created_at"),
        ("performance", "COALESCE(f.starts_at, f.created_at)"),
    ):
        session.execute(
            f"""
            INSERT INTO {DAY_FACTS}
            SELECT ?, '{basis}', CAST({day} AS DATE) AS day, f.kind, COUNT(*),
                   {_pence("SUM(f.price_paid)")}
            FROM {LINE_FACTS} f
            WHERE f.org_id = ? AND f.status = 'issued' AND NOT f.cancelled
            GROUP BY CAST({day} AS DATE), f.kind
            ORDER BY 3
            """,
            [org_id, org_id],
        )
    for table in (OCCASION_FACTS, INSTANCE_FACTS, DAY_FACTS):
        _analyze_if_grown(session, table, org_id)


def cached_per_org(
    session: Session,
    org_ids: Sequence[str],
    key: str,
    compute: Callable[[list[str]], dict[str, Any]],
) -> dict[str, Any]:
    """Per-organisation aggregates, computed once per build of the organisation's facts.

    ``compute(orgs)`` returns a JSON-serialisable value per organisation; values cached
    under ``key`` for the organisation's current facts are reused, the rest computed and
    stored. Used by benchmarks: the cohort (who granted what) is still resolved at query
    time, only each organisation's own aggregates are kept.
    """
    ensure_fresh(session, org_ids)
    marks = placeholders(org_ids)
    found: dict[str, Any] = {}
    for org, payload in session.fetchall(
        f"SELECT c.org_id, c.payload FROM {_CACHE} c JOIN {_STATE} s "
        "ON s.org_id = c.org_id AND s.signature = c.signature "
        f"WHERE c.cache_key = ? AND c.org_id IN ({marks})",
        [key, *org_ids],
    ):
        found[str(org)] = json.loads(payload)
    missing = [o for o in org_ids if o not in found]
    if missing:
        computed = compute(missing)
        signatures: dict[str, str] = dict(
            session.fetchall(
                f"SELECT org_id, signature FROM {_STATE} WHERE org_id IN ({placeholders(missing)})",
                missing,
            )
        )
        with session.transaction():
            session.execute(
                f"DELETE FROM {_CACHE} WHERE cache_key = ? AND org_id IN ({placeholders(missing)})",
                [key, *missing],
            )
            for org in missing:
                session.execute(
                    f"INSERT INTO {_CACHE} (org_id, signature, cache_key, payload) "
                    "VALUES (?, ?, ?, ?)",
                    [org, signatures[org], key, json.dumps(computed.get(org))],
                )
                found[org] = computed.get(org)
    return found
