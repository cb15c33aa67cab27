"""Spektrix API v3 request signing (System Owner / Agent modes) and its verification.

The signing rule (``specs/spektrix.md`` §4)::

    StringToSign  = METHOD "\\n" URL "\\n" Date [ "\\n" Base64(MD5(body)) ]  # [non-GET only]
    Signature     = Base64(HMAC-SHA1(key=Base64Decode(secret), msg=UTF-8(StringToSign)))
    Authorization = "SpektrixAPI3 " login ":" Signature

``URL`` is the *full absolute URL exactly as sent* (scheme, host, client path, encoded
query string): every working public client signs it that way and the only path-only
attempt on record was refused. Build the final URL once, sign that string and send the
same string; build the ``Date`` header once with :func:`http_date` and send that value.

The client (``houselights.sources.spektrix.client``) signs with :func:`authorization_header`;
the simulator checks requests with :class:`SignatureVerifier`. Both share this module so
the two sides can never drift apart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

__all__ = [
    "AUTH_SCHEME",
    "EMPTY_BODY_MD5",
    "AuthFailure",
    "SignatureVerifier",
    "VerifyResult",
    "authorization_header",
    "body_md5",
    "http_date",
    "is_valid_key",
    "parse_authorization",
    "parse_http_date",
    "sign",
    "string_to_sign",
]

AUTH_SCHEME = "SpektrixAPI3"
"""The scheme word in ``Authorization: SpektrixAPI3 {login}:{signature}``."""

EMPTY_BODY_MD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="
"""Base64 MD5 of the empty body: what a body-less non-GET request signs (spec §4.2)."""

# Fixed English names: strftime's %a/%b follow the process locale, which is a known way
# for a signer to produce a Date Spektrix cannot parse (crowdengage uses strftime).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HTTP_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$"
)
_AUTH_HEADER = re.compile(r"^SpektrixAPI3 ([^:\s]+):(\S+)$")


def http_date(dt: datetime | None = None) -> str:
    """Format ``dt`` (default: now) as an RFC 1123 HTTP-date in GMT.

    Example: ``Mon, 21 Oct 2020 07:28:00 GMT``. A naive ``dt`` is taken to be UTC; an
    aware one is converted to UTC first (a local time would be rejected as clock skew).
    """
    if dt is None:
        dt = datetime.now(UTC)
    elif dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return (
        f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def parse_http_date(value: str) -> datetime | None:
    """Parse a strict RFC 1123 GMT date as produced by :func:`http_date`.

    Returns an aware UTC datetime, or ``None`` for anything else (``+0000`` instead of
    ``GMT``, RFC 850 or ISO forms): the server is assumed to be strict about the layout.
    """
    match = _HTTP_DATE.match(value)
    if match is None:
        return None
    day_name, day, month, year, hour, minute, second = match.groups()
    try:
        dt = datetime(
            int(year), _MONTHS.index(month) + 1, int(day),
            int(hour), int(minute), int(second), tzinfo=UTC,
        )
    except ValueError:
        return None
    # The weekday is not cross-checked: the spec's own worked example
    # ("Mon, 21 Oct 2020" was a Wednesday) must verify, and HTTP servers commonly ignore it.
    del day_name
    return dt


def _as_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body


def body_md5(body: bytes | str | None) -> str:
    """Base64 of the raw 16-byte MD5 digest of ``body`` (never the hex digest)."""
    # MD5 is what Spektrix specifies for the body line; it is not used for security here.
    return base64.b64encode(hashlib.md5(_as_bytes(body), usedforsecurity=False).digest()).decode()


def string_to_sign(method: str, url: str, date: str, body: bytes | str | None = None) -> str:
    """Build the StringToSign for one request.

    ``url`` must be the full absolute URL exactly as sent, ``date`` the exact ``Date``
    header value. The body line is added for every non-GET method, hashing ``b""`` when
    there is no body; for GET it is never added, even if a body is sent.
    """
    method = method.upper()
    lines = [method, url, date]
    if method != "GET":
        lines.append(body_md5(body))
    return "\n".join(lines)


def _decode_key(key_b64: str) -> bytes:
    return base64.b64decode(key_b64, validate=True)


def _signature(key: bytes, text: str) -> str:
    digest = hmac.new(key, text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def sign(
    key_b64: str, method: str, url: str, date: str, body: bytes | str | None = None
) -> str:
    """Return the base64 HMAC-SHA1 signature of the request, keyed by the decoded secret."""
    return _signature(_decode_key(key_b64), string_to_sign(method, url, date, body))


def authorization_header(
    login: str,
    key_b64: str,
    method: str,
    url: str,
    date: str,
    body: bytes | str | None = None,
) -> str:
    """Return the ``Authorization`` header value ``SpektrixAPI3 {login}:{signature}``.

    >>> authorization_header("TestLogin", "dGhpcyBpcyBhIHRlc3Q=", "GET",
    ...     "https://system.spektrix.com/apitesting/api/v3/customers/I-AK11-1ATK",
    ...     "Mon, 21 Oct 2020 07:28:00 GMT")
    'SpektrixAPI3 TestLogin:Tn/2Y/c/MXkQUAIqbNeni8F6B1I='
    """
    return f"{AUTH_SCHEME} {login}:{sign(key_b64, method, url, date, body)}"


def parse_authorization(value: str) -> tuple[str, str] | None:
    """Split ``SpektrixAPI3 {login}:{signature}`` into ``(login, signature)``, or ``None``."""
    match = _AUTH_HEADER.match(value)
    if match is None:
        return None
    return match.group(1), match.group(2)


class AuthFailure(Enum):
    """Why a signed request was refused (the simulator answers 401 for each)."""

    MALFORMED_HEADER = "malformed authorization header"
    UNKNOWN_LOGIN = "unknown API login"
    MISSING_DATE = "missing or unparseable Date header"
    CLOCK_SKEW = "Date header too far from server time"
    BAD_SIGNATURE = "signature does not match"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :meth:`SignatureVerifier.verify`: the login, or the reason for refusal."""

    login: str | None
    failure: AuthFailure | None = None

    @property
    def ok(self) -> bool:
        """True when the signature, login and date were all accepted."""
        return self.failure is None


