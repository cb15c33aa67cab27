"""Read an upload file (CSV or XLSX) as a stream of exchange batches.

The flow, for ``read_upload(path)``:

1. **Open and sniff** (on construction). The file must exist and not be empty. Its
   first bytes decide the format, whatever the extension: a zip is read as XLSX, an old
   ``.xls``/OLE file, PDF or gzip is refused, anything else is text. For text, one quick
   pass over the whole file fixes the encoding before any row is mapped: UTF-16 if it
   starts with a UTF-16 mark, UTF-8 (with or without a BOM) if every byte is valid UTF-8,
   else Windows-1252; NUL bytes or a run of control characters mean it is not text.
2. **Header** (on construction). The first non-blank line is the header. For CSV its
   delimiter (comma, semicolon or tab) is the one it uses most. Cells are matched to
   the template (:mod:`~houselights.sources.upload.columns`); missing required columns
   or two cells meaning one column raise :class:`~houselights.errors.UploadError`
   listing what was found and what looks close.
3. **Lines** (on iteration). Each data line becomes its non-blank cells keyed by template
   column and goes to :class:`~houselights.sources.upload.mapping.UploadMapper`, which
   maps or rejects it. Every ``chunk_rows`` lines the mapper's rows are yielded as one
   :class:`~houselights.exchange.batch.Batch`. Only the current chunk and the per-entity
   dedupe indexes are held in memory, so a file of any size streams.

Line numbers are physical: the line of the file where a CSV record starts (a quoted value
may span lines), or the spreadsheet row. Blank lines are skipped and counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Literal

from houselights.errors import UploadError
from houselights.exchange.batch import Batch
from houselights.sources.upload.columns import COLUMNS_BY_NAME, HeaderMatch, match_header
from houselights.sources.upload.mapping import UploadMapper
from houselights.sources.upload.parsing import CellValue

__all__ = ["TEMPLATE_SHEET", "DetectedFormat", "UploadReader", "read_upload"]

TEMPLATE_SHEET = "Order lines"
"""The template's sheet name; an XLSX with a sheet of this name is read from it."""

_SCAN_BLOCK = 1 << 20
_HEAD_BYTES = 1 << 16
_PROGRESS_EVERY = 8_192
# Bytes Windows-1252 leaves undefined: a file with them is not Windows-1252 text.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_ENCODING_NAMES = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252",
    "utf-16": "UTF-16",
}
_HINT_FORMAT = (
    "Save the file as CSV (UTF-8) or Excel .xlsx with one row per order line, as in the "
    "template described in docs/upload-template.md."
)


_DETECTED_KEYS = ("format", "encoding", "delimiter", "sheet")


