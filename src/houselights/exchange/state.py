"""Stream cursors and checkpoints, read back by sources to resume where they stopped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from houselights.warehouse.base import Session

__all__ = ["StreamState", "get_state", "list_states"]


@dataclass(frozen=True)
class StreamState:
    """The last committed position of one stream."""

    stream: str
    cursor: str | None
    checkpoint: dict[str, Any] | None
    run_id: str | None
    updated_at: datetime
    source: str = ""


def get_state(session: Session, org_id: str, source: str, stream: str) -> StreamState | None:
    """The committed state of ``stream``, or None if it never ran."""
    row = session.fetchone(
        "SELECT stream, cursor, checkpoint, run_id, updated_at, source FROM stream_state"
        " WHERE org_id = ? AND source = ? AND stream = ?",
        [org_id, source, stream],
    )
    return None if row is None else _state(row)


def _state(row: Any) -> StreamState:
    return StreamState(
        row[0], row[1], json.loads(row[2]) if row[2] else None, row[3], row[4], row[5]
    )


def list_states(session: Session, org_id: str) -> list[StreamState]:
    """Every stream's state for an organisation."""
    rows = session.fetchall(
        "SELECT stream, cursor, checkpoint, run_id, updated_at, source FROM stream_state"
        " WHERE org_id = ? ORDER BY source, stream",
        [org_id],
    )
    return [_state(r) for r in rows]