class SignatureVerifier:
    """Server-side check of ``SpektrixAPI3`` signatures, used by the simulator.

    ``keys`` maps API login → base64 secret. ``max_skew_seconds`` is the allowed distance
    between the ``Date`` header and the server clock: Spektrix does not publish it, so the
    default of 15 minutes is an inference (spec §4.3).
    """

    def __init__(self, keys: dict[str, str], *, max_skew_seconds: float = 900.0) -> None:
        # Decode once: the verifier sits on the hot path of every signed request.
        self._keys = {login: _decode_key(key) for login, key in keys.items()}
        self.max_skew_seconds = max_skew_seconds

    def add_key(self, login: str, key_b64: str) -> None:
        """Register (or replace) the secret of an API login."""
        self._keys[login] = _decode_key(key_b64)

    def verify(
        self,
        method: str,
        url: str,
        date: str | None,
        authorization: str,
        body: bytes | str | None,
        *,
        now: datetime,
    ) -> VerifyResult:
        """Check one request as received: ``url`` is scheme + host + raw path + raw query."""
        parsed = parse_authorization(authorization)
        if parsed is None:
            return VerifyResult(None, AuthFailure.MALFORMED_HEADER)
        login, signature = parsed
        key = self._keys.get(login)
        if key is None:
            return VerifyResult(login, AuthFailure.UNKNOWN_LOGIN)
        sent_at = parse_http_date(date) if date else None
        if date is None or sent_at is None:
            return VerifyResult(login, AuthFailure.MISSING_DATE)
        expected = _signature(key, string_to_sign(method, url, date, body))
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return VerifyResult(login, AuthFailure.BAD_SIGNATURE)
        if abs((now - sent_at).total_seconds()) > self.max_skew_seconds:
            return VerifyResult(login, AuthFailure.CLOCK_SKEW)
        return VerifyResult(login)


def is_valid_key(key_b64: str) -> bool:
    """True if ``key_b64`` is a usable base64 secret (non-empty after decoding)."""
    try:
        return len(_decode_key(key_b64)) > 0
    except (binascii.Error, ValueError):
        return False
