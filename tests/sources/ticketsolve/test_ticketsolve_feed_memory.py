"""A large shows.xml parses in bounded memory (peak measured with tracemalloc)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from defusedxml import ElementTree

from houselights.sources.ticketsolve.feed import iter_shows
from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    TicketsolveSimulator,
)

MB = 1_000_000


def _peak(fn: object) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()  # type: ignore[operator]
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_parse_of_a_large_feed_stays_small(tmp_path: Path) -> None:
    scale = ScaleConfig(shows=1_000, performances=10_000, tickets=0)
    sim = TicketsolveSimulator(SimulatorConfig(clients=(ClientConfig(scale=scale),)))
    path = tmp_path / "shows.xml"
    size = sim.write_shows_xml(path)
    assert size > 5 * MB

    def stream() -> tuple[int, int]:
        shows = events = 0
        for show in iter_shows(path):  # nothing kept: count and drop
            shows += 1
            events += len(show.events)
        return shows, events

    counts, streaming_peak = _peak(stream)
    assert counts == (1_000, 10_000)
    _, tree_peak = _peak(lambda: ElementTree.parse(str(path)))  # the whole tree, for scale
    # Generous bound: one show at a time needs well under a megabyte; a full tree of the
    # same document needs tens of megabytes.
    assert streaming_peak < 4 * MB
    assert streaming_peak * 10 < tree_peak
