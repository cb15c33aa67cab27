"""What reading one table file may cost, and the checks made before any of it is parsed.

File sources read files people send, and some are broken or hostile: a 400 KB workbook
that unpacks to gigabytes, a CSV without a line break, a symlink to a system file, a
named pipe. :class:`FileLimits` bounds the work and memory of one file (its fields are
settings, see ``docs/settings.md``); :class:`~houselights.sources.kit.files.TableFile`
applies it while streaming. This module holds the checks made before streaming:

* :func:`open_regular` opens only a regular file, never through a symbolic link (and
  never blocks on a pipe), and refuses one larger than the limit;
* :func:`check_workbook` reads an XLSX's zip directory and refuses a workbook that would
  unpack to too much (in all, or per part against its packed size), uses a compression
  method Excel does not, or has a part openpyxl would hold whole in memory that is too
  large. A part larger than :data:`MAX_XML_SEGMENT` is scanned (unpacked in chunks, never
  held) so that no single sheet row is larger than that either — openpyxl builds a row
  whole before handing it over — and that it has no more rows than Excel allows.

Every refusal is an :class:`~houselights.errors.UploadError` with a one-line message.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from houselights.errors import UploadError
from houselights.settings import Settings

__all__ = [
    "EXCEL_MAX_ROWS",
    "MAX_XML_SEGMENT",
    "MB",
    "FileLimits",
    "check_workbook",
    "open_regular",
    "setting_name",
]

MB = 1 << 20
EXCEL_MAX_ROWS = 1_048_576
"""The most rows an Excel sheet can have."""
MAX_XML_SEGMENT = 8 * MB
"""The largest a workbook part read whole, or one sheet row, may be in the zip (XML bytes)."""
_MAX_PARTS = 10_000  # a workbook has a few dozen parts; a zip of millions costs memory to list
_MAX_DIRECTORY = 4 * MB  # bytes of zip directory: 10,000 parts with long names
_RATIO_FLOOR = MB  # a small part may compress well; only a large one can be a bomb
_MEMBER_TYPES = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what Excel and others write
_EOCD = b"PK\x05\x06"
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
# A row's start tag, with or without a namespace prefix (some writers use "x:row").
_ROW_START = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?row[\s/>]")
_ROW_MATCH_MAX = 22
# Markup that could hide a row start from the scan (or fake one): real sheets have neither.
_HIDING = (b"<![CDATA[", b"<!--")


def setting_name(field: str) -> str:
    """The environment variable of a setting (``file_max_rows`` → ``HOUSELIGHTS_FILE_MAX_ROWS``)."""
    return f"HOUSELIGHTS_{field.upper()}"


@dataclass(frozen=True, kw_only=True)
class FileLimits:
    """Bounds on the work and memory of reading one table file.

    Build it with :meth:`default` or :meth:`from_settings`; tests and sources may
    :func:`dataclasses.replace` single fields. ``max_record_chars`` (one CSV record,
    however many lines it spans) and ``max_shared_strings_bytes`` (the text table a
    workbook must hold in memory) follow from the others.
    """

    max_file_bytes: int
    max_unzipped_bytes: int
    max_zip_ratio: int
    max_rows: int
    max_columns: int
    max_value_chars: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FileLimits:
        """The limits the settings give (``HOUSELIGHTS_FILE_MAX_*``)."""
        return cls(
            max_file_bytes=settings.file_max_mb * MB,
            max_unzipped_bytes=settings.file_max_unzipped_mb * MB,
            max_zip_ratio=settings.file_max_zip_ratio,
            max_rows=settings.file_max_rows,
            max_columns=settings.file_max_columns,
            max_value_chars=settings.file_max_value_chars,
        )

    @classmethod
    def default(cls) -> FileLimits:
        """The limits with every setting at its default."""
        return cls.from_settings(Settings.model_construct())

    @property
    def max_record_chars(self) -> int:
        """The longest one CSV record may be (all its values and line breaks)."""
        return max(MB, 8 * self.max_value_chars)

    @property
    def max_shared_strings_bytes(self) -> int:
        """The largest a workbook's shared-text part may be unpacked (read whole)."""
        return self.max_unzipped_bytes // 16


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size < 10 * MB else f"{size / MB:,.0f} MB"


