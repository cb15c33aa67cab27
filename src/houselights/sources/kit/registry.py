"""One registry of sources, used by the CLI, the API, the scheduler, replay and the tests.

Built-in sources are named here by import path (loaded only when asked for). Another
package adds a box office by declaring an entry point in the group ``houselights.sources``
(``name = "package.module:SourceClass"``), or, in tests, by :func:`register`.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from houselights.errors import NotFoundError

from .source import Source

__all__ = ["register", "source_class", "source_names", "unregister"]

_BUILT_IN: dict[str, str] = {
    "spektrix": "houselights.sources.spektrix.source:SpektrixSource",
    "ticketsolve": "houselights.sources.ticketsolve.source:TicketsolveSource",
    "upload": "houselights.sources.upload.source:UploadSource",
}
_ADDED: dict[str, type[Source[Any]]] = {}
ENTRY_POINT_GROUP = "houselights.sources"


def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def register(source: type[Source[Any]]) -> type[Source[Any]]:
    """Add ``source`` under its ``name`` (usable as a class decorator)."""
    _ADDED[source.name] = source
    return source


def unregister(name: str) -> None:
    """Remove a source added by :func:`register`."""
    _ADDED.pop(name, None)


def source_names() -> list[str]:
    """Every known source name, sorted."""
    return sorted({*_BUILT_IN, *_plugins(), *_ADDED})


def source_class(name: str) -> type[Source[Any]]:
    """The source class called ``name``."""
    if name in _ADDED:
        return _ADDED[name]
    target = _BUILT_IN.get(name) or _plugins().get(name)
    if target is None:
        raise NotFoundError(
            f"There is no box office source called '{name}'.",
            hint=f"Known sources: {', '.join(source_names())}.",
        )
    module, _, attr = target.partition(":")
    cls: type[Source[Any]] = getattr(import_module(module), attr)
    return cls
