"""Tabular files any source reads: CSV or XLSX, sniffed once, matched to a column profile.

A box office's report export, or the upload template, is a table: a header line then a
line per record. :class:`TableFile` opens one, whatever its form, and hands over its
lines keyed by the profile's column names, with physical line numbers for messages:

1. **Open and sniff.** Only a regular file is opened, never through a symbolic link,
   and only up to the size limit (:mod:`~houselights.sources.kit.limits`). The first
   bytes decide the format, whatever the extension: a zip is read as XLSX once its zip
   directory passed :func:`~houselights.sources.kit.limits.check_workbook`; an old
   ``.xls``/OLE file, PDF or gzip is refused; anything else is text. For text, one pass
   over the whole file fixes the encoding before any line is read: UTF-16 if it starts
   with a UTF-16 mark, UTF-8 (with or without a BOM) if every byte is valid UTF-8, else
   Windows-1252; NUL bytes or a run of control characters mean it is not text.
2. **Header.** The first non-blank line is the header. For CSV its delimiter (comma,
   semicolon or tab) is the one it uses most. Cells are matched to the
   :class:`ColumnProfile` (case, spaces and punctuation ignored; aliases accepted);
   missing required columns or two cells meaning one column raise
   :class:`~houselights.errors.UploadError` listing (the start of) what was found and
   what looks close.
3. **Lines** (:meth:`TableFile.rows`), streamed: only the current line is held. The
   :class:`~houselights.sources.kit.limits.FileLimits` are enforced as lines arrive:
   the number of lines, the values on a line, the length of a value and, for CSV, the
   length of one record before the CSV parser holds it (so a file without line breaks,
   or a quote that never closes, is refused after a bounded read). A spreadsheet date
   cell that no real serial gives (a negative serial) is a problem of its line.

:class:`FileStream` is the stream shape for sources whose records come from files: the
runner publishes each file as one load, so a file is never half-published.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import os
import re
import warnings
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from houselights.errors import UploadError
from houselights.exchange.state import StreamState

from .limits import EXCEL_MAX_ROWS, FileLimits, check_workbook, open_regular, setting_name
from .source import Page, Source, Stream
from .values import CellValue, quoted

__all__ = [
    "Column",
    "ColumnProfile",
    "DetectedFormat",
    "FileLimits",
    "FileStream",
    "HeaderMatch",
    "TableFile",
    "TableRow",
    "normalise_header",
    "sha256_of",
]

SourceT = TypeVar("SourceT", bound=Source[Any])

_SCAN_BLOCK = 1 << 20
_HEAD_BYTES = 1 << 16
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Bytes Windows-1252 leaves undefined: a file with them is not Windows-1252 text.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows-1252",
    "utf-16": "UTF-16",
}
_FOUND_SHOWN = 8  # header cells a message lists before "… (N in all)"
_HEADER_QUOTED = 30  # characters of each header cell a message quotes


def normalise_header(text: str) -> str:
    """A header cell reduced to lower-case letters and digits (``"Order ID"`` → ``orderid``)."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a profile: its name in code, its label in files, and aliases.

    ``required`` means the header must have the column.
    """

    name: str
    label: str
    required: bool = False
    description: str = ""
    example: str = ""
    aliases: tuple[str, ...] = ()
    keys: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        keys = {normalise_header(self.name), normalise_header(self.label)}
        keys.update(normalise_header(a) for a in self.aliases)
        object.__setattr__(self, "keys", frozenset(keys))


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's header maps to a profile's columns.

    ``positions`` maps a column name to its 0-based position in the file; ``labels`` to
    the header text as written there (for messages). ``duplicates`` lists groups of
    header cells that mean the same column; ``suggestions`` maps a missing column to
    found headers that look like it.
    """

    headers: tuple[str, ...]
    positions: dict[str, int]
    labels: dict[str, str]
    missing: tuple[Column, ...]
    duplicates: tuple[tuple[str, tuple[str, ...]], ...]
    ignored: tuple[str, ...]
    suggestions: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class ColumnProfile:
    """The columns of one kind of file (a template, a box office's report export).

    ``what`` names it in messages ("the houselights upload template"); ``sheet`` is the
    preferred sheet of a workbook; ``hint`` says how to fix a header that does not match;
    ``format_hint`` how to save a file that cannot be read at all.
    """

    what: str
    columns: tuple[Column, ...]
    sheet: str | None = None
    hint: str = ""
    format_hint: str = (
        "Save the file as CSV (UTF-8) or Excel .xlsx with a header line, then a line per record."
    )

    @property
    def by_name(self) -> dict[str, Column]:
        """Columns by name."""
        return {c.name: c for c in self.columns}

    @property
    def required(self) -> tuple[Column, ...]:
        """Columns the header must have."""
        return tuple(c for c in self.columns if c.required)

    def match(self, headers: Sequence[str]) -> HeaderMatch:
        """Match header cells to the columns (case, spaces and punctuation ignored)."""
        key_to_column = {key: c.name for c in self.columns for key in c.keys}
        found: dict[str, list[int]] = {}
        ignored: list[str] = []
        for pos, header in enumerate(headers):
            name = key_to_column.get(normalise_header(header))
            if name is None:
                if header.strip():
                    ignored.append(header)
                continue
            found.setdefault(name, []).append(pos)
        duplicates = tuple(
            (name, tuple(headers[p] for p in ps)) for name, ps in found.items() if len(ps) > 1
        )
        missing = tuple(c for c in self.required if c.name not in found)
        suggestions: dict[str, tuple[str, ...]] = {}
        by_key = {normalise_header(h): h for h in ignored if normalise_header(h)}
        for col in missing:
            close: list[str] = []
            for key in sorted(col.keys):
                for hit in difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.75):
                    if by_key[hit] not in close:
                        close.append(by_key[hit])
            if close:
                suggestions[col.name] = tuple(close[:3])
        positions = {name: ps[0] for name, ps in found.items()}
        return HeaderMatch(
            headers=tuple(headers),
            positions=positions,
            labels={name: headers[pos] for name, pos in positions.items()},
            missing=missing,
            duplicates=duplicates,
            ignored=tuple(ignored),
            suggestions=suggestions,
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


@dataclass(frozen=True)
class TableRow:
    """One line of a table file: its physical line number, its non-blank cells by column
    name, and non-blank values beyond the header's width (a delimiter gone astray).

    ``problems`` maps a column name to what is wrong with its cell when the reader, not
    a value parser, can tell (a spreadsheet date no real serial gives); such a cell
    holds its value as text.
    """

    line: int
    cells: dict[str, CellValue]
    extra: list[Any]
    width: int
    problems: dict[str, str] = field(default_factory=dict)


_Record = tuple[int, list[Any], dict[int, str]]
"""A line as the format readers give it: number, values, problems by position."""
_NO_PROBLEMS: dict[int, str] = {}
_POSITION_EVERY = 1023  # bytes_read is updated when a line number has these bits clear


class TableFile:
    """An opened, header-checked table file; :meth:`rows` streams its lines.

    Raises :class:`~houselights.errors.UploadError` for a file that cannot be used as a
    whole (missing, not a regular file, empty, not text, corrupt workbook, beyond one of
    the ``limits`` — by default the settings' defaults —, missing or duplicate columns).
    ``bytes_read`` says how far :meth:`rows` has got (for progress bars), ``rows_read``
    how many lines it has handed over, ``empty_rows`` how many wholly empty lines it
    skipped.
    """

    def __init__(
        self, path: Path, profile: ColumnProfile, limits: FileLimits | None = None
    ) -> None:
        self.path = path
        self.profile = profile
        self.limits = limits or FileLimits.default()
        self.bytes_read = 0
        self.rows_read = 0
        self.empty_rows = 0
        self._identity: tuple[int, ...] | None = None
        with self._open() as handle:
            self.total_bytes = os.fstat(handle.fileno()).st_size
            if self.total_bytes == 0:
                raise UploadError(f"{path.name}: the file is empty", hint=profile.format_hint)
            head = handle.read(_HEAD_BYTES)
            self._xlsx = head.startswith(_ZIP_MAGIC)
            if self._xlsx:
                check_workbook(handle, path.name, self.total_bytes, self.limits)
            else:
                _refuse_known_binary(path.name, head, profile.format_hint)
                encoding = _detect_encoding(path.name, handle, head, profile.format_hint)
        self._header_line = 1
        if self._xlsx:
            sheet, headers, self._header_line = self._xlsx_header()
            self.detected = DetectedFormat("xlsx", sheet=sheet)
        else:
            delimiter, headers, self._header_line = self._csv_header(encoding)
            self.detected = DetectedFormat("csv", encoding=encoding, delimiter=delimiter)
        self.header = _check_header(path.name, profile, headers, self._header_line)

    def _open(self) -> IO[bytes]:
        """The file, opened safely; refused if it is no longer the file first opened."""
        handle = open_regular(self.path, self.limits.max_file_bytes)
        info = os.fstat(handle.fileno())
        identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        if self._identity is None:
            self._identity = identity
        elif identity != self._identity:
            handle.close()
            raise UploadError(
                f"{self.path.name}: the file changed while it was being read",
                hint="Upload it again once it is complete.",
            )
        return handle

    def _open_text(self, encoding: str) -> tuple[IO[bytes], io.TextIOWrapper]:
        binary = self._open()
        return binary, io.TextIOWrapper(binary, encoding=encoding, newline="")

    def _csv_header(self, encoding: str) -> tuple[str, list[str], int]:
        binary, text = self._open_text(encoding)
        with binary, text:
            sample = text.read(_HEAD_BYTES)
        first = next((ln for ln in sample.splitlines() if ln.strip()), "")
        delimiter = _sniff_delimiter(first)
        binary, text = self._open_text(encoding)
        with binary, text:
            lines = _RecordLines(text, self.path.name, self.limits)
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                for row in reader:
                    start = lines.record_start
                    lines.take_record()
                    self._check_line(start)
                    if any(cell.strip() for cell in row):
                        self._check_width(start, row, header=True)
                        return delimiter, row, reader.line_num
            except csv.Error as exc:
                raise lines.csv_error(exc) from None
        raise UploadError(
            f"{self.path.name}: the file is empty (only blank lines)",
            hint=self.profile.format_hint,
        )

    def _xlsx_header(self) -> tuple[str, list[str], int]:
        with _Workbook(self._open(), self.path.name, self.profile) as book:
            for number, row in enumerate(book.rows(), start=1):
                self._check_line(number)
                cells = [_xlsx_text(v) for v in row]
                if any(c.strip() for c in cells):
                    self._check_width(number, cells, header=True)
                    return book.sheet_title, cells, number
            raise UploadError(
                f"{self.path.name}: sheet {quoted(book.sheet_title)} is empty",
                hint=self.profile.format_hint,
            )

    # ------------------------------------------------------------------ limits
    def _check_line(self, line: int) -> None:
        """Refuse a line beyond the row limit (or beyond what a sheet can have)."""
        if line > self.limits.max_rows:
            raise UploadError(
                f"{self.path.name}: has more than {self.limits.max_rows:,} lines; at most "
                "that many are read",
                hint="Split it into smaller files (by date), or raise "
                f"{setting_name('file_max_rows')}.",
            )
        if self._xlsx and line > EXCEL_MAX_ROWS:
            raise UploadError(
                f"{self.path.name}: the sheet has more than {EXCEL_MAX_ROWS:,} rows, which "
                "no Excel workbook has",
                hint="Open it in Excel and save it again, or export CSV (UTF-8).",
            )

    def _check_width(self, line: int, row: Sequence[Any], *, header: bool = False) -> None:
        """Refuse a line with values beyond the column limit (trailing blanks aside)."""
        width = len(row)
        limit = self.limits.max_columns
        while width > limit and row[width - 1] in ("", None):
            width -= 1
        if width > limit:
            what = "the header has" if header else "has"
            raise UploadError(
                f"{self.path.name}, line {line}: {what} {width:,} values; a line may have at "
                f"most {limit:,}",
                hint="Remove the columns houselights does not read, or raise "
                f"{setting_name('file_max_columns')}.",
            )

    def _check_lengths(self, line: int, row: Sequence[Any]) -> None:
        """Refuse a value beyond the length limit, naming its column."""
        limit = self.limits.max_value_chars
        for pos, value in enumerate(row):
            if isinstance(value, str) and len(value) > limit:
                header = self.header.headers[pos] if pos < len(self.header.headers) else ""
                column = f", column {quoted(header, _HEADER_QUOTED)}" if header.strip() else ""
                raise UploadError(
                    f"{self.path.name}, line {line}{column}: has a value of {len(value):,} "
                    f"characters; a value may have at most {limit:,}",
                    hint=f"Shorten it, or raise {setting_name('file_max_value_chars')}.",
                )

    # -------------------------------------------------------------------- rows
    def rows(self) -> Iterator[TableRow]:
        """Every data line after the header. Wholly empty lines (no values at all) are
        skipped and counted in ``empty_rows``; a line of blank values is handed over."""
        self.bytes_read = self.rows_read = self.empty_rows = 0
        positions = sorted(self.header.positions.items(), key=lambda kv: kv[1])
        names = {pos: name for name, pos in positions}
        width = len(self.header.headers)
        max_columns = self.limits.max_columns
        records = self._xlsx_records() if self._xlsx else self._csv_records()
        # One string object per distinct value: names, dates and prices repeat on many
        # lines, and the records kept raw would otherwise hold a copy per line.
        pool: dict[Any, CellValue] = {}
        share = pool.setdefault
        for line_no, row, bad in records:
            self.rows_read += 1
            size = len(row)
            if size > max_columns:
                self._check_width(line_no, row)
            cells: dict[str, CellValue] = {
                name: share(row[pos], row[pos])
                for name, pos in positions
                if pos < size and row[pos] != ""
            }
            extra = (
                [v for v in row[width:] if isinstance(v, str) and v.strip()] if size > width else []
            )
            if len(pool) > 100_000:
                pool.clear()
            problems = {names[p]: why for p, why in bad.items() if p in names} if bad else {}
            yield TableRow(line_no, cells, extra, size, problems)
        self.bytes_read = self.total_bytes

    def _csv_records(self) -> Iterator[_Record]:
        assert self.detected.encoding is not None and self.detected.delimiter is not None
        may_be_long = self.limits.max_value_chars
        binary, text = self._open_text(self.detected.encoding)
        with binary, text:
            lines = _RecordLines(text, self.path.name, self.limits)
            reader = csv.reader(lines, delimiter=self.detected.delimiter)
            try:
                for _ in reader:
                    lines.take_record()
                    if reader.line_num >= self._header_line:
                        break
                for row in reader:
                    start = lines.record_start
                    if not row:
                        lines.take_record()
                        self._check_line(start)
                        self.empty_rows += 1
                        continue
                    if lines.take_record() > may_be_long:  # only then can a value be
                        self._check_lengths(start, row)
                    self._check_line(start)
                    if not start & _POSITION_EVERY:  # tell() is a system call: not per line
                        self.bytes_read = binary.tell()
                    yield start, row, _NO_PROBLEMS
            except csv.Error as exc:
                raise lines.csv_error(exc) from None
            except UnicodeDecodeError as exc:  # the file changed since it was scanned
                raise UploadError(
                    f"{self.path.name}, line {lines.record_start}: {exc.reason}",
                    hint=self.profile.format_hint,
                ) from None

    def _xlsx_records(self) -> Iterator[_Record]:
        limit = self.limits.max_value_chars
        last = min(self.limits.max_rows, EXCEL_MAX_ROWS)
        header_line = self._header_line
        with _Workbook(self._open(), self.path.name, self.profile) as book:
            epoch = book.epoch
            for number, row in enumerate(book.rows(), start=1):
                # A tight loop for empty rows: openpyxl pads a gap in a sheet's row
                # numbers with them, up to a million of them.
                if number > last:
                    self._check_line(number)
                if not row or number <= header_line:
                    self.empty_rows += number > header_line
                    continue
                if not number & _POSITION_EVERY:
                    self.bytes_read = book.position()
                values: list[Any] = [_xlsx_value(v) for v in row]
                problems = _NO_PROBLEMS
                for pos, value in enumerate(values):
                    if isinstance(value, str):
                        if len(value) > limit:
                            self._check_lengths(number, values)
                    elif isinstance(value, datetime) and value < epoch:
                        if problems is _NO_PROBLEMS:
                            problems = {}
                        values[pos], problems[pos] = _impossible_date(value, epoch)
                yield number, values, problems


class _RecordLines:
    """A CSV file's physical lines for :func:`csv.reader`, each record bounded.

    Lines are read with a length bound (``readline(n)``), so a file without line breaks
    is never read whole into one string; the characters of the current record (however
    many lines its quoted values span) are counted, and a record beyond
    :attr:`FileLimits.max_record_chars` is refused before the CSV parser holds it. Its
    reader calls :meth:`take_record` after each record it gets.
    """

    def __init__(self, text: io.TextIOWrapper, name: str, limits: FileLimits) -> None:
        self._readline = text.readline
        self.name = name
        self.limits = limits
        self.budget = limits.max_record_chars
        self.record_chars = 0
        self.record_quotes = 0
        self.record_start = 1
        self.lines = 0

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        line = self._readline(self.budget + 1 - self.record_chars)
        if not line:
            raise StopIteration
        self.lines += 1
        self.record_chars += len(line)
        if '"' in line:
            self.record_quotes += line.count('"')
        if self.record_chars > self.budget:
            raise self._too_long()
        return line

    def take_record(self) -> int:
        """Start counting the next record; returns the length the finished one had."""
        chars = self.record_chars
        self.record_chars = self.record_quotes = 0
        self.record_start = self.lines + 1
        return chars

    def _too_long(self) -> UploadError:
        where = f"{self.name}, line {self.record_start}"
        if self.record_quotes % 2:
            spans = self.lines - self.record_start + 1
            return _open_quote(where, f"{self.budget:,} characters ({spans:,} lines)")
        return UploadError(
            f"{where}: is longer than {self.budget:,} characters without a line break",
            hint="Check it is a CSV file with one record per line, or save it again as "
            "CSV (UTF-8).",
        )

    def csv_error(self, exc: csv.Error) -> UploadError:
        """A CSV parser error in plain words, with its real cause where it is known."""
        where = f"{self.name}, line {self.record_start}"
        if "field larger than field limit" in str(exc):
            if self.record_quotes % 2:
                return _open_quote(where, f"{csv.field_size_limit():,} characters")
            return UploadError(
                f"{where}: has a value longer than {self.limits.max_value_chars:,} characters, "
                "the most a value may have",
                hint=f"Shorten it, or raise {setting_name('file_max_value_chars')}.",
            )
        return UploadError(
            f"{where}: cannot be read as CSV ({quoted(str(exc), 200)[1:-1]})",
            hint="Save the file again as CSV (UTF-8).",
        )


def _open_quote(where: str, how_far: str) -> UploadError:
    return UploadError(
        f"{where}: a quoted value opens here and is not closed within {how_far}",
        hint="Look for an opening quote without a closing one (a quote inside a value is "
        'written twice: ""), then save the file again.',
    )


def _impossible_date(cell: datetime, epoch: datetime) -> tuple[str, str]:
    """A date cell before its workbook's epoch (a negative serial): the serial, and why."""
    serial = _number_text((cell - epoch) / timedelta(days=1))
    first = date(1900, 1, 1) if epoch.year < 1900 else epoch.date()
    return serial, (
        f"{serial} is a spreadsheet date serial before the first date a spreadsheet holds "
        f"({first.day} {first:%B %Y}), so not a real date; enter the date again"
    )


# --------------------------------------------------------------------- helpers
def _refuse_known_binary(name: str, head: bytes, hint: str) -> None:
    known = (
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
            "is an old Excel .xls workbook (or a password-protected one)",
            "Open it in Excel and save it as .xlsx or CSV (UTF-8), without a password.",
        ),
        (b"%PDF", "is a PDF document, not a spreadsheet", hint),
        (b"\x1f\x8b", "is gzip-compressed", "Uncompress it first."),
    )
    for magic, what, fix in known:
        if head.startswith(magic):
            raise UploadError(f"{name} {what}", hint=fix)


