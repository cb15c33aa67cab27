"""A Spektrix connection: what ``connect spektrix`` stores and what a sync reads back.

Settings (stored in the clear) and secrets (the API key and the reporting user's
password, encrypted by the vault) are kept apart; :class:`SpektrixConnection` joins them
only inside the source. Its ``repr`` never shows a secret.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from houselights.context import Houselights
from houselights.errors import InputError
from houselights.orgs.service import connection_secrets, get_connection

from .auth import is_valid_key
from .client import ClientOptions, SpektrixCredentials
from .mapping import ProductionFields

__all__ = [
    "DEFAULT_BASE_URL",
    "SOURCE",
    "SpektrixConnection",
    "api_root",
    "connection_settings",
    "load_connection",
    "save_connection",
]

SOURCE = "spektrix"
DEFAULT_BASE_URL = "https://system.spektrix.com"
FEEDS = ("auto", "sync", "windows")


def api_root(base_url: str, client: str) -> str:
    """``https://system.spektrix.com`` + client → ``…/{client}/api/v3`` (a full API base
    given as ``base_url`` is kept as it is)."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base
    return f"{base}/{client}/api/v3"


def _audit_url(root: str) -> str:
    # [invented] Real Spektrix delivers the report as an emailed link; the simulator
    # serves it next to the API, which is the default here. Override with --audit-report-url.
    return root[: -len("/api/v3")] + "/reports/customer-audit"


def _field(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = name.strip()
    return name if name.startswith("attribute_") else f"attribute_{name.replace(' ', '')}"


def connection_settings(
    *,
    client: str,
    base_url: str = DEFAULT_BASE_URL,
    api_login: str,
    api_key: str,
    report_user: str | None,
    report_password: str | None,
    audit_report: str | None,
    audit_report_url: str | None = None,
    season_field: str | None = "attribute_Series",
    category_field: str | None = "attribute_Category",
    type_field: str | None = "attribute_Type",
    request_budget: float | None = 10.0,
    orders_feed: str = "auto",
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``connect spektrix`` input; returns ``(settings, secrets)``."""
    client = client.strip().lower()
    if not client or "/" in client:
        raise InputError(
            f"'{client}' is not a Spektrix client name.",
            hint="Use the part after system.spektrix.com/ in your Spektrix address.",
        )
    if not api_login.strip():
        raise InputError("The API login is empty.", hint="Pass --api-login (guide step 1).")
    if not is_valid_key(api_key.strip()):
        raise InputError(
            "The API secret key is not valid base64 text.",
            hint="Copy the key exactly as Spektrix showed it (guide step 1).",
        )
    if orders_feed not in FEEDS:
        raise InputError(f"Unknown orders feed {orders_feed!r}.", hint="Use auto, sync or windows.")
    parsed = urllib.parse.urlsplit(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(
            f"'{base_url}' is not a web address.",
            hint=f"Use e.g. {DEFAULT_BASE_URL} or your custom Spektrix domain.",
        )
    root = api_root(base_url, client)
    settings: dict[str, Any] = {
        "client": client,
        "api_root": root,
        "api_login": api_login.strip(),
        "report_user": report_user,
        "audit_report": audit_report,
        "audit_report_url": audit_report_url or _audit_url(root),
        "season_field": _field(season_field),
        "category_field": _field(category_field),
        "type_field": _field(type_field),
        "request_budget": request_budget if request_budget and request_budget > 0 else None,
        "orders_feed": orders_feed,
        **(extra or {}),
    }
    secrets = {"api_key": api_key.strip()}
    if report_password is not None:
        secrets["report_password"] = report_password
    return settings, secrets


@dataclass(frozen=True)
class SpektrixConnection:
    """Everything a sync or setup check needs for one organisation's Spektrix system."""

    org_id: str
    credentials: SpektrixCredentials
    fields: ProductionFields
    audit_report: str | None
    orders_feed: str
    options: ClientOptions
    backfill_chunk: int
    sync_interval_minutes: int
    status: str
    status_reason: str | None
    settings: dict[str, Any]


def load_connection(hl: Houselights, org_id: str) -> SpektrixConnection:
    """Read the organisation's Spektrix connection and decrypt its secrets."""
    with hl.warehouse.connect() as session:
        conn = get_connection(session, org_id, SOURCE)
        secrets = connection_secrets(session, hl.vault, org_id, SOURCE)
    s = conn.settings
    creds = SpektrixCredentials(
        client=s["client"],
        api_root=s["api_root"],
        api_login=s["api_login"],
        api_key=secrets["api_key"],
        report_user=s.get("report_user"),
        report_password=secrets.get("report_password"),
        audit_report_url=s.get("audit_report_url"),
    )
    budget = s.get("request_budget")
    options = ClientOptions(
        budget=float(budget) if budget else None,
        concurrency=int(s.get("concurrency", 16)),
        timeout=float(s.get("timeout_seconds", 30.0)),
        retries=int(s.get("retries", 5)),
        backoff_base=float(s.get("backoff_seconds", 0.5)),
    )
    return SpektrixConnection(
        org_id=org_id,
        credentials=creds,
        fields=ProductionFields(
            s.get("season_field"), s.get("category_field"), s.get("type_field")
        ),
        audit_report=s.get("audit_report"),
        orders_feed=s.get("orders_feed", "auto"),
        options=options,
        backfill_chunk=int(s.get("backfill_chunk", 500)),
        sync_interval_minutes=int(s.get("sync_interval_minutes", 60)),
        status=conn.status,
        status_reason=conn.status_reason,
        settings=dict(s),
    )


def save_connection(hl: Houselights, org_id: str, **options: Any) -> dict[str, Any]:
    """Validate and store ``org_id``'s Spektrix connection (options: see
    :func:`connection_settings`); returns the stored settings (no secrets)."""
    from houselights.orgs.service import set_connection

    settings, secrets = connection_settings(**options)
    with hl.warehouse.connect() as session, session.transaction():
        set_connection(session, hl.vault, org_id, SOURCE, settings, secrets)
    return settings
