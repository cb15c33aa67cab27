"""Which code maps a source's raw records (used by replay)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from houselights.errors import NotFoundError
from houselights.exchange.batch import Batch

if TYPE_CHECKING:
    from houselights.context import Houselights

__all__ = ["RawMapper", "mapper_for"]

RawMapper = Callable[["Houselights", str, list[tuple[str, str, Any]]], Iterable[Batch]]


def mapper_for(source: str) -> RawMapper:
    """The raw-record mapper of ``source``."""
    if source == "upload":
        from houselights.sources.upload.replay import map_raw_records

        return map_raw_records
    if source == "spektrix":
        from houselights.sources.spektrix.replay import map_raw_records as spektrix_map

        return spektrix_map
    raise NotFoundError(f"No mapper is known for source '{source}'.")
