"""Benchmark the Ticketsolve feed parser: shows.xml parse speed (MB/s) and peak memory.

Run: ``.venv/bin/python bench/ticketsolve_parse.py [--shows 10000] [--performances 100000]``

Generates a ``shows.xml`` with the simulator (10,000 shows / 100,000 performances ≈ 58 MB
by default), writes it to a temporary file, then parses the same file three ways:

* **reference** — the standard library's ``xml.etree.ElementTree.iterparse`` (C parser,
  start and end events, each ``<show>`` removed once read), mapping nothing;
* **defusedxml iterparse** — the same loop through defusedxml (what safety costs);
* **houselights** — ``houselights.sources.ticketsolve.feed.iter_shows``: defusedxml, every
  show and event mapped into typed records, dates and numbers parsed.

Speed is measured without tracing (best of ``--repeat`` runs); peak memory is measured in
a separate pass with ``tracemalloc`` (Python allocations, the file is streamed from disk),
plus the whole-tree ``ElementTree.parse`` as the non-streaming comparison.
"""

from __future__ import annotations

import argparse
import gc
import io
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as StdET
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from houselights.sources.ticketsolve.feed import iter_shows
from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    TicketsolveSimulator,
)

MB = 1_000_000


def _drain(events: object) -> int:
    """Walk (event, element) pairs, dropping each show once read; returns shows seen."""
    stack: list[Element] = []
    shows = 0
    for event, element in events:  # type: ignore[attr-defined]
        if event == "start":
            stack.append(element)
            continue
        stack.pop()
        if element.tag == "show":
            shows += 1
            stack[-1].remove(element)
    return shows


def reference(path: Path) -> int:
    with path.open("rb") as stream:
        return _drain(StdET.iterparse(stream, events=("start", "end")))


def defused(path: Path) -> int:
    with path.open("rb") as stream:
        return _drain(SafeET.iterparse(stream, events=("start", "end")))


def houselights(path: Path) -> int:
    shows = 0
    for show in iter_shows(path):
        shows += 1 + 0 * len(show.events)
    return shows


def whole_tree(path: Path) -> int:
    return len(SafeET.parse(str(path)).getroot().findall("venue/shows/show"))


def _speed(fn: Callable[[Path], int], path: Path, repeat: int) -> tuple[float, int]:
    best = float("inf")
    shows = 0
    for _ in range(repeat):
        began = time.perf_counter()
        shows = fn(path)
        best = min(best, time.perf_counter() - began)
    return best, shows


def _peak(fn: Callable[[Path], int], path: Path) -> float:
    tracemalloc.start()
    try:
        fn(path)
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shows", type=int, default=10_000)
    parser.add_argument("--performances", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-memory", action="store_true",
                        help="skip the (slow) tracemalloc passes")
    args = parser.parse_args()

    scale = ScaleConfig(shows=args.shows, performances=args.performances, tickets=0)
    began = time.perf_counter()
    sim = TicketsolveSimulator(SimulatorConfig(clients=(ClientConfig(scale=scale),)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shows.xml"
        size = sim.write_shows_xml(path)
        print(f"shows.xml: {args.shows:,} shows, {args.performances:,} performances, "
              f"{size / MB:.1f} MB (generated and written in "
              f"{time.perf_counter() - began:.1f} s)")
        # Free the generator's data (a reference cycle through its server) so the
        # parsers' garbage collections do not walk a heap that is not theirs.
        del sim
        gc.collect()
        rows = [("reference: stdlib ElementTree.iterparse", reference),
                ("defusedxml iterparse (no mapping)", defused),
                ("houselights iter_shows (typed records)", houselights)]
        print(f"\n{'parser':<44} {'seconds':>8} {'MB/s':>8} {'peak MB':>9}")
        for label, fn in rows:
            seconds, shows = _speed(fn, path, args.repeat)
            assert shows == args.shows, (label, shows)
            peak = "-" if args.skip_memory else f"{_peak(fn, path):.2f}"
            print(f"{label:<44} {seconds:>8.2f} {size / MB / seconds:>8.1f} {peak:>9}")
        if not args.skip_memory:
            print(f"{'whole tree: defusedxml ElementTree.parse':<44} {'':>8} {'':>8} "
                  f"{_peak(whole_tree, path):>9.1f}")
        print(f"\n(file read from disk; {io.DEFAULT_BUFFER_SIZE // 1024} KiB buffers; "
              "peak = tracemalloc, Python allocations only)")


if __name__ == "__main__":
    main()
