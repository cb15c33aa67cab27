"""What a source hands to the exchange: canonical rows, raw records, pre-rejected rows.

A source maps what it fetched into a :class:`Batch` (or a stream of batches for a large
upload, all published in one transaction). It never writes the warehouse itself.

* ``tables`` — canonical table name → rows. Rows are dicts (or a ``pyarrow.Table``) with
  the table's columns from :mod:`houselights.model.schema`, **without** ``org_id``,
  ``source``, ``row_hash`` and ``load_id`` (the exchange adds those). Missing nullable
  columns are NULL; ``order_lines.line_no`` is 1, 2, … within an order.
* ``raw`` — the records exactly as fetched/read, kept for replay: ``RawRecord(stream,
  record_key, payload)``. Replay takes, for every ``(stream, record_key)``, all payloads
  from the latest run that has that key, so a record split over several raw rows (an
  upload order spread over lines) comes back whole.
* ``rejected`` — rows the reader could not turn into canonical rows (a bad date on line
  12…). They are written to the quarantine table with their reason; nothing is silently
  dropped. When ``order_id`` is set, the whole order is held back (its lines are published
  as a set or not at all).
* ``cursors`` — stream cursors/checkpoints committed in the same transaction as the data.
* ``findings`` — what the mapping noticed but could not turn into rows (a collection it
  does not map yet, a postcode missing where expected): kept raw, counted, and recorded
  as warnings beside the quality checks, so nothing is dropped without a word.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

__all__ = ["Batch", "Finding", "RawRecord", "RejectedRow", "StreamCursor"]


@dataclass(frozen=True)
class RawRecord:
    """One raw record as fetched: ``payload`` is JSON-serialisable. ``run_id`` says which
    run fetched it, when read back for replay (it is not stored twice)."""

    stream: str
    record_key: str
    payload: Any
    run_id: str = ""

    def payload_json(self) -> str:
        """The payload as compact JSON text."""
        return json.dumps(self.payload, separators=(",", ":"), default=str, sort_keys=True)


@dataclass(frozen=True)
class RejectedRow:
    """A row the reader or mapper rejected, with where and why."""

    table: str
    record_key: str
    reason: str
    record: dict[str, Any]
    check_name: str = "readable"
    order_id: str | None = None


@dataclass(frozen=True)
class StreamCursor:
    """A stream's position to commit with the data: ``cursor`` plus a free checkpoint."""

    stream: str
    cursor: str | None
    checkpoint: dict[str, Any] | None = None


@dataclass(frozen=True)
class Finding:
    """Something a source's mapping noticed in ``rows`` records: recorded as a warning.

    ``description`` reads after the count: ``rows=12``, ``"orders carry giftVouchers,
    which houselights does not map yet (kept in the raw records)"``. Findings with the
    same name, table and description in one load are added up.
    """

    name: str
    table: str
    rows: int
    description: str
    sample: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two findings the same."""
        return (self.name, self.table, self.description)

    def message(self) -> str:
        """The finding in plain words: ``12 orders carry …``."""
        return f"{self.rows:,} {self.description}"


@dataclass
class Batch:
    """Canonical rows, raw records, rejected rows and cursors for one publish step."""

    tables: dict[str, list[dict[str, Any]] | pa.Table] = field(default_factory=dict)
    raw: list[RawRecord] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    cursors: list[StreamCursor] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    records_in: int = 0

    def add(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Append dict rows to ``table``."""
        existing = self.tables.setdefault(table, [])
        if isinstance(existing, pa.Table):
            self.tables[table] = pa.concat_tables([existing, pa.Table.from_pylist(rows)])
        else:
            existing.extend(rows)

    def note(
        self, name: str, table: str, rows: int, description: str, sample: tuple[str, ...] = ()
    ) -> None:
        """Record a :class:`Finding` (nothing when ``rows`` is 0)."""
        if rows:
            self.findings.append(Finding(name, table, rows, description, sample))

    def row_count(self) -> int:
        """How many canonical rows the batch carries."""
        return sum(t.num_rows if isinstance(t, pa.Table) else len(t) for t in self.tables.values())
