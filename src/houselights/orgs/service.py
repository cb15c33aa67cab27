"""Organisations, connections and data-sharing grants.

Every function takes the organisation it acts on explicitly; nothing here reads across
organisations except :func:`list_orgs` (admin) and :func:`granted_orgs` (the cohort a
recipient may see).
"""

from __future__ import annotations

import json
import re
import secrets as pysecrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from houselights.common import utcnow
from houselights.errors import ConflictError, InputError, NotFoundError
from houselights.orgs.vault import SecretVault, redact
from houselights.warehouse.base import Session

__all__ = [
    "Connection",
    "Grant",
    "Organisation",
    "add_org",
    "connection_secrets",
    "get_connection",
    "get_org",
    "grant_access",
    "granted_orgs",
    "list_connections",
    "list_grants",
    "list_orgs",
    "revoke_access",
    "set_connection",
    "set_connection_status",
    "validate_slug",
]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
SCOPES = ("benchmarks", "reports", "all")


@dataclass(frozen=True)
class Organisation:
    """An organisation whose data houselights holds."""

    org_id: str
    name: str
    region: str | None
    artform: str | None
    created_at: datetime


@dataclass(frozen=True)
class Connection:
    """A box office connection: settings in the clear, secrets only as names."""

    org_id: str
    source: str
    settings: dict[str, Any]
    secret_names: tuple[str, ...]
    status: str
    status_reason: str | None
    updated_at: datetime

    def redacted(self) -> dict[str, Any]:
        """A display form with every secret redacted."""
        return {
            "org_id": self.org_id,
            "source": self.source,
            "settings": self.settings,
            "secrets": redact(dict.fromkeys(self.secret_names, "")),
            "status": self.status,
            "status_reason": self.status_reason,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Grant:
    """A data-sharing grant from an organisation to a recipient."""

    grant_id: str
    org_id: str
    recipient: str
    scope: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revoked_at is None


def validate_slug(slug: str) -> str:
    """Check an organisation slug: lower-case letters, digits and hyphens."""
    if not SLUG.match(slug):
        raise InputError(
            f"'{slug}' is not a valid organisation slug.",
            hint="Use 2–63 lower-case letters, digits and hyphens, starting with a letter or "
            "digit, e.g. riverside-arts.",
        )
    return slug


def add_org(
    session: Session,
    slug: str,
    name: str,
    *,
    region: str | None = None,
    artform: str | None = None,
) -> Organisation:
    """Create an organisation."""
    validate_slug(slug)
    if not name.strip():
        raise InputError("The organisation needs a name.", hint='Pass --name "Riverside Arts".')
    if session.fetchone("SELECT 1 FROM organisations WHERE org_id = ?", [slug]):
        raise ConflictError(
            f"An organisation called '{slug}' exists already.",
            hint=f"See it with `houselights org show {slug}`, or choose another slug.",
        )
    now = utcnow()
    session.execute(
        "INSERT INTO organisations (org_id, name, region, artform, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [slug, name.strip(), region, artform, now],
    )
    return Organisation(slug, name.strip(), region, artform, now)


def get_org(session: Session, slug: str) -> Organisation:
    """The organisation ``slug``, or a NotFoundError that says how to list them."""
    row = session.fetchone(
        "SELECT org_id, name, region, artform, created_at FROM organisations WHERE org_id = ?",
        [slug],
    )
    if row is None:
        raise NotFoundError(
            f"There is no organisation called '{slug}'.",
            hint="`houselights org list` shows them; `houselights org add SLUG --name NAME` "
            "creates one.",
        )
    return Organisation(*row)


def list_orgs(session: Session) -> list[Organisation]:
    """Every organisation, by slug."""
    rows = session.fetchall(
        "SELECT org_id, name, region, artform, created_at FROM organisations ORDER BY org_id"
    )
    return [Organisation(*r) for r in rows]


def set_connection(
    session: Session,
    vault: SecretVault,
    org_id: str,
    source: str,
    settings: dict[str, Any],
    secrets: dict[str, str],
) -> Connection:
    """Create or replace the organisation's connection to ``source``."""
    get_org(session, org_id)
    now = utcnow()
    existing = session.fetchone(
        "SELECT created_at FROM connections WHERE org_id = ? AND source = ?", [org_id, source]
    )
    created = existing[0] if existing else now
    session.execute("DELETE FROM connections WHERE org_id = ? AND source = ?", [org_id, source])
    session.execute(
        "INSERT INTO connections (org_id, source, settings, secrets, status, status_reason,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, 'active', NULL, ?, ?)",
        [
            org_id,
            source,
            json.dumps(settings, sort_keys=True),
            vault.encrypt(secrets),
            created,
            now,
        ],
    )
    return Connection(org_id, source, settings, tuple(sorted(secrets)), "active", None, now)


def _connection(row: tuple[Any, ...], vault: SecretVault | None) -> Connection:
    secret_names: tuple[str, ...] = ()
    if vault is not None:
        secret_names = tuple(sorted(vault.decrypt(row[3])))
    return Connection(row[0], row[1], json.loads(row[2]), secret_names, row[4], row[5], row[6])


def get_connection(
    session: Session,
    org_id: str,
    source: str,
    vault: SecretVault | None = None,
) -> Connection:
    """The organisation's connection to ``source`` (secrets never included)."""
    row = session.fetchone(
        "SELECT org_id, source, settings, secrets, status, status_reason, updated_at"
        " FROM connections WHERE org_id = ? AND source = ?",
        [org_id, source],
    )
    if row is None:
        raise NotFoundError(
            f"Organisation '{org_id}' has no {source} connection.",
            hint=f"Create one with `houselights connect {source} {org_id} …`.",
        )
    return _connection(row, vault)


def connection_secrets(
    session: Session, vault: SecretVault, org_id: str, source: str
) -> dict[str, str]:
    """Decrypted secrets of a connection — for sources only, never for display."""
    token = session.scalar(
        "SELECT secrets FROM connections WHERE org_id = ? AND source = ?", [org_id, source]
    )
    if token is None:
        raise NotFoundError(f"Organisation '{org_id}' has no {source} connection.")
    return vault.decrypt(str(token))


def list_connections(
    session: Session, org_id: str, vault: SecretVault | None = None
) -> list[Connection]:
    """The organisation's connections (with a vault, the names of their secrets)."""
    rows = session.fetchall(
        "SELECT org_id, source, settings, secrets, status, status_reason, updated_at"
        " FROM connections WHERE org_id = ? ORDER BY source",
        [org_id],
    )
    return [_connection(r, vault) for r in rows]


def set_connection_status(
    session: Session, org_id: str, source: str, status: str, reason: str | None
) -> None:
    """Pause or re-activate a connection (e.g. when the organisation withdraws access)."""
    session.execute(
        "UPDATE connections SET status = ?, status_reason = ?, updated_at = ?"
        " WHERE org_id = ? AND source = ?",
        [status, reason, utcnow(), org_id, source],
    )


def grant_access(
    session: Session,
    org_id: str,
    recipient: str,
    *,
    scope: str = "benchmarks",
    by: str,
) -> Grant:
    """Record that ``org_id`` lets ``recipient`` see its data within ``scope``."""
    get_org(session, org_id)
    if scope not in SCOPES:
        raise InputError(
            f"'{scope}' is not a grant scope.", hint=f"Use one of: {', '.join(SCOPES)}."
        )
    if not recipient.strip():
        raise InputError("A grant needs a recipient.", hint="Name the funder, agency or org.")
    active = [
        g
        for g in list_grants(session, org_id)
        if g.active and g.recipient == recipient and g.scope == scope
    ]
    if active:
        return active[0]
    grant = Grant(f"g-{pysecrets.token_hex(6)}", org_id, recipient, scope, utcnow(), by, None, None)
    session.execute(
        "INSERT INTO grants (grant_id, org_id, recipient, scope, granted_at, granted_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [grant.grant_id, org_id, recipient, scope, grant.granted_at, by],
    )
    return grant


def revoke_access(session: Session, org_id: str, recipient: str, *, by: str) -> int:
    """Revoke every active grant of ``org_id`` to ``recipient``; returns how many."""
    get_org(session, org_id)
    n = int(
        session.scalar(
            "SELECT COUNT(*) FROM grants WHERE org_id = ? AND recipient = ? AND revoked_at IS NULL",
            [org_id, recipient],
        )
        or 0
    )
    if n == 0:
        raise NotFoundError(
            f"'{org_id}' has no active grant to '{recipient}'.",
            hint=f"`houselights grant list {org_id}` shows its grants.",
        )
    session.execute(
        "UPDATE grants SET revoked_at = ?, revoked_by = ?"
        " WHERE org_id = ? AND recipient = ? AND revoked_at IS NULL",
        [utcnow(), by, org_id, recipient],
    )
    return n


def list_grants(session: Session, org_id: str) -> list[Grant]:
    """Every grant of the organisation, active and revoked, oldest first."""
    rows = session.fetchall(
        "SELECT grant_id, org_id, recipient, scope, granted_at, granted_by, revoked_at,"
        " revoked_by FROM grants WHERE org_id = ? ORDER BY granted_at, grant_id",
        [org_id],
    )
    return [Grant(*r) for r in rows]


def granted_orgs(session: Session, recipient: str, scope: str = "benchmarks") -> list[str]:
    """Organisations with an active grant to ``recipient`` covering ``scope``."""
    rows = session.fetchall(
        "SELECT DISTINCT org_id FROM grants WHERE recipient = ? AND revoked_at IS NULL"
        " AND scope IN (?, 'all') ORDER BY org_id",
        [recipient, scope],
    )
    return [str(r[0]) for r in rows]
