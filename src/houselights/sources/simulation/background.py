"""Run an aiohttp application on a background thread with its own event loop.

Simulators are driven from synchronous code (tests, the demo, the CLI)::

    server = BackgroundServer("the Ticketsolve simulator", "127.0.0.1", 0, make_app)
    server.start()              # returns once the port accepts connections
    server.call(lambda: ...)    # run a state change on the server's loop
    server.stop()

``make_app`` receives the *stopping* event (created on the server's loop) so handlers
that hang on purpose (a "timeout" fault) can end as soon as the server stops.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from houselights.errors import ConfigError

__all__ = ["BackgroundServer"]

T = TypeVar("T")


class BackgroundServer:
    """One aiohttp application served on ``host:port`` from a daemon thread."""

    def __init__(
        self,
        label: str,
        host: str,
        port: int,
        make_app: Callable[[asyncio.Event], web.Application],
    ) -> None:
        self.label = label
        self.host = host
        self.requested_port = port
        self._make_app = make_app
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._errors: list[BaseException] = []
        self.port: int | None = None
        """The port actually bound (``None`` while stopped)."""

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._thread is not None

    def start(self, timeout: float = 30.0) -> int:
        """Open the port; returns the bound port once it accepts connections."""
        if self._thread is not None and self.port is not None:
            return self.port
        self._ready.clear()
        self._errors.clear()
        self._thread = threading.Thread(target=self._serve, name=self.label, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ConfigError(f"{self.label} did not start in time",
                              hint="check that the host and port are free")
        if self._errors:
            self._thread.join()
            self._thread = None
            raise ConfigError(
                f"{self.label} could not listen on {self.host}:{self.requested_port}: "
                f"{self._errors[0]}",
                hint="choose another --port, or 0 for any free port",
            ) from self._errors[0]
        assert self.port is not None
        return self.port

    def stop(self) -> None:
        """Close the port and stop the background thread (idempotent)."""
        loop, thread, stopping = self._loop, self._thread, self._stopping
        if loop is None or thread is None:
            return
        if stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        thread.join(30)
        self._thread = None
        self._loop = None
        self.port = None

    def serve_forever(self) -> None:
        """Start (if needed) and block until interrupted (Ctrl-C) — for the CLI."""
        self.start()
        try:
            threading.Event().wait()
        finally:
            self.stop()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the server loop (or directly when the server is not running).

        State changes go through here so they never interleave with a request being
        answered.
        """
        loop = self._loop
        if loop is None or threading.current_thread() is self._thread:
            return fn()

        async def wrapper() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(wrapper(), loop).result()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        runner: web.AppRunner | None = None
        try:
            asyncio.set_event_loop(loop)
            self._stopping = stopping = asyncio.Event()
            # A short shutdown timeout: hung "timeout" faults must not delay stop().
            runner = web.AppRunner(self._make_app(stopping), access_log=None,
                                   shutdown_timeout=1.0)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, self.requested_port)
            loop.run_until_complete(site.start())
            server = getattr(site, "_server", None)
            port = self.requested_port
            if server is not None and server.sockets:
                port = server.sockets[0].getsockname()[1]
            self.port = port
            self._ready.set()
            loop.run_until_complete(stopping.wait())
        except OSError as error:
            self._errors.append(error)
            self._ready.set()
        finally:
            if runner is not None:
                loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            asyncio.set_event_loop(None)
            loop.close()
