"""The kit's file limits: safe opening, workbook zip checks, and limits while streaming.

Every file source reads through :class:`TableFile`, so these bounds hold for all of them;
the hostile corpus that exercises them end to end is in tests/sources/upload.
"""

from __future__ import annotations

import dataclasses
import os
import random
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import MAC_EPOCH

from houselights.errors import ConfigError, UploadError
from houselights.settings import Settings, load_settings
from houselights.sources.kit.files import Column, ColumnProfile, TableFile
from houselights.sources.kit.limits import (
    MAX_XML_SEGMENT,
    MB,
    FileLimits,
    check_workbook,
    open_regular,
)

PROFILE = ColumnProfile(
    "a box office's sales export",
    (
        Column(name="ref", label="Booking Ref", required=True),
        Column(name="paid", label="Paid", required=True),
        Column(name="when", label="Date"),
    ),
)
DEFAULT = FileLimits.default()


def _csv(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("Booking Ref,Paid,Date\n" + "".join(f"{ln}\n" for ln in lines), "utf-8")
    return path


def _xlsx(path: Path, rows: Iterable[list[object]], *, epoch: datetime | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if epoch is not None:
        book.epoch = epoch
    sheet.append(["Booking Ref", "Paid", "Date"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _refusal(path: Path, limits: FileLimits = DEFAULT) -> UploadError:
    with pytest.raises(UploadError) as caught:
        for _ in TableFile(path, PROFILE, limits).rows():
            pass
    assert "\n" not in caught.value.message
    return caught.value


# ------------------------------------------------------------------------ settings
def test_the_limits_are_settings_with_documented_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    defaults = Settings.model_construct()
    from_fields = FileLimits(
        max_file_bytes=defaults.file_max_mb * MB,
        max_unzipped_bytes=defaults.file_max_unzipped_mb * MB,
        max_zip_ratio=defaults.file_max_zip_ratio,
        max_rows=defaults.file_max_rows,
        max_columns=defaults.file_max_columns,
        max_value_chars=defaults.file_max_value_chars,
    )
    assert from_fields == DEFAULT
    assert (DEFAULT.max_file_bytes, DEFAULT.max_rows, DEFAULT.max_value_chars) == (
        1024 * MB,
        5_000_000,
        32_767,
    )
    assert DEFAULT.max_record_chars == MB and DEFAULT.max_shared_strings_bytes == 128 * MB
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOUSELIGHTS_FILE_MAX_ROWS", "10")
    (tmp_path / "houselights.toml").write_text(
        "[houselights]\nfile_max_columns = 7\nfile_max_rows = 99\n", "utf-8"
    )
    limits = FileLimits.from_settings(load_settings())
    assert (limits.max_rows, limits.max_columns) == (10, 7)  # environment beats the file
    monkeypatch.setenv("HOUSELIGHTS_FILE_MAX_VALUE_CHARS", "200000")
    with pytest.raises(ConfigError, match="file_max_value_chars"):
        load_settings()


# ------------------------------------------------------------------------- opening
def test_only_regular_files_are_opened(tmp_path: Path) -> None:
    real = _csv(tmp_path / "real.csv", ["B1,1,"])
    with open_regular(real) as handle:
        assert handle.read(7) == b"Booking"
    link = tmp_path / "link.csv"
    link.symlink_to(real)  # even a link to a good file in the same folder
    with pytest.raises(UploadError, match=r"^link.csv: is a symbolic link"):
        open_regular(link)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    with pytest.raises(UploadError, match="not a file \\(a named pipe\\)"):
        open_regular(pipe)  # and does not wait for a writer
    with pytest.raises(UploadError, match="not a file \\(a folder\\)"):
        open_regular(tmp_path)
    with pytest.raises(UploadError, match="not a file \\(a device\\)"):
        open_regular(Path("/dev/null"))
    with pytest.raises(UploadError, match="no such file"):
        open_regular(tmp_path / "nope.csv")
    with pytest.raises(UploadError) as caught:
        open_regular(real, max_bytes=10)
    assert caught.value.message == "real.csv: is 0.0 MB; files of at most 0.0 MB are read"
    assert "HOUSELIGHTS_FILE_MAX_MB" in caught.value.hint


def test_a_file_that_changes_while_it_is_read_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path / "x.csv", ["B1,1,"])
    table = TableFile(path, PROFILE)
    _csv(path, ["B1,1,", "B2,2,"])
    with pytest.raises(UploadError, match="the file changed while it was being read"):
        list(table.rows())


# ------------------------------------------------------------------ while streaming
def test_row_limit_csv_and_xlsx(tmp_path: Path) -> None:
    limits = dataclasses.replace(DEFAULT, max_rows=5)
    csv_path = _csv(tmp_path / "rows.csv", [f"B{i},1," for i in range(10)])
    table = TableFile(csv_path, PROFILE, limits)
    with pytest.raises(UploadError) as caught:
        list(table.rows())
    assert caught.value.message == "rows.csv: has more than 5 lines; at most that many are read"
    assert "HOUSELIGHTS_FILE_MAX_ROWS" in caught.value.hint
    assert table.rows_read == 4  # lines 2–5, then line 6 was refused
    xlsx_path = _xlsx(tmp_path / "rows.xlsx", [[f"B{i}", 1] for i in range(10)])
    table = TableFile(xlsx_path, PROFILE, limits)
    with pytest.raises(UploadError, match="has more than 5 lines"):
        list(table.rows())
    assert table.rows_read == 4
    # Blank lines count: they are work too.
    blank = tmp_path / "blank.csv"
    blank.write_text("\n" * 6 + "Booking Ref,Paid\n", "utf-8")
    assert "has more than 5 lines" in _refusal(blank, limits).message


def test_column_limit_counts_values_not_trailing_blanks(tmp_path: Path) -> None:
    limits = dataclasses.replace(DEFAULT, max_columns=4)
    wide = _csv(tmp_path / "wide.csv", ["B1,1,,x,y,z"])
    assert _refusal(wide, limits).message == (
        "wide.csv, line 2: has 6 values; a line may have at most 4"
    )
    header = tmp_path / "header.csv"
    header.write_text("Booking Ref,Paid,a,b,c\n", "utf-8")
    assert "line 1: the header has 5 values" in _refusal(header, limits).message
    # A styled empty cell far to the right (a formatted column) is not a value.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Booking Ref", "Paid"])
    sheet.append(["B1", 1])
    sheet.cell(row=2, column=40).number_format = "0.00"
    book.save(tmp_path / "styled.xlsx")
    rows = list(TableFile(tmp_path / "styled.xlsx", PROFILE, limits).rows())
    assert [r.cells for r in rows] == [{"ref": "B1", "paid": "1"}]


def test_value_length_limit_names_the_column(tmp_path: Path) -> None:
    limits = dataclasses.replace(DEFAULT, max_value_chars=10)
    path = _csv(tmp_path / "long.csv", ["B1,1,", "B2,1,12345678901"])
    error = _refusal(path, limits)
    assert error.message == (
        "long.csv, line 3, column 'Date': has a value of 11 characters; a value may have at "
        "most 10"
    )
    assert "HOUSELIGHTS_FILE_MAX_VALUE_CHARS" in error.hint
    xlsx = _xlsx(tmp_path / "long.xlsx", [["B1", 1, "x" * 11]])
    assert "line 2, column 'Date': has a value of 11 characters" in _refusal(xlsx, limits).message


def test_a_record_is_bounded_before_the_csv_parser_holds_it(tmp_path: Path) -> None:
    # A quote opened after ~960,000 characters of short values, then lines that never
    # close it: the record passes the bound over many lines without any value passing
    # the CSV parser's own limit.
    path = tmp_path / "open.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write("Booking Ref,Paid,Date\n")
        out.write("B1," + "," * 960_000 + '"opens\n')
        out.write("short line\n" * 20_000)
    error = _refusal(path)
    assert error.message == (
        "open.csv, line 2: a quoted value opens here and is not closed within 1,048,576 "
        "characters (8,053 lines)"
    )
    assert "opening quote without a closing one" in error.hint


def test_found_columns_are_never_echoed_at_length(tmp_path: Path) -> None:
    rng = random.Random(3)
    junk = ["".join(rng.choice("abcdefgh") for _ in range(80)) for _ in range(500)]
    path = tmp_path / "junk.csv"
    path.write_text(",".join(junk) + "\n", "utf-8")
    with pytest.raises(UploadError) as caught:
        TableFile(path, PROFILE)
    message = caught.value.message
    assert message.endswith(", … (500 in all)")
    assert junk[0][:30] in message and junk[0] not in message and junk[8][:30] not in message
    assert len(message) < 600


# ----------------------------------------------------------------- spreadsheet dates
@pytest.mark.parametrize(
    ("epoch", "first"), [(None, "1 January 1900"), (MAC_EPOCH, "1 January 1904")]
)
def test_a_negative_date_serial_is_a_problem_of_its_line(
    tmp_path: Path, epoch: datetime | None, first: str
) -> None:
    book = Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    assert sheet is not None
    sheet.append(["Booking Ref", "Paid", "Date"])
    for ref, serial in (("B1", -1), ("B2", 2), ("B3", -0.25)):
        sheet.append([ref, 1, serial])
        sheet.cell(row=sheet.max_row, column=3).number_format = "yyyy-mm-dd hh:mm"
    book.save(tmp_path / "dates.xlsx")
    rows = list(TableFile(tmp_path / "dates.xlsx", PROFILE).rows())
    assert [r.cells["when"] for r in rows][0::2] == ["-1", "-0.25"]
    assert isinstance(rows[1].cells["when"], datetime) and rows[1].problems == {}
    assert rows[0].problems == {
        "when": f"-1 is a spreadsheet date serial before the first date a spreadsheet holds "
        f"({first}), so not a real date; enter the date again"
    }
    assert rows[2].problems["when"].startswith("-0.25 is a spreadsheet date serial")


# ------------------------------------------------------------------------ workbooks
def _zip(path: Path, parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def _check(path: Path, limits: FileLimits = DEFAULT) -> None:
    with path.open("rb") as handle:
        check_workbook(handle, path.name, path.stat().st_size, limits)


_RNG = random.Random(14)


def _noise(size: int) -> bytes:
    """Hex digits that pack only about twice: a part no ratio guard suspects."""
    return _RNG.randbytes((size + 1) // 2).hex().encode()[:size]


def test_a_real_workbook_passes(tmp_path: Path) -> None:
    _check(_xlsx(tmp_path / "real.xlsx", [["B1", 1, datetime(2024, 5, 1)]]))
    # A large sheet of ordinary rows is scanned and passes, namespace prefixes and all.
    rows = b"".join(
        b"<x:row r='%d'><x:c><x:v>%s</x:v></x:c></x:row>" % (i, _noise(40))
        for i in range(1, 200_001)
    )
    assert len(rows) > MAX_XML_SEGMENT
    _check(_zip(tmp_path / "big.xlsx", {"xl/worksheets/sheet1.xml": rows}))


def test_the_zip_directory_is_checked_before_anything_is_unpacked(tmp_path: Path) -> None:
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(10_001):
            archive.writestr(f"p{i}", b"")
    with pytest.raises(UploadError, match=r"^many.xlsx: the zip has more than 10,000 parts"):
        _check(many)
    # An end record that under-declares its parts: the directory's size still counts.
    data = bytearray(many.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    data[end + 8 : end + 12] = (5).to_bytes(2, "little") * 2
    lying = tmp_path / "lying.xlsx"
    lying.write_bytes(bytes(data))
    with zipfile.ZipFile(lying) as archive:
        assert len(archive.infolist()) == 10_001  # what Python's zip reader would list
    big_directory = tmp_path / "names.xlsx"
    with zipfile.ZipFile(big_directory, "w") as archive:
        for i in range(9_000):
            archive.writestr(f"{i:0500d}", b"")
    for path in (lying, big_directory):
        with pytest.raises(UploadError, match="the zip has more than 10,000 parts"):
            _check(path)
    for method, number in ((zipfile.ZIP_BZIP2, 12), (zipfile.ZIP_LZMA, 14)):
        odd = _zip(tmp_path / f"m{number}.xlsx", {"xl/workbook.xml": b"<x/>"}, method)
        expected = rf"a method Excel does not use \(zip method {number}"
        with pytest.raises(UploadError, match=expected):
            _check(odd)
    # Mark the one part encrypted (zipfile cannot write encryption; the flag is enough).
    data = bytearray(_zip(tmp_path / "locked.xlsx", {"xl/workbook.xml": b"<x/>"}).read_bytes())
    data[6] |= 0x1  # the local header's flags
    data[data.index(b"PK\x01\x02") + 8] |= 0x1  # the central directory's
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(bytes(data))
    with pytest.raises(UploadError, match="is password-protected"):
        _check(locked)


def test_ratio_total_and_shared_text_limits(tmp_path: Path) -> None:
    # Long runs with a little noise: packs a few dozen times, like no real sheet.
    dozens = _zip(
        tmp_path / "dozens.xlsx",
        {"xl/a.xml": b"".join(b"A" * 200 + _noise(4) for _ in range(20_000))},
    )
    with zipfile.ZipFile(dozens) as archive:
        (info,) = archive.infolist()
    ratio = info.file_size // info.compress_size
    assert 10 < ratio < DEFAULT.max_zip_ratio
    _check(dozens)
    with pytest.raises(UploadError) as caught:
        _check(dozens, dataclasses.replace(DEFAULT, max_zip_ratio=ratio - 1))
    assert "refused as a likely zip bomb" in caught.value.message
    assert "HOUSELIGHTS_FILE_MAX_ZIP_RATIO" in caught.value.hint
    big = _zip(tmp_path / "big.xlsx", {"xl/a.xml": _noise(2 * MB)})
    with pytest.raises(UploadError) as caught:
        _check(big, dataclasses.replace(DEFAULT, max_unzipped_bytes=MB))
    assert caught.value.message == (
        "big.xlsx: unpacks to 2.0 MB; workbooks of at most 1.0 MB unpacked are read"
    )
    types = (
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/xl/text.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    text = _zip(tmp_path / "text.xlsx", {"[Content_Types].xml": types, "xl/text.xml": _noise(MB)})
    with pytest.raises(UploadError, match=r"its table of text values unpacks to 1\.0 MB"):
        _check(text, dataclasses.replace(DEFAULT, max_unzipped_bytes=8 * MB))
    _check(text)  # within a sixteenth of the default


def test_large_parts_cannot_hide_a_huge_row(tmp_path: Path) -> None:
    one_row = b"<row r='1'>" + b"<c><v>%s</v></c>" % _noise(MAX_XML_SEGMENT) + b"</row>"
    with pytest.raises(UploadError, match=r"one row of part 'xl/worksheets/sheet1\.xml' takes"):
        _check(_zip(tmp_path / "row.xlsx", {"xl/worksheets/sheet1.xml": one_row}))
    no_rows = _zip(tmp_path / "blob.xlsx", {"xl/media/blob.bin": _noise(MAX_XML_SEGMENT + 10)})
    with pytest.raises(UploadError, match="what comes before the first row in part"):
        _check(no_rows)
    # Markup that could fake row starts (and so split a huge row) is refused.
    for hiding in (b"<![CDATA[<row>]]>", b"<!-- <row> -->"):
        rows = b"".join(
            b"<row r='1'><c><v>%s</v></c>%s</row>" % (_noise(1000), hiding) for _ in range(10_000)
        )
        with pytest.raises(UploadError, match="has XML comments or CDATA sections"):
            _check(_zip(tmp_path / "hidden.xlsx", {"xl/worksheets/sheet1.xml": rows}))
