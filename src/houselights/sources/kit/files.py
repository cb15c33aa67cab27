"""Tabular files any source reads: CSV or XLSX, sniffed once, matched to a column profile.

A box office's report export, or the upload template, is a table: a header line then a
line per record. :class:`TableFile` opens one, whatever its form, and hands over its
lines keyed by the profile's column names, with physical line numbers for messages:

1. **Open and sniff.** The first bytes decide the format, whatever the extension: a zip
   is read as XLSX, an old ``.xls``/OLE file, PDF or gzip is refused, anything else is
   text. For text, one pass over the whole file fixes the encoding before any line is
   read: UTF-16 if it starts with a UTF-16 mark, UTF-8 (with or without a BOM) if every
   byte is valid UTF-8, else Windows-1252; NUL bytes or a run of control characters mean
   it is not text.
2. **Header.** The first non-blank line is the header. For CSV its delimiter (comma,
   semicolon or tab) is the one it uses most. Cells are matched to the
   :class:`ColumnProfile` (case, spaces and punctuation ignored; aliases accepted);
   missing required columns or two cells meaning one column raise
   :class:`~houselights.errors.UploadError` listing what was found and what looks close.
3. **Lines** (:meth:`TableFile.rows`), streamed: only the current line is held.

:class:`FileStream` is the stream shape for sources whose records come from files: the
runner publishes each file as one load, so a file is never half-published.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import hashlib
import io
import re
import warnings
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from houselights.errors import UploadError
from houselights.exchange.state import StreamState

from .source import Page, Source, Stream
from .values import CellValue

__all__ = [
    "Column",
    "ColumnProfile",
    "DetectedFormat",
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
    name, and non-blank values beyond the header's width (a delimiter gone astray)."""

    line: int
    cells: dict[str, CellValue]
    extra: list[Any]
    width: int


class TableFile:
    """An opened, header-checked table file; :meth:`rows` streams its lines.

    Raises :class:`~houselights.errors.UploadError` for a file that cannot be used as a
    whole (missing, empty, not text, corrupt workbook, missing or duplicate columns).
    ``bytes_read`` says how far :meth:`rows` has got (for progress bars).
    """

    def __init__(self, path: Path, profile: ColumnProfile) -> None:
        self.path = path
        self.profile = profile
        self.bytes_read = 0
        if not path.exists():
            raise UploadError(f"{path}: no such file", hint="Check the path and try again.")
        if not path.is_file():
            raise UploadError(f"{path}: not a file", hint="Give the path of a CSV or XLSX file.")
        self.total_bytes = path.stat().st_size
        if self.total_bytes == 0:
            raise UploadError(f"{path.name}: the file is empty", hint=profile.format_hint)
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
        self._header_line = 1
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            sheet, headers, self._header_line = self._xlsx_header()
            self.detected = DetectedFormat("xlsx", sheet=sheet)
        else:
            _refuse_known_binary(path.name, head, profile.format_hint)
            encoding = _detect_encoding(path, head, profile.format_hint)
            delimiter, headers, self._header_line = self._csv_header(encoding)
            self.detected = DetectedFormat("csv", encoding=encoding, delimiter=delimiter)
        self.header = _check_header(path.name, profile, headers, self._header_line)

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
            raise UploadError(
                f"{self.path.name}: the file is empty (only blank lines)",
                hint=self.profile.format_hint,
            )
        delimiter = _sniff_delimiter(lines[first])
        binary, text = self._open_text(encoding)
        with binary, text:
            reader = csv.reader(text, delimiter=delimiter)
            try:
                for row in reader:
                    if any(cell.strip() for cell in row):
                        return delimiter, row, reader.line_num
            except csv.Error as exc:
                raise UploadError(
                    f"{self.path.name}, line {reader.line_num + 1}: the header cannot be read "
                    f"as CSV ({exc})",
                    hint=self.profile.format_hint,
                ) from None
        raise UploadError(f"{self.path.name}: the file is empty", hint=self.profile.format_hint)

    def _xlsx_header(self) -> tuple[str, list[str], int]:
        with _Workbook(self.path, self.profile) as book:
            for number, row in enumerate(book.rows(), start=1):
                cells = [_xlsx_text(v) for v in row]
                if any(c.strip() for c in cells):
                    return book.sheet_title, cells, number
            raise UploadError(
                f"{self.path.name}: sheet {book.sheet_title!r} is empty",
                hint=self.profile.format_hint,
            )

    # -------------------------------------------------------------------- rows
    def rows(self) -> Iterator[TableRow]:
        """Every data line after the header (blank lines included: all cells empty)."""
        self.bytes_read = 0
        positions = sorted(self.header.positions.items(), key=lambda kv: kv[1])
        width = len(self.header.headers)
        records = self._xlsx_records() if self.detected.format == "xlsx" else self._csv_records()
        # One string object per distinct value: names, dates and prices repeat on many
        # lines, and the records kept raw would otherwise hold a copy per line.
        pool: dict[Any, Any] = {}
        share = pool.setdefault
        for line_no, row in records:
            size = len(row)
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
            yield TableRow(line_no, cells, extra, size)
        self.bytes_read = self.total_bytes

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
                    "without a closing one. " + self.profile.format_hint,
                ) from None
            except UnicodeDecodeError as exc:  # the file changed since it was scanned
                raise UploadError(
                    f"{self.path.name}, line {line_end + 1}: {exc.reason}",
                    hint=self.profile.format_hint,
                ) from None

    def _xlsx_records(self) -> Iterator[tuple[int, list[Any]]]:
        with _Workbook(self.path, self.profile) as book:
            for number, row in enumerate(book.rows(), start=1):
                if number <= self._header_line:
                    continue
                self.bytes_read = book.position()
                yield number, [_xlsx_value(v) for v in row]


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


