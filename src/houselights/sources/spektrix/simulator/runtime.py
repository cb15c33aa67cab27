"""``SpektrixSimulator``: run the simulator in-process from synchronous code.

The aiohttp server runs on a background thread with its own event loop, so tests, the
demo and the CLI can use it with plain function calls::

    with SpektrixSimulator(SimulatorConfig()).running() as sim:
        creds = sim.credentials()["clients"][0]
        ...                                  # talk to sim.base_url("demo") over HTTP
        sim.advance("demo", days=3)          # new and changed orders appear
        truth = sim.truth("demo")            # what a full backfill must reproduce

Every state change (advance, partner toggle, truth) runs *on the server's loop*, so it
never interleaves with a request being answered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from houselights.errors import ConfigError
from houselights.sources.simulation import BackgroundServer

from .config import SimulatorConfig
from .data import ClientDataset, SpektrixTruth
from .faults import FaultController
from .server import STAFF_USER, ServerState, build_app, credentials_for

__all__ = ["SpektrixSimulator"]

T = TypeVar("T")


class SpektrixSimulator:
    """A local Spektrix API v3 lookalike serving one or more client systems.

    Data is generated when the simulator is constructed (deterministic from each
    client's seed); :meth:`start` / :meth:`running` open the HTTP port.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.datasets = {c.name: ClientDataset(c) for c in self.config.clients}
        self.faults = FaultController(self.config.faults, self.config.rate_limit)
        """Live fault control: ``script``, ``set_probability``, ``clear``, clock offset."""
        self._state = ServerState(self.config, self.datasets, self.faults)
        self._server = BackgroundServer("the Spektrix simulator", self.config.host,
                                        self.config.port, self._make_app)
        self.port: int | None = None

    def _make_app(self, stopping: asyncio.Event) -> web.Application:
        self._state.stopping = stopping
        return build_app(self._state)

    # --- lifecycle -------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Open the port on a background thread; returns once it accepts connections."""
        self.port = self._state.port = self._server.start(timeout)

    def stop(self) -> None:
        """Close the port and stop the background thread (idempotent)."""
        if self._server.running:
            self._server.stop()
            self.port = None

    @contextmanager
    def running(self) -> Iterator[SpektrixSimulator]:
        """Context manager: started on entry, stopped on exit."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def serve_forever(self) -> None:
        """Start (if needed) and block until interrupted (Ctrl-C) — for the CLI."""
        self.start()
        try:
            threading.Event().wait()
        finally:
            self.stop()

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server loop (or directly when the server is not running)."""
        return self._server.call(fn)

    # --- what a partner is given -------------------------------------------------------

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
            raise ConfigError("the Spektrix simulator is not running", hint="call start() first")
        return f"http://{self.config.host}:{self.port}"

    def base_url(self, client: str | None = None) -> str:
        """API base of a client, without trailing slash: ``http://127.0.0.1:N/{client}/api/v3``."""
        return f"{self.root_url}/{self._dataset(client).name}/api/v3"

    def credentials(self) -> dict[str, Any]:
        """``{"clients": [{client, base_url, api_login, api_key, report_user, ...}]}``."""
        return credentials_for(self._state, self.root_url)

    def staff_login(self, client: str | None = None) -> tuple[str, str]:
        """A real user of the client *without* the Collect Report role (for refusal tests)."""
        ds = self._dataset(client)
        return STAFF_USER, self._state.staff_password(ds.name)

    # --- driving the simulation ---------------------------------------------------------

    def now(self, client: str | None = None) -> datetime:
        """The client's simulated now (UTC)."""
        ds = self._dataset(client)
        return self._call(ds.clock.now)

    def advance(
        self, client: str | None = None, *, days: float = 0.0, hours: float = 0.0
    ) -> dict[str, int]:
        """Move a client's simulated clock forward, creating new and changed orders."""
        seconds = days * 86_400 + hours * 3_600
        if seconds <= 0:
            raise ConfigError("advance needs a positive number of days or hours",
                              hint="e.g. sim.advance('demo', days=3)")
        ds = self._dataset(client)
        return self._call(lambda: ds.advance(seconds))

    def set_partner_access(self, client: str | None, on: bool) -> None:
        """Switch the client's "allow this partner to access my data" setting."""
        ds = self._dataset(client)

        def change() -> None:
            ds.partner_access = on

        self._call(change)

    def hits(self, client: str | None = None) -> dict[str, int]:
        """Answered API requests of a client per route template (``orders/{id}``: 812…),
        and Customer Audit report downloads (``reports/customer-audit``), since the start
        or the last :meth:`reset_hits`."""
        name = self._dataset(client).name
        counts = self._call(lambda: dict(self._state.hits))
        return {route: n for (c, route), n in counts.items() if c == name}

    def throttled(self, client: str | None = None) -> int:
        """Requests of a client the rate limit refused (it went over its budget)."""
        name = self._dataset(client).name
        return self._call(lambda: self._state.throttled[name])

    def reset_hits(self) -> None:
        """Forget the request counts (e.g. between two syncs of a test)."""
        self._call(self._state.hits.clear)

    def truth(self, client: str | None = None) -> SpektrixTruth:
        """The full dataset of a client at its simulated now, as plain data."""
        ds = self._dataset(client)
        return self._call(ds.truth)

    def __enter__(self) -> SpektrixSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


