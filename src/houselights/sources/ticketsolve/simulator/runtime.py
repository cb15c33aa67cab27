"""``TicketsolveSimulator``: run the simulator in-process from synchronous code.

The aiohttp server runs on a background thread with its own event loop, so tests, the
demo and the CLI use it with plain calls::

    with TicketsolveSimulator(SimulatorConfig()).running() as sim:
        url = sim.shows_url("demo")              # http://127.0.0.1:N/demo/shows.xml
        sim.write_exports("demo", folder)        # the season's sales + customer files
        result = sim.advance("demo", days=7)     # edits, new shows, new sales period
        truth = sim.truth("demo")                # what a full sync must reproduce
        sim.requests("demo")                     # {"/shows.xml": 2, ...}

Every state change runs *on the server's loop*, so it never interleaves with a request.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from houselights.errors import ConfigError
from houselights.sources.simulation import BackgroundServer

from .config import SimulatorConfig
from .data import AdvanceResult, ClientDataset
from .faults import FaultController
from .server import RequestRecord, ServerState, build_app
from .truth import TicketsolveTruth

__all__ = ["RequestRecord", "TicketsolveSimulator", "max_requests_in_window"]


def max_requests_in_window(log: list[RequestRecord], seconds: float = 1.0) -> int:
    """The most requests that arrived within any ``seconds``-long window of ``log``."""
    times = sorted(r.at for r in log)
    best = start = 0
    for end, at in enumerate(times):
        while at - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


class TicketsolveSimulator:
    """A local Ticketsolve lookalike serving one or more client accounts.

    Data is generated when the simulator is constructed (deterministic from each
    client's seed); :meth:`start` / :meth:`running` open the HTTP port.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.datasets = {
            c.name: ClientDataset(c, style=self.config.feed, activity=self.config.activity,
                                  export_period=self.config.export_period)
            for c in self.config.clients
        }
        self.faults = FaultController(self.config.faults, self.config.rate_limit,
                                      self.config.rate_limit_status)
        """Live fault control: ``script``, ``set_probability``, ``set_rate_limit``, ``clear``."""
        self._state = ServerState(self.config, self.datasets, self.faults)
        self._server = BackgroundServer("the Ticketsolve simulator", self.config.host,
                                        self.config.port, self._make_app)
        self.port: int | None = None

    def _make_app(self, stopping: asyncio.Event) -> web.Application:
        self._state.stopping = stopping
        return build_app(self._state)

    # --- lifecycle -------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Open the port on a background thread; returns once it accepts connections."""
        self.port = self._server.start(timeout)

    def stop(self) -> None:
        """Close the port and stop the background thread (idempotent)."""
        if self._server.running:
            self._server.stop()
            self.port = None

    @contextmanager
    def running(self) -> Iterator[TicketsolveSimulator]:
        """Context manager: started on entry, stopped on exit."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def serve_forever(self) -> None:
        """Start (if needed) and block until interrupted (Ctrl-C) — for the CLI."""
        self._server.serve_forever()
        self.port = None

    def __enter__(self) -> TicketsolveSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------

    def _dataset(self, client: str | None) -> ClientDataset:
        if client is None:
            if len(self.datasets) != 1:
                raise ConfigError("several simulated clients exist", hint="name the client")
            return next(iter(self.datasets.values()))
        ds = self.datasets.get(client)
        if ds is None:
            raise ConfigError(f"no simulated client named {client!r}",
                              hint="known: " + ", ".join(self.datasets))
        return ds

    @property
    def root_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self.port is None:
            raise ConfigError("the Ticketsolve simulator is not running",
                              hint="call start() first")
        return f"http://{self.config.host}:{self.port}"

    def base_url(self, client: str | None = None) -> str:
        """A client's account root, as a connection's ``--base-url``:
        ``http://127.0.0.1:N/<client>`` (stands for ``https://<client>.ticketsolve.com``)."""
        return f"{self.root_url}/{self._dataset(client).name}"

    def shows_url(self, client: str | None = None) -> str:
        """``<base_url>/shows.xml``."""
        return f"{self.base_url(client)}/shows.xml"

    def urls(self) -> dict[str, Any]:
        """``{"clients": [{client, organisation, currency, zone, base_url, shows_url}]}``."""
        return self._state.urls(self.root_url)

    # --- documents without HTTP ------------------------------------------------------

    def _links_base(self, ds: ClientDataset, base_url: str | None) -> str:
        if base_url is not None:
            return base_url
        if self.port is not None:
            return f"{self.root_url}/{ds.name}"
        return f"https://{ds.name}.ticketsolve.com"

    def shows_xml(self, client: str | None = None, *, tag: str | None = None,
                  category: str | None = None, base_url: str | None = None) -> bytes:
        """``shows.xml`` as served now. Links point at ``base_url``: by default the
        running simulator, or ``https://<client>.ticketsolve.com`` when stopped."""
        ds = self._dataset(client)
        base = self._links_base(ds, base_url)
        return self._server.call(lambda: self._state.shows_xml(ds, base, tag, category))

    def write_shows_xml(self, path: Path, client: str | None = None, *,
                        base_url: str | None = None) -> int:
        """Stream ``shows.xml`` into a file chunk by chunk (for very large feeds); returns
        the number of bytes written."""
        ds = self._dataset(client)
        base = self._links_base(ds, base_url)

        def write() -> int:
            size = 0
            with path.open("wb") as out:
                for chunk in ds.shows_xml(base):
                    data = chunk.encode()
                    out.write(data)
                    size += len(data)
            return size

        return self._server.call(write)

    def event_xml(self, show_id: str | int, event_id: str | int, client: str | None = None,
                  *, base_url: str | None = None) -> bytes:
        """The per-performance document of ``event_id`` (``ConfigError`` if unknown)."""
        ds = self._dataset(client)
        base = self._links_base(ds, base_url)
        body = self._server.call(lambda: ds.event_xml(base, int(show_id), int(event_id)))
        if body is None:
            raise ConfigError(f"no performance {event_id} of show {show_id} in {ds.name!r}",
                              hint="take ids from truth().performances")
        return body

    # --- the clock, exports and truth --------------------------------------------------

    def now(self, client: str | None = None) -> datetime:
        """The client's simulated now (aware, UTC)."""
        ds = self._dataset(client)
        return self._server.call(lambda: ds.clock.now)

    def advance(
        self, client: str | None = None, *, days: float = 0.0, hours: float = 0.0,
        show_changes: float | None = None,
    ) -> AdvanceResult:
        """Move a client's clock forward: shows edited (``version`` + 1), shows announced,
        performances cancelled, a new period of sales. ``show_changes`` overrides the
        share of listed shows edited (``0.02`` = 2 %). With ``exports_dir`` configured,
        the new period's export files are written there."""
        seconds = days * 86_400 + hours * 3_600
        if seconds <= 0:
            raise ConfigError("advance needs a positive number of days or hours",
                              hint="e.g. sim.advance('demo', days=7)")
        ds = self._dataset(client)
        return self._server.call(lambda: self._state.advance(ds.name, seconds, show_changes))

    def write_exports(
        self, client: str | None = None, folder: Path | None = None, *,
        formats: tuple[str, ...] | None = None, periods: list[int] | None = None,
    ) -> list[Path]:
        """Write a client's sales and customer exports (every period by default) into
        ``folder`` (default: the configured ``exports_dir``); returns the paths."""
        ds = self._dataset(client)
        target = folder if folder is not None else self.config.exports_dir
        if target is None:
            raise ConfigError("no folder for the report exports",
                              hint="pass a folder or configure exports_dir (--exports-dir)")
        chosen = formats or self.config.export_formats
        return self._server.call(lambda: ds.write_exports(Path(target), chosen, periods))

    def truth(self, client: str | None = None) -> TicketsolveTruth:
        """The full dataset of a client at its simulated now, as plain records."""
        ds = self._dataset(client)
        return self._server.call(ds.truth)

    # --- what the server saw ---------------------------------------------------------

    def request_log(self, client: str | None = None) -> list[RequestRecord]:
        """Every feed request the client received, in arrival order."""
        ds = self._dataset(client)
        return self._server.call(lambda: list(self._state.log[ds.name]))

    def requests(self, client: str | None = None) -> dict[str, int]:
        """Request count per path (``/shows.xml``, ``/shows/1/events/2.xml``…)."""
        return dict(Counter(r.path for r in self.request_log(client)))

    def reset_requests(self, client: str | None = None) -> None:
        """Forget the client's request log."""
        ds = self._dataset(client)
        self._server.call(self._state.log[ds.name].clear)

    def max_requests_per_second(self, client: str | None = None,
                                window: float = 1.0) -> int:
        """The most requests the client received in any ``window`` seconds."""
        return max_requests_in_window(self.request_log(client), window)
