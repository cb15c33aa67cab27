"""The canonical model and the exchange metadata, declared once for both backends.

Each :class:`Table` is rendered to DDL for DuckDB and for PostgreSQL by
:func:`render_create`, so the two warehouses mean the same thing. Canonical tables carry
``org_id`` (every query is scoped to an organisation), their natural key, ``source`` (the
box office or ``upload``), ``row_hash`` (what changed-only publishing compares) and
``load_id`` (the run that published the row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from houselights.common import Dialect

__all__ = [
    "CANONICAL_TABLES",
    "META_TABLES",
    "Column",
    "Dialect",
    "Table",
    "canonical_table",
    "render_create",
]

LogicalType = Literal["text", "int", "bigint", "bool", "money", "timestamp", "double", "json"]

_TYPES: dict[LogicalType, dict[Dialect, str]] = {
    "text": {"duckdb": "VARCHAR", "postgres": "TEXT"},
    "int": {"duckdb": "INTEGER", "postgres": "INTEGER"},
    "bigint": {"duckdb": "BIGINT", "postgres": "BIGINT"},
    "bool": {"duckdb": "BOOLEAN", "postgres": "BOOLEAN"},
    "money": {"duckdb": "DECIMAL(14,2)", "postgres": "NUMERIC(14,2)"},
    # Box offices report local wall-clock times (Spektrix: no offset); keep them naive.
    "timestamp": {"duckdb": "TIMESTAMP", "postgres": "TIMESTAMP"},
    "double": {"duckdb": "DOUBLE", "postgres": "DOUBLE PRECISION"},
    "json": {"duckdb": "VARCHAR", "postgres": "TEXT"},
}


@dataclass(frozen=True)
class Column:
    """One column: a name, a logical type and whether it may be NULL."""

    name: str
    type: LogicalType
    nullable: bool = True
    doc: str = ""

    def sql_type(self, dialect: Dialect) -> str:
        """The column's type in ``dialect``."""
        return _TYPES[self.type][dialect]


