"""``SpektrixClient``: the kit's HTTP client with Spektrix's signing and refusals.

Only what is Spektrix's lives here: every API request is signed (System Owner mode,
:mod:`.auth`) over the exact URL it sends; a report download uses the reporting user's
HTTP basic credentials; and Spektrix's refusals (an HTML 403 from its firewall, withdrawn
partner access, missing System Owner rights, an unknown client, a refused signature with
both clocks) become errors in plain words. Budget, retries, backoff, truncated bodies and
the transport are the kit's (:class:`~houselights.sources.kit.http.HttpClient`).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from houselights.errors import (
    AccessWithdrawnError,
    AuthenticationError,
    SourceError,
    UpstreamBlockedError,
)
from houselights.sources.kit.budget import RequestBudget
from houselights.sources.kit.http import (
    HttpClient,
    HttpOptions,
    HttpStats,
    Request,
    Response,
    Retry,
    Transport,
    retry_after_seconds,
    safe_url,
)

from .auth import authorization_header, http_date
from .settings import SpektrixSettings

__all__ = ["SpektrixClient"]

_TRANSIENT_HINT = (
    "Spektrix may be busy or down (status.spektrix.com). Run the sync again later: it resumes "
    "from the last published checkpoint, and nothing from the failed part was published."
)


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _gmt(dt: datetime) -> str:
    return dt.strftime("%H:%M:%S GMT on %d %b %Y")


def _json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except ValueError:
        raise Retry("the answer was cut short (incomplete JSON)", truncated=True) from None


class SpektrixClient:
    """Async client of one Spektrix system; use ``async with SpektrixClient(...) as c``.

    ``budget`` defaults to an in-process token bucket from the settings (pass a shared
    one to pace several processes); ``transport`` replaces aiohttp (tests).
    """

    def __init__(
        self,
        settings: SpektrixSettings,
        *,
        options: HttpOptions | None = None,
        budget: RequestBudget | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.http = HttpClient(
            "Spektrix",
            options=options or settings.http_options(),
            budget=budget if budget is not None else settings.token_bucket(),
            signer=self._sign,
            classify=self._classify,
            transport=transport,
            transient_hint=_TRANSIENT_HINT,
        )
        parsed = urllib.parse.urlsplit(settings.api_root)
        self.origin = f"{parsed.scheme}://{parsed.netloc}"
        self.root = settings.api_root[: -len("/api/v3")]
        """``https://system.spektrix.com/{client}``: what host-relative links resolve to."""

    async def __aenter__(self) -> SpektrixClient:
        await self.http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.http.__aexit__(exc_type, exc, tb)

    @property
    def stats(self) -> HttpStats:
        """What the client did."""
        return self.http.stats

    @property
    def last_server_date(self) -> datetime | None:
        """The ``Date`` of the latest answer."""
        return self.http.last_server_date

    def clock_difference(self) -> float | None:
        """Seconds this machine is ahead of Spektrix (from the last ``Date`` seen)."""
        return self.http.clock_difference()

    # --- URLs ----------------------------------------------------------------------------

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The absolute URL of an API path, built once: it is signed and sent as is."""
        if path.startswith(("http://", "https://", "/")):
            return self.resolve(path)
        url = f"{self.settings.api_root}/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return url

    def resolve(self, link: str) -> str:
        """The absolute URL of a link Spektrix returned (``paging.next``, say).

        The orders-sync docs print ``next`` host-relative **without** the client segment
        (``/api/v3/orders/sync?since=…``, spec §14.2): it resolves against the client's
        root ``…/{client}``, where naive joining against the host would lose the client
        name. A link that already carries the client's path (``/{client}/api/v3/…``)
        resolves against the host; an absolute link is kept as it is.
        """
        if link.startswith(("http://", "https://")):
            return link
        if not link.startswith("/"):
            return f"{self.settings.api_root}/{link}"
        prefix = urllib.parse.urlsplit(self.root).path
        if prefix and (link == prefix or link.startswith(prefix + "/")):
            return self.origin + link
        if link.startswith("/api/"):
            return self.root + link
        return self.origin + link

    # --- API -----------------------------------------------------------------------------

    async def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        missing_ok: bool = False,
    ) -> Any:
        """GET a signed API resource and decode its JSON.

        ``missing_ok``: a 404 returns ``None`` (an order or customer that does not exist);
        otherwise a 404 means the client system itself is unknown.
        """
        if not missing_ok:
            return await self.http.get(self.url(path, params), _json, headers=_ACCEPT)

        def classify(response: Response) -> None:
            if response.status == 404 and not response.is_html:
                return
            self._classify(response)

        def decode(response: Response) -> Any:
            return None if response.status == 404 else _json(response)

        return await self.http.get(
            self.url(path, params), decode, headers=_ACCEPT, classify=classify
        )

    async def get_report(self, url: str) -> bytes:
        """GET a report download with the reporting user's credentials (HTTP basic auth)."""
        s = self.settings
        if not s.report_user or s.report_password is None:
            raise AuthenticationError(
                "No reporting user is configured for this Spektrix connection.",
                hint="Reconnect with --report-user and --report-password-file "
                "(the Collect Report user of the integration guide, step 3).",
            )
        token = base64.b64encode(
            f"{s.report_user}:{s.report_password.get_secret_value()}".encode()
        ).decode()

        def basic(_: Request) -> dict[str, str]:
            return {"Authorization": f"Basic {token}"}

        def classify(response: Response) -> None:
            if response.status == 401:
                raise AuthenticationError(
                    f"The reporting user '{s.report_user}' could not log in to collect "
                    "the Customer Audit report (user name or password refused).",
                    hint="Check the Collect Report user's password in Spektrix and reconnect "
                    "with --report-password-file.",
                )
            if response.status == 403 and not response.is_html:
                raise AuthenticationError(
                    f"The reporting user '{s.report_user}' lacks the Collect Report role, "
                    "so the Customer Audit report cannot be collected.",
                    hint="In Spektrix: Settings → Users → User Accounts → "
                    f"{s.report_user} → Roles: add 'Collect report' (guide step 3).",
                )
            self._classify(response)

        return await self.http.get(url, lambda r: r.body, signer=basic, classify=classify)

    # --- Spektrix's policies ---------------------------------------------------------------

    def _sign(self, request: Request) -> dict[str, str]:
        date = http_date()
        return {
            "Date": date,
            "Authorization": authorization_header(
                self.settings.api_login,
                self.settings.api_key.get_secret_value(),
                request.method,
                request.url,
                date,
            ),
        }

    def _classify(self, response: Response) -> None:
        status = response.status
        if 200 <= status < 300:
            return
        if status == 429:
            raise Retry(
                "rate limited (429)",
                retry_after_seconds(response.header("Retry-After")),
                status=429,
            )
        if status >= 500:
            raise Retry(f"server error ({status})", status=status)
        raise self._refusal(response)

    def _refusal(self, response: Response) -> SourceError:
        s = self.settings
        status, url = response.status, response.url
        message = _message(response.body)
        if status == 403 and response.is_html:
            return UpstreamBlockedError(
                f"The request to {safe_url(url)} was blocked upstream of Spektrix (an HTML 403 "
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
                f"'{s.client}' (partner access is switched off).",
                hint="Syncing is paused and nothing already loaded is lost. When the "
                "organisation switches partner access back on, run `houselights sync` again.",
            )
        if status == 403 and "system owner" in message.lower():
            return AuthenticationError(
                f"The API user '{s.api_login}' lacks System Owner rights on Spektrix "
                f"client '{s.client}', so customers and orders cannot be read.",
                hint="In Spektrix: Settings → Users → API users → "
                f"{s.api_login}: give it the role from the integration guide (step 1) "
                "with System Owner access.",
            )
        if status == 404:
            return SourceError(
                f"Spektrix answered 404 for {safe_url(url)}: there is no client system called "
                f"'{s.client}' at that address.",
                hint="Check --client (the part after system.spektrix.com/ in your Spektrix "
                "address, in lower case) and --base-url for a custom domain, then reconnect.",
            )
        return SourceError(
            f"Spektrix refused {safe_url(url)} with status {status}"
            + (f": {message}" if message else "."),
            hint="Check the connection settings (`houselights check-setup SLUG`).",
        )

    def _auth_error(self, message: str) -> AuthenticationError:
        s = self.settings
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
            f"Spektrix client '{s.client}' refused the signed request: {what}.{clock}",
            hint=(
                "Synchronise this machine's clock (NTP) and try again."
                if expired
                else f"Check the API login ('{s.api_login}') and its secret key — reconnect "
                "with `houselights connect spektrix SLUG … --api-key-file FILE` — or this "
                "machine's clock if the two times above differ."
            ),
        )


_ACCEPT = {"Accept": "application/json"}
