"""Spektrix API v3 request signing (System Owner / Agent modes).

The signing rule (``specs/spektrix.md`` §4)::

    StringToSign  = METHOD "\\n" URL "\\n" Date [ "\\n" Base64(MD5(body)) ]  # [non-GET only]
    Signature     = Base64(HMAC-SHA1(key=Base64Decode(secret), msg=UTF-8(StringToSign)))
    Authorization = "SpektrixAPI3 " login ":" Signature

``URL`` is the *full absolute URL exactly as sent* (scheme, host, client path, encoded
query string): every working public client signs it that way and the only path-only
attempt on record was refused. Build the final URL once, sign that string and send the
same string; build the ``Date`` header once with :func:`http_date` and send that value.

The client (``houselights.sources.spektrix.client``) signs with :func:`authorization_header`.
The simulator checks signatures with its own verifier (``simulator/verifier.py``), written
from the spec independently of this module, so a mistake here cannot sign and verify
alike unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime

__all__ = [
    "AUTH_SCHEME",
    "EMPTY_BODY_MD5",
    "authorization_header",
    "body_md5",
    "http_date",
    "is_valid_key",
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


def is_valid_key(key_b64: str) -> bool:
    """True if ``key_b64`` is a usable base64 secret (non-empty after decoding)."""
    try:
        return len(_decode_key(key_b64)) > 0
    except (binascii.Error, ValueError):
        return False
