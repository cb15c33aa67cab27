"""Versioned schema migrations, applied automatically and by ``houselights db upgrade``.

A migration is a version number, a description and the statements for each dialect.
Never edit a released migration: add a new one. Version 1 creates the tables declared in
:mod:`houselights.model.schema` (the current shape), so every later migration must be
safe on a warehouse that already has its change (``ADD COLUMN IF NOT EXISTS``…): a new
warehouse gets everything from version 1, an older one catches up through the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from houselights.common import Dialect
from houselights.model.schema import CANONICAL_TABLES, META_TABLES, render_create
from houselights.warehouse.base import Session, Warehouse

__all__ = ["MIGRATIONS", "Migration", "applied_versions", "upgrade"]


@dataclass(frozen=True)
class Migration:
    """One schema change."""

    version: int
    description: str
    statements: Callable[[Dialect], list[str]]


def _initial(dialect: Dialect) -> list[str]:
    stmts: list[str] = []
    for table in (*META_TABLES, *CANONICAL_TABLES):
        stmts.extend(render_create(table, dialect))
    return stmts


def _next_sync(dialect: Dialect) -> list[str]:
    # IF NOT EXISTS: a warehouse created at this version already has it from migration 1.
    return ["ALTER TABLE connections ADD COLUMN IF NOT EXISTS next_sync_at TIMESTAMP"]


# Migration 3's statements, frozen as released: the insights' derived tables (rebuilt from
# published data; safe to drop) and the user-supplied ONS Postcode Directory table. The
# code that fills them may evolve; a released migration never changes.
_INSIGHT_TABLES_V3 = (
    """CREATE TABLE IF NOT EXISTS insight_line_facts (
        org_id TEXT NOT NULL, order_id TEXT NOT NULL, line_no INTEGER NOT NULL,
        kind TEXT NOT NULL, status TEXT NOT NULL, instance_id TEXT, event_id TEXT,
        venue_id TEXT, capacity INTEGER, starts_at TIMESTAMP, cancelled BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL, customer_id TEXT, channel TEXT,
        price_paid NUMERIC(14,2) NOT NULL, face_value NUMERIC(14,2),
        is_comp BOOLEAN NOT NULL, is_concession BOOLEAN NOT NULL,
        ticket_type TEXT, price_band TEXT)""",
    """CREATE TABLE IF NOT EXISTS insight_booker_facts (
        org_id TEXT NOT NULL, customer_id TEXT NOT NULL,
        first_performance_at TIMESTAMP, next_performance_at TIMESTAMP,
        first_order_at TIMESTAMP, next_order_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS insight_org_cache (
        org_id TEXT NOT NULL, signature TEXT NOT NULL, cache_key TEXT NOT NULL,
        payload TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS insight_facts_state (
        org_id TEXT PRIMARY KEY, signature TEXT NOT NULL, built_at TIMESTAMP NOT NULL)""",
)
_INSIGHT_PG_INDEXES_V3 = (
    "CREATE INDEX IF NOT EXISTS ix_insight_line_facts_start"
    " ON insight_line_facts (org_id, starts_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_line_facts_created"
    " ON insight_line_facts (org_id, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_booker_facts_org"
    " ON insight_booker_facts (org_id, customer_id)",
)
_ONSPD_TABLE_V3 = (
    "CREATE TABLE IF NOT EXISTS onspd_postcodes ("
    "postcode TEXT NOT NULL, lat DOUBLE PRECISION, lon DOUBLE PRECISION, "
    "local_authority TEXT, region_code TEXT, lsoa TEXT)"
)


def _insight_tables(dialect: Dialect) -> list[str]:
    pg = _INSIGHT_PG_INDEXES_V3 if dialect == "postgres" else ()
    return [*_INSIGHT_TABLES_V3, *pg, _ONSPD_TABLE_V3]


def _event_code_and_undated_preferences(dialect: Dialect) -> list[str]:
    # Both are no-ops on a warehouse created at this version by migration 1.
    del dialect  # the same statements on both backends
    return [
        "ALTER TABLE events ADD COLUMN IF NOT EXISTS event_code TEXT",
        "ALTER TABLE contact_preferences ALTER COLUMN changed_at DROP NOT NULL",
    ]


# Migration 5's statements, frozen as released: the insights' rollups (derived, rebuilt
# from the line facts; safe to drop). Idempotent: a warehouse whose insights created them
# on first use (houselights.insights.facts) already has them.
_ROLLUPS_V5 = (
    "ALTER TABLE insight_booker_facts ADD COLUMN IF NOT EXISTS customer_key INTEGER",
    """CREATE TABLE IF NOT EXISTS insight_occasion_facts (
        org_id TEXT NOT NULL, customer_key INTEGER, order_key INTEGER NOT NULL,
        instance_key INTEGER NOT NULL, starts_at TIMESTAMP NOT NULL,
        created_at TIMESTAMP NOT NULL, lead_days INTEGER NOT NULL, channel TEXT,
        tickets INTEGER NOT NULL, paid INTEGER NOT NULL, comps INTEGER NOT NULL,
        concessions INTEGER NOT NULL, income_pence BIGINT, face_paid_pence BIGINT,
        discount_pence BIGINT, has_postcode BOOLEAN, region TEXT, postcode_area TEXT,
        postcode_district TEXT, first_performance_at TIMESTAMP, first_order_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS insight_instance_facts (
        org_id TEXT NOT NULL, instance_id TEXT NOT NULL, starts_at TIMESTAMP,
        tickets INTEGER NOT NULL, paid INTEGER NOT NULL, comps INTEGER NOT NULL,
        returned INTEGER NOT NULL, income_pence BIGINT, full_price_pence BIGINT)""",
    """CREATE TABLE IF NOT EXISTS insight_day_facts (
        org_id TEXT NOT NULL, basis TEXT NOT NULL, day DATE NOT NULL, kind TEXT NOT NULL,
        lines INTEGER NOT NULL, income_pence BIGINT)""",
    # Facts built before the rollups existed are rebuilt, with them, on next use.
    "DELETE FROM insight_facts_state",
)
_ROLLUP_PG_INDEXES_V5 = (
    "CREATE INDEX IF NOT EXISTS ix_insight_booker_facts_first_perf"
    " ON insight_booker_facts (org_id, first_performance_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_booker_facts_first_order"
    " ON insight_booker_facts (org_id, first_order_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_occasion_facts_start"
    " ON insight_occasion_facts (org_id, starts_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_occasion_facts_created"
    " ON insight_occasion_facts (org_id, created_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_instance_facts_start"
    " ON insight_instance_facts (org_id, starts_at)",
    "CREATE INDEX IF NOT EXISTS ix_insight_day_facts_day ON insight_day_facts (org_id, basis, day)",
)


def _insight_rollups(dialect: Dialect) -> list[str]:
    return [*_ROLLUPS_V5, *(_ROLLUP_PG_INDEXES_V5 if dialect == "postgres" else ())]


def _price_types(dialect: Dialect) -> list[str]:
    # Migration 6's statements, frozen as released (a warehouse created at this version
    # already has the table from migration 1: IF NOT EXISTS).
    stmts = [
        "CREATE TABLE IF NOT EXISTS price_types (\n  org_id {text} NOT NULL,\n"
        "  instance_id {text} NOT NULL,\n  price_type {text} NOT NULL,\n"
        "  event_id {text},\n  face_value {money},\n  selling_price {money},\n"
        "  discount {money},\n  is_concession BOOLEAN NOT NULL,\n  currency {text},\n"
        "  source {text} NOT NULL,\n  row_hash {text} NOT NULL,\n  load_id {text} NOT NULL"
        "{key}\n)"
    ]
    text = "TEXT" if dialect == "postgres" else "VARCHAR"
    money = "NUMERIC(14,2)" if dialect == "postgres" else "DECIMAL(14,2)"
    key = ",\n  PRIMARY KEY (org_id, instance_id, price_type)" if dialect == "postgres" else ""
    stmts = [stmts[0].format(text=text, money=money, key=key)]
    if dialect == "postgres":
        stmts.append(
            "CREATE INDEX IF NOT EXISTS ix_price_types_org_id_event_id"
            " ON price_types (org_id, event_id)"
        )
    return stmts


# Migration 7's statements, frozen as released: sync jobs and the shared request budgets.
_JOBS_V7 = (
    """CREATE TABLE IF NOT EXISTS jobs (
        job_id TEXT NOT NULL PRIMARY KEY, org_id TEXT NOT NULL, source TEXT NOT NULL,
        kind TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
        last_error TEXT, queued_at TIMESTAMP NOT NULL, started_at TIMESTAMP,
        finished_at TIMESTAMP, run_after TIMESTAMP, worker TEXT)""",
    """CREATE TABLE IF NOT EXISTS request_budgets (
        org_id TEXT NOT NULL, source TEXT NOT NULL, next_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (org_id, source))""",
)
_JOBS_PG_INDEXES_V7 = (
    "CREATE INDEX IF NOT EXISTS ix_jobs_org_id_queued_at ON jobs (org_id, queued_at)",
    "CREATE INDEX IF NOT EXISTS ix_jobs_status ON jobs (status)",
)


def _jobs(dialect: Dialect) -> list[str]:
    return [*_JOBS_V7, *(_JOBS_PG_INDEXES_V7 if dialect == "postgres" else ())]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "canonical model, organisations, exchange metadata", _initial),
    Migration(2, "connections.next_sync_at for the scheduler", _next_sync),
    Migration(3, "insight fact tables and the ONS Postcode Directory table", _insight_tables),
    Migration(
        4,
        "events.event_code (the Event ID people see); contact_preferences.changed_at "
        "may be unknown",
        _event_code_and_undated_preferences,
    ),
    Migration(5, "insight rollups: occasions, performances, days; booker keys", _insight_rollups),
    Migration(6, "price_types: price types per instance (face and selling price)", _price_types),
    Migration(7, "sync jobs and the shared per-organisation request budgets", _jobs),
)

_LEDGER = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)"
)


def applied_versions(session: Session) -> set[int]:
    """Versions already applied to this warehouse."""
    session.execute(_LEDGER)
    return {int(r[0]) for r in session.fetchall("SELECT version FROM schema_migrations")}


def upgrade(warehouse: Warehouse) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return those applied."""
    done: list[Migration] = []
    with warehouse.connect() as session:
        have = applied_versions(session)
        for migration in MIGRATIONS:
            if migration.version in have:
                continue
            with session.transaction():
                if session.dialect == "postgres":
                    # Two processes upgrading at once: the second waits, then finds it done.
                    session.execute("SELECT pg_advisory_xact_lock(4242424242)")
                    if session.fetchone(
                        "SELECT 1 FROM schema_migrations WHERE version = ?", [migration.version]
                    ):
                        continue
                for stmt in migration.statements(session.dialect):
                    session.execute(stmt)
                session.execute(
                    "INSERT INTO schema_migrations (version, description, applied_at) "
                    "VALUES (?, ?, ?)",
                    [
                        migration.version,
                        migration.description,
                        datetime.now(UTC).replace(tzinfo=None),
                    ],
                )
            done.append(migration)
    return done
