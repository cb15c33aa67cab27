"""Connection use cases for any box office: connect, sync, status and the setup check.

The CLI, the API and the scheduler call these; which box office an organisation uses is
the kit's registry's business, never theirs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from houselights.context import Houselights
from houselights.sources.kit.connections import open_source, save_connection, sync_connection
from houselights.sources.kit.runner import ProgressFn, SyncSummary
from houselights.sources.kit.settings import ConnectionSettings
from houselights.sources.kit.setup import SetupCheckResult
from houselights.sources.kit.source import SyncRequest
from houselights.sources.kit.status import ConnectionStatus, status_of

__all__ = ["check_setup", "connect", "connection_status", "sync"]


def connect(
    hl: Houselights, org_id: str, source: str, values: dict[str, Any]
) -> ConnectionSettings:
    """Validate and store ``org_id``'s connection to ``source``."""
    return save_connection(hl, org_id, source, values)


def sync(
    hl: Houselights,
    org_id: str,
    *,
    source: str | None = None,
    request: SyncRequest | None = None,
    progress: ProgressFn | None = None,
) -> SyncSummary:
    """Sync ``org_id`` from its box office (its only connection unless ``source``)."""
    return sync_connection(hl, org_id, source, request, progress=progress)


def connection_status(hl: Houselights, org_id: str, source: str | None = None) -> ConnectionStatus:
    """Last success, lag per stream, last error and next run of a connection."""
    return status_of(hl, org_id, source)


def check_setup(hl: Houselights, org_id: str, source: str | None = None) -> SetupCheckResult:
    """Verify ``org_id``'s setup of its box office, step by step."""
    opened = open_source(hl, org_id, source)
    return asyncio.run(opened.source.check_setup())
