"""Parsers for the template's values: dates, times, money, counts and yes/no flags.

Each parser takes the cell as read (text, or a native date/time from a spreadsheet) and
returns the value or raises :class:`ValueProblem` whose message describes the problem in
plain words, quoting the value (the mapper adds the line and column).

Dates are ISO (``2024-05-01``, ``2024-05-01T19:30[:00]``, ``2024-05-01 19:30``) or UK
day-first (``01/05/2024``, ``1/5/2024 19:30``, ``01-05-2024``, ``01.05.2024``). US
month-first dates are never guessed: ``05/13/2024`` is rejected because there is no
13th month. Two-digit years and time-zone offsets are rejected rather than guessed.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from houselights.sources.upload.columns import (
    CHANNEL_WORDS,
    FLAG_WORDS,
    LINE_TYPE_WORDS,
    LINE_TYPES,
    STATUS_WORDS,
    STATUSES,
    normalise_word,
)

__all__ = [
    "CellValue",
    "ValueProblem",
    "cell_text",
    "parse_channel",
    "parse_count",
    "parse_datetime",
    "parse_flag",
    "parse_line_type",
    "parse_money",
    "parse_status",
    "parse_time",
]

CellValue = str | datetime | date | time
"""A cell as the reader hands it over: text, or a spreadsheet's native date/time."""


class ValueProblem(ValueError):
    """A value that cannot be read; the message says why, quoting the value."""


_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?"
)
_UK = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})"
    r"(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)
_TWO_DIGIT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:\s.*)?")
_OFFSET = re.compile(r".*\d(?:Z|[+-]\d{2}:?\d{2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?")


def _hour(hour: int, ampm: str | None) -> int:
    if ampm is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("hour")
    return hour % 12 + (12 if ampm.lower() == "pm" else 0)


def cell_text(value: CellValue) -> str:
    """A cell as text, for messages and raw records (dates in ISO form)."""
    if isinstance(value, str):
        return value
    return value.isoformat()


@functools.lru_cache(maxsize=8_192)
def _parse_datetime_text(text: str) -> tuple[datetime, bool]:
    value = text.strip()
    iso = _ISO.fullmatch(value)
    try:
        if iso:
            y, mo, d, h, mi, s = iso.groups()
            has_time = h is not None
            return (
                datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0)),
                has_time,
            )
        uk = _UK.fullmatch(value)
        if uk:
            d, _, mo, y, h, mi, s, ampm = uk.groups()
            has_time = h is not None
            hour = _hour(int(h or 0), ampm)
            return (
                datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0)),
                has_time,
            )
    except ValueError:
        raise ValueProblem(
            f"{text!r} is not a real date or time (dates are read day/month/year, as in "
            "the UK, or year-month-day; month/day/year is never guessed)"
        ) from None
    if _TWO_DIGIT_YEAR.fullmatch(value):
        raise ValueProblem(f"{text!r} has a two-digit year; write the year in full (2024)")
    if _OFFSET.fullmatch(value):
        raise ValueProblem(
            f"{text!r} has a time-zone offset; give the local time without one"
        )
    raise ValueProblem(
        f"{text!r} is not a date houselights reads (use 2024-05-01 19:30 or 01/05/2024 19:30)"
    )


def parse_datetime(value: CellValue) -> tuple[datetime, bool]:
    """A date or date-time cell → ``(naive datetime, whether a time was given)``."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueProblem(f"{value.isoformat()!r} has a time-zone; give the local time")
        return value, True
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    if isinstance(value, time):
        raise ValueProblem(f"{value.isoformat()!r} is a time without a date")
    return _parse_datetime_text(value)


def parse_time(value: CellValue) -> time:
    """A time-of-day cell (``19:30``, ``19.30``, ``7:30pm``) → ``time``."""
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, date):
        raise ValueProblem(f"{value.isoformat()!r} is a date, not a time")
    match = _TIME.fullmatch(value.strip())
    if match:
        h, m, s, ampm = match.groups()
        try:
            return time(_hour(int(h), ampm), int(m), int(s or 0))
        except ValueError:
            pass
    raise ValueProblem(f"{value!r} is not a time of day (use 19:30)")


_MONEY = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?|\.\d+")
_PENNY = Decimal("0.01")


@functools.lru_cache(maxsize=8_192)
def _parse_money_text(text: str) -> Decimal:
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    if value.startswith("£"):
        value = value[1:]
    elif value.upper().startswith("GBP"):
        value = value[3:]
    if value.startswith("-") and not negative:
        negative, value = True, value[1:]
    if not _MONEY.fullmatch(value):
        if re.fullmatch(r"\d+,\d{1,2}", value):
            raise ValueProblem(
                f"{text!r} uses a decimal comma; write pounds and pence with a point (12.50)"
            )
        raise ValueProblem(f"{text!r} is not an amount of money (use 12.50 or £12.50)")
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern above rules this out
        raise ValueProblem(f"{text!r} is not an amount of money") from None
    pennies = amount.quantize(_PENNY)
    if pennies != amount:
        raise ValueProblem(f"{text!r} has fractions of a penny")
    if abs(pennies) >= Decimal("1e12"):
        raise ValueProblem(f"{text!r} is too large an amount")
    return -pennies if negative else pennies


def parse_money(value: CellValue) -> Decimal:
    """An amount in pounds (``£1,234.50``, ``-3``, ``(1.50)``) → ``Decimal`` in pence."""
    if not isinstance(value, str):
        raise ValueProblem(f"{cell_text(value)!r} is a date, not an amount of money")
    return _parse_money_text(value)


@functools.lru_cache(maxsize=4096)
def parse_count(value: CellValue) -> int:
    """A whole number ≥ 0 (``450``, ``1,200``) → ``int``."""
    text = cell_text(value).strip()
    digits = text.replace(",", "")
    if re.fullmatch(r"\d+(?:\.0+)?", digits) and re.fullmatch(
        r"\d+(?:\.0+)?|\d{1,3}(?:,\d{3})+", text
    ):
        number = int(digits.split(".")[0])
        if number < 2**31:
            return number
    raise ValueProblem(f"{cell_text(value)!r} is not a whole number of seats")


@functools.lru_cache(maxsize=4096)
def parse_flag(value: CellValue) -> bool:
    """A yes/no cell → ``bool`` (yes/no, y/n, true/false, 1/0, x)."""
    word = normalise_word(cell_text(value))
    if word in FLAG_WORDS:
        return FLAG_WORDS[word]
    raise ValueProblem(f"{cell_text(value)!r} is not yes or no")


@functools.lru_cache(maxsize=4096)
def parse_line_type(value: CellValue) -> str:
    """A line type word → ``ticket``, ``supplementary``, ``product``, ``fee``, … ."""
    kind = LINE_TYPE_WORDS.get(normalise_word(cell_text(value)))
    if kind is None:
        raise ValueProblem(
            f"{cell_text(value)!r} is not a line type (use one of: {', '.join(LINE_TYPES)})"
        )
    return kind


@functools.lru_cache(maxsize=4096)
def parse_status(value: CellValue) -> str:
    """A status word → ``issued``, ``returned`` or ``cancelled``."""
    status = STATUS_WORDS.get(normalise_word(cell_text(value)))
    if status is None:
        raise ValueProblem(
            f"{cell_text(value)!r} is not a status (use one of: {', '.join(STATUSES)})"
        )
    return status


@functools.lru_cache(maxsize=4096)
def parse_channel(value: CellValue) -> str:
    """A sales channel word → ``online``, ``box_office``, ``phone``, ``agent``, ``other``."""
    return CHANNEL_WORDS.get(normalise_word(cell_text(value)), "other")
