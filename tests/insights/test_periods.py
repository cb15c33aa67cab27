"""Periods: the UK financial year, quarters, parsing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from houselights.errors import InputError
from houselights.insights import (
    Filters,
    Period,
    financial_quarters,
    financial_year,
    financial_year_of,
    parse_period,
)
from houselights.insights.periods import add_months


def test_financial_year() -> None:
    fy = financial_year(2024)
    assert (fy.start, fy.end, fy.last_day, fy.label) == (
        date(2024, 4, 1),
        date(2025, 4, 1),
        date(2025, 3, 31),
        "2024/25",
    )
    assert fy.start_at == datetime(2024, 4, 1)
    assert financial_year_of(date(2025, 3, 31)) == fy
    assert financial_year_of(date(2025, 4, 1)) == financial_year(2025)
    assert financial_year(1999).label == "1999/00"


def test_previous_period() -> None:
    assert financial_year(2024).previous() == financial_year(2023)
    assert financial_year(2024).previous().label == "2023/24"
    q = parse_period("2024/25 Q3")
    assert q.previous() == Period(date(2024, 7, 1), date(2024, 10, 1))
    days = Period.between(date(2024, 1, 10), date(2024, 1, 19))
    assert days.previous() == Period(date(2023, 12, 31), date(2024, 1, 10))


def test_quarters() -> None:
    qs = financial_quarters(financial_year(2024))
    assert [(q.label, q.start, q.end) for q in qs] == [
        ("2024/25 Q1", date(2024, 4, 1), date(2024, 7, 1)),
        ("2024/25 Q2", date(2024, 7, 1), date(2024, 10, 1)),
        ("2024/25 Q3", date(2024, 10, 1), date(2025, 1, 1)),
        ("2024/25 Q4", date(2025, 1, 1), date(2025, 4, 1)),
    ]
    part = financial_quarters(Period.between(date(2025, 3, 15), date(2025, 4, 10)))
    assert [(q.label, q.start, q.end) for q in part] == [
        ("2024/25 Q4", date(2025, 3, 15), date(2025, 4, 1)),
        ("2025/26 Q1", date(2025, 4, 1), date(2025, 4, 11)),
    ]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024/25", date(2024, 4, 1), date(2025, 4, 1)),
        ("FY2024", date(2024, 4, 1), date(2025, 4, 1)),
        ("fy 2024/2025", date(2024, 4, 1), date(2025, 4, 1)),
        ("2024/25 Q2", date(2024, 7, 1), date(2024, 10, 1)),
        ("FY2024Q4", date(2025, 1, 1), date(2025, 4, 1)),
        ("2024-04-01..2024-06-30", date(2024, 4, 1), date(2024, 7, 1)),
    ],
)
def test_parse_period(text: str, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    "text", ["2024/26", "last year", "2024-02-30..2024-03-01", "2024-05-01..2024-04-01"]
)
def test_parse_period_errors_say_what_to_write(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_period(text)
    assert err.value.hint


def test_add_months_clamps() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), -18) == date(2022, 9, 30)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)


def test_filters_validate() -> None:
    with pytest.raises(InputError):
        Filters(org_id="")
    with pytest.raises(InputError):
        Filters(org_id="a", basis="cash")  # type: ignore[arg-type]
    f = Filters(org_id="a", venue_ids=["V1"])  # type: ignore[arg-type]
    assert f.venue_ids == ("V1",) and f.has_slice
    assert f.period == financial_year_of(date.today())
    assert f.to_dict()["venue_ids"] == ["V1"]