@dataclass(frozen=True)
class DetectedFormat(Mapping[str, str | None]):
    """What the reader found: ``csv`` or ``xlsx``, the encoding and delimiter (CSV) or
    the sheet (XLSX). Also a read-only mapping, so ``dict(detected)`` gives those four
    keys (for run parameters and JSON summaries)."""

    format: Literal["csv", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    def __getitem__(self, key: str) -> str | None:
        if key not in _DETECTED_KEYS:
            raise KeyError(key)
        value: str | None = getattr(self, key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(_DETECTED_KEYS)

    def __len__(self) -> int:
        return len(_DETECTED_KEYS)

    def describe(self) -> str:
        """A short human description, e.g. ``CSV, UTF-8 with BOM, semicolon-separated``."""
        if self.format == "xlsx":
            return f"Excel workbook, sheet {self.sheet!r}"
        encoding = _ENCODING_NAMES.get(self.encoding or "", self.encoding or "?")
        return f"CSV, {encoding}, {_DELIMITER_NAMES.get(self.delimiter or '', '?')}-separated"


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
        self.bytes_read = 0
        self.lines_read = 0
        self.rows_mapped = 0
        self.rows_rejected = 0
        self.blank_lines = 0
        self.entity_counts: dict[str, int] = {}
        if not path.exists():
            raise UploadError(f"{path}: no such file", hint="Check the path and try again.")
        if not path.is_file():
            raise UploadError(f"{path}: not a file", hint="Give the path of a CSV or XLSX file.")
        self.total_bytes = path.stat().st_size
        if self.total_bytes == 0:
            raise UploadError(f"{path.name}: the file is empty", hint=_HINT_FORMAT)
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
        self._header_line = 1
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            sheet, headers, self._header_line = self._xlsx_header()
            self.detected = DetectedFormat("xlsx", sheet=sheet)
        else:
            _refuse_known_binary(path.name, head)
            encoding = _detect_encoding(path, head)
            delimiter, headers, self._header_line = self._csv_header(encoding)
            self.detected = DetectedFormat("csv", encoding=encoding, delimiter=delimiter)
        self.header = _check_header(path.name, headers, self._header_line)

    # ------------------------------------------------------------------ header
    def _open_text(self, encoding: str) -> tuple[IO[bytes], io.TextIOWrapper]:
        binary = self.path.open("rb")
        return binary, io.TextIOWrapper(binary, encoding=encoding, newline="")

    def _csv_header(self, encoding: str) -> tuple[str, list[str], int]:
        binary, text = self._open_text(encoding)
        with binary, text:
            sample = text.read(_HEAD_BYTES)
        lines = sample.splitlines()
        first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
        if first is None:
            raise UploadError(f"{self.path.name}: the file is empty (only blank lines)",
                              hint=_HINT_FORMAT)
        delimiter = _sniff_delimiter(lines[first])
        binary, text = self._open_text(encoding)
        with binary, text:
            reader = csv.reader(text, delimiter=delimiter)
            try:
                for row in reader:
                    if any(cell.strip() for cell in row):
                        return delimiter, row, reader.line_num
            except csv.Error as exc:
                raise UploadError(f"{self.path.name}, line {reader.line_num + 1}: the header "
                                  f"cannot be read as CSV ({exc})", hint=_HINT_FORMAT) from None
        raise UploadError(f"{self.path.name}: the file is empty", hint=_HINT_FORMAT)

    def _xlsx_header(self) -> tuple[str, list[str], int]:
        with _Workbook(self.path) as book:
            for number, row in enumerate(book.rows(), start=1):
                cells = [_xlsx_text(v) for v in row]
                if any(c.strip() for c in cells):
                    return book.sheet_title, cells, number
            raise UploadError(f"{self.path.name}: sheet {book.sheet_title!r} is empty",
                              hint=_HINT_FORMAT)

    # -------------------------------------------------------------------- rows
    def __iter__(self) -> Iterator[Batch]:
        self.bytes_read = self.lines_read = self.rows_mapped = 0
        self.rows_rejected = self.blank_lines = 0
        mapper = UploadMapper(self.path.name, self.header.labels)
        positions = sorted(self.header.positions.items(), key=lambda kv: kv[1])
        width = len(self.header.headers)
        records = self._xlsx_records() if self.detected.format == "xlsx" else self._csv_records()
        # One string object per distinct value within a chunk: event names, dates, prices
        # repeat on many lines, and the chunk's raw records would otherwise hold a copy
        # per line (about half of a chunk's memory).
        pool: dict[Any, Any] = {}
        share = pool.setdefault
        for line_no, row in records:
            size = len(row)
            cells: dict[str, CellValue] = {
                name: share(row[pos], row[pos])
                for name, pos in positions if pos < size and row[pos] != ""
            }
            extra = (
                [v for v in row[width:] if isinstance(v, str) and v.strip()]
                if size > width else []
            )
            if not extra and not any(
                not isinstance(v, str) or v.strip() for v in cells.values()
            ):
                self.blank_lines += 1
                continue
            if extra and self.detected.format == "csv":
                mapper.reject(
                    line_no, cells,
                    f"line {line_no}: has {len(row)} values but the header has {width} "
                    "columns (a value with an unquoted delimiter?)",
                    structural=True,
                )
            else:
                mapper.add(line_no, cells)
            self.lines_read += 1
            if mapper.pending >= self.chunk_rows:
                self._count(mapper)
                pool.clear()
                yield mapper.flush()
            if self.progress is not None and self.lines_read % _PROGRESS_EVERY == 0:
                self.progress(self.bytes_read)
        self.bytes_read = self.total_bytes
        self._count(mapper)
        if mapper.pending:
            yield mapper.flush()
        if self.progress is not None:
            self.progress(self.bytes_read)

    def _count(self, mapper: UploadMapper) -> None:
        self.rows_mapped = mapper.lines_mapped
        self.rows_rejected = mapper.lines_rejected
        self.entity_counts = mapper.entity_counts

    def _csv_records(self) -> Iterator[tuple[int, list[Any]]]:
        assert self.detected.encoding is not None and self.detected.delimiter is not None
        binary, text = self._open_text(self.detected.encoding)
        with binary, text:
            reader = csv.reader(text, delimiter=self.detected.delimiter)
            line_end = 0
            try:
                for _ in reader:
                    if reader.line_num >= self._header_line:
                        break
                line_end = reader.line_num
                for row in reader:
                    start, line_end = line_end + 1, reader.line_num
                    self.bytes_read = binary.tell()
                    yield start, row
            except csv.Error as exc:
                raise UploadError(
                    f"{self.path.name}, line {line_end + 1}: cannot be read as CSV ({exc})",
                    hint="A quoted value probably never ends: look for an opening quote "
                    "without a closing one. " + _HINT_FORMAT,
                ) from None
            except UnicodeDecodeError as exc:  # the file changed since it was scanned
                raise UploadError(f"{self.path.name}, line {line_end + 1}: {exc.reason}",
                                  hint=_HINT_FORMAT) from None

    def _xlsx_records(self) -> Iterator[tuple[int, list[Any]]]:
        with _Workbook(self.path) as book:
            for number, row in enumerate(book.rows(), start=1):
                if number <= self._header_line:
                    continue
                self.bytes_read = book.position()
                yield number, [_xlsx_value(v) for v in row]


# --------------------------------------------------------------------- helpers
def _refuse_known_binary(name: str, head: bytes) -> None:
    known = (
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
         "is an old Excel .xls workbook (or a password-protected one)",
         "Open it in Excel and save it as .xlsx or CSV (UTF-8), without a password."),
        (b"%PDF", "is a PDF document, not a spreadsheet", _HINT_FORMAT),
        (b"\x1f\x8b", "is gzip-compressed", "Uncompress it first."),
    )
    for magic, what, hint in known:
        if head.startswith(magic):
            raise UploadError(f"{name} {what}", hint=hint)


def _detect_encoding(path: Path, head: bytes) -> str:
    """Scan the whole file once: its encoding, or :class:`UploadError` if it is not text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    sample, bad_line = _scan(path, encoding)
    if bad_line is not None:
        if encoding != "utf-8":
            name = _ENCODING_NAMES[encoding]
            raise UploadError(
                f"{path.name}, line {bad_line}: the file starts with a {name} mark but is not "
                f"valid {name}", hint=_HINT_FORMAT)
        # Not UTF-8: the usual alternative from Windows Excel is Windows-1252.
        encoding = "cp1252"
        sample, bad_line = _scan(path, encoding)
        if bad_line is not None:
            raise UploadError(
                f"{path.name}, line {bad_line}: has bytes that are neither UTF-8 nor "
                "Windows-1252 text", hint=_HINT_FORMAT)
    if not sample.strip():
        raise UploadError(f"{path.name}: the file is empty (only blank lines)",
                          hint=_HINT_FORMAT)
    controls = len(_CONTROL.findall(sample))
    if controls > max(2, len(sample) // 100):
        raise UploadError(f"{path.name}: does not look like text ({controls} control "
                          "characters near the start)", hint=_HINT_FORMAT)
    return encoding


def _scan(path: Path, encoding: str) -> tuple[str, int | None]:
    """Decode the whole file: ``(its first characters, first bad line or None)``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    sample = ""
    with path.open("rb") as fh:
        while block := fh.read(_SCAN_BLOCK):
            if encoding != "utf-16" and b"\x00" in block:
                line = lines_before + block[: block.index(b"\x00")].count(b"\n") + 1
                raise UploadError(
                    f"{path.name}, line {line}: contains NUL bytes, so it is not a text "
                    "(CSV) file", hint=_HINT_FORMAT)
            try:
                decoded = decoder.decode(block)
            except UnicodeDecodeError as exc:
                return sample, lines_before + block[: exc.start].count(b"\n") + 1
            if len(sample) < _HEAD_BYTES:
                sample += decoded[:_HEAD_BYTES]
            lines_before += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return sample, lines_before + 1
    return sample[:_HEAD_BYTES], None


def _sniff_delimiter(line: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(name: str, headers: list[str], line: int) -> HeaderMatch:
    match = match_header(headers)
    if match.duplicates:
        parts = [
            f"{' and '.join(repr(h) for h in cells)} all mean "
            f"{COLUMNS_BY_NAME[col].label!r}"
            for col, cells in match.duplicates
        ]
        raise UploadError(
            f"{name}, line {line}: the header has columns that mean the same thing: "
            + "; ".join(parts),
            hint="Delete or rename all but one of each.",
        )
    if match.missing:
        wanted = []
        for col in match.missing:
            text = repr(col.label)
            close = match.suggestions.get(col.name)
            if close:
                text += " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
            wanted.append(text)
        found = ", ".join(repr(h) for h in headers if h.strip()) or "nothing"
        raise UploadError(
            f"{name}, line {line}: missing required columns: {', '.join(wanted)}. "
            f"Found columns: {found}",
            hint="Rename your columns to the template's names (or an accepted alias); see "
            "docs/upload-template.md.",
        )
    return match


def _number_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    # Spreadsheets store binary floats: 14.499999999999998 is the 14.50 typed in.
    return f"{value:.9f}".rstrip("0").rstrip(".")


def _xlsx_text(value: object) -> str:
    converted = _xlsx_value(value)
    return converted if isinstance(converted, str) else converted.isoformat()


def _xlsx_value(value: object) -> CellValue:
    if value is None:
        return ""
    if isinstance(value, str | datetime | date | time):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _number_text(value)
    return str(value)


class _Workbook:
    """An XLSX opened in openpyxl's streaming (read-only) mode, with errors translated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("rb")
        try:
            import openpyxl  # heavy; only needed for workbooks

            with warnings.catch_warnings():
                # openpyxl warns about styles and extensions it skips; they do not
                # affect the values we read.
                warnings.simplefilter("ignore")
                self._book = openpyxl.load_workbook(self._fh, read_only=True, data_only=True)
        except Exception as exc:
            self._fh.close()
            raise UploadError(
                f"{path.name}: is a zip file but not a readable Excel workbook ({exc})",
                hint="Open it in Excel and save it again as .xlsx, or export CSV (UTF-8).",
            ) from None
        sheets = list(self._book.worksheets)
        if not sheets:
            self.close()
            raise UploadError(f"{path.name}: the workbook has no sheets", hint=_HINT_FORMAT)
        wanted = re.sub(r"[^0-9a-z]", "", TEMPLATE_SHEET.casefold())
        chosen = next(
            (s for s in sheets if re.sub(r"[^0-9a-z]", "", s.title.casefold()) == wanted),
            sheets[0],
        )
        self.sheet = chosen
        self.sheet_title: str = chosen.title

    def rows(self) -> Iterator[tuple[object, ...]]:
        """The sheet's rows as values, gaps filled, from row 1."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Exporters often write a wrong <dimension>; read to the real end.
                self.sheet.reset_dimensions()
                yield from self.sheet.iter_rows(values_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged sheet
            raise UploadError(f"{self.path.name}: the workbook is damaged ({exc})",
                              hint="Open it in Excel and save it again.") from None

    def position(self) -> int:
        """How far into the (compressed) file reading has got, in bytes."""
        return self._fh.tell()

    def close(self) -> None:
        """Close the workbook and the file."""
        self._book.close()
        self._fh.close()

    def __enter__(self) -> _Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
