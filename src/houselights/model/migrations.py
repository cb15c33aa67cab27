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

from houselights.model.schema import CANONICAL_TABLES, META_TABLES, Dialect, render_create
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


def _insight_tables(dialect: Dialect) -> list[str]:
    # The insights' derived tables (rebuilt from published data; safe to drop) and the
    # user-supplied ONS Postcode Directory. Their DDL lives with the code that fills them.
    from houselights.insights.facts import _DDL, _PG_INDEXES
    from houselights.insights.geography import _ONSPD_DDL

    return [*_DDL, *(_PG_INDEXES if dialect == "postgres" else ()), _ONSPD_DDL]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "canonical model, organisations, exchange metadata", _initial),
    Migration(2, "connections.next_sync_at for the scheduler", _next_sync),
    Migration(3, "insight fact tables and the ONS Postcode Directory table", _insight_tables),
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
