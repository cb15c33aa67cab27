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

The kit's :class:`~houselights.sources.kit.limits.FileLimits` bound the work on the file;
:class:`RejectionLimits` bound the lines it may not use: a file that is mostly junk is
refused as a whole (:class:`~houselights.errors.UploadError`, nothing published) as soon
as that is clear, rather than quarantined line by line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from houselights.errors import UploadError
from houselights.exchange.batch import Batch
from houselights.settings import Settings
from houselights.sources.kit.files import DetectedFormat, HeaderMatch, TableFile
from houselights.sources.kit.limits import FileLimits, setting_name
from houselights.sources.kit.values import CellValue
from houselights.sources.upload.columns import PROFILE
from houselights.sources.upload.mapping import UploadMapper

__all__ = [
    "TEMPLATE_SHEET",
    "DetectedFormat",
    "RejectionLimits",
    "UploadReader",
    "read_upload",
]

TEMPLATE_SHEET = "Order lines"
"""The template's sheet name; an XLSX with a sheet of this name is read from it."""

_PROGRESS_EVERY = 8_192
_REASON_SHOWN = 200  # characters of the first unusable line's reason a refusal quotes
_LABEL_CHARS = 40
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True, kw_only=True)
class RejectionLimits:
    """How many of an upload's lines may be unusable before the file is refused whole.

    Judged as lines are read: once ``judged_after`` lines are read, more than
    ``max_percent`` per cent of them unusable refuses the file; so does more than
    ``max_lines`` unusable lines at any point. A smaller file is never refused for its
    lines: they are quarantined with their reasons.
    """

    max_percent: int
    max_lines: int
    judged_after: int = 1_000

    @classmethod
    def from_settings(cls, settings: Settings) -> RejectionLimits:
        """The limits the settings give (``HOUSELIGHTS_UPLOAD_MAX_REJECTED_*``)."""
        return cls(
            max_percent=settings.upload_max_rejected_percent,
            max_lines=settings.upload_max_rejected_lines,
        )

    @classmethod
    def default(cls) -> RejectionLimits:
        """The limits with every setting at its default."""
        return cls.from_settings(Settings.model_construct())


def read_upload(
    path: Path,
    *,
    chunk_rows: int = 50_000,
    progress: Callable[[int], None] | None = None,
    limits: FileLimits | None = None,
    rejection: RejectionLimits | None = None,
) -> UploadReader:
    """Open an upload file and check its header; iterate the result for batches.

    Raises :class:`~houselights.errors.UploadError` for a file that cannot be used as a
    whole (missing, not a regular file, empty, not text, corrupt workbook, beyond a
    limit, missing or duplicate columns) — and, while iterating, for one beyond a limit
    or with too many unusable lines. ``progress`` is called with the cumulative bytes
    read, every few thousand lines and at the end. ``limits`` and ``rejection`` default
    to the settings' defaults.
    """
    return UploadReader(
        Path(path), chunk_rows=chunk_rows, progress=progress, limits=limits, rejection=rejection
    )


def _label(text: str) -> str:
    """A header as a reason names it: on one line, cut short."""
    flat = " ".join(_UNPRINTABLE.sub(" ", text).split())
    return flat if len(flat) <= _LABEL_CHARS else flat[:_LABEL_CHARS] + "…"


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
        limits: FileLimits | None = None,
        rejection: RejectionLimits | None = None,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        self.path = path
        self.chunk_rows = chunk_rows
        self.progress = progress
        self.rejection = rejection or RejectionLimits.default()
        self.lines_read = 0
        self.rows_mapped = 0
        self.rows_rejected = 0
        self.blank_lines = 0
        self._blank = 0  # lines of blank values (wholly empty ones the table counts)
        self.entity_counts: dict[str, int] = {}
        self.table = TableFile(path, PROFILE, limits)

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
        self.rows_rejected = self.blank_lines = self._blank = 0
        labels = {name: _label(text) for name, text in self.header.labels.items()}
        mapper = UploadMapper(self.path.name, labels)
        csv_file = self.detected.format == "csv"
        judged_after = self.rejection.judged_after
        rejected_before = 0
        for row in self.table.rows():
            cells: dict[str, CellValue] = row.cells
            if not row.extra and not any(
                not isinstance(v, str) or v.strip() for v in cells.values()
            ):
                self._blank += 1
                continue
            if row.extra and csv_file:
                mapper.reject(
                    row.line,
                    cells,
                    f"line {row.line}: has {row.width} values but the header has "
                    f"{len(self.header.headers)} columns (a value with an unquoted delimiter?)",
                    structural=True,
                )
            elif row.problems:
                problems = "; ".join(
                    f"{labels.get(name, name)}: {why}" for name, why in row.problems.items()
                )
                mapper.reject(row.line, cells, f"line {row.line}, {problems}", structural=True)
            else:
                mapper.add(row.line, cells)
            self.lines_read += 1
            rejected = mapper.lines_rejected
            if rejected != rejected_before or self.lines_read == judged_after:
                rejected_before = rejected
                self._judge(mapper)
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

    def _judge(self, mapper: UploadMapper) -> None:
        """Refuse the file once too many of its lines are unusable (see RejectionLimits)."""
        limits = self.rejection
        rejected, lines = mapper.lines_rejected, self.lines_read
        if rejected > limits.max_lines:
            what = f"more than {limits.max_lines:,} of its lines cannot be used"
            setting = "upload_max_rejected_lines"
        elif lines >= limits.judged_after and rejected * 100 > limits.max_percent * lines:
            what = (
                f"{rejected:,} of its first {lines:,} lines cannot be used (more than "
                f"{limits.max_percent}%)"
            )
            setting = "upload_max_rejected_percent"
        else:
            return
        self._count(mapper)
        first = mapper.first_rejection or ""
        if len(first) > _REASON_SHOWN:
            first = first[:_REASON_SHOWN] + "…"
        refusal = UploadError(
            f"{self.path.name}: {what}, so the file is refused as a whole; the first: {first}",
            hint="Check the file is in the template (docs/upload-template.md) and fix its "
            f"export; the limit is {setting_name(setting)}.",
        )
        refusal.rejected = [
            {"record_key": r.record_key, "reason": r.reason, "record": r.record}
            for r in mapper.first_rejected
        ]
        raise refusal

    def _count(self, mapper: UploadMapper) -> None:
        self.blank_lines = self._blank + self.table.empty_rows
        self.rows_mapped = mapper.lines_mapped
        self.rows_rejected = mapper.lines_rejected
        self.entity_counts = mapper.entity_counts
