"""What a source gives the conformance suite: a harness that starts a box office.

A source names its harness in its class attribute ``conformance``
(``"package.module:HARNESS"``). The harness starts a :class:`BoxOffice` the source can
talk to (a simulator, a local server, a folder of files), which knows how to connect an
organisation to it, what a sync asks for, how to change data, inject faults and give bad
input. The checks themselves are in :mod:`houselights.conformance`; ``docs/sources.md``
explains both.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from .registry import source_class
from .source import SyncRequest

if TYPE_CHECKING:
    from houselights.context import Houselights

__all__ = ["BadInput", "BoxOffice", "Harness", "harness_for"]


@dataclass(frozen=True)
class BadInput:
    """A mistake a user can make with this source; ``attempt(hl, org)`` must raise a
    :class:`~houselights.errors.HouselightsError` and publish nothing."""

    name: str
    attempt: Callable[[Houselights, str], object]


class BoxOffice(ABC):
    """One running box office, for one conformance scenario."""

    secrets: tuple[str, ...] = ()
    """Secret values that must never be shown (API keys, passwords)."""

    @abstractmethod
    def connect(self, hl: Houselights, org_id: str) -> None:
        """Connect ``org_id`` (which exists) to this box office."""

    def request(self) -> SyncRequest:
        """What a sync asks for (files for a file source, a backfill file…)."""
        return SyncRequest()

    @abstractmethod
    def change(self) -> None:
        """Change some data at the box office (new and changed records)."""

    def set_faults(self, on: bool) -> None:
        """Turn transient faults (429, 5xx, timeouts, truncated bodies) on or off (a box
        office without a transport only remembers the wish)."""
        self.faults_on = on

    def bad_inputs(self) -> list[BadInput]:
        """The mistakes to try."""
        return []


class Harness(ABC):
    """How the conformance suite exercises one source."""

    source: str
    injects_faults: bool = True
    """False for a source with no transport to fault (files given by the user)."""
    kill_after_loads: int = 2
    """The SIGKILL check kills a sync once this many of its loads committed (0: as soon
    as it runs — a source that publishes one load per sync)."""
    plugin: str | None = None
    """``"module:SourceClass"`` to register in a subprocess when the source is not built in
    (a plugin, or a test's own source)."""

    @abstractmethod
    def box_office(
        self, folder: Path, *, slow: bool = False
    ) -> contextlib.AbstractContextManager[BoxOffice]:
        """Start a box office with its files under ``folder``; ``slow``: one whose sync
        takes long enough to be killed mid-way (latency, more data, small chunks)."""


def harness_for(source: str) -> Harness:
    """The harness a registered source names (an error if it names none)."""
    cls = source_class(source)
    target = getattr(cls, "conformance", "")
    if not target:
        raise LookupError(
            f"source {source!r} names no conformance harness: set its class attribute "
            "`conformance = 'module:HARNESS'` (see docs/sources.md)"
        )
    module, _, attr = str(target).partition(":")
    harness: Harness = getattr(import_module(module), attr)
    return harness
