"""The shape every box office takes: a :class:`Source` with its :class:`Stream` objects.

A **source** is one box office (Spektrix, Ticketsolve, uploads…). The class says who it
is (``name``, ``title``), which settings a connection stores (``settings_model``), and
what a sync does (:meth:`Source.plan`: one or more runs, each a list of streams). One
instance serves one sync (or setup check, or replay) of one organisation: streams share
what they learn through it (the catalogue index that orders are mapped against, say).

A **stream** reads one kind of record. Its :meth:`Stream.read` is an async generator of
:class:`Page` objects — raw records as fetched, plus the position after them — and its
:meth:`Stream.map` turns a page into a :class:`~houselights.exchange.batch.Batch` of
canonical rows. The runner (:mod:`.runner`) does the rest: state, publishing with the
cursor, progress, the summary. Small hooks, not big overrides:

* ``Stream.publish`` says when pages are published: at the end of the run (default), or
  after a page that says ``checkpoint=True`` (backfill chunks), or as one streamed load
  (``atomic``: a whole file, never half-published);
* ``Stream.replay`` rebuilds batches from kept raw records (default: ``map``);
* ``Source.describe_state`` explains a stored position for ``houselights status``;
* ``Source.check_setup`` verifies an organisation's setup, step by step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from houselights.errors import InputError
from houselights.exchange.batch import Batch, RawRecord, StreamCursor
from houselights.exchange.state import StreamState, get_state

from .settings import ConnectionSettings

if TYPE_CHECKING:
    from houselights.context import Houselights

    from .setup import SetupCheckResult

__all__ = ["Page", "RunPlan", "Source", "Stream", "SyncRequest"]

S = TypeVar("S", bound=ConnectionSettings)
SourceT = TypeVar("SourceT", bound="Source[Any]")


@dataclass(frozen=True)
class SyncRequest:
    """What a sync was asked to do, beyond catching up.

    ``backfill_file``: a one-off history file (Spektrix's order-ID export), loaded first
    and resumable; ``files``: data files to load (an upload, report exports);
    ``incremental``: catch up with the box office's changes afterwards; ``scheduled``:
    the scheduler asked (not a person), so :attr:`Stream.periodic` streams read within
    the connection's ``refresh_hours`` are left for a later sync.
    """

    backfill_file: Path | None = None
    files: tuple[Path, ...] = ()
    incremental: bool = True
    scheduled: bool = False


@dataclass
class Page:
    """Raw records read together, and where the stream stands after them.

    ``cursors`` are committed in the same transaction as the page's rows. ``checkpoint``
    asks the runner to publish everything pending now (a resumable boundary). ``done`` and
    ``total`` feed the progress bar. ``batch`` is for streams that map while they read
    (file readers): :meth:`Stream.map` then returns it. ``meta`` carries what ``map``
    needs beyond the records (which catalogue lists changed, say).
    """

    records: list[RawRecord] = field(default_factory=list)
    cursors: list[StreamCursor] = field(default_factory=list)
    checkpoint: bool = False
    done: int | None = None
    total: int | None = None
    batch: Batch | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Stream(ABC, Generic[SourceT]):
    """One kind of record of a source; subclass and set the class attributes.

    ``name`` is the stream's state key (its committed cursor); ``raw_streams`` the raw
    record streams it writes and maps (default: ``(name,)``); ``label`` names it on the
    progress bar. ``atomic`` streams (files) are published as one streamed load;
    ``unique_keys`` (default) lets a later record of a key replace an earlier one pending
    in the same load (a feed may return an order twice).
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    raw_streams: ClassVar[tuple[str, ...]] = ()
    atomic: ClassVar[bool] = False
    unique_keys: ClassVar[bool] = True
    replays_every_run: ClassVar[bool] = False
    """Replay reads the records of every run, not only the latest of each key (for raw
    records that are parts of entities, such as upload lines)."""
    periodic: ClassVar[bool] = False
    """A slowly changing stream (a daily report, a catalogue): scheduled syncs read it
    once per ``refresh_hours`` (judged by when its state last moved, so it must commit a
    cursor every time it reads), other syncs every time."""

    def caught_up(self, state: StreamState) -> bool:
        """Whether the stream's last read left nothing behind (a periodic stream that
        deferred work is read again at the next sync, due or not). Default: yes."""
        del state
        return True

    def __init__(self, source: SourceT) -> None:
        self.source = source

    @classmethod
    def owned_raw_streams(cls) -> tuple[str, ...]:
        """The raw streams this stream maps (``raw_streams`` or its own name)."""
        return cls.raw_streams or (cls.name,)

    @abstractmethod
    def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        """Pages of raw records from the stored ``state`` (``None``: never ran)."""

    def map(self, page: Page) -> Batch:
        """The canonical rows of a page (default: the batch the page carries)."""
        if page.batch is None:
            raise TypeError(f"{type(self).__name__}.map() is needed for pages of raw records")
        return page.batch

    def replay(self, records: list[RawRecord]) -> Iterable[Batch]:
        """Batches rebuilt from kept raw records (default: one page through ``map``)."""
        return [self.map(Page(records=records))]


@dataclass
class RunPlan:
    """One exchange run of a sync: its kind, parameters and streams, in order."""

    kind: str
    streams: list[Stream[Any]]
    params: dict[str, Any] = field(default_factory=dict)


class Source(ABC, Generic[S]):
    """One box office. Subclass, set the class attributes and define :meth:`plan`.

    An instance serves one organisation for one sync, setup check or replay. Open network
    clients in :meth:`open` and close them in :meth:`close` (``async with source``).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    settings_model: ClassVar[type[ConnectionSettings]]
    summary: ClassVar[str] = ""
    requires_connection: ClassVar[bool] = True
    """False for sources that work without ``connect`` (uploads)."""
    conformance: ClassVar[str] = ""
    """``"module:HARNESS"``: the harness the conformance suite runs this source with."""

    def __init__(self, hl: Houselights, org_id: str, settings: S) -> None:
        self.hl = hl
        self.org_id = org_id
        self.settings = settings
        self.warnings: list[str] = []
        """Plain-words warnings streams raise during a sync (shown in the summary)."""
        self.counts: dict[str, int] = {}
        """Records read per raw stream (the runner fills it)."""
        self.notes: dict[str, Any] = {}
        """Facts for the sync summary particular to this source (which feed was used…)."""
        self.progress: Callable[[str, int, int | None], None] = lambda *_: None
        """``progress(label, done, total)`` for long steps inside a stream (set by the runner)."""

    # --- what a sync does ----------------------------------------------------------------

    @abstractmethod
    def plan(self, request: SyncRequest) -> list[RunPlan]:
        """The runs a sync makes for ``request``."""

    @abstractmethod
    def replay_streams(self) -> list[Stream[Any]]:
        """Streams that rebuild every raw stream, each raw stream claimed by one, in the
        order they must map (a catalogue before the orders mapped against it)."""

    def describe_state(self, state: StreamState) -> str:
        """A person's reading of a stored stream position (``houselights status``)."""
        return state.cursor or ""

    async def check_setup(self) -> SetupCheckResult:
        """Verify the organisation's setup step by step (a source may not have one)."""
        raise InputError(
            f"There is no setup check for {self.title} connections.",
            hint="Run `houselights sync SLUG`: problems are reported in plain words.",
        )

    # --- lifecycle and helpers for streams ------------------------------------------------

    async def open(self) -> None:
        """Open clients (called by the runner before reading)."""

    async def close(self) -> None:
        """Close clients (always called after :meth:`open`)."""

    async def __aenter__(self) -> Source[S]:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @classmethod
    def recognises(cls, path: Path) -> bool:
        """Whether ``path`` is one of this box office's own export files (by its header),
        so that ``houselights upload`` loads it through this source rather than as the
        upload template. Default: no file."""
        del path
        return False

    def warn(self, message: str) -> None:
        """Record a warning for the sync summary (once)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def state(self, stream: str) -> StreamState | None:
        """The committed state of ``stream`` of this organisation's connection."""
        with self.hl.warehouse.connect() as s:
            return get_state(s, self.org_id, self.name, stream)

    def client_stats(self) -> dict[str, int]:
        """Request counters for the summary (requests, retries, rate_limited)."""
        return {}
