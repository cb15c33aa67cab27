"""The template's columns, its docs, the template writer and the synthetic generator."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from upload_helpers import read_all

from houselights.sources.upload.columns import (
    CHANNELS,
    COLUMNS,
    REQUIRED_COLUMNS,
    STATUSES,
    describe_words,
    markdown_line_types,
    markdown_table,
    match_header,
    normalise_header,
)
from houselights.sources.upload.generate import EXAMPLE_ORGANISATION, HEADER, generate_upload
from houselights.sources.upload.template import example_row, header_row, write_template

DOC = Path(__file__).resolve().parents[3] / "docs" / "upload-template.md"


def test_required_columns_are_the_issue_minimum() -> None:
    assert [c.name for c in REQUIRED_COLUMNS] == [
        "order_id", "order_date", "customer_id", "customer_postcode", "event_id",
        "event_name", "instance_id", "instance_start", "venue", "line_type", "ticket_type",
        "face_value", "price_paid"]


def test_no_alias_means_two_columns() -> None:
    seen: dict[str, str] = {}
    for column in COLUMNS:
        for key in column.keys:
            assert key not in seen, f"{key} means {seen.get(key)} and {column.name}"
            seen[key] = column.name


@pytest.mark.parametrize(
    ("header", "name"),
    [("Order ID", "order_id"), ("ORDER_NUMBER", "order_id"), ("order-no.", "order_id"),
     ("Transaction Date", "order_date"), ("Performance Date", "instance_start"),
     ("Performance ID", "instance_id"), ("Show", "event_name"), ("Postcode", "customer_postcode"),
     ("Post Code", "customer_postcode"), ("Zip", "customer_postcode"), ("Price", "price_paid"),
     ("Amount Paid", "price_paid"), ("Ticket Price", "price_paid"),
     ("Price Type", "ticket_type"), ("Full Price", "face_value")],
)
def test_common_headers_match(header: str, name: str) -> None:
    assert match_header([header]).positions == {name: 0}
    assert normalise_header(header).isalnum()


def test_docs_carry_the_generated_tables_and_every_column() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert markdown_table() in text
    assert markdown_line_types() in text
    assert describe_words(STATUSES) in text and describe_words(CHANNELS) in text
    for column in COLUMNS:
        assert f"**{column.label}**" in text
        for alias in column.aliases:
            assert alias in text


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_template_has_header_and_an_example_that_maps(tmp_path: Path, suffix: str) -> None:
    path = write_template(tmp_path / f"template{suffix}")
    result = read_all(path)
    assert result.rejected == []
    assert result.reader.header.missing == () and result.reader.header.ignored == ()
    assert len(result.tables["order_lines"]) == 1
    assert result.tables["order_lines"][0]["is_concession"] is True
    assert header_row() == [c.label for c in COLUMNS] and len(example_row()) == len(COLUMNS)
    if suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        assert book.sheetnames == ["Order lines", "Columns"]
        book.close()
    else:
        assert path.read_bytes().startswith(b"\xef\xbb\xbfOrder ID,Order Date,")


def test_generated_file_is_deterministic_and_maps_without_rejections(tmp_path: Path) -> None:
    first = generate_upload(tmp_path / "a.csv", lines=6_000, seed=7)
    second = generate_upload(tmp_path / "b.csv", lines=6_000, seed=7)
    other = generate_upload(tmp_path / "c.csv", lines=6_000, seed=8)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first.path, second.path,
                                                                    other.path)]
    assert digest[0] == digest[1] != digest[2]
    assert first.lines == 6_000 and first.bytes_written == first.path.stat().st_size
    result = read_all(first.path)
    assert result.rejected == []
    assert result.reader.lines_read == 6_000
    assert result.reader.header.headers == HEADER
    tables = result.tables
    assert len(tables["orders"]) == first.orders
    kinds = {line["kind"] for line in tables["order_lines"]}
    assert kinds == {"ticket", "supplementary", "product", "fee", "donation", "membership"}
    assert {line["status"] for line in tables["order_lines"]} == {"issued", "returned",
                                                                   "cancelled"}
    tickets = [x for x in tables["order_lines"] if x["kind"] == "ticket"]
    assert any(x["is_comp"] for x in tickets) and any(x["is_concession"] for x in tickets)
    assert len(tables["venues"]) >= 3 and all(v["region"] == "North East"
                                              for v in tables["venues"])
    assert len({e["season"] for e in tables["events"]}) > 3
    assert all(e["category"] and e["event_type"] for e in tables["events"])
    assert all(i["capacity"] for i in tables["instances"])
    postcodes = [c["postcode"] for c in tables["customers"]]
    # Missing and invalid postcodes are both stored as unknown (no geography either).
    unknown = [c for c in tables["customers"] if c["postcode"] is None]
    assert unknown and all(c["region"] is None and c["postcode_area"] is None
                           for c in unknown)
    assert sum(1 for c in tables["customers"] if c["region"] == "North East") > len(
        postcodes) / 2
    assert EXAMPLE_ORGANISATION


def test_generator_writes_large_files(tmp_path: Path) -> None:
    started = time.perf_counter()
    made = generate_upload(tmp_path / "big.csv", lines=200_000, date_style="uk")
    elapsed = time.perf_counter() - started
    assert made.lines == 200_000
    # Not a timing assertion on the machine: the rate is recorded for the report.
    print(f"generated {made.lines / elapsed:,.0f} lines/s")


def test_generator_target_size(tmp_path: Path) -> None:
    made = generate_upload(tmp_path / "sized.csv", target_bytes=2_000_000, delimiter=";")
    assert 2_000_000 <= made.bytes_written < 2_000_000 + 1_500_000
    assert read_all(made.path).reader.detected.delimiter == ";"