def _detect_encoding(name: str, handle: IO[bytes], head: bytes, hint: str) -> str:
    """Scan the whole file once: its encoding, or :class:`UploadError` if it is not text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    sample, bad_line = _scan(name, handle, encoding, hint)
    if bad_line is not None:
        if encoding != "utf-8":
            label = _ENCODING_NAMES[encoding]
            raise UploadError(
                f"{name}, line {bad_line}: the file starts with a {label} mark but is not "
                f"valid {label}",
                hint=hint,
            )
        # Not UTF-8: the usual alternative from Windows Excel is Windows-1252.
        encoding = "cp1252"
        sample, bad_line = _scan(name, handle, encoding, hint)
        if bad_line is not None:
            raise UploadError(
                f"{name}, line {bad_line}: has bytes that are neither UTF-8 nor "
                "Windows-1252 text",
                hint=hint,
            )
    if not sample.strip():
        raise UploadError(f"{name}: the file is empty (only blank lines)", hint=hint)
    controls = len(_CONTROL.findall(sample))
    if controls > max(2, len(sample) // 100):
        raise UploadError(
            f"{name}: does not look like text ({controls} control characters near the start)",
            hint=hint,
        )
    return encoding


def _scan(name: str, handle: IO[bytes], encoding: str, hint: str) -> tuple[str, int | None]:
    """Decode the whole file: ``(its first characters, first bad line or None)``."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    wide = encoding == "utf-16"  # NUL bytes are part of its characters; look for NUL ones
    lines_before = 0
    sample = ""
    while block := handle.read(_SCAN_BLOCK):
        if not wide and b"\x00" in block:
            raise _nul(name, lines_before + block[: block.index(b"\x00")].count(b"\n") + 1, hint)
        try:
            decoded = decoder.decode(block)
        except UnicodeDecodeError as exc:
            return sample, lines_before + block[: exc.start].count(b"\n") + 1
        if wide and "\x00" in decoded:
            at = decoded.index("\x00")
            raise _nul(name, lines_before + decoded[:at].count("\n") + 1, hint)
        if len(sample) < _HEAD_BYTES:
            sample += decoded[:_HEAD_BYTES]
        lines_before += decoded.count("\n") if wide else block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return sample, lines_before + 1
    return sample[:_HEAD_BYTES], None


