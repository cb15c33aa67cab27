"""Who is calling, and what they may see: bearer tokens resolved to a :class:`Principal`.

Access is decided here, once, for every route that names an organisation:

==============  =====================================================================
access          who may
==============  =====================================================================
``view``        the organisation's name: admin, the org, any recipient it granted
``manage``      connections, runs, check results, quarantine: admin, or the org itself
``data``        metrics and insight families: also recipients granted scope ``all``
``reports``     reports and exports: also recipients granted ``reports`` or ``all``
``benchmarks``  the org's place in a cohort: also recipients granted ``benchmarks``/``all``
==============  =====================================================================

An ``org`` token never sees another organisation, whatever that organisation granted;
comparisons across organisations go through the benchmark routes, which only pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from houselights.api.tokens import TokenInfo, TokenKind, resolve_token
from houselights.errors import PermissionDeniedError
from houselights.orgs.service import get_org, granted_orgs, list_orgs
from houselights.warehouse.base import Session

__all__ = [
    "Access",
    "NotSignedInError",
    "Principal",
    "authenticate",
    "authorise_org",
    "bearer_token",
    "visible_orgs",
]

Access = Literal["view", "manage", "data", "reports", "benchmarks"]

# The grant scopes that give a recipient each kind of access ('all' always does).
_RECIPIENT_SCOPES: dict[Access, tuple[str, ...]] = {
    "view": ("benchmarks", "reports"),
    "manage": (),
    "data": ("all",),
    "reports": ("reports",),
    "benchmarks": ("benchmarks",),
}


class NotSignedInError(PermissionDeniedError):
    """No token, or a token that is unknown or revoked."""

    http_status = 401
    code = "unauthenticated"


@dataclass(frozen=True)
class Principal:
    """The caller: a token's kind and subject."""

    kind: TokenKind
    subject: str
    token_id: str

    @classmethod
    def from_token(cls, info: TokenInfo) -> Principal:
        """The principal a stored token stands for."""
        return cls(info.kind, info.subject, info.token_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (no secret in it)."""
        return {"kind": self.kind, "subject": self.subject, "token_id": self.token_id}


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header, or NotSignedInError."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotSignedInError(
            "This request carries no API token.",
            hint="Send the header 'Authorization: Bearer <token>'; create a token with "
            "`houselights token create`.",
        )
    return value.strip()


def authenticate(session: Session, authorization: str | None) -> Principal:
    """Resolve the request's bearer token, or raise NotSignedInError."""
    info = resolve_token(session, bearer_token(authorization))
    if info is None:
        raise NotSignedInError(
            "The API token is unknown or has been revoked.",
            hint="Ask an administrator for a new token (`houselights token create`).",
        )
    return Principal.from_token(info)


def _denied(principal: Principal, org_id: str, what: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"This {principal.kind} token ({principal.subject}) may not see {what} of "
        f"organisation '{org_id}'.",
        hint="Use a token of that organisation, or ask it to grant your organisation "
        "access (`houselights grant add`).",
    )


def authorise_org(session: Session, principal: Principal, org_id: str, access: Access) -> str:
    """Check that ``principal`` may have ``access`` to ``org_id``; returns ``org_id``.

    Permission is decided before existence, so a token cannot probe which other
    organisations exist.
    """
    if principal.kind == "org" and principal.subject != org_id:
        raise _denied(principal, org_id, "data")
    if principal.kind == "recipient":
        scopes = _RECIPIENT_SCOPES[access]
        if not scopes:
            raise _denied(principal, org_id, "the connections and runs")
        if not any(org_id in granted_orgs(session, principal.subject, s) for s in scopes):
            raise _denied(principal, org_id, f"the {access}")
    get_org(session, org_id)
    return org_id


def visible_orgs(session: Session, principal: Principal) -> list[str]:
    """The organisations ``principal`` may see anything of, sorted."""
    if principal.kind == "admin":
        return [o.org_id for o in list_orgs(session)]
    if principal.kind == "org":
        return [principal.subject]
    scopes = _RECIPIENT_SCOPES["view"]
    return sorted({o for s in scopes for o in granted_orgs(session, principal.subject, s)})