def _detect_encoding(path: Path, head: bytes, hint: str) -> str:
    """Scan the whole file once: its encoding, or :class:`UploadError` if it is not text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
    sample, bad_line = _scan(path, encoding, hint)
    if bad_line is not None:
        if encoding != "utf-8":
            name = _ENCODING_NAMES[encoding]
            raise UploadError(
                f"{path.name}, line {bad_line}: the file starts with a {name} mark but is not "
                f"valid {name}",
                hint=hint,
            )
        # Not UTF-8: the usual alternative from Windows Excel is Windows-1252.
        encoding = "cp1252"
        sample, bad_line = _scan(path, encoding, hint)
        if bad_line is not None:
            raise UploadError(
                f"{path.name}, line {bad_line}: has bytes that are neither UTF-8 nor "
                "Windows-1252 text",
                hint=hint,
            )
    if not sample.strip():
        raise UploadError(f"{path.name}: the file is empty (only blank lines)", hint=hint)
    controls = len(_CONTROL.findall(sample))
    if controls > max(2, len(sample) // 100):
        raise UploadError(
            f"{path.name}: does not look like text ({controls} control characters near the start)",
            hint=hint,
        )
    return encoding


def _scan(path: Path, encoding: str, hint: str) -> tuple[str, int | None]:
    """Decode the whole file: ``(its first characters, first bad line or None)``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    sample = ""
    with path.open("rb") as fh:
        while block := fh.read(_SCAN_BLOCK):
            if encoding != "utf-16" and b"\x00" in block:
                line = lines_before + block[: block.index(b"\x00")].count(b"\n") + 1
                raise UploadError(
                    f"{path.name}, line {line}: contains NUL bytes, so it is not a text (CSV) file",
                    hint=hint,
                )
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


def _check_header(name: str, profile: ColumnProfile, headers: list[str], line: int) -> HeaderMatch:
    match = profile.match(headers)
    if match.duplicates:
        parts = [
            f"{' and '.join(repr(h) for h in cells)} all mean {profile.by_name[col].label!r}"
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
            hint=profile.hint or f"Rename your columns to those of {profile.what}.",
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

    def __init__(self, path: Path, profile: ColumnProfile) -> None:
        self.path = path
        hint = profile.format_hint
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
            raise UploadError(f"{path.name}: the workbook has no sheets", hint=hint)
        wanted = re.sub(r"[^0-9a-z]", "", (profile.sheet or "").casefold())
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
            raise UploadError(
                f"{self.path.name}: the workbook is damaged ({exc})",
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
    with path.open("rb") as handle:
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
