"""Replay: rebuild canonical rows from kept upload raw records, without the file.

The registry (:mod:`houselights.sources.registry`) hands over, for every
``(stream, record_key)`` — an upload's record key is the order id — the payloads of the
latest run that had it, oldest run first. Each payload is one file line (``line``,
``file``, ``values``); they are mapped again by
:func:`~houselights.sources.upload.mapping.batches_from_raw`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from houselights.exchange.batch import Batch
from houselights.sources.upload.mapping import RAW_STREAM, batches_from_raw

if TYPE_CHECKING:
    from houselights.context import Houselights

__all__ = ["map_raw_records"]


def map_raw_records(
    hl: Houselights, org_id: str, records: list[tuple[str, str, Any]],
) -> Iterable[Batch]:
    """Map raw ``(stream, record_key, payload)`` upload records back into batches.

    ``hl`` and ``org_id`` are unused: an upload's mapping has no per-organisation
    settings. Records of other streams are ignored.
    """
    del hl, org_id
    return batches_from_raw(payload for stream, _, payload in records if stream == RAW_STREAM)
