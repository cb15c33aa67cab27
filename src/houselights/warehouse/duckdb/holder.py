"""Who holds a DuckDB file: ``houselights serve`` leaves its address beside the file.

A DuckDB file has one writing process. While ``houselights serve`` holds it, another
command cannot open it; instead of a dead end, that command is told where the running
server is, so the same work is done there (the dashboard, or the API).
The note is ``<file>.server.json`` (``pid`` and ``url``), removed when the server stops;
a note left by a process that is gone is ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RunningServer", "announce_server", "running_server"]


@dataclass(frozen=True)
class RunningServer:
    """A live ``houselights serve`` holding a database file."""

    pid: int
    url: str


def _note(path: str) -> Path:
    return Path(f"{path}.server.json")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server(path: str) -> RunningServer | None:
    """The live server holding ``path``, if one announced itself."""
    try:
        data = json.loads(_note(path).read_text(encoding="utf-8"))
        pid, url = int(data["pid"]), str(data["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return RunningServer(pid, url) if pid != os.getpid() and _alive(pid) else None


@contextmanager
def announce_server(path: str | None, url: str) -> Iterator[None]:
    """Within the block, ``path`` is announced as held by this process at ``url``."""
    if path is None or path == ":memory:":
        yield
        return
    note = _note(path)
    note.write_text(json.dumps({"pid": os.getpid(), "url": url}), encoding="utf-8")
    try:
        yield
    finally:
        with suppress(OSError):
            note.unlink()
