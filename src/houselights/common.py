"""Small shared definitions that every layer may import: SQL dialects and the UTC clock.

Nothing here imports from the rest of houselights, so the layers above (model,
warehouse, exchange, orgs, insights, sources, front ends) can all use it without cycles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

__all__ = ["Dialect", "utcnow"]

Dialect = Literal["duckdb", "postgres"]
"""The two warehouse backends' SQL dialects."""


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (the warehouse stores naive UTC for bookkeeping)."""
    return datetime.now(UTC).replace(tzinfo=None)
