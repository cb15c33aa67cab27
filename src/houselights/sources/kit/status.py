"""How a connection is doing, for any source: ``houselights status`` and the API.

Last success, lag per stream (how long since each cursor moved, and where it is, in the
source's words), the last error, whether a run is in progress, and when the next run is
due. Settings are shown, secrets never (only whether each is set).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from houselights.common import utcnow
from houselights.errors import InputError
from houselights.exchange.state import list_states
from houselights.orgs.service import get_connection
from houselights.warehouse.history import recent_runs

from .connections import OpenedSource, open_source
from .registry import source_class

if TYPE_CHECKING:
    from houselights.context import Houselights

__all__ = ["ConnectionStatus", "StreamLag", "connection_status", "status_of"]


@dataclass(frozen=True)
class StreamLag:
    """One stream's committed position and how long ago it moved."""

    stream: str
    cursor: str | None
    updated_at: datetime
    lag_seconds: float
    detail: str = ""


@dataclass
class ConnectionStatus:
    """The state of one organisation's connection to one box office."""

    org_id: str
    source: str
    title: str
    status: str
    status_reason: str | None
    settings: dict[str, Any]
    last_success: datetime | None = None
    last_success_run: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    running: bool = False
    next_run: datetime | None = None
    streams: list[StreamLag] = field(default_factory=list)
    problem: str | None = None
    """Why the stored settings cannot be used (a sync would fail), with what to do."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (no secrets: there are none in it)."""
        return {
            "org_id": self.org_id,
            "source": self.source,
            "status": self.status,
            "status_reason": self.status_reason,
            "settings": self.settings,
            "last_success": self.last_success,
            "last_success_run": self.last_success_run,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "running": self.running,
            "next_run": self.next_run,
            "problem": self.problem,
            "streams": [
                {
                    "stream": s.stream,
                    "cursor": s.cursor,
                    "updated_at": s.updated_at,
                    "lag_seconds": round(s.lag_seconds),
                    "detail": s.detail,
                }
                for s in self.streams
            ],
        }


def status_of(hl: Houselights, org_id: str, source: str | None = None) -> ConnectionStatus:
    """The status of ``org_id``'s connection; stored settings this version cannot use
    (written by an older version, say) are shown as a problem to fix, not an error."""
    try:
        return connection_status(open_source(hl, org_id, source))
    except InputError as exc:
        if source is None:
            raise
        with hl.warehouse.connect() as s:
            conn = get_connection(s, org_id, source)
        title = source_class(source).title
        result = ConnectionStatus(
            org_id, source, title, conn.status, conn.status_reason, dict(conn.settings)
        )
        result.problem = f"{exc.message} {exc.hint}".strip()
        _add_history(hl, result)
        return result


def _add_history(hl: Houselights, result: ConnectionStatus) -> datetime | None:
    """Fill in the last success, last error and whether a run is going on; returns when
    the latest run ended (or started)."""
    with hl.warehouse.connect() as s:
        runs = recent_runs(s, result.org_id, result.source)
    for run_id, status, started, finished, message in runs:
        if status == "running":
            result.running = True
        if status in ("published", "nothing_to_do") and result.last_success is None:
            result.last_success, result.last_success_run = finished or started, run_id
        if status == "failed" and result.last_error is None:
            result.last_error, result.last_error_at = message, finished or started
    return (runs[0][3] or runs[0][2]) if runs else None


def connection_status(opened: OpenedSource) -> ConnectionStatus:
    """The status of ``opened``'s connection."""
    source = opened.source
    org_id, name = source.org_id, source.name
    result = ConnectionStatus(
        org_id, name, source.title, opened.status, opened.status_reason, source.settings.shown()
    )
    last = _add_history(source.hl, result)
    with source.hl.warehouse.connect() as s:
        states = [st for st in list_states(s, org_id) if st.source == name]
        planned = s.scalar(
            "SELECT next_sync_at FROM connections WHERE org_id = ? AND source = ?",
            [org_id, name],
        )
    now = utcnow()
    for st in states:
        result.streams.append(
            StreamLag(
                st.stream,
                st.cursor,
                st.updated_at,
                (now - st.updated_at).total_seconds(),
                source.describe_state(st),
            )
        )
    if opened.status == "active" and source.requires_connection:
        fallback = max(now, last + source.settings.sync_interval) if last else now
        result.next_run = max(now, planned) if planned else fallback
    return result
