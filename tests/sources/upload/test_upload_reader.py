"""The upload reader: formats, encodings, delimiters, line numbers and bad files."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from upload_helpers import MINIMAL_HEADER, WriteCsv, csv_bytes, read_all, table_rows, ticket_line

from houselights.errors import UploadError
from houselights.sources.upload import read_upload
from houselights.sources.upload.reader import TEMPLATE_SHEET


def test_reads_a_minimal_file(write_csv: WriteCsv) -> None:
    path = write_csv([ticket_line(), ticket_line(**{"Ticket Type": "Student",
                                                      "Price Paid": "£10.00"})])
    result = read_all(path)
    assert result.rejected == []
    lines = result.tables["order_lines"]
    assert [(x["order_id"], x["line_no"], x["price_paid"]) for x in lines] == [
        ("O1", 1, Decimal("20.00")), ("O1", 2, Decimal("10.00"))]
    assert lines[1]["is_concession"] is True
    assert result.tables["orders"] == [{
        "order_id": "O1", "customer_id": "C1", "created_at": datetime(2024, 3, 1, 10, 0),
        "channel": None, "lines_hash": ""}]
    reader = result.reader
    assert reader.lines_read == 2 and reader.rows_rejected == 0 and reader.rows_mapped == 2
    assert reader.bytes_read == reader.total_bytes == path.stat().st_size
    assert dict(reader.detected) == {"format": "csv", "encoding": "utf-8", "delimiter": ",",
                                     "sheet": None}
    assert reader.detected.describe() == "CSV, UTF-8, comma-separated"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings_and_delimiters(write_csv: WriteCsv, delimiter: str, encoding: str) -> None:
    name = "Café; Society, \"Live\""  # accent, both delimiters, quotes
    path = write_csv(
        [ticket_line(**{"Event Name": name, "Price Paid": "£1,234.50",
                        "Face Value": "£1,500.00"})],
        delimiter=delimiter, encoding=encoding,
    )
    result = read_all(path)
    assert result.rejected == []
    assert result.tables["events"][0]["name"] == name
    assert result.tables["order_lines"][0]["price_paid"] == Decimal("1234.50")
    assert result.reader.detected.delimiter == delimiter
    assert result.reader.detected.encoding == encoding


def test_windows_1252_pound_sign(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    body = csv_bytes(MINIMAL_HEADER, [ticket_line(**{"Price Paid": "£5.00"})])
    assert "£".encode("cp1252") == b"\xa3"
    path.write_bytes(body.replace("£".encode(), b"\xa3"))
    result = read_all(path)
    assert result.reader.detected.encoding == "cp1252"
    assert result.tables["order_lines"][0]["price_paid"] == Decimal("5.00")


def test_quoted_newlines_keep_physical_line_numbers(write_csv: WriteCsv) -> None:
    path = write_csv([
        ticket_line(**{"Event Name": "Two\nline title"}),              # lines 2-3
        ticket_line(**{"Price Paid": "abc"}),                           # line 4
        ticket_line(**{"Event Name": "Two\nline title", "Order ID": "O2"}),  # lines 5-6
        ticket_line(**{"Order ID": "O3", "Order Date": "2024-02-30"}),  # line 7
    ])
    result = read_all(path)
    assert result.reasons() == [
        "line 4, Price Paid: 'abc' is not an amount of money (use 12.50 or £12.50)",
        "line 7, Order Date: '2024-02-30' is not a real date or time (dates are read "
        "day/month/year, as in the UK, or year-month-day; month/day/year is never guessed)",
    ]
    assert [r.record["line"] for r in result.rejected] == [4, 7]
    assert [r.order_id for r in result.rejected] == ["O1", "O3"]
    assert result.tables["events"][0]["name"] == "Two\nline title"


def test_blank_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    body = csv_bytes(MINIMAL_HEADER, [ticket_line()]).decode()
    path = tmp_path / "b.csv"
    path.write_text("\r\n" + body + "\r\n,,,,\r\n   \r\n" + body.splitlines()[1] + "\r\n")
    result = read_all(path)
    assert result.reader.blank_lines == 3
    assert result.reader.lines_read == 2
    assert len(result.tables["order_lines"]) == 2


def test_header_aliases_and_ignored_columns(write_csv: WriteCsv) -> None:
    header = ["order_number", "Transaction Date", "Patron ID", "Post Code", "Show ID", "Show",
              "Performance ID", "Performance Date", "VENUE-NAME", "item type", "Price Type",
              "Full Price", "Amount Paid", "Customer Email"]
    row = ["O1", "01/03/2024 10:00", "C1", "ne14st", "E1", "Hamlet", "I1", "2/4/2024 19:30",
           "Main House", "Tickets", "Full", "20", "£20", "secret@example.org"]
    result = read_all(write_csv([row], header))
    assert result.rejected == []
    assert result.reader.header.ignored == ("Customer Email",)
    assert result.tables["instances"][0]["starts_at"] == datetime(2024, 4, 2, 19, 30)
    assert result.tables["customers"][0]["postcode"] == "NE1 4ST"
    # Columns the template does not know are not kept, not even in the raw records.
    raw = result.batches[0].raw[0].payload
    assert "secret@example.org" not in raw["values"].values()
    assert raw == {"line": 2, "file": "upload.csv", "values": {
        "order_id": "O1", "order_date": "01/03/2024 10:00", "customer_id": "C1",
        "customer_postcode": "ne14st", "event_id": "E1", "event_name": "Hamlet",
        "instance_id": "I1", "instance_start": "2/4/2024 19:30", "venue": "Main House",
        "line_type": "Tickets", "ticket_type": "Full", "face_value": "20",
        "price_paid": "£20"}}


def test_missing_columns_are_listed_with_what_was_found(write_csv: WriteCsv) -> None:
    header = ["Order ID", "Ordr Date", "Customer", "Postcode", "Event ID", "Event Name",
              "Instance ID", "Venue", "Line Type", "Ticket Type", "Face Value", "Paid"]
    with pytest.raises(UploadError) as caught:
        read_upload(write_csv([], header))
    message = caught.value.message
    assert message.startswith("upload.csv, line 1: missing required columns: ")
    assert "'Order Date' (did you mean 'Ordr Date'?)" in message
    assert "'Customer ID' (did you mean 'Customer'?)" in message
    assert "'Instance Start'" in message
    assert "Found columns: 'Order ID', 'Ordr Date', 'Customer', 'Postcode'" in message
    assert "'Price Paid'" not in message  # "Paid" is an alias
    assert "docs/upload-template.md" in caught.value.hint


def test_duplicate_header_is_refused(write_csv: WriteCsv) -> None:
    with pytest.raises(UploadError) as caught:
        read_upload(write_csv([], [*MINIMAL_HEADER, "Price"]))
    assert caught.value.message == (
        "upload.csv, line 1: the header has columns that mean the same thing: "
        "'Price Paid' and 'Price' all mean 'Price Paid'")
    with pytest.raises(UploadError, match="'Venue' and 'venue' all mean 'Venue'"):
        read_upload(write_csv([], [*MINIMAL_HEADER, "venue"], name="dup2.csv"))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UploadError) as caught:
        read_upload(path)
    assert caught.value.message == "empty.csv: the file is empty"
    assert "docs/upload-template.md" in caught.value.hint
    path.write_bytes(b"\xef\xbb\xbf\r\n  \r\n")
    with pytest.raises(UploadError, match="the file is empty"):
        read_upload(path)


def test_header_only_is_zero_rows_not_an_error(write_csv: WriteCsv) -> None:
    result = read_all(write_csv([]))
    assert result.batches == []
    assert result.reader.lines_read == 0 and result.reader.rows_rejected == 0


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="no such file"):
        read_upload(tmp_path / "nope.csv")
    with pytest.raises(UploadError, match="not a file"):
        read_upload(tmp_path)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"Order ID,Order Date\r\n" + os.urandom(4096) + b"\x00")
    with pytest.raises(UploadError) as caught:
        read_upload(path)
    assert "contains NUL bytes, so it is not a text (CSV) file" in caught.value.message
    assert caught.value.message.startswith("garbage.csv, line ")


def test_undecodable_bytes_without_nul(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b",".join(MINIMAL_HEADER_BYTES) + b"\r\nO1,\x81\x8d\x90\r\n")
    with pytest.raises(UploadError, match=r"odd.csv, line 2: has bytes that are neither "
                       "UTF-8 nor Windows-1252 text"):
        read_upload(path)


MINIMAL_HEADER_BYTES = [h.encode() for h in MINIMAL_HEADER]


def test_control_characters_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "ctl.csv"
    path.write_bytes(bytes(range(1, 9)) * 200)
    with pytest.raises(UploadError, match="does not look like text"):
        read_upload(path)


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel .xls workbook"),
     (b"%PDF-1.7\n", "is a PDF document"),
     (b"\x1f\x8b\x08\x00", "is gzip-compressed")],
)
def test_known_binary_formats(tmp_path: Path, head: bytes, expected: str) -> None:
    path = tmp_path / "file.csv"
    path.write_bytes(head + b"x" * 100)
    with pytest.raises(UploadError, match=expected):
        read_upload(path)


def test_unterminated_quote_is_a_file_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    body = csv_bytes(MINIMAL_HEADER, [ticket_line()]).decode()
    path.write_text(body + 'O2,"never closed' + ("x" * 200_000) + "\r\n")
    reader = read_upload(path)
    with pytest.raises(UploadError) as caught:
        list(reader)
    assert caught.value.message == (
        "q.csv, line 3: a quoted value opens here and is not closed within 131,072 characters")
    assert "opening quote without a closing one" in caught.value.hint


def test_a_long_value_is_reported_as_long_not_as_a_quote(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    body = csv_bytes(MINIMAL_HEADER, [ticket_line()]).decode()
    for size, message in [
        (200_000, "long.csv, line 3: has a value longer than 32,767 characters, the most a "
                  "value may have"),
        (40_000, "long.csv, line 3, column 'Event Name': has a value of 40,000 characters; "
                 "a value may have at most 32,767"),
    ]:
        row = list(ticket_line().values())
        row[5] = "y" * size
        path.write_text(body + ",".join(row) + "\r\n")
        with pytest.raises(UploadError) as caught:
            list(read_upload(path))
        assert caught.value.message == message
        assert "HOUSELIGHTS_FILE_MAX_VALUE_CHARS" in caught.value.hint


def test_extra_values_reject_the_line(write_csv: WriteCsv) -> None:
    good = list(ticket_line().values())
    path = write_csv([good, [*good, "stray", "values"], [*good, "", " "]])
    result = read_all(path)
    assert result.reasons() == [
        "line 3: has 15 values but the header has 13 columns (a value with an unquoted "
        "delimiter?)"]
    assert len(result.tables["order_lines"]) == 2


def test_chunks_progress_and_reiteration(write_csv: WriteCsv) -> None:
    rows = [ticket_line(**{"Order ID": f"O{i}", "Instance ID": f"I{i % 3}"})
            for i in range(25)]
    path = write_csv(rows)
    seen: list[int] = []
    reader = read_upload(path, chunk_rows=10, progress=seen.append)
    first = list(reader)
    assert [b.records_in for b in first] == [10, 10, 5]
    assert seen[-1] == path.stat().st_size
    assert sum(len(b.raw) for b in first) == 25
    second = list(reader)
    assert [table_rows(b, "order_lines") for b in second] == [
        table_rows(b, "order_lines") for b in first]
    # Each instance is emitted once, in the chunk where it first appears.
    assert [len(table_rows(b, "instances")) for b in first] == [3, 0, 0]


def test_chunk_rows_must_be_positive(write_csv: WriteCsv) -> None:
    with pytest.raises(ValueError, match="chunk_rows"):
        read_upload(write_csv([]), chunk_rows=0)


# ------------------------------------------------------------------------ XLSX
def _xlsx(path: Path, rows: Sequence[Sequence[object]], *, sheet: str | None = None,
          extra_first_sheet: bool = False) -> Path:
    book = Workbook()
    active = book.active
    assert active is not None
    if extra_first_sheet:
        active.title = "Notes"
        active.append(["not the data"])
        target = book.create_sheet(sheet or TEMPLATE_SHEET)
    else:
        target = active
        if sheet:
            target.title = sheet
    for row in rows:
        target.append(row)
    book.save(path)
    return path


def test_reads_xlsx_with_native_values(tmp_path: Path) -> None:
    header = [*MINIMAL_HEADER, "Capacity", "Comp"]
    path = _xlsx(tmp_path / "sales.xlsx", [
        header,
        ["O1", datetime(2024, 3, 1, 10, 0), 1001, "NE1 4ST", "E1", "Hamlet", 77,
         datetime(2024, 4, 2, 19, 30), "Main House", "ticket", "Full", 20, 14.499999999999998,
         450.0, True],
        [None] * len(header),
        ["O2", "01/03/2024", 1002, None, "E1", "Hamlet", 77, datetime(2024, 4, 2, 19, 30),
         "Main House", "ticket", "Full", 20, "abc", 450, None],
    ])
    result = read_all(path)
    assert result.reader.detected.format == "xlsx"
    assert result.reader.detected.sheet == "Sheet"
    line = result.tables["order_lines"][0]
    assert line["price_paid"] == Decimal("14.50") and line["is_comp"] is True
    assert line["instance_id"] == "77"
    assert result.tables["orders"][0]["created_at"] == datetime(2024, 3, 1, 10, 0)
    assert result.tables["customers"][0]["customer_id"] == "1001"
    assert result.tables["instances"][0]["capacity"] == 450
    assert result.reasons() == [
        "line 4, Price Paid: 'abc' is not an amount of money (use 12.50 or £12.50)"]
    assert result.reader.blank_lines == 1
    raw = result.batches[0].raw[0].payload["values"]
    assert raw["order_date"] == "2024-03-01T10:00:00" and raw["customer_id"] == "1001"


def test_xlsx_prefers_the_template_sheet(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "book.xlsx", [MINIMAL_HEADER, list(ticket_line().values())],
                 sheet="order_lines", extra_first_sheet=True)
    result = read_all(path)
    assert result.reader.detected.sheet == "order_lines"
    assert len(result.tables["order_lines"]) == 1


def test_xlsx_detected_by_content_not_extension(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "export.csv", [MINIMAL_HEADER, list(ticket_line().values())])
    assert read_all(path).reader.detected.format == "xlsx"


def test_xlsx_missing_columns(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "m.xlsx", [[], ["Order ID", "Show"], ["O1", "Hamlet"]])
    with pytest.raises(UploadError, match=r"^m.xlsx, line 2: missing required columns"):
        read_upload(path)


def test_corrupt_xlsx(tmp_path: Path) -> None:
    good = _xlsx(tmp_path / "good.xlsx", [MINIMAL_HEADER])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:300])
    with pytest.raises(UploadError, match="is a zip file but not a readable Excel workbook"):
        read_upload(broken)
    not_excel = tmp_path / "other.xlsx"
    with zipfile.ZipFile(not_excel, "w") as archive:
        archive.writestr("data.csv", "a,b\n")
    with pytest.raises(UploadError, match="not a readable Excel workbook"):
        read_upload(not_excel)


def test_empty_xlsx_sheet(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="sheet 'Sheet' is empty"):
        read_upload(_xlsx(tmp_path / "e.xlsx", []))
