"""Read an upload file (CSV or XLSX) as a stream of exchange batches.

The kit's :class:`~houselights.sources.kit.files.TableFile` opens and sniffs the file
and matches its header to the template (:data:`~houselights.sources.upload.columns.PROFILE`);
this module feeds each data line to
:class:`~houselights.sources.upload.mapping.UploadMapper`, which maps or rejects it, and
yields the mapper's rows every ``chunk_rows`` lines as one
:class:`~houselights.exchange.batch.Batch`. Only the current chunk and the per-entity
dedupe indexes are held in memory, so a file of any size streams.

Line numbers are physical: the line of the file where a CSV record starts (a quoted value
may span lines), or the spreadsheet row. Blank lines are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from houselights.exchange.batch import Batch
from houselights.sources.kit.files import DetectedFormat, HeaderMatch, TableFile
from houselights.sources.kit.values import CellValue
from houselights.sources.upload.columns import PROFILE
from houselights.sources.upload.mapping import UploadMapper

__all__ = ["TEMPLATE_SHEET", "DetectedFormat", "UploadReader", "read_upload"]

TEMPLATE_SHEET = "Order lines"
"""The template's sheet name; an XLSX with a sheet of this name is read from it."""

_PROGRESS_EVERY = 8_192


def read_upload(
    path: Path,
    *,
    chunk_rows: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> UploadReader:
    """Open an upload file and check its header; iterate the result for batches.

    Raises :class:`~houselights.errors.UploadError` for a file that cannot be used as a
    whole (missing, empty, not text, corrupt workbook, missing or duplicate columns).
    ``progress`` is called with the cumulative bytes read, every few thousand lines and
    at the end.
    """
    return UploadReader(Path(path), chunk_rows=chunk_rows, progress=progress)


class UploadReader:
    """An opened, header-checked upload file; iterating it yields :class:`Batch` objects.

    Iterating again reads the file again from the start and gives the same batches.
    Counters (``bytes_read``, ``lines_read``, ``rows_rejected``, ``blank_lines``) describe
    the latest iteration; ``total_bytes`` and ``detected`` are known from construction.
    """

    def __init__(
        self,
        path: Path,
        *,
        chunk_rows: int = 50_000,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        self.path = path
        self.chunk_rows = chunk_rows
        self.progress = progress
        self.lines_read = 0
        self.rows_mapped = 0
        self.rows_rejected = 0
        self.blank_lines = 0
        self.entity_counts: dict[str, int] = {}
        self.table = TableFile(path, PROFILE)

    @property
    def total_bytes(self) -> int:
        """The file's size."""
        return self.table.total_bytes

    @property
    def bytes_read(self) -> int:
        """How far the latest iteration has read."""
        return self.table.bytes_read

    @property
    def detected(self) -> DetectedFormat:
        """The format, encoding and delimiter (or sheet) found."""
        return self.table.detected

    @property
    def header(self) -> HeaderMatch:
        """How the header matched the template."""
        return self.table.header

    def __iter__(self) -> Iterator[Batch]:
        self.lines_read = self.rows_mapped = 0
        self.rows_rejected = self.blank_lines = 0
        mapper = UploadMapper(self.path.name, self.header.labels)
        csv_file = self.detected.format == "csv"
        for row in self.table.rows():
            cells: dict[str, CellValue] = row.cells
            if not row.extra and not any(
                not isinstance(v, str) or v.strip() for v in cells.values()
            ):
                self.blank_lines += 1
                continue
            if row.extra and csv_file:
                mapper.reject(
                    row.line,
                    cells,
                    f"line {row.line}: has {row.width} values but the header has "
                    f"{len(self.header.headers)} columns (a value with an unquoted delimiter?)",
                    structural=True,
                )
            else:
                mapper.add(row.line, cells)
            self.lines_read += 1
            if mapper.pending >= self.chunk_rows:
                self._count(mapper)
                yield mapper.flush()
            if self.progress is not None and self.lines_read % _PROGRESS_EVERY == 0:
                self.progress(self.bytes_read)
        self._count(mapper)
        if mapper.pending:
            yield mapper.flush()
        if self.progress is not None:
            self.progress(self.bytes_read)

    def _count(self, mapper: UploadMapper) -> None:
        self.rows_mapped = mapper.lines_mapped
        self.rows_rejected = mapper.lines_rejected
        self.entity_counts = mapper.entity_counts
