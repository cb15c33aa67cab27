"""Run plumbing and results of the Spektrix sync (used by :mod:`.sync`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from houselights.context import Houselights
from houselights.exchange.run import LoadResult

from .client import SpektrixClient
from .connection import load_connection

__all__ = ["SyncSummary", "download_report"]


@dataclass
class SyncSummary:
    """What one ``sync`` did, for the CLI and the API."""

    org_id: str
    run_ids: list[str] = field(default_factory=list)
    orders: int = 0
    customers: int = 0
    audit_rows: int = 0
    catalogue_changed: list[str] = field(default_factory=list)
    feed: str = ""
    backfill_total: int | None = None
    backfill_resumed_at: int | None = None
    loads: list[LoadResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds: float = 0.0


def download_report(hl: Houselights, org_id: str, url: str, dest: Path) -> Path:
    """Download a report file (e.g. the order-ID export) as the connection's reporting
    user, within its request budget."""
    conn = load_connection(hl, org_id)

    async def fetch() -> bytes:
        async with SpektrixClient(conn.credentials, conn.options) as client:
            return await client.get_report(url)

    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(asyncio.run(fetch()))
    return dest
