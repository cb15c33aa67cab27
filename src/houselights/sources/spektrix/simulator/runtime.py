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
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._errors: list[BaseException] = []
        self.port: int | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Open the port on a background thread; returns once it accepts connections."""
        if self._thread is not None:
            return
        self._ready.clear()
        self._errors.clear()
        self._thread = threading.Thread(target=self._serve, name="spektrix-simulator",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ConfigError("the Spektrix simulator did not start in time",
                              hint="check that the host and port are free")
        if self._errors:
            self._thread.join()
            self._thread = None
            raise ConfigError(
                f"the Spektrix simulator could not listen on "
                f"{self.config.host}:{self.config.port}: {self._errors[0]}",
                hint="choose another --port, or 0 for any free port",
            ) from self._errors[0]

    def stop(self) -> None:
        """Close the port and stop the background thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        stopping = self._state.stopping
        if stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        thread.join(30)
        self._thread = None
        self._loop = None
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

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        runner: web.AppRunner | None = None
        try:
            asyncio.set_event_loop(loop)
            self._state.stopping = asyncio.Event()
            # A short shutdown timeout: hung "timeout" faults must not delay stop().
            runner = web.AppRunner(build_app(self._state), access_log=None,
                                   shutdown_timeout=1.0)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.config.host, self.config.port)
            loop.run_until_complete(site.start())
            sockets = getattr(site, "_server", None)
            port = self.config.port
            if sockets is not None and sockets.sockets:
                port = sockets.sockets[0].getsockname()[1]
            self.port = port
            self._state.port = port
            self._ready.set()
            loop.run_until_complete(self._state.stopping.wait())
        except OSError as error:
            self._errors.append(error)
            self._ready.set()
        finally:
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server loop (or directly when the server is not running)."""
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            return fn()

        async def wrapper() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapper(), loop).result()

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
        """Answered API requests of a client per route template (``orders/{id}``: 812…)
        since the start or the last :meth:`reset_hits`."""
        name = self._dataset(client).name
        counts = self._call(lambda: dict(self._state.hits))
        return {route: n for (c, route), n in counts.items() if c == name}

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


