"""The upload source's conformance harness: files in the template, in a folder.

A sync loads the folder's files; a change is a further file of new and changed orders;
a slow box office is a large file. There is no transport to fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.sources.kit.connections import sync_connection as sync
from houselights.sources.kit.harness import BadInput, BoxOffice, Harness
from houselights.sources.kit.source import SyncRequest

from .generate import generate_upload

__all__ = ["HARNESS", "UploadHarness"]


class _Box(BoxOffice):
    def __init__(self, folder: Path, *, lines: int) -> None:
        self.folder = folder
        self.files = [folder / "sales-1.csv"]
        generate_upload(self.files[0], lines=lines, seed=1)

    def connect(self, hl: Houselights, org_id: str) -> None:
        """Uploads need no connection."""

    def request(self) -> SyncRequest:
        return SyncRequest(files=tuple(self.files))

    def change(self) -> None:
        path = self.folder / f"sales-{len(self.files) + 1}.csv"
        generate_upload(path, lines=400, seed=len(self.files) + 1)
        self.files.append(path)

    def bad_inputs(self) -> list[BadInput]:
        def upload(name: str, content: bytes) -> Any:
            path = self.folder / name
            path.write_bytes(content)
            return lambda hl, org: sync(
                hl, org, source="upload", request=SyncRequest(files=(path,))
            )

        missing = self.folder / "no-such-file.csv"
        return [
            BadInput("an empty file", upload("empty.csv", b"")),
            BadInput("a PDF", upload("report.csv", b"%PDF-1.7 not a table")),
            BadInput("missing columns", upload("cols.csv", b"Order ID,Price\n1,2\n")),
            BadInput(
                "a file that does not exist",
                lambda hl, org: sync(
                    hl, org, source="upload", request=SyncRequest(files=(missing,))
                ),
            ),
            BadInput("no file at all", lambda hl, org: sync(hl, org, source="upload")),
        ]


class UploadHarness(Harness):
    """Generated upload files (a large one for the SIGKILL check)."""

    source = "upload"
    injects_faults = False
    kill_after_loads = 0

    @contextmanager
    def box_office(self, folder: Path, *, slow: bool = False) -> Iterator[BoxOffice]:
        folder.mkdir(parents=True, exist_ok=True)
        yield _Box(folder, lines=40_000 if slow else 1_500)


HARNESS = UploadHarness()