@dataclass(frozen=True)
class Table:
    """A table: columns, natural key, extra indexes, and whether it is canonical."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    canonical: bool = False
    indexes: tuple[tuple[str, ...], ...] = ()
    doc: str = ""
    # DuckDB keeps no primary-key index on bulk-loaded canonical tables: uniqueness is
    # enforced by the staging checks and changed-only delete+insert publishing, and an ART
    # index would slow every large publish (see docs/benchmarks.md).
    duckdb_primary_key: bool = True
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def payload_columns(self) -> tuple[str, ...]:
        """Columns that describe the record (what ``row_hash`` covers)."""
        skip = {"org_id", "row_hash", "load_id"}
        return tuple(c for c in self.column_names if c not in skip)


def _c(name: str, type_: LogicalType, nullable: bool = True, doc: str = "") -> Column:
    return Column(name, type_, nullable, doc)


def canonical_table(
    name: str,
    key: tuple[str, ...],
    columns: list[Column],
    doc: str = "",
    indexes: tuple[tuple[str, ...], ...] = (),
) -> Table:
    """A canonical table: org_id + columns + source, row_hash, load_id."""
    cols = (
        _c("org_id", "text", False),
        *columns,
        _c("source", "text", False, "box office or 'upload'"),
        _c("row_hash", "text", False, "hash of the payload columns"),
        _c("load_id", "text", False, "the run that published this row"),
    )
    return Table(
        name,
        cols,
        ("org_id", *key),
        canonical=True,
        doc=doc,
        indexes=indexes,
        duckdb_primary_key=False,
    )


VENUES = canonical_table(
    "venues",
    ("venue_id",),
    [
        _c("venue_id", "text", False),
        _c("name", "text", False),
        _c("address", "text"),
        _c("postcode", "text"),
        _c("region", "text", doc="UK region derived from the postcode area"),
    ],
    doc="Venues (buildings or spaces) where instances take place.",
)

EVENTS = canonical_table(
    "events",
    ("event_id",),
    [
        _c("event_id", "text", False),
        _c("name", "text", False),
        _c("season", "text", doc="production season, from the configured source field"),
        _c("category", "text", doc="production category, from the configured source field"),
        _c("event_type", "text", doc="production type, from the configured source field"),
        _c(
            "event_code",
            "text",
            doc="the Event ID people see (Spektrix: the number before the A of event_id, "
            "e.g. 4607; uploads: the given Event ID); NULL: event_id is shown",
        ),
    ],
    doc="Events (productions / runs): the production details.",
)

INSTANCES = canonical_table(
    "instances",
    ("instance_id",),
    [
        _c("instance_id", "text", False),
        _c("event_id", "text", False),
        _c("venue_id", "text"),
        _c("starts_at", "timestamp", False, "local start time"),
        _c("capacity", "int"),
        _c("cancelled", "bool", False),
        _c("is_supplementary", "bool", False, "flagged AS Supplementary Event"),
    ],
    doc="Instances (performances).",
    indexes=(("org_id", "event_id"),),
)

PRICE_TYPES = canonical_table(
    "price_types",
    ("instance_id", "price_type"),
    [
        _c("instance_id", "text", False),
        _c("price_type", "text", False, "the box office's name for the price (Standard…)"),
        _c("event_id", "text"),
        _c("face_value", "money", doc="list (face) price of one ticket"),
        _c("selling_price", "money", doc="what this price type charges"),
        _c("discount", "money", doc="face value less selling price (NULL when unknown)"),
        _c("is_concession", "bool", False, "sells below face value"),
        _c("currency", "text", doc="ISO 4217 code (EUR, GBP)"),
    ],
    doc="Price types offered per instance (Ticketsolve's per-performance prices).",
    indexes=(("org_id", "event_id"),),
)

CUSTOMERS = canonical_table(
    "customers",
    ("customer_id",),
    [
        _c("customer_id", "text", False),
        _c(
            "postcode",
            "text",
            doc="normalised UK postcode; an invalid one is kept upper-cased "
            "(flagged by the postcode check, no derived geography); NULL when missing",
        ),
        _c("postcode_area", "text"),
        _c("postcode_district", "text"),
        _c("region", "text"),
        _c("first_name", "text", doc="kept only with privacy = standard"),
        _c("last_name", "text", doc="kept only with privacy = standard"),
        _c("email", "text", doc="kept only with privacy = standard"),
    ],
    doc="Customers (bookers), minimised by the privacy setting.",
)

ITEMS = canonical_table(
    "items",
    ("item_id",),
    [
        _c("item_id", "text", False),
        _c("kind", "text", False, "product | fee | fund | membership"),
        _c("name", "text", False),
        _c("price", "money"),
    ],
    doc="Sellable non-ticket items: merchandise (product/fee), funds, memberships.",
)

ORDERS = canonical_table(
    "orders",
    ("order_id",),
    [
        _c("order_id", "text", False),
        _c("customer_id", "text"),
        _c("created_at", "timestamp", False, "first transaction (local time)"),
        _c("channel", "text", doc="online | box_office | phone | agent | other"),
        _c("lines_hash", "text", False, "hash of the order's line set"),
    ],
    doc="Orders (bookings).",
    indexes=(("org_id", "customer_id"),),
)

ORDER_LINES = canonical_table(
    "order_lines",
    ("order_id", "line_no"),
    [
        _c("order_id", "text", False),
        _c("line_no", "int", False),
        _c("kind", "text", False, "ticket | supplementary | product | fee | donation | membership"),
        _c("instance_id", "text"),
        _c("event_id", "text"),
        _c("item_id", "text"),
        _c("ticket_type", "text"),
        _c("price_band", "text"),
        _c("is_concession", "bool", False),
        _c("is_comp", "bool", False),
        _c("face_value", "money"),
        _c("price_paid", "money", False),
        _c("status", "text", False, "issued | returned | cancelled"),
        _c("source_line_id", "text"),
    ],
    doc="Order lines, one kind each; replaced as a set per order.",
    indexes=(("org_id", "instance_id"),),
)

CONTACT_PREFERENCES = canonical_table(
    "contact_preferences",
    ("customer_id", "statement"),
    [
        _c("customer_id", "text", False),
        _c("statement", "text", False, "the contact preference (e.g. 'Email marketing')"),
        _c("opted_in", "bool", False),
        _c(
            "changed_at",
            "timestamp",
            doc="when it last changed, if known (NULL: the box office shows the current "
            "state without a date; the changes table keeps the history)",
        ),
    ],
    doc="Current contact preferences per customer.",
)

CONTACT_PREFERENCE_CHANGES = canonical_table(
    "contact_preference_changes",
    ("change_id",),
    [
        _c("change_id", "text", False, "stable hash of customer, time and narrative"),
        _c("customer_id", "text", False),
        _c("changed_at", "timestamp", False),
        _c("statement", "text"),
        _c("opted_in", "bool"),
        _c("changed_by", "text", doc="Web, a staff user name or spektrix\\<job>"),
        _c("update_method", "text"),
        _c("narrative", "text"),
    ],
    doc="Customer audit history (contact-preference and other changes).",
)

CANONICAL_TABLES: tuple[Table, ...] = (
    VENUES,
    EVENTS,
    INSTANCES,
    PRICE_TYPES,
    CUSTOMERS,
    ITEMS,
    ORDERS,
    ORDER_LINES,
    CONTACT_PREFERENCES,
    CONTACT_PREFERENCE_CHANGES,
)

META_TABLES: tuple[Table, ...] = (
    Table(
        "organisations",
        (
            _c("org_id", "text", False, "the slug"),
            _c("name", "text", False),
            _c("region", "text"),
            _c("artform", "text"),
            _c("created_at", "timestamp", False),
        ),
        ("org_id",),
        doc="Organisations whose data houselights holds.",
    ),
    Table(
        "connections",
        (
            _c("org_id", "text", False),
            _c("source", "text", False, "spektrix | ticketsolve | upload"),
            _c("settings", "json", False, "non-secret settings"),
            _c("secrets", "text", False, "Fernet-encrypted JSON of secrets"),
            _c("status", "text", False, "active | paused"),
            _c("status_reason", "text"),
            _c("created_at", "timestamp", False),
            _c("updated_at", "timestamp", False),
            _c("next_sync_at", "timestamp", doc="when the scheduler next syncs (migration 2)"),
        ),
        ("org_id", "source"),
        doc="How to reach each organisation's box office.",
    ),
    Table(
        "grants",
        (
            _c("grant_id", "text", False),
            _c("org_id", "text", False),
            _c("recipient", "text", False, "who may see the data (a funder, agency, peer org)"),
            _c("scope", "text", False, "benchmarks | reports | all"),
            _c("granted_at", "timestamp", False),
            _c("granted_by", "text", False),
            _c("revoked_at", "timestamp"),
            _c("revoked_by", "text"),
        ),
        ("grant_id",),
        doc="Data-sharing grants, never deleted: revocation is recorded.",
    ),
    Table(
        "api_tokens",
        (
            _c("token_hash", "text", False),
            _c("kind", "text", False, "admin | org | recipient"),
            _c("subject", "text", False, "org_id, recipient or 'admin'"),
            _c("label", "text"),
            _c("created_at", "timestamp", False),
            _c("revoked_at", "timestamp"),
        ),
        ("token_hash",),
        doc="API tokens (only their SHA-256 is stored).",
    ),
    Table(
        "runs",
        (
            _c("run_id", "text", False),
            _c("org_id", "text", False),
            _c("kind", "text", False, "backfill | incremental | catalogue | upload | replay"),
            _c("source", "text", False),
            _c("status", "text", False, "running | published | failed | nothing_to_do"),
            _c("started_at", "timestamp", False),
            _c("finished_at", "timestamp"),
            _c("records_in", "bigint"),
            _c("rows_staged", "bigint"),
            _c("rows_published", "bigint"),
            _c("rows_unchanged", "bigint"),
            _c("rows_quarantined", "bigint"),
            _c("message", "text"),
            _c("params", "json"),
        ),
        ("run_id",),
        indexes=(("org_id", "started_at"),),
        doc="Exchange runs; a published run's id is the load_id of its rows.",
    ),
    Table(
        "loads",
        (
            _c("load_id", "text", False),
            _c("run_id", "text", False),
            _c("org_id", "text", False),
            _c("seq", "int", False, "1, 2, … within the run"),
            _c("published_at", "timestamp", False),
            _c("rows_inserted", "bigint", False),
            _c("rows_updated", "bigint", False),
            _c("rows_unchanged", "bigint", False),
            _c("rows_quarantined", "bigint", False),
        ),
        ("load_id",),
        indexes=(("org_id", "run_id"),),
        doc="Each atomic publish of a run (a long backfill commits several).",
    ),
    Table(
        "check_results",
        (
            _c("run_id", "text", False),
            _c("load_id", "text", False),
            _c("org_id", "text", False),
            _c("check_name", "text", False),
            _c("table_name", "text", False),
            _c("policy", "text", False, "warn | quarantine_row | fail_run"),
            _c("outcome", "text", False, "pass | warn | quarantined | fail"),
            _c("failing_rows", "bigint", False),
            _c("description", "text", False),
            _c("sample", "json"),
        ),
        ("load_id", "check_name"),
        indexes=(("org_id", "run_id"),),
        doc="One row per check per load.",
    ),
    Table(
        "quarantine",
        (
            _c("run_id", "text", False),
            _c("load_id", "text", False),
            _c("org_id", "text", False),
            _c("table_name", "text", False),
            _c("record_key", "text", False),
            _c("check_name", "text", False),
            _c("reason", "text", False),
            _c("record", "json", False),
        ),
        ("load_id", "table_name", "record_key", "check_name"),
        indexes=(("org_id", "run_id"),),
        duckdb_primary_key=False,
        doc="Rows held back from publication, with the reason.",
    ),
    Table(
        "raw_records",
        (
            _c("org_id", "text", False),
            _c("run_id", "text", False),
            _c("stream", "text", False),
            _c("record_key", "text", False),
            _c("seq", "bigint", False, "order within the run"),
            _c("payload", "json", False),
            _c("fetched_at", "timestamp", False),
        ),
        ("org_id", "run_id", "stream", "seq"),
        indexes=(("org_id", "stream", "record_key"),),
        duckdb_primary_key=False,
        doc="Raw records exactly as fetched, kept for replay.",
    ),
    Table(
        "stream_state",
        (
            _c("org_id", "text", False),
            _c("source", "text", False),
            _c("stream", "text", False),
            _c("cursor", "text"),
            _c("checkpoint", "json"),
            _c("run_id", "text"),
            _c("updated_at", "timestamp", False),
        ),
        ("org_id", "source", "stream"),
        doc="Cursors and checkpoints, committed with the data they describe.",
    ),
    Table(
        "jobs",
        (
            _c("job_id", "text", False),
            _c("org_id", "text", False),
            _c("source", "text", False),
            _c("kind", "text", False, "scheduled | manual"),
            _c("status", "text", False,
               "queued | running | succeeded | failed | retrying | cancelled"),
            _c("attempts", "int", False),
            _c("last_error", "text"),
            _c("queued_at", "timestamp", False),
            _c("started_at", "timestamp"),
            _c("finished_at", "timestamp"),
            _c("run_after", "timestamp", doc="not before (a retry's backoff)"),
            _c("worker", "text", doc="the process running or last running it"),
        ),
        ("job_id",),
        doc="Sync jobs: queued, running, retried and finished (migration 7).",
        indexes=(("org_id", "queued_at"), ("status",)),
    ),
    Table(
        "request_budgets",
        (
            _c("org_id", "text", False),
            _c("source", "text", False),
            _c("next_at", "double", False, "theoretical arrival time (epoch seconds, GCRA)"),
        ),
        ("org_id", "source"),
        doc="Each organisation's request budget toward its box office, shared by every "
        "worker (migration 7).",
    ),
)


def render_create(table: Table, dialect: Dialect) -> list[str]:
    """CREATE TABLE (and index) statements for ``table`` in ``dialect``."""
    cols = [
        f"{c.name} {c.sql_type(dialect)}{'' if c.nullable else ' NOT NULL'}" for c in table.columns
    ]
    if dialect == "postgres" or table.duckdb_primary_key:
        cols.append(f"PRIMARY KEY ({', '.join(table.key)})")
    stmts = [f"CREATE TABLE IF NOT EXISTS {table.name} (\n  " + ",\n  ".join(cols) + "\n)"]
    for idx in table.indexes:
        if dialect == "postgres":
            stmts.append(
                f"CREATE INDEX IF NOT EXISTS ix_{table.name}_{'_'.join(idx)} "
                f"ON {table.name} ({', '.join(idx)})"
            )
    return stmts
