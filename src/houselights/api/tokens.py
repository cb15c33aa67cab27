"""API tokens: create, list, revoke and resolve. Only a token's SHA-256 is ever stored.

Three kinds of token:

* ``admin`` — sees every organisation (subject ``admin``);
* ``org`` — one organisation (subject = its slug): its own data, reports and benchmarks;
* ``recipient`` — a funder, agency or peer (subject = the recipient name grants are made
  to): only the reports and benchmarks of organisations that granted it access.

The plain token is shown once, at creation; a token is named afterwards by its *id*, the
first 12 hex digits of its hash, which reveals nothing usable.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from houselights.common import utcnow
from houselights.errors import InputError, NotFoundError
from houselights.orgs.service import get_org
from houselights.warehouse.base import Session

__all__ = [
    "TOKEN_KINDS",
    "TOKEN_PREFIX",
    "CreatedToken",
    "TokenInfo",
    "TokenKind",
    "create_token",
    "hash_token",
    "list_tokens",
    "resolve_token",
    "revoke_token",
]

TokenKind = Literal["admin", "org", "recipient"]
TOKEN_KINDS: tuple[TokenKind, ...] = ("admin", "org", "recipient")
TOKEN_PREFIX = "hl_"  # noqa: S105 - a recognisable prefix, not a secret
_ID_LENGTH = 12


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which ``token`` is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    token_id: str
    kind: TokenKind
    subject: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "token_id": self.token_id,
            "kind": self.kind,
            "subject": self.subject,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True)
class CreatedToken:
    """A new token: the plain value (shown once) and its stored description."""

    token: str
    info: TokenInfo


def _info(row: tuple[Any, ...]) -> TokenInfo:
    return TokenInfo(str(row[0])[:_ID_LENGTH], row[1], str(row[2]), row[3], row[4], row[5])


_COLUMNS = "token_hash, kind, subject, label, created_at, revoked_at"


def create_token(
    session: Session, kind: str, subject: str | None = None, *, label: str | None = None
) -> CreatedToken:
    """Create a token of ``kind`` for ``subject`` (an org slug, a recipient, or nothing
    for admin) and return its plain value — the only time it is available."""
    if kind not in TOKEN_KINDS:
        raise InputError(
            f"'{kind}' is not a token kind.", hint=f"Use one of: {', '.join(TOKEN_KINDS)}."
        )
    if kind == "admin":
        subject = "admin"
    elif not subject or not subject.strip():
        raise InputError(
            f"A {kind} token needs a subject.",
            hint="Pass the organisation slug (--org) for an org token, or the recipient name "
            "the grants were made to (--recipient) for a recipient token.",
        )
    subject = subject.strip()
    if kind == "org":
        get_org(session, subject)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    digest = hash_token(token)
    session.execute(
        f"INSERT INTO api_tokens ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",
        [digest, kind, subject, label, now],
    )
    return CreatedToken(token, _info((digest, kind, subject, label, now, None)))


def list_tokens(session: Session, *, include_revoked: bool = False) -> list[TokenInfo]:
    """Stored tokens, oldest first (never their secret)."""
    where = "" if include_revoked else " WHERE revoked_at IS NULL"
    rows = session.fetchall(
        f"SELECT {_COLUMNS} FROM api_tokens{where} ORDER BY created_at, token_hash"
    )
    return [_info(r) for r in rows]


def revoke_token(session: Session, token_id: str) -> TokenInfo:
    """Revoke the token whose id (the first digits of its hash) is ``token_id``."""
    token_id = token_id.strip().lower()
    if len(token_id) < 6:
        raise InputError(
            f"'{token_id}' is too short to name a token.",
            hint="Give the 12-character id shown by `houselights token list`.",
        )
    rows = session.fetchall(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash LIKE ? AND revoked_at IS NULL",
        [token_id + "%"],
    )
    if len(rows) != 1:
        raise NotFoundError(
            f"There is no active token with id '{token_id}'."
            if not rows
            else f"The id '{token_id}' matches {len(rows)} tokens.",
            hint="`houselights token list` shows the ids of active tokens.",
        )
    now = utcnow()
    session.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ?", [now, rows[0][0]])
    return _info((*rows[0][:5], now))


def resolve_token(session: Session, token: str) -> TokenInfo | None:
    """The active token ``token`` stands for, or ``None``."""
    row = session.fetchone(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        [hash_token(token)],
    )
    return _info(row) if row else None
