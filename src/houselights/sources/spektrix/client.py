"""``SpektrixClient``: signed, budgeted, retrying async HTTP for one Spektrix client system.

One client object serves one organisation's connection. It

* signs every API request (System Owner mode, :mod:`.auth`) over the exact URL it sends;
* keeps one aiohttp session (connection reuse) and at most ``concurrency`` requests in
  flight;
* spends a **request budget** (a token bucket, ``budget`` requests per second) shared by
  every request of the connection, so one organisation never exceeds its limit however
  many streams fetch at once;
* retries 429 (honouring ``Retry-After``), 5xx, timeouts, dropped connections and
  truncated bodies with exponential backoff and jitter;
* turns every other failure into a :mod:`houselights.errors` error in plain words.

Secrets never leave this module: requests are logged at DEBUG as method, URL and status
only (URLs carry no secrets), and no error message quotes a header.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from houselights import __version__
from houselights.errors import (
    AccessWithdrawnError,
    AuthenticationError,
    SourceError,
    TransientSourceError,
    UpstreamBlockedError,
)

from .auth import authorization_header, http_date
from .budget import TokenBucket

__all__ = ["ClientOptions", "ClientStats", "SpektrixClient", "SpektrixCredentials", "TokenBucket"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SpektrixCredentials:
    """Where and as whom to call one Spektrix client system (secrets hidden from repr)."""

    client: str
    api_root: str
    """API base without trailing slash: ``https://system.spektrix.com/{client}/api/v3``."""
    api_login: str
    api_key: str = field(repr=False)
    report_user: str | None = None
    report_password: str | None = field(default=None, repr=False)
    audit_report_url: str | None = None


@dataclass(frozen=True)
class ClientOptions:
    """How hard to push: budget (requests/s, ``None`` = unlimited), concurrency, retries."""

    budget: float | None = 10.0
    concurrency: int = 16
    timeout: float = 30.0
    retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0


@dataclass
class ClientStats:
    """What the client did: for benchmarks, logs and ``status``."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    timeouts: int = 0
    truncated: int = 0


class _Retry(Exception):
    """A retriable failure; ``wait`` overrides the backoff (from Retry-After)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _retry_after(value: str | None) -> float | None:
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


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _is_html(headers: Any, body: bytes) -> bool:
    ctype = str(headers.get("Content-Type", "")).lower()
    return "html" in ctype or body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))


def _gmt(dt: datetime) -> str:
    return dt.strftime("%H:%M:%S GMT on %d %b %Y")


