"""Value parsers of the upload template: dates, times, money, counts, words."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from houselights.sources.kit.values import (
    ValueProblem,
    parse_count,
    parse_datetime,
    parse_flag,
    parse_money,
    parse_time,
)
from houselights.sources.upload.parsing import parse_channel, parse_line_type, parse_status


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("2024-05-01", datetime(2024, 5, 1), False),
        ("2024-05-01T19:30", datetime(2024, 5, 1, 19, 30), True),
        ("2024-05-01T19:30:15", datetime(2024, 5, 1, 19, 30, 15), True),
        ("2024-05-01 19:30", datetime(2024, 5, 1, 19, 30), True),
        ("2024-05-01 19:30:00.000", datetime(2024, 5, 1, 19, 30), True),
        ("01/05/2024", datetime(2024, 5, 1), False),
        ("1/5/2024", datetime(2024, 5, 1), False),
        ("01/05/2024 19:30", datetime(2024, 5, 1, 19, 30), True),
        ("1/5/2024 7:30 pm", datetime(2024, 5, 1, 19, 30), True),
        ("01-05-2024", datetime(2024, 5, 1), False),
        ("01.05.2024 19.30", datetime(2024, 5, 1, 19, 30), True),
        ("  13/12/2024 09:05:07 ", datetime(2024, 12, 13, 9, 5, 7), True),
    ],
)
def test_dates(text: str, expected: datetime, has_time: bool) -> None:
    assert parse_datetime(text) == (expected, has_time)


def test_native_dates() -> None:
    assert parse_datetime(datetime(2024, 5, 1, 19, 30)) == (datetime(2024, 5, 1, 19, 30), True)
    assert parse_datetime(date(2024, 5, 1)) == (datetime(2024, 5, 1), False)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("05/13/2024", "is not a real date or time (dates are read day/month/year"),
        ("31/02/2024", "is not a real date"),
        ("2024-13-01", "is not a real date"),
        ("01/05/24", "has a two-digit year"),
        ("2024-05-01T19:30:00Z", "has a time-zone offset"),
        ("2024-05-01T19:30+01:00", "has a time-zone offset"),
        ("yesterday", "is not a date houselights reads"),
        ("2024/05/01", "is not a date houselights reads"),
        ("01/05/2024 25:00", "is not a real date or time"),
    ],
)
def test_bad_dates(text: str, problem: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_datetime(text)
    assert str(caught.value).startswith(repr(text) + " ")
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("19:30", time(19, 30)), ("7.30", time(7, 30)), ("7:30pm", time(19, 30)),
     ("12:00 am", time(0, 0)), ("19:30:05", time(19, 30, 5))],
)
def test_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "noon", "19"])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueProblem, match="is not a time of day"):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", "12.50"), ("£12.50", "12.50"), (" £ 12.5 ", "12.50"), ("12", "12.00"),
        ("1,234.56", "1234.56"), ("£1,234,567", "1234567.00"), ("-3.20", "-3.20"),
        ("-£3.20", "-3.20"), ("£-3.20", "-3.20"), ("(1.50)", "-1.50"), ("(£1.50)", "-1.50"),
        ("0", "0.00"), (".5", "0.50"), ("GBP 7", "7.00"), ("12.500", "12.50"),
    ],
)
def test_money(text: str, expected: str) -> None:
    assert parse_money(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("abc", "is not an amount of money"), ("12,50", "uses a decimal comma"),
        ("1,23.00", "is not an amount of money"), ("$5", "is not an amount of money"),
        ("12.345", "has fractions of a penny"), ("1e5", "is not an amount of money"),
        ("", "is not an amount of money"), ("--5", "is not an amount of money"),
    ],
)
def test_bad_money(text: str, problem: str) -> None:
    with pytest.raises(ValueProblem, match=problem):
        parse_money(text)


def test_counts_flags_and_words() -> None:
    assert parse_count("450") == 450 and parse_count("1,200") == 1200
    assert parse_count("450.0") == 450
    for bad in ("-1", "12.5", "lots", "1,2"):
        with pytest.raises(ValueProblem, match="is not a whole number"):
            parse_count(bad)
    assert parse_flag("Yes") and parse_flag("TRUE") and parse_flag("x") and parse_flag("1")
    assert not parse_flag("no") and not parse_flag("N") and not parse_flag("0")
    with pytest.raises(ValueProblem, match="'maybe' is not yes or no"):
        parse_flag("maybe")
    assert parse_line_type("Booking Fee") == "fee"
    assert parse_line_type("TICKETS") == "ticket"
    assert parse_line_type("Add-on") == "supplementary"
    with pytest.raises(ValueProblem) as caught:
        parse_line_type("voucher")
    assert str(caught.value) == (
        "'voucher' is not a line type (use one of: ticket, supplementary, product, fee, "
        "donation, membership)")
    assert parse_status("Refunded") == "returned" and parse_status("VOID") == "cancelled"
    with pytest.raises(ValueProblem, match="'lost' is not a status"):
        parse_status("lost")
    assert parse_channel("Box Office") == "box_office" and parse_channel("Web") == "online"
    assert parse_channel("carrier pigeon") == "other"
