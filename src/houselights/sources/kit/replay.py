"""Replay: rebuild canonical rows from kept raw records, without calling the box office.

The source's :meth:`~houselights.sources.kit.source.Source.replay_streams` say which
stream maps which raw stream, in order (a catalogue before the orders mapped against
it). Raw records of a stream no current stream maps are not dropped silently: they are
counted in a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from houselights.exchange.batch import Batch, RawRecord

from .source import Source, Stream

__all__ = ["replay_batches"]


RecordLoader = Callable[[bool], list[RawRecord]]
"""``load(every_run)``: kept raw records in fetch order — of every run, or only the latest
run holding each key."""


def replay_batches(source: Source[Any], load: RecordLoader) -> Iterator[Batch]:
    """Batches rebuilt from kept raw records (the batches keep no raw records: those stay
    with the runs that fetched them)."""
    streams = source.replay_streams()
    owner: dict[str, Stream[Any]] = {}
    for stream in streams:
        for raw in stream.owned_raw_streams():
            if raw in owner:
                raise ValueError(f"raw stream {raw!r} is claimed by two replay streams")
            owner[raw] = stream
    grouped: dict[str, list[RawRecord]] = {}
    every: dict[str, list[RawRecord]] = {}
    for record in load(False):
        grouped.setdefault(record.stream, []).append(record)
    if any(s.replays_every_run for s in streams):
        for record in load(True):
            every.setdefault(record.stream, []).append(record)
    unknown = sorted(set(grouped) - set(owner))
    if unknown:
        counts = ", ".join(f"{len(grouped[name]):,} of '{name}'" for name in unknown)
        source.warn(
            f"Kept raw records that this version does not map were left as they are: {counts}."
        )
    for stream in streams:
        pool = every if stream.replays_every_run else grouped
        mine = [r for raw in stream.owned_raw_streams() for r in pool.get(raw, [])]
        if mine:
            for batch in stream.replay(mine):
                batch.raw.clear()
                yield batch