def _nul(name: str, line: int, hint: str) -> UploadError:
    return UploadError(
        f"{name}, line {line}: contains NUL bytes, so it is not a text (CSV) file", hint=hint
    )


def _sniff_delimiter(line: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(name: str, profile: ColumnProfile, headers: list[str], line: int) -> HeaderMatch:
    match = profile.match(headers)
    if match.duplicates:
        parts = [
            f"{' and '.join(_header_cell(h) for h in cells[:_FOUND_SHOWN])} all mean "
            f"{profile.by_name[col].label!r}"
            for col, cells in match.duplicates
        ]
        raise UploadError(
            f"{name}, line {line}: the header has columns that mean the same thing: "
            + "; ".join(parts),
            hint="Delete or rename all but one of each.",
        )
    if match.missing:
        # Every missing column is named (they are the profile's, a bounded list); what
        # the file has is quoted only in part.
        wanted = []
        for col in match.missing:
            text = repr(col.label)
            close = match.suggestions.get(col.name)
            if close:
                text += " (did you mean " + " or ".join(_header_cell(c) for c in close[:2]) + "?)"
            wanted.append(text)
        raise UploadError(
            f"{name}, line {line}: missing required columns: {', '.join(wanted)}. "
            f"Found columns: {_found_columns(headers)}",
            hint=profile.hint or f"Rename your columns to those of {profile.what}.",
        )
    return match


def _header_cell(text: str) -> str:
    return quoted(text, _HEADER_QUOTED)


def _found_columns(headers: Sequence[str]) -> str:
    """The first header cells, each cut short, and how many there are: a line of junk
    (or a file that is not a table at all) is never echoed at length."""
    cells = [h for h in headers if h.strip()]
    if not cells:
        return "nothing"
    shown = ", ".join(_header_cell(h) for h in cells[:_FOUND_SHOWN])
    if len(cells) > _FOUND_SHOWN:
        shown += f", … ({len(cells):,} in all)"
    return shown


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


def _exception_text(exc: Exception) -> str:
    """An exception's text for a message, cut short (it may quote the file's content)."""
    return quoted(str(exc), 200)[1:-1]


class _Workbook:
    """An XLSX opened in openpyxl's streaming (read-only) mode, with errors translated.

    Takes ``handle`` over: closing the workbook closes it.
    """

    def __init__(self, handle: IO[bytes], name: str, profile: ColumnProfile) -> None:
        self.name = name
        self._fh = handle
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
                f"{name}: is a zip file but not a readable Excel workbook "
                f"({_exception_text(exc)})",
                hint="Open it in Excel and save it again as .xlsx, or export CSV (UTF-8).",
            ) from None
        sheets = list(self._book.worksheets)
        if not sheets:
            self.close()
            raise UploadError(f"{name}: the workbook has no sheets", hint=profile.format_hint)
        wanted = re.sub(r"[^0-9a-z]", "", (profile.sheet or "").casefold())
        chosen = next(
            (s for s in sheets if re.sub(r"[^0-9a-z]", "", s.title.casefold()) == wanted),
            sheets[0],
        )
        self.sheet = chosen
        self.sheet_title: str = chosen.title
        # Serial 0 of the workbook's date system: a date cell before it had a negative serial.
        self.epoch: datetime = self._book.epoch

    def rows(self) -> Iterator[tuple[object, ...]]:
        """The sheet's rows as values, gaps filled, from row 1."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # Exporters often write a wrong <dimension>; read to the real end.
                self.sheet.reset_dimensions()
                yield from self.sheet.iter_rows(values_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged sheet
            raise UploadError(
                f"{self.name}: the workbook is damaged ({_exception_text(exc)})",
                hint="Open it in Excel and save it again.",
            ) from None

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


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's content (files are loaded once by content, not by name)."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileStream(Stream[SourceT]):
    """A stream whose records come from files: each file is published as one load.

    Define :meth:`pages`, a plain (not async) generator: it runs in the publishing
    thread, so a file of any size streams through staging in one transaction.
    """

    atomic = True

    @abstractmethod
    def pages(self, state: StreamState | None) -> Iterator[Page]:
        """The pages of this stream's files (each with its mapped batch or raw records)."""

    async def read(self, state: StreamState | None) -> AsyncIterator[Page]:
        """The same pages, for callers that read every stream alike."""
        for page in self.pages(state):
            yield page
