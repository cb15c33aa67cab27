"""The simulator's own check of ``SpektrixAPI3`` signatures, written from the spec text.

Deliberately independent of the client's signer (``houselights.sources.spektrix.auth``):
if both sides shared one module, a mistake in it would sign and verify alike and no test
could catch it. This module follows ``specs/spektrix.md`` §4.2 and §13.2 word for word:

* ``Authorization`` must match ``^SpektrixAPI3 ([^:]+):(.+)$``; the login must be known;
* the ``Date`` header must be an RFC 1123 date in GMT (``Mon, 21 Oct 2020 07:28:00 GMT``);
* StringToSign = METHOD + "\\n" + the **absolute URL as received** (scheme + Host + raw
  path + raw query) + "\\n" + the Date header value, plus "\\n" + Base64(raw MD5 of the
  body bytes) for every method other than GET (an empty body hashes ``b""``);
* the signature is Base64(HMAC-SHA1(key = Base64Decode(secret), message = UTF-8 text));
* a Date further than the allowed skew from the server clock is refused (window not
  published; ±15 minutes is the spec's suggestion, §4.3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

__all__ = ["Refusal", "Verdict", "Verifier"]

_HEADER = re.compile(r"^SpektrixAPI3 ([^:]+):(.+)$")
_GMT_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)


class Refusal(Enum):
    """Why a signed request was refused (each is a 401)."""

    MALFORMED_HEADER = "malformed authorization header"
    UNKNOWN_LOGIN = "unknown API login"
    MISSING_DATE = "missing or unparseable Date header"
    CLOCK_SKEW = "Date header too far from server time"
    BAD_SIGNATURE = "signature does not match"


@dataclass(frozen=True)
class Verdict:
    """The login a request was signed by, or why it was refused."""

    login: str | None
    refusal: Refusal | None = None


def _received_date(value: str | None) -> datetime | None:
    # Strict layout (the spec's "GMT" form only: peers using "+0000" were refused, §4.2);
    # the weekday name is not cross-checked (the spec's own example has the wrong one).
    if value is None or not _GMT_DATE.match(value):
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class Verifier:
    """Checks signed requests against the API users' secrets (login → base64 secret)."""

    def __init__(self, secrets: dict[str, str], *, max_skew_seconds: float = 900.0) -> None:
        self._keys = {login: base64.b64decode(secret) for login, secret in secrets.items()}
        self.max_skew_seconds = max_skew_seconds

    def check(
        self,
        method: str,
        url: str,
        date: str | None,
        authorization: str,
        body: bytes | None,
        *,
        now: datetime,
    ) -> Verdict:
        """Verify one request as received (``url``: scheme + Host + raw path and query)."""
        match = _HEADER.match(authorization)
        if match is None:
            return Verdict(None, Refusal.MALFORMED_HEADER)
        login, given = match.group(1), match.group(2)
        key = self._keys.get(login)
        if key is None:
            return Verdict(login, Refusal.UNKNOWN_LOGIN)
        sent = _received_date(date)
        if sent is None or date is None:
            return Verdict(login, Refusal.MISSING_DATE)
        text = method.upper() + "\n" + url + "\n" + date
        if method.upper() != "GET":
            digest = hashlib.md5(body or b"", usedforsecurity=False).digest()
            text += "\n" + base64.b64encode(digest).decode("ascii")
        wanted = base64.b64encode(
            hmac.new(key, text.encode("utf-8"), hashlib.sha1).digest()
        ).decode("ascii")
        if not hmac.compare_digest(wanted.encode("ascii"), given.encode("utf-8")):
            return Verdict(login, Refusal.BAD_SIGNATURE)
        if abs((now - sent).total_seconds()) > self.max_skew_seconds:
            return Verdict(login, Refusal.CLOCK_SKEW)
        return Verdict(login)
