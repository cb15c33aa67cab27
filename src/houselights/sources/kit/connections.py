"""Connections in the kit's terms: store typed settings, and open a source for an organisation.

* :func:`save_connection` validates settings with the source's model and stores them
  (secrets encrypted by the vault);
* :func:`open_source` reads an organisation's connection back and builds its source;
  ``source=None`` picks the organisation's only connection (several: say which).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from houselights.errors import InputError, NotFoundError
from houselights.orgs.service import (
    connection_secrets,
    get_connection,
    get_org,
    list_connections,
    set_connection,
)

from .registry import source_class
from .runner import ProgressFn, SyncSummary, run_sync
from .settings import ConnectionSettings
from .source import Source, SyncRequest

if TYPE_CHECKING:
    from houselights.context import Houselights

__all__ = [
    "OpenedSource",
    "connected_sources",
    "open_source",
    "save_connection",
    "sync_connection",
]


def save_connection(
    hl: Houselights, org_id: str, source: str, values: dict[str, Any]
) -> ConnectionSettings:
    """Validate ``values`` with ``source``'s settings model and store the connection."""
    model = source_class(source).settings_model
    settings = model.parse_input(values, where=f"the {source} connection")
    clear, secrets = settings.split()
    with hl.warehouse.connect() as session, session.transaction():
        set_connection(session, hl.vault, org_id, source, clear, secrets)
    return settings


def connected_sources(hl: Houselights, org_id: str) -> list[str]:
    """The sources ``org_id`` is connected to, sorted."""
    with hl.warehouse.connect() as s:
        get_org(s, org_id)
        return sorted(c.source for c in list_connections(s, org_id))


class OpenedSource:
    """A source built for one organisation, with its connection's status."""

    def __init__(self, source: Source[Any], status: str, status_reason: str | None) -> None:
        self.source = source
        self.status = status
        self.status_reason = status_reason


def _pick(hl: Houselights, org_id: str, source: str | None) -> str:
    if source is not None:
        return source
    names = connected_sources(hl, org_id)
    if not names:
        raise NotFoundError(
            f"Organisation '{org_id}' is not connected to a box office.",
            hint=f"Connect it first: `houselights connect SOURCE {org_id} …` "
            "(`houselights connect --help` lists the box offices).",
        )
    if len(names) > 1:
        raise InputError(
            f"Organisation '{org_id}' is connected to {' and '.join(names)}.",
            hint=f"Say which with --source ({', '.join(names)}).",
        )
    return names[0]


def open_source(hl: Houselights, org_id: str, source: str | None = None) -> OpenedSource:
    """Build ``org_id``'s source (its only connection when ``source`` is None) with the
    stored settings and decrypted secrets. A source that needs no connection (uploads)
    opens with default settings."""
    with hl.warehouse.connect() as s:
        get_org(s, org_id)
    name = _pick(hl, org_id, source)
    cls = source_class(name)
    with hl.warehouse.connect() as s:
        try:
            conn = get_connection(s, org_id, name)
        except NotFoundError:
            if cls.requires_connection:
                raise
            defaults = cls.settings_model.model_validate({})
            return OpenedSource(cls(hl, org_id, defaults), "active", None)
        secrets = connection_secrets(s, hl.vault, org_id, name)
    settings = cls.settings_model.from_stored(conn.settings, secrets)
    return OpenedSource(cls(hl, org_id, settings), conn.status, conn.status_reason)


def sync_connection(
    hl: Houselights,
    org_id: str,
    source: str | None = None,
    request: SyncRequest | None = None,
    *,
    progress: ProgressFn | None = None,
) -> SyncSummary:
    """Sync ``org_id`` from its box office (its only connection unless ``source``)."""
    opened = open_source(hl, org_id, source)
    return run_sync(opened.source, request, progress=progress, connection_status=opened.status)
