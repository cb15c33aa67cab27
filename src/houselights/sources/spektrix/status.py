"""``connection_status``: how a Spektrix connection is doing (for ``houselights status``).

Last success, lag per stream (how long since each cursor moved, and where it is), the
last error, and when the next run is due. Settings are shown, secrets never (not even
their length).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.exchange.state import list_states
from houselights.orgs.service import get_connection

from .connection import SOURCE

__all__ = ["ConnectionStatus", "StreamLag", "connection_status"]

_SHOWN_SETTINGS = (
    "client",
    "api_root",
    "api_login",
    "report_user",
    "audit_report",
    "season_field",
    "category_field",
    "type_field",
    "request_budget",
    "orders_feed",
)


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
    """The state of one organisation's Spektrix connection."""

    org_id: str
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form (no secrets: there are none in it)."""
        return {
            "org_id": self.org_id,
            "status": self.status,
            "status_reason": self.status_reason,
            "settings": self.settings,
            "last_success": self.last_success,
            "last_success_run": self.last_success_run,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at,
            "running": self.running,
            "next_run": self.next_run,
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


def _detail(stream: str, checkpoint: dict[str, Any] | None) -> str:
    if stream == "orders_backfill" and checkpoint:
        done = "complete" if checkpoint.get("complete") else "in progress"
        return (
            f"{checkpoint.get('position', 0):,} of {checkpoint.get('total', 0):,} "
            f"orders from {checkpoint.get('file', '?')} ({done})"
        )
    if stream == "catalogue":
        return "digests of the catalogue lists"
    return ""


def connection_status(hl: Houselights, org_id: str) -> ConnectionStatus:
    """The status of ``org_id``'s Spektrix connection."""
    with hl.warehouse.connect() as s:
        conn = get_connection(s, org_id, SOURCE)
        runs = s.fetchall(
            "SELECT run_id, status, started_at, finished_at, message FROM runs"
            " WHERE org_id = ? AND source = ? ORDER BY started_at DESC, run_id DESC LIMIT 50",
            [org_id, SOURCE],
        )
        states = list(list_states(s, org_id))
        own = {
            str(r[0])
            for r in s.fetchall(
                "SELECT stream FROM stream_state WHERE org_id = ? AND source = ?", [org_id, SOURCE]
            )
        }
    settings = {k: conn.settings.get(k) for k in _SHOWN_SETTINGS if k in conn.settings}
    result = ConnectionStatus(org_id, conn.status, conn.status_reason, settings)
    now = utcnow()
    for run_id, status, started, finished, message in runs:
        if status == "running":
            result.running = True
        if status in ("published", "nothing_to_do") and result.last_success is None:
            result.last_success, result.last_success_run = finished or started, run_id
        if status == "failed" and result.last_error is None:
            result.last_error, result.last_error_at = message, finished or started
    for st in states:
        if st.stream in own:
            result.streams.append(
                StreamLag(
                    st.stream,
                    st.cursor if st.stream != "catalogue" else None,
                    st.updated_at,
                    (now - st.updated_at).total_seconds(),
                    _detail(st.stream, st.checkpoint),
                )
            )
    interval = timedelta(minutes=int(conn.settings.get("sync_interval_minutes", 60)))
    if conn.status == "active":
        # The scheduler's own plan (houselights worker) when it has one.
        with hl.warehouse.connect() as s:
            planned = s.scalar(
                "SELECT next_sync_at FROM connections WHERE org_id = ? AND source = ?",
                [org_id, SOURCE],
            )
        last = runs[0][3] or runs[0][2] if runs else None
        fallback = max(now, last + interval) if last else now
        result.next_run = max(now, planned) if planned else fallback
    return result
