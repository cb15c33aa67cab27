"""The upload source on the kit: a file in the template is one atomic load.

``houselights upload SLUG FILE`` (and the API's upload) sync this source with the file:
its header is checked before the run starts, then every line streams through the
mapper into one load — a file is published whole or not at all. Uploads need no
``connect``: an organisation uploads with default settings (quality-check policy
overrides may be given per upload).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from houselights.errors import InputError
from houselights.exchange.batch import Batch, RawRecord
from houselights.exchange.state import StreamState
from houselights.sources.kit.files import FileStream, sha256_of
from houselights.sources.kit.limits import FileLimits
from houselights.sources.kit.settings import ConnectionSettings
from houselights.sources.kit.source import Page, RunPlan, Source, Stream, SyncRequest

from .mapping import RAW_STREAM, batches_from_raw
from .reader import RejectionLimits, UploadReader, read_upload

if TYPE_CHECKING:
    from houselights.context import Houselights

__all__ = ["UploadFileStream", "UploadSource"]


class UploadFileStream(FileStream["UploadSource"]):
    """The lines of one upload file, mapped as they are read (or kept lines, on replay)."""

    name = "upload"
    label = "Upload"
    raw_streams = (RAW_STREAM,)
    unique_keys = False  # an order's lines share its key
    replays_every_run = True  # lines are parts of entities: every upload counts

    def __init__(self, source: UploadSource, reader: UploadReader | None = None) -> None:
        super().__init__(source)
        self.reader = reader

    def pages(self, state: StreamState | None) -> Iterator[Page]:
        reader = self.reader
        if reader is None:
            return
        for batch in reader:
            yield Page(batch=batch, done=reader.bytes_read, total=reader.total_bytes)
        self.source.notes.update(
            lines_read=reader.lines_read,
            rows_rejected=reader.rows_rejected,
            detected=dict(reader.detected),
        )

    def replay(self, records: list[RawRecord]) -> Iterable[Batch]:
        return batches_from_raw(records)


class UploadSource(Source[ConnectionSettings]):
    """Files in the houselights upload template, for any box office without an API."""

    name = "upload"
    title = "Upload"
    conformance = "houselights.sources.upload.testing:HARNESS"
    settings_model = ConnectionSettings
    summary = "CSV/XLSX files in the documented template (docs/upload-template.md)"
    requires_connection = False

    def __init__(
        self,
        hl: Houselights,
        org_id: str,
        settings: ConnectionSettings,
        *,
        chunk_rows: int = 20_000,
    ) -> None:
        super().__init__(hl, org_id, settings)
        self.chunk_rows = chunk_rows

    def plan(self, request: SyncRequest) -> list[RunPlan]:
        if not request.files:
            raise InputError(
                "An upload needs a file.",
                hint="Run `houselights upload SLUG FILE` with a CSV or XLSX file in the "
                "template (docs/upload-template.md).",
            )
        plans = []
        for path in request.files:
            reader = read_upload(  # header checked now
                Path(path),
                chunk_rows=self.chunk_rows,
                limits=FileLimits.from_settings(self.hl.settings),
                rejection=RejectionLimits.from_settings(self.hl.settings),
            )
            params: dict[str, Any] = {
                "file": reader.path.name,
                "sha256": sha256_of(reader.path),
                "bytes": reader.total_bytes,
            }
            plans.append(RunPlan("upload", [UploadFileStream(self, reader)], params))
        return plans

    def replay_streams(self) -> list[Stream[Any]]:
        return [UploadFileStream(self)]
