"""The upload's own bounds: a mostly-junk file is refused whole, impossible spreadsheet
dates are line problems, and an upload's summary of held-back rows stays small."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from upload_helpers import MINIMAL_HEADER, WriteCsv, read_all, ticket_line

from houselights.context import Houselights
from houselights.errors import UploadError
from houselights.orgs.service import add_org
from houselights.services.exchange import SUMMARY_PROBLEMS, run_problems, upload_file
from houselights.sources.kit.values import QUOTED_CHARS
from houselights.sources.upload import read_upload
from houselights.sources.upload.mapping import batches_from_raw
from houselights.sources.upload.reader import RejectionLimits

ORG = "harbour-arts"


def _lines(good: int, bad: int, *, bad_first: bool = False) -> list[dict[str, str]]:
    """``good`` valid ticket lines (one order each) and ``bad`` lines with a bad price."""
    goods = [ticket_line(**{"Order ID": f"G{i}"}) for i in range(good)]
    bads = [ticket_line(**{"Order ID": f"B{i}", "Price Paid": "abc"}) for i in range(bad)]
    return bads + goods if bad_first else goods + bads


def test_rejection_limits_are_settings() -> None:
    assert RejectionLimits.default() == RejectionLimits(max_percent=50, max_lines=100_000)


def test_half_bad_is_quarantined_more_than_half_is_refused(write_csv: WriteCsv) -> None:
    result = read_all(write_csv(_lines(500, 500)))
    assert result.reader.rows_rejected == 500 and len(result.tables["order_lines"]) == 500
    reader = read_upload(write_csv(_lines(499, 501), name="more.csv"))
    with pytest.raises(UploadError) as caught:
        list(reader)
    assert caught.value.message == (
        "more.csv: 501 of its first 1,000 lines cannot be used (more than 50%), so the file "
        "is refused as a whole; the first: line 501, Price Paid: 'abc' is not an amount of "
        "money (use 12.50 or £12.50)"
    )
    assert "HOUSELIGHTS_UPLOAD_MAX_REJECTED_PERCENT" in caught.value.hint
    assert reader.lines_read == 1_000 and reader.rows_rejected == 501


def test_judged_from_the_thousandth_line_on(write_csv: WriteCsv) -> None:
    # A small file is never refused for its lines: each is quarantined with its reason.
    small = read_all(write_csv(_lines(0, 999)))
    assert small.reader.rows_rejected == 999 and "order_lines" not in small.tables
    # A bad start is judged when the 1,000th line is read, even if that line is good.
    reader = read_upload(write_csv(_lines(5_000, 600, bad_first=True), name="start.csv"))
    with pytest.raises(UploadError, match="600 of its first 1,000 lines"):
        list(reader)
    assert reader.lines_read == 1_000
    # Bad lines later in a good file tip it over as soon as they do.
    reader = read_upload(write_csv(_lines(1_000, 5_000), name="later.csv"))
    with pytest.raises(UploadError, match="1,001 of its first 2,001 lines"):
        list(reader)


def test_a_cap_on_unusable_lines_whatever_the_share(write_csv: WriteCsv) -> None:
    limits = dataclasses.replace(RejectionLimits.default(), max_lines=10)
    reader = read_upload(write_csv(_lines(100, 20)), rejection=limits)
    with pytest.raises(UploadError) as caught:
        list(reader)
    assert caught.value.message.startswith(
        "upload.csv: more than 10 of its lines cannot be used, so the file is refused as a "
        "whole; the first: line 102,"
    )
    assert "HOUSELIGHTS_UPLOAD_MAX_REJECTED_LINES" in caught.value.hint
    assert reader.rows_rejected == 11


def test_blank_lines_count_whether_empty_or_blank(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    row = ",".join(ticket_line().values())
    path.write_text(",".join(MINIMAL_HEADER) + f"\n\n{row}\n ,, \n\n", "utf-8")
    result = read_all(path)
    assert result.reader.blank_lines == 3 and result.reader.lines_read == 1


def test_a_reason_quotes_a_long_value_cut_short(write_csv: WriteCsv) -> None:
    lines = [
        ticket_line(**{"Price Paid": "x" * 5_000}),
        ticket_line(**{"Order ID": "O2", "Price Paid": "9" * 5_000}),
    ]
    assert read_all(write_csv(lines)).reasons() == [
        f"line 2, Price Paid: {'x' * QUOTED_CHARS!r}… (5,000 characters) is not an amount "
        "of money (use 12.50 or £12.50)",
        f"line 3, Price Paid: {'9' * QUOTED_CHARS!r}… (5,000 characters) is too large an "
        "amount",
    ]


def test_an_impossible_spreadsheet_date_is_a_line_problem(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(MINIMAL_HEADER)
    for order, serial in (("O1", 45_383.5), ("O2", -1)):
        line = ticket_line(**{"Order ID": order})
        line["Order Date"] = serial  # type: ignore[assignment]
        sheet.append(list(line.values()))
        sheet.cell(row=sheet.max_row, column=2).number_format = "dd/mm/yyyy hh:mm"
    book.save(tmp_path / "dates.xlsx")
    result = read_all(tmp_path / "dates.xlsx")
    assert result.reasons() == [
        "line 3, Order Date: -1 is a spreadsheet date serial before the first date a "
        "spreadsheet holds (1 January 1900), so not a real date; enter the date again"
    ]
    assert [o["order_id"] for o in result.tables["orders"]] == ["O1"]
    # The kept raw record says why, so a replay rejects the line again, the same way.
    raw = [r for b in result.batches for r in b.raw]
    replayed = [r.reason for b in batches_from_raw(raw) for r in b.rejected]
    assert replayed == result.reasons()


# ------------------------------------------------------------------ upload summary
@pytest.fixture
def hl(tmp_path: Path, warehouse_url: str) -> Iterator[Houselights]:
    app = Houselights(data_dir=tmp_path / "data", database_url=warehouse_url)
    with app.warehouse.connect() as session, session.transaction():
        add_org(session, ORG, "Harbour Arts")
    yield app
    app.close()


def test_the_summary_lists_the_first_problems_and_counts_them_all(
    hl: Houselights, write_csv: WriteCsv, backend: str
) -> None:
    lines = _lines(300, 120)
    lines += [ticket_line(**{"Order ID": "G1", "Order Date": "2024-03-02 10:00"})]
    summary = upload_file(hl, ORG, write_csv(lines))
    assert len(summary.problems) == SUMMARY_PROBLEMS
    # 120 unreadable lines, 1 contradicting its order (G1), and G1's order and good line
    # held back with it.
    assert summary.problems_by_check == {"consistent": 1, "readable": 122}
    assert summary.problems_total == 123
    every = list(run_problems(hl, ORG, summary.run_id, page=50))
    assert len(every) == 123
    assert len({(p["table_name"], p["record_key"], p["check_name"]) for p in every}) == 123
    assert every[:SUMMARY_PROBLEMS] == summary.problems
