"""Report exports: CSV and XLSX files per period, columns as declared once, contents equal
to the truth, same bytes every time."""

from __future__ import annotations

import csv
import hashlib
import itertools
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from ticketsolve_helpers import SMALLISH, TINY, tiny_config

from houselights.errors import ConfigError
from houselights.sources.ticketsolve.simulator import (
    CUSTOMER_EXPORT_COLUMNS,
    SALES_EXPORT_COLUMNS,
    ClientConfig,
    SimulatorConfig,
    TicketsolveSimulator,
)
from houselights.sources.ticketsolve.simulator.clock import utc_to_local

DATE = "%d/%m/%Y %H:%M:%S"


def _csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def _xlsx_rows(path: Path) -> list[tuple[object, ...]]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _xlsx(path: Path) -> list[dict[str, object]]:
    rows = _xlsx_rows(path)
    headers = [str(h) for h in rows[0]]
    return [dict(zip(headers, row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[TicketsolveSimulator, Path]:
    folder = tmp_path_factory.mktemp("exports")
    sim = TicketsolveSimulator(SimulatorConfig(clients=(ClientConfig(scale=SMALLISH),)))
    sim.advance(days=7, show_changes=0.1)
    sim.write_exports(folder=folder, formats=("csv", "xlsx"))
    return sim, folder


def test_one_file_pair_per_period_in_each_format(exported: tuple[TicketsolveSimulator, Path]
                                                 ) -> None:
    sim, folder = exported
    periods = sim.truth().periods
    assert len(periods) >= 10  # a season of weeks, then the advance
    names = {p.name for p in folder.iterdir()}
    assert names == {p.file_name("demo", r, f) for p in periods
                     for r in ("sales", "customers") for f in ("csv", "xlsx")}
    assert all(a.end == b.start for a, b in itertools.pairwise(periods))
    assert periods[0].start.weekday() in (6, 0)  # Monday 00:00 local (Sunday 23:00 UTC)


def test_headers_are_the_declared_columns(exported: tuple[TicketsolveSimulator, Path]) -> None:
    sim, folder = exported
    period = sim.truth().periods[3]
    sales = folder / period.file_name("demo", "sales", "csv")
    header = sales.read_bytes().decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == [h for h, _ in SALES_EXPORT_COLUMNS]
    customers = _xlsx_rows(folder / period.file_name("demo", "customers", "xlsx"))
    assert list(customers[0]) == [h for h, _ in CUSTOMER_EXPORT_COLUMNS]
    assert all(meaning for _, meaning in (*SALES_EXPORT_COLUMNS, *CUSTOMER_EXPORT_COLUMNS))


def test_sales_files_hold_exactly_the_truth(exported: tuple[TicketsolveSimulator, Path]) -> None:
    sim, folder = exported
    truth = sim.truth()
    zone = truth.zone
    by_id = {s.line_id: s for s in truth.sales}
    seen = set()
    for period in truth.periods:
        rows = _csv(folder / period.file_name("demo", "sales", "csv"))
        for row in rows:
            line = by_id[row["Line ID"]]
            assert line.period == period.index
            assert (row["Order ID"], row["Show ID"], row["Event ID"], row["Venue ID"]) == (
                line.order_id, line.show_id, line.event_id, line.venue_id)
            assert row["Customer ID"] == (line.customer_id or "")
            assert row["Price Type"] == line.price_type
            assert Decimal(row["Face Value"]) == line.face
            assert Decimal(row["Price Paid"]) == line.paid
            assert int(row["Quantity"]) == line.quantity
            assert row["Currency"] == "EUR"
            assert datetime.strptime(row["Transaction Date"], DATE) == \
                utc_to_local(line.at, zone).replace(microsecond=0)
            assert row["Line Type"] == {"ticket": "Ticket", "fee": "Booking Fee"}[line.kind]
            assert row["Status"] == {"paid": "Paid", "comp": "Complimentary",
                                     "refund": "Refunded"}[line.status]
            seen.add(row["Line ID"])
    assert seen == set(by_id)


def test_xlsx_and_csv_say_the_same(exported: tuple[TicketsolveSimulator, Path]) -> None:
    sim, folder = exported
    period = sim.truth().periods[-1]
    for report in ("sales", "customers"):
        csv_rows = _csv(folder / period.file_name("demo", report, "csv"))
        xlsx_rows = _xlsx(folder / period.file_name("demo", report, "xlsx"))
        assert len(csv_rows) == len(xlsx_rows) > 0
        for a, b in zip(csv_rows, xlsx_rows, strict=True):
            for key, value in a.items():
                cell = b[key]
                if isinstance(cell, datetime):
                    assert cell.strftime(DATE) == value
                elif isinstance(cell, float | int) and not isinstance(cell, bool):
                    assert Decimal(value) == Decimal(str(cell))
                else:
                    assert (cell or "") == value


def test_customer_files_give_every_customer_at_their_latest(
    exported: tuple[TicketsolveSimulator, Path]
) -> None:
    sim, folder = exported
    truth = sim.truth()
    latest: dict[str, dict[str, str]] = {}
    appearances: defaultdict[str, int] = defaultdict(int)
    for period in truth.periods:
        for row in _csv(folder / period.file_name("demo", "customers", "csv")):
            latest[row["Customer ID"]] = row
            appearances[row["Customer ID"]] += 1
    assert set(latest) == {c.customer_id for c in truth.customers}
    for c in truth.customers:
        row = latest[c.customer_id]
        assert (row["First Name"], row["Last Name"], row["Postcode"], row["Email"]) == (
            c.first_name, c.last_name, c.postcode, c.email)
        assert row["Email Opt In"] == ("Yes" if c.opt_in else "No")
    assert any(n > 1 for n in appearances.values())  # changed customers appear again
    postcodes = [row["Postcode"] for row in latest.values()]
    assert "" in postcodes and any(p and p[0] in "ACDEFHKNPRTVWXY" and p[1:3].isdigit()
                                   for p in postcodes)


def test_exports_are_byte_for_byte_repeatable(tmp_path: Path) -> None:
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}

    first = TicketsolveSimulator(tiny_config())
    first.write_exports(folder=tmp_path / "a", formats=("csv", "xlsx"))
    again = TicketsolveSimulator(tiny_config())
    again.write_exports(folder=tmp_path / "b", formats=("csv", "xlsx"))
    again.write_exports(folder=tmp_path / "b", formats=("csv", "xlsx"), periods=[0])
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_monthly_periods(tmp_path: Path) -> None:
    sim = TicketsolveSimulator(tiny_config(export_period="month"))
    periods = sim.truth().periods
    starts = [utc_to_local(p.start, "Europe/Dublin") for p in periods]
    assert starts[0].day == 1 and all(s.day == 1 and s.hour == 0 for s in starts)
    assert len({(s.year, s.month) for s in starts}) == len(periods)
    written = sim.write_exports(folder=tmp_path)
    assert len(written) == 2 * len(periods)
    total = sum(len(_csv(p)) for p in written if "-sales-" in p.name)
    assert total == len(sim.truth().sales)


def test_exports_need_a_folder_and_a_known_format() -> None:
    with pytest.raises(ConfigError, match="no folder"):
        TicketsolveSimulator(tiny_config()).write_exports()
    with pytest.raises(ConfigError, match="export format"):
        SimulatorConfig(clients=(ClientConfig(scale=TINY),), export_formats=("pdf",))


def _doc_table(text: str, heading: str) -> list[tuple[str, str]]:
    """The (column, meaning) rows of the table that follows ``heading`` in the docs."""
    lines = text[text.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| column |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append((cells[0], cells[1]))
    return rows


def test_the_docs_list_exactly_the_declared_columns() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "simulator-ticketsolve.md"
            ).read_text(encoding="utf-8")
    assert _doc_table(docs, "**Sales export**") == list(SALES_EXPORT_COLUMNS)
    assert _doc_table(docs, "**Customer export**") == list(CUSTOMER_EXPORT_COLUMNS)