def open_regular(path: Path, max_bytes: int | None = None) -> IO[bytes]:
    """``path`` opened for reading if it is a regular file (of at most ``max_bytes``).

    A symbolic link is refused, not followed (``O_NOFOLLOW``), so a path cannot lead the
    reader to a file elsewhere (``/etc/shadow``); a pipe, device, socket or folder is
    refused without blocking (``O_NONBLOCK``). The checks are made on the opened file
    itself, so the file cannot be swapped between check and read.
    """
    if path.is_symlink():
        raise _symlink(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UploadError(f"{path}: no such file", hint="Check the path and try again.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _symlink(path) from None
        if exc.errno == errno.EISDIR:
            raise _not_a_file(path, "a folder") from None
        raise UploadError(
            f"{path}: cannot be opened ({exc.strerror or 'error'})",
            hint="Check the file's permissions, or copy it somewhere readable.",
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_a_file(path, _kind(info.st_mode))
        if max_bytes is not None and info.st_size > max_bytes:
            raise UploadError(
                f"{path.name}: is {_megabytes(info.st_size)}; files of at most "
                f"{_megabytes(max_bytes)} are read",
                hint="Split it into smaller files (by date), or raise "
                f"{setting_name('file_max_mb')}.",
            )
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _symlink(path: Path) -> UploadError:
    return UploadError(
        f"{path.name}: is a symbolic link; only regular files are read (links are not followed)",
        hint="Give the path of the file itself.",
    )


def _not_a_file(path: Path, kind: str) -> UploadError:
    return UploadError(
        f"{path}: not a file ({kind}); only regular files are read",
        hint="Give the path of a CSV or XLSX file.",
    )


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


# ----------------------------------------------------------------------- workbooks
def check_workbook(handle: IO[bytes], name: str, size: int, limits: FileLimits) -> None:
    """Refuse a workbook (a zip) that would cost more to read than ``limits`` allow.

    Reads the zip directory (sizes as declared; Python's zip reader never unpacks more
    than a part declares) and scans parts larger than :data:`MAX_XML_SEGMENT`. Leaves
    ``handle`` at an unspecified position. Raises :class:`UploadError`.
    """
    fix = "Open it in Excel and save it again as .xlsx, or export CSV (UTF-8)."
    too_many = UploadError(
        f"{name}: the zip has more than {_MAX_PARTS:,} parts; a workbook has a few dozen",
        hint=fix,
    )
    parts = _declared_parts(handle, size)
    if parts is not None and parts > _MAX_PARTS:
        raise too_many
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UploadError(
            f"{name}: is a zip file but not a readable Excel workbook ({exc})", hint=fix
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > _MAX_PARTS:  # the end record under-declared them
            raise too_many
        for info in infos:
            _check_part(name, info, limits)
        total = sum(info.file_size for info in infos)
        if total > limits.max_unzipped_bytes:
            raise UploadError(
                f"{name}: unpacks to {_megabytes(total)}; workbooks of at most "
                f"{_megabytes(limits.max_unzipped_bytes)} unpacked are read",
                hint="Export CSV (UTF-8) instead, split the file, or raise "
                f"{setting_name('file_max_unzipped_mb')}.",
            )
        shared = _shared_strings_part(archive, infos)
        for info in infos:
            if info.filename == shared:
                if info.file_size > limits.max_shared_strings_bytes:
                    raise UploadError(
                        f"{name}: its table of text values unpacks to "
                        f"{_megabytes(info.file_size)}; at most "
                        f"{_megabytes(limits.max_shared_strings_bytes)} is read (it is held "
                        "in memory)",
                        hint="Export CSV (UTF-8) instead, or raise "
                        f"{setting_name('file_max_unzipped_mb')}.",
                    )
            elif info.file_size > MAX_XML_SEGMENT:
                _scan_rows(name, archive, info)


def _declared_parts(handle: IO[bytes], size: int) -> int | None:
    """The parts the zip's end record declares (``None`` if there is none: not a zip).

    Python's zip reader finds the same record (the last one) and reads the whole central
    directory it points to into memory, a few hundred bytes per part: a directory larger
    than :data:`_MAX_DIRECTORY` counts as too many parts, whatever the record says.
    """
    tail_size = min(size, 22 + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return None
    entries, directory = struct.unpack("<HL", tail[at + 10 : at + 16])
    # 0xFFFF / 0xFFFFFFFF mean "see the zip64 record": only a zip of that many parts (or
    # a file far beyond any limit) needs one, so they count as too many.
    if entries == 0xFFFF or directory > _MAX_DIRECTORY:
        return _MAX_PARTS + 1
    return int(entries)


def _part_name(info: zipfile.ZipInfo) -> str:
    shown = info.filename if len(info.filename) <= 60 else info.filename[:60] + "…"
    return repr(shown)


def _check_part(name: str, info: zipfile.ZipInfo, limits: FileLimits) -> None:
    fix = "Open it in Excel and save it again as .xlsx, or export CSV (UTF-8)."
    if info.flag_bits & 0x1:
        raise UploadError(
            f"{name}: is password-protected",
            hint="Open it in Excel and save it again without a password, or export CSV.",
        )
    if info.compress_type not in _MEMBER_TYPES:
        raise UploadError(
            f"{name}: part {_part_name(info)} is packed with a method Excel does not use "
            f"(zip method {info.compress_type})",
            hint=fix,
        )
    packed = max(info.compress_size, 1)
    if info.file_size > _RATIO_FLOOR and info.file_size > packed * limits.max_zip_ratio:
        raise UploadError(
            f"{name}: part {_part_name(info)} unpacks to {_megabytes(info.file_size)} from "
            f"{packed:,} bytes ({info.file_size // packed:,} times); real workbooks pack "
            f"less than {limits.max_zip_ratio} times, so it is refused as a likely zip bomb",
            hint=f"If it is a real export, save it as CSV (UTF-8), or raise "
            f"{setting_name('file_max_zip_ratio')}.",
        )


def _shared_strings_part(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str | None:
    """The part the workbook declares as its shared strings (as openpyxl finds it)."""
    types = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
    if types is None or types.file_size > MB:
        return None  # openpyxl cannot read the workbook either; it reports it
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(archive.read(types))
    except Exception:  # damaged or hostile XML: openpyxl reports it in its own words
        return None
    for element in root:
        if element.get("ContentType") == _SHARED_STRINGS_TYPE:
            part = element.get("PartName") or ""
            return part.lstrip("/")
    return None


def _scan_rows(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Unpack one large part in chunks: each sheet row (and what comes before the first
    and after the last) must be at most :data:`MAX_XML_SEGMENT` bytes, and there may be
    no more rows than Excel allows (openpyxl keeps a little of every row it passes)."""
    start = 0  # where the open segment began: the part's start, then the latest row start
    seen_row = False
    rows = 0
    offset = 0  # bytes of the part read so far
    carry = b""  # the previous chunk's tail, so a tag split between chunks is found
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(MB):
                data = carry + chunk
                base = offset - len(carry)
                for hiding in _HIDING:
                    if hiding in data:
                        raise UploadError(
                            f"{name}: part {_part_name(info)} has XML comments or CDATA "
                            "sections, which Excel does not write",
                            hint="Open it in Excel and save it again, or export CSV (UTF-8).",
                        )
                for match in _ROW_START.finditer(data):
                    at = base + match.start()
                    if seen_row and at <= start:
                        continue  # found already, in the previous chunk's tail
                    _check_segment(name, info, at - start, seen_row)
                    start, seen_row = at, True
                    rows += 1
                if rows > EXCEL_MAX_ROWS:
                    raise UploadError(
                        f"{name}: part {_part_name(info)} has more than {EXCEL_MAX_ROWS:,} "
                        "rows, which no Excel workbook has",
                        hint="Open it in Excel and save it again, or export CSV (UTF-8).",
                    )
                offset += len(chunk)
                carry = data[-_ROW_MATCH_MAX:]
                # A row start may hide in the carried tail; the rest is certainly one segment.
                _check_segment(name, info, offset - _ROW_MATCH_MAX - start, seen_row)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        raise UploadError(
            f"{name}: the workbook is damaged ({exc})",
            hint="Open it in Excel and save it again.",
        ) from None
    _check_segment(name, info, offset - start, seen_row)


def _check_segment(name: str, info: zipfile.ZipInfo, size: int, in_rows: bool) -> None:
    if size > MAX_XML_SEGMENT:
        what = "one row of" if in_rows else "what comes before the first row in"
        raise UploadError(
            f"{name}: {what} part {_part_name(info)} takes more than "
            f"{_megabytes(MAX_XML_SEGMENT)} of XML, which would be held in memory whole",
            hint="Open it in Excel, delete what is not a table of lines (images, objects), "
            "and save it again, or export CSV (UTF-8).",
        )
