"""Replay: rebuild canonical rows from kept raw records, without calling the box office.

The source's :meth:`~houselights.sources.kit.source.Source.replay_streams` say which
stream maps which raw stream, in order (a catalogue before the orders mapped against
it). Raw records of a stream no current stream maps are not dropped silently: they are
counted in a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from houselights.exchange.batch import Batch, RawRecord

from .source import Source, Stream

__all__ = ["replay_batches"]


def replay_batches(source: Source[Any], records: list[RawRecord]) -> Iterator[Batch]:
    """Batches rebuilt from ``records`` (in the order they were fetched)."""
    streams = source.replay_streams()
    owner: dict[str, Stream[Any]] = {}
    for stream in streams:
        for raw in stream.owned_raw_streams():
            if raw in owner:
                raise ValueError(f"raw stream {raw!r} is claimed by two replay streams")
            owner[raw] = stream
    grouped: dict[str, list[RawRecord]] = {}
    for record in records:
        grouped.setdefault(record.stream, []).append(record)
    unknown = sorted(set(grouped) - set(owner))
    if unknown:
        counts = ", ".join(f"{len(grouped[name]):,} of '{name}'" for name in unknown)
        source.warn(
            f"Kept raw records that this version does not map were left as they are: {counts}."
        )
    for stream in streams:
        mine = [r for raw in stream.owned_raw_streams() for r in grouped.get(raw, [])]
        if mine:
            yield from stream.replay(mine)
