"""One HTTP client for every box office: policies are parameters, the transport is injected.

:class:`HttpClient` owns what every API source needs and nothing any one box office does
differently:

* a **request budget** (:class:`~houselights.sources.kit.budget.RequestBudget`) spent
  before every attempt, so one organisation never exceeds its limit however many streams
  fetch at once, and at most ``concurrency`` requests in flight;
* **retries** with exponential backoff and jitter for whatever the classifier calls
  retriable (by default 429 honouring ``Retry-After``, 5xx), timeouts, dropped
  connections and **truncated bodies** (a short read, or a decoder raising :class:`Retry`);
* a **signer** (``Request → headers``) called afresh for every attempt, because signed
  requests carry the time;
* a **classifier** (``Response → None``) that turns a box office's refusals into
  :mod:`houselights.errors` errors in plain words (or :class:`Retry`);
* an injectable **transport** (``Request, timeout → Response``): aiohttp by default, a
  plain function in tests.

Secrets never leave the signer: requests are logged at DEBUG as method, URL and status
only, and no message quotes a header.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

from houselights import __version__
from houselights.errors import SourceError, TransientSourceError

from .budget import RequestBudget

__all__ = [
    "AiohttpTransport",
    "Classifier",
    "HttpClient",
    "HttpOptions",
    "HttpStats",
    "Request",
    "Response",
    "Retry",
    "Signer",
    "Transport",
    "default_classifier",
    "retry_after_seconds",
    "safe_url",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
USER_AGENT = f"houselights/{__version__} (box office data exchange)"


@dataclass(frozen=True)
class Request:
    """One request exactly as it goes on the wire (the URL is signed as is)."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    """A complete answer: status, headers (case-insensitive lookup) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        """A header's value, whatever its case."""
        value = self.headers.get(name)
        if value is not None:
            return str(value)
        lowered = name.lower()
        return next((str(v) for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def is_html(self) -> bool:
        """Whether the body is an HTML page (a firewall's or CDN's, not the API's)."""
        ctype = (self.header("Content-Type") or "").lower()
        return "html" in ctype or self.body.lstrip()[:15].lower().startswith(
            (b"<!doctype", b"<html")
        )


class Transport(Protocol):
    """Sends one request and reads the whole answer (raises on network failure)."""

    async def __call__(self, request: Request, timeout: float) -> Response: ...


class Retry(Exception):
    """Raised by a classifier or decoder: try again (after ``wait`` s if given)."""

    def __init__(
        self,
        reason: str,
        wait: float | None = None,
        *,
        status: int | None = None,
        truncated: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.status = status
        self.truncated = truncated


Signer = Callable[[Request], Mapping[str, str]]
"""Headers to add to one attempt of a request (computed afresh: signatures carry time)."""
Classifier = Callable[[Response], None]
"""Returns for an answer to decode; raises :class:`Retry` or a source error otherwise."""


@dataclass(frozen=True)
class HttpOptions:
    """How hard to push one box office (the budget is passed apart: it may be shared)."""

    concurrency: int = 16
    timeout: float = 30.0
    retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0


@dataclass
class HttpStats:
    """What the client did: for summaries, status and benchmarks."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    truncated: int = 0


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), ``None`` if absent/bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def safe_url(url: str) -> str:
    """A URL fit for logs and messages: long query strings are cut off."""
    return url.split("?", 1)[0] if len(url) > 200 else url


def default_classifier(box_office: str) -> Classifier:
    """2xx is fine; 429 and 5xx are retried; anything else is a :class:`SourceError`."""

    def classify(response: Response) -> None:
        status = response.status
        if 200 <= status < 300:
            return
        if status == 429:
            raise Retry(
                "rate limited (429)",
                retry_after_seconds(response.header("Retry-After")),
                status=status,
            )
        if status >= 500:
            raise Retry(f"server error ({status})", status=status)
        raise SourceError(
            f"{box_office} refused {safe_url(response.url)} with status {status}.",
            hint="Check the connection settings (`houselights check-setup SLUG`).",
        )

    return classify


class AiohttpTransport:
    """The default transport: one aiohttp session with connection reuse."""

    def __init__(self, *, concurrency: int = 16, user_agent: str = USER_AGENT) -> None:
        self._concurrency = concurrency
        self._user_agent = user_agent
        self._session: Any = None
        self._closed = False

    async def open(self) -> None:
        """Create the session (inside the running event loop)."""
        import aiohttp

        self._closed = False
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._concurrency),
                headers={"User-Agent": self._user_agent},
            )

    async def close(self) -> None:
        """Close the session."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __call__(self, request: Request, timeout: float) -> Response:
        import aiohttp
        from yarl import URL

        if self._session is None:
            if self._closed:
                # A straggler of a sync that already failed (a concurrent request still
                # backing off): it must not open a session nobody will close.
                raise asyncio.CancelledError
            await self.open()
        async with self._session.request(
            request.method,
            URL(request.url, encoded=True),  # sent exactly as signed
            headers=dict(request.headers),
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            body = await resp.read()
            return Response(resp.status, resp.headers, body, request.url)


_NETWORK_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, OSError)


def _network_errors() -> tuple[type[BaseException], ...]:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - aiohttp is a core dependency
        return _NETWORK_ERRORS
    return (aiohttp.ClientError, *_NETWORK_ERRORS)


def _is_truncation(error: BaseException) -> bool:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover
        return False
    return isinstance(error, aiohttp.ClientPayloadError)


class HttpClient:
    """Async HTTP for one connection to one box office; ``async with HttpClient(...)``.

    ``box_office`` names it in messages ("Spektrix did not give a usable answer…");
    ``transient_hint`` is the hint when retries run out.
    """

    def __init__(
        self,
        box_office: str,
        *,
        options: HttpOptions | None = None,
        budget: RequestBudget | None = None,
        signer: Signer | None = None,
        classify: Classifier | None = None,
        transport: Transport | None = None,
        transient_hint: str = "",
    ) -> None:
        self.box_office = box_office
        self.options = options or HttpOptions()
        self.budget = budget
        self.signer = signer
        self.classify = classify or default_classifier(box_office)
        self.stats = HttpStats()
        self.transient_hint = transient_hint or (
            f"{box_office} may be busy or down. Run the sync again later: it resumes from "
            "the last published checkpoint, and nothing from the failed part was published."
        )
        self._own_transport = transport is None
        self._transport: Transport = transport or AiohttpTransport(
            concurrency=self.options.concurrency
        )
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self.last_server_date: datetime | None = None
        """The ``Date`` of the latest answer (to compare clocks)."""

    async def __aenter__(self) -> HttpClient:
        if isinstance(self._transport, AiohttpTransport):
            await self._transport.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._own_transport and isinstance(self._transport, AiohttpTransport):
            await self._transport.close()

    def clock_difference(self) -> float | None:
        """Seconds this machine is ahead of the server (from the last ``Date`` seen)."""
        if self.last_server_date is None:
            return None
        return (datetime.now(UTC) - self.last_server_date).total_seconds()

    async def get(
        self,
        url: str,
        decode: Callable[[Response], T],
        *,
        headers: Mapping[str, str] | None = None,
        signer: Signer | None = None,
        classify: Classifier | None = None,
    ) -> T:
        """GET ``url``: classify the answer, then ``decode`` it (which may raise :class:`Retry`
        for a body cut short). ``signer`` and ``classify`` override the client's for this
        call (a report download signed differently, a 404 that means "no such order")."""
        return await self.send(
            Request("GET", url, dict(headers or {})), decode, signer=signer, classify=classify
        )

    async def send(
        self,
        request: Request,
        decode: Callable[[Response], T],
        *,
        signer: Signer | None = None,
        classify: Classifier | None = None,
    ) -> T:
        """Send ``request`` with the budget, retries and policies; return ``decode(answer)``."""
        sign = signer if signer is not None else self.signer
        check = classify if classify is not None else self.classify
        opts = self.options
        reason = ""
        errors = _network_errors()
        for attempt in range(opts.retries + 1):
            if attempt:
                self.stats.retries += 1
            if self.budget is not None:
                await self.budget.acquire()
            wait: float | None = None
            try:
                attempt_request = request
                if sign is not None:
                    attempt_request = Request(
                        request.method, request.url, {**request.headers, **sign(request)}
                    )
                async with self._slots:
                    self.stats.requests += 1
                    response = await self._transport(attempt_request, opts.timeout)
                log.debug(
                    "%s %s -> %d (%d bytes)",
                    request.method,
                    safe_url(request.url),
                    response.status,
                    len(response.body),
                )
                self._note_date(response)
                check(response)
                return decode(response)
            except Retry as retry:
                reason, wait = retry.reason, retry.wait
                if retry.status == 429:
                    self.stats.rate_limited += 1
                elif retry.status is not None and retry.status >= 500:
                    self.stats.server_errors += 1
                if retry.truncated:
                    self.stats.truncated += 1
            except TimeoutError:
                self.stats.timeouts += 1
                reason = f"no answer within {opts.timeout:g} s"
            except errors as error:
                if _is_truncation(error):
                    self.stats.truncated += 1
                    reason = "the answer was cut short"
                else:
                    reason = f"connection problem ({type(error).__name__})"
            if attempt == opts.retries:
                break
            if wait is None:
                wait = min(opts.backoff_max, opts.backoff_base * 2**attempt)
                wait *= 0.5 + random.random()  # noqa: S311 - jitter, not security
            log.debug("retrying %s in %.2f s: %s", safe_url(request.url), wait, reason)
            await asyncio.sleep(wait)
        raise TransientSourceError(
            f"{self.box_office} did not give a usable answer for {safe_url(request.url)} after "
            f"{opts.retries + 1} attempts (last problem: {reason}).",
            hint=self.transient_hint,
        )

    def _note_date(self, response: Response) -> None:
        raw = response.header("Date")
        if raw:
            with contextlib.suppress(TypeError, ValueError):
                self.last_server_date = parsedate_to_datetime(raw)
