"""A corpus of hostile and broken upload files, generated small on disk.

Each :class:`HostileCase` builds one file (or path) in a folder and says what refusing it
must look like: a fragment of the one-line message, and a structural bound on the work
done before the refusal — the lines the reader handed over, the bytes read from disk.
The files are those an outside probe used against the upload (issue 14) and their
relatives; they are built with the default limits in mind.

(A uniquely named module, not conftest, so test files can import it.)
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from upload_helpers import MINIMAL_HEADER, csv_bytes, ticket_line

MB = 1 << 20

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Order lines" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
_SHEET_TAIL = b"</sheetData></worksheet>"


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row() -> bytes:
    """The template's minimal header as sheet row 1."""
    cells = b"".join(_inline(f"{chr(65 + i)}1", h) for i, h in enumerate(MINIMAL_HEADER))
    return b'<row r="1">' + cells + b"</row>"


def write_workbook(path: Path, sheet_parts: Iterator[bytes]) -> Path:
    """A minimal real workbook whose one sheet's XML is streamed from ``sheet_parts``
    (between ``<sheetData>`` and ``</sheetData>``), deflated."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            for part in sheet_parts:
                sheet.write(part)
            sheet.write(_SHEET_TAIL)
    return path


def _repeat(unit: bytes, count: int, block: int = 20_000) -> Iterator[bytes]:
    chunk = unit * block
    for _ in range(count // block):
        yield chunk
    yield unit * (count % block)


# ------------------------------------------------------------------------ builders
def xlsx_bomb(folder: Path) -> Path:
    """~200 KB on disk, a sheet of ~200 MB of XML (a zip bomb, ratio about 1,000)."""
    def parts() -> Iterator[bytes]:
        yield header_row()
        yield from _repeat(b'<row r="2"><c r="A2"><v>1</v></c></row>', 5_000_000)

    return write_workbook(folder / "bomb.xlsx", parts())


def xlsx_three_million_one_cell_rows(folder: Path) -> Path:
    """The probe's file: 3,000,000 one-cell rows packed to a few hundred KB."""
    def parts() -> Iterator[bytes]:
        yield header_row()
        yield from _repeat(b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', 3_000_000)

    return write_workbook(folder / "rows.xlsx", parts())


def xlsx_empty_rows(folder: Path) -> Path:
    """1,200,000 numbered empty rows (~22 MB of XML packing like a real sheet, ~15
    times, to ~1.5 MB): more rows than Excel has, each of which openpyxl keeps a little
    of while it looks for the sheet's size."""
    def parts() -> Iterator[bytes]:
        yield header_row()
        for start in range(2, 1_200_002, 100_000):
            yield b"".join(b'<row r="%d"/>' % n for n in range(start, start + 100_000))

    return write_workbook(folder / "empty-rows.xlsx", parts())


def xlsx_wide_row(folder: Path) -> Path:
    """One row of 500,000 cells of random numbers (~9.5 MB of XML that packs only ~5
    times, so no ratio guard sees it; openpyxl would build the row whole)."""
    rng = random.Random(14)

    def parts() -> Iterator[bytes]:
        yield header_row()
        yield b'<row r="2">'
        for _ in range(50):
            yield b"".join(
                b"<c><v>%d</v></c>" % rng.randrange(100_000, 999_999) for _ in range(10_000)
            )
        yield b"</row>"

    return write_workbook(folder / "wide.xlsx", parts())


def xlsx_row_far_down(folder: Path) -> Path:
    """A header, then one cell at row 2,000,000: a sheet padded with empty rows beyond
    what Excel allows."""
    def parts() -> Iterator[bytes]:
        yield header_row()
        yield b'<row r="2000000">' + _inline("A2000000", "x") + b"</row>"

    return write_workbook(folder / "far.xlsx", parts())


def xlsx_junk_rows(folder: Path) -> Path:
    """A template header, then 3,000 one-cell junk rows (written by openpyxl: packs
    like a real sheet, so only the junk-line rule can refuse it)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Order lines")
    sheet.append(MINIMAL_HEADER)
    for i in range(3_000):
        sheet.append([f"junk {i}"])
    path = folder / "junk.xlsx"
    book.save(path)
    return path


def csv_no_newline(folder: Path) -> Path:
    """2 MB of values and delimiters without one line break (the probe's had 50 MB)."""
    path = folder / "oneline.csv"
    path.write_bytes(b"Order ID,Order Date," + b"abcd," * (2 * MB // 5))
    return path


def csv_huge_value(folder: Path) -> Path:
    """A valid header, then a line with a 600,000-character value."""
    row = list(ticket_line().values())
    row[5] = "E" * 600_000
    path = folder / "huge-value.csv"
    path.write_bytes(csv_bytes(MINIMAL_HEADER, [row]))
    return path


def csv_open_quote(folder: Path) -> Path:
    """A quote that never closes, then 2,000 ordinary lines swallowed by it."""
    good = csv_bytes(MINIMAL_HEADER, [ticket_line()])
    line = ",".join(ticket_line().values()).encode() + b"\r\n"
    path = folder / "open-quote.csv"
    path.write_bytes(good + b'O2,"2024-03-01\r\n' + line * 2_000)
    return path


def csv_thousands_of_columns(folder: Path) -> Path:
    """A header of 5,000 columns."""
    header = [f"col {i}" for i in range(5_000)]
    path = folder / "columns.csv"
    path.write_bytes(csv_bytes(header, [[str(i) for i in range(5_000)]]))
    return path


def csv_junk_header(folder: Path) -> Path:
    """A first line of 600 junk words (within the column limit): never echoed whole."""
    rng = random.Random(5)
    header = ["".join(rng.choice("qwxzjk") for _ in range(30)) for _ in range(600)]
    path = folder / "junk-header.csv"
    path.write_bytes(csv_bytes(header, [["1"] * 600]))
    return path


def csv_junk_lines(folder: Path) -> Path:
    """20,000 lines under a valid header, 95 % of them junk."""
    rng = random.Random(95)
    out = io.BytesIO()
    out.write(csv_bytes(MINIMAL_HEADER, []))
    for i in range(20_000):
        if i % 20 == 0:
            row = ticket_line(**{"Order ID": f"O{i}"})
            out.write(",".join(row.values()).encode() + b"\r\n")
        else:
            out.write(" ".join(str(rng.random()) for _ in range(3)).encode() + b"\r\n")
    path = folder / "junk-lines.csv"
    path.write_bytes(out.getvalue())
    return path


def csv_nul_stuffed(folder: Path) -> Path:
    """A header, then a megabyte of NUL bytes."""
    path = folder / "nul.csv"
    path.write_bytes(csv_bytes(MINIMAL_HEADER, []) + b"\x00" * MB)
    return path


def utf16_nul_stuffed(folder: Path) -> Path:
    """UTF-16 text (with its mark) whose second line is NUL characters."""
    text = ",".join(MINIMAL_HEADER) + "\r\n" + "\x00" * 100_000
    path = folder / "nul16.csv"
    path.write_bytes(text.encode("utf-16"))
    return path


SECRET_LINE = "root:$6$saltsalt$hashhashhashhashhash:19000:0:99999:7:::"


def symlink_outside(folder: Path) -> Path:
    """A link to a file elsewhere (as the probe linked ``/etc/shadow``)."""
    outside = folder / "outside"
    outside.mkdir(exist_ok=True)
    secret = outside / "shadow"
    secret.write_text(SECRET_LINE + "\n", encoding="utf-8")
    link = folder / "sales.csv"
    link.symlink_to(secret)
    return link


def named_pipe(folder: Path) -> Path:
    """A FIFO: opening it to read would wait for a writer for ever."""
    path = folder / "pipe.csv"
    os.mkfifo(path)
    return path


def device(folder: Path) -> Path:
    """A character device that never ends."""
    return Path("/dev/zero")


def folder_path(folder: Path) -> Path:
    """A folder given as the file."""
    path = folder / "a-folder.csv"
    path.mkdir()
    return path


# --------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class HostileCase:
    """One hostile file and what refusing it must look like."""

    name: str
    build: Callable[[Path], Path]
    message: str
    """A fragment of the refusal's one-line message."""
    max_rows: int | None = None
    """Lines the reader may look at (hand over, or skip as empty) before the refusal
    (None: refused before reading any line)."""
    max_read: int = 8 * MB
    """Bytes the reader may read from disk (the file's bytes, not what they unpack to)."""


CASES: tuple[HostileCase, ...] = (
    HostileCase("xlsx-bomb", xlsx_bomb, "refused as a likely zip bomb"),
    HostileCase(
        "xlsx-3m-one-cell-rows", xlsx_three_million_one_cell_rows, "refused as a likely zip bomb"
    ),
    HostileCase(
        "xlsx-1.2m-empty-rows",
        xlsx_empty_rows,
        "has more than 1,048,576 rows, which no Excel workbook has",
    ),
    HostileCase("xlsx-wide-row", xlsx_wide_row, "one row of part 'xl/worksheets/sheet1.xml'"),
    HostileCase(
        "xlsx-row-far-down",
        xlsx_row_far_down,
        "more than 1,048,576 rows, which no Excel workbook has",
        max_rows=1_048_575,
    ),
    HostileCase(
        "xlsx-junk-rows",
        xlsx_junk_rows,
        "1,000 of its first 1,000 lines cannot be used (more than 50%)",
        max_rows=1_000,
    ),
    HostileCase(
        "csv-no-newline",
        csv_no_newline,
        "line 1: is longer than 1,048,576 characters without a line break",
    ),
    HostileCase(
        "csv-huge-value",
        csv_huge_value,
        "line 2: has a value longer than 32,767 characters",
        max_rows=0,
    ),
    HostileCase(
        "csv-open-quote",
        csv_open_quote,
        "line 3: a quoted value opens here and is not closed within 131,072 characters",
        max_rows=1,
    ),
    HostileCase(
        "csv-5000-columns",
        csv_thousands_of_columns,
        "line 1: the header has 5,000 values; a line may have at most 1,000",
    ),
    HostileCase("csv-junk-header", csv_junk_header, "… (600 in all)"),
    HostileCase(
        "csv-95-percent-junk",
        csv_junk_lines,
        "950 of its first 1,000 lines cannot be used (more than 50%)",
        max_rows=1_000,
    ),
    HostileCase("csv-nul-stuffed", csv_nul_stuffed, "line 2: contains NUL bytes"),
    HostileCase("utf16-nul-stuffed", utf16_nul_stuffed, "line 2: contains NUL bytes"),
    HostileCase("symlink-outside", symlink_outside, "is a symbolic link", max_read=0),
    HostileCase("named-pipe", named_pipe, "not a file (a named pipe)", max_read=0),
    HostileCase("device", device, "not a file (a device)", max_read=0),
    HostileCase("folder", folder_path, "not a file (a folder)", max_read=0),
)