class SpektrixClient:
    """Async client of one Spektrix system; use ``async with SpektrixClient(...) as c``."""

    def __init__(
        self, credentials: SpektrixCredentials, options: ClientOptions | None = None
    ) -> None:
        self.credentials = credentials
        self.options = options or ClientOptions()
        self.stats = ClientStats()
        self.bucket = TokenBucket(self.options.budget) if self.options.budget else None
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self.last_server_date: datetime | None = None
        """The ``Date`` of the latest answer (to compare clocks)."""
        parsed = urllib.parse.urlsplit(credentials.api_root)
        self.origin = f"{parsed.scheme}://{parsed.netloc}"

    async def __aenter__(self) -> SpektrixClient:
        connector = aiohttp.TCPConnector(limit=self.options.concurrency)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": f"houselights/{__version__} (box office data exchange)"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- URLs ----------------------------------------------------------------------------

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The absolute URL of an API path, built once: it is signed and sent as is."""
        if path.startswith("/"):  # a server-given link such as paging.next
            return self.origin + path
        url = f"{self.credentials.api_root}/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return url

    # --- API -----------------------------------------------------------------------------

    async def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        missing_ok: bool = False,
    ) -> Any:
        """GET a signed API resource and decode its JSON.

        ``missing_ok``: a 404 returns ``None`` (an order or customer that does not exist);
        otherwise a 404 means the client system itself is unknown.
        """
        url = self.url(path, params)
        creds = self.credentials

        def headers() -> dict[str, str]:
            date = http_date()
            return {
                "Date": date,
                "Authorization": authorization_header(
                    creds.api_login, creds.api_key, "GET", url, date
                ),
                "Accept": "application/json",
            }

        def accept(status: int, resp_headers: Any, body: bytes) -> Any:
            if status == 200:
                try:
                    return json.loads(body)
                except ValueError:
                    self.stats.truncated += 1
                    raise _Retry("the answer was cut short (incomplete JSON)") from None
            if status == 404 and missing_ok and not _is_html(resp_headers, body):
                return None
            raise self._api_error(status, resp_headers, body, url)

        return await self._fetch(url, headers, accept)

    async def get_report(self, url: str) -> bytes:
        """GET a report download with the reporting user's credentials (HTTP basic auth)."""
        creds = self.credentials
        if not creds.report_user or creds.report_password is None:
            raise AuthenticationError(
                "No reporting user is configured for this Spektrix connection.",
                hint="Reconnect with --report-user and --report-password-file "
                "(the Collect Report user of the integration guide, step 3).",
            )
        token = base64.b64encode(f"{creds.report_user}:{creds.report_password}".encode()).decode()

        def headers() -> dict[str, str]:
            return {"Authorization": f"Basic {token}"}

        def accept(status: int, resp_headers: Any, body: bytes) -> bytes:
            if status == 200:
                return body
            if status == 401:
                raise AuthenticationError(
                    f"The reporting user '{creds.report_user}' could not log in to collect "
                    "the Customer Audit report (user name or password refused).",
                    hint="Check the Collect Report user's password in Spektrix and reconnect "
                    "with --report-password-file.",
                )
            if status == 403 and not _is_html(resp_headers, body):
                raise AuthenticationError(
                    f"The reporting user '{creds.report_user}' lacks the Collect Report role, "
                    "so the Customer Audit report cannot be collected.",
                    hint="In Spektrix: Settings → Users → User Accounts → "
                    f"{creds.report_user} → Roles: add 'Collect report' (guide step 3).",
                )
            raise self._api_error(status, resp_headers, body, url)

        return await self._fetch(url, headers, accept)

    # --- plumbing ------------------------------------------------------------------------

    async def _fetch(
        self,
        url: str,
        headers: Callable[[], dict[str, str]],
        accept: Callable[[int, Any, bytes], T],
    ) -> T:
        if self._session is None:
            raise RuntimeError("use SpektrixClient as an async context manager")
        opts = self.options
        reason = ""
        for attempt in range(opts.retries + 1):
            if attempt:
                self.stats.retries += 1
            if self.bucket is not None:
                await self.bucket.acquire()
            try:
                async with self._slots:
                    status, resp_headers, body = await self._send(url, headers())
                self._note_date(resp_headers)
                if status == 429:
                    self.stats.rate_limited += 1
                    wait = _retry_after(resp_headers.get("Retry-After"))
                    raise _Retry("rate limited (429)", wait)
                if status >= 500:
                    self.stats.server_errors += 1
                    raise _Retry(f"server error ({status})")
                return accept(status, resp_headers, body)
            except _Retry as retry:
                reason = retry.reason
                wait = retry.wait
            except TimeoutError:
                self.stats.timeouts += 1
                reason, wait = f"no answer within {opts.timeout:g} s", None
            except aiohttp.ClientPayloadError:
                self.stats.truncated += 1
                reason, wait = "the answer was cut short", None
            except aiohttp.ClientError as error:
                reason, wait = f"connection problem ({type(error).__name__})", None
            if attempt == opts.retries:
                break
            if wait is None:
                wait = min(opts.backoff_max, opts.backoff_base * 2**attempt)
                wait *= 0.5 + random.random()  # noqa: S311 - jitter, not security
            log.debug("retrying %s in %.2f s: %s", _safe(url), wait, reason)
            await asyncio.sleep(wait)
        raise TransientSourceError(
            f"Spektrix did not give a usable answer for {_safe(url)} after "
            f"{opts.retries + 1} attempts (last problem: {reason}).",
            hint="Spektrix may be busy or down (status.spektrix.com). Run the sync again "
            "later: it resumes from the last published checkpoint, and nothing from the "
            "failed part was published.",
        )

    async def _send(self, url: str, headers: dict[str, str]) -> tuple[int, Any, bytes]:
        assert self._session is not None
        self.stats.requests += 1
        timeout = aiohttp.ClientTimeout(total=self.options.timeout)
        async with self._session.get(
            URL(url, encoded=True), headers=headers, timeout=timeout
        ) as resp:
            body = await resp.read()
            log.debug("GET %s -> %d (%d bytes)", _safe(url), resp.status, len(body))
            return resp.status, resp.headers, body

    def _note_date(self, headers: Any) -> None:
        raw = headers.get("Date")
        if raw:
            with contextlib.suppress(TypeError, ValueError):
                self.last_server_date = parsedate_to_datetime(raw)

    def clock_difference(self) -> float | None:
        """Seconds this machine is ahead of the server (from the last ``Date`` seen)."""
        if self.last_server_date is None:
            return None
        return (datetime.now(UTC) - self.last_server_date).total_seconds()

    def _api_error(self, status: int, headers: Any, body: bytes, url: str) -> SourceError:
        creds = self.credentials
        message = _message(body)
        if status == 403 and _is_html(headers, body):
            return UpstreamBlockedError(
                f"The request to {_safe(url)} was blocked upstream of Spektrix (an HTML 403 "
                "page from its firewall/CDN, not an answer from Spektrix itself).",
                hint="Wait and retry; if it persists, ask Spektrix support whether this "
                "machine's IP address is blocked, and add it to the system's IP allow-list "
                "(integration guide: IP Restrictions).",
            )
        if status == 401:
            return self._auth_error(message)
        if status == 403 and "withdrawn" in message.lower():
            return AccessWithdrawnError(
                f"The organisation has withdrawn houselights' access to Spektrix client "
                f"'{creds.client}' (partner access is switched off).",
                hint="Syncing is paused and nothing already loaded is lost. When the "
                "organisation switches partner access back on, run `houselights sync` again.",
            )
        if status == 403 and "system owner" in message.lower():
            return AuthenticationError(
                f"The API user '{creds.api_login}' lacks System Owner rights on Spektrix "
                f"client '{creds.client}', so customers and orders cannot be read.",
                hint="In Spektrix: Settings → Users → API users → "
                f"{creds.api_login}: give it the role from the integration guide (step 1) "
                "with System Owner access.",
            )
        if status == 404:
            return SourceError(
                f"Spektrix answered 404 for {_safe(url)}: there is no client system called "
                f"'{creds.client}' at that address.",
                hint="Check --client (the part after system.spektrix.com/ in your Spektrix "
                "address, in lower case) and --base-url for a custom domain, then reconnect.",
            )
        return SourceError(
            f"Spektrix refused {_safe(url)} with status {status}"
            + (f": {message}" if message else "."),
            hint="Check the connection settings (`houselights check-setup SLUG`).",
        )

    def _auth_error(self, message: str) -> AuthenticationError:
        creds = self.credentials
        local = datetime.now(UTC)
        server = self.last_server_date
        clock = ""
        if server is not None:
            gap = abs((local - server).total_seconds())
            clock = (
                f" Spektrix's clock said {_gmt(server)}, this machine's "
                f"{_gmt(local)} ({gap:,.0f} s apart)."
            )
        expired = "expired" in message.lower()
        what = (
            "the request's Date was outside the window Spektrix accepts"
            if expired
            else "the signature was rejected"
        )
        return AuthenticationError(
            f"Spektrix client '{creds.client}' refused the signed request: {what}.{clock}",
            hint=(
                "Synchronise this machine's clock (NTP) and try again."
                if expired
                else f"Check the API login ('{creds.api_login}') and its secret key — reconnect "
                "with `houselights connect spektrix SLUG … --api-key-file FILE` — or this "
                "machine's clock if the two times above differ."
            ),
        )


def _safe(url: str) -> str:
    """A URL fit for logs and messages (no query values beyond ids and dates exist)."""
    return url.split("?", 1)[0] if len(url) > 200 else url
