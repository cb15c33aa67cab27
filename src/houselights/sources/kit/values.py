"""Parsers for cell values of any tabular file: dates, times, money, counts, yes/no.

Each parser takes the cell as read (text, or a spreadsheet's native date/time) and
returns the value or raises :class:`ValueProblem` whose message describes the problem in
plain words, quoting the value (the caller adds the file, line and column).

Dates are ISO (``2024-05-01``, ``2024-05-01T19:30[:00]``, ``2024-05-01 19:30``) or
day-first (``01/05/2024``, ``1/5/2024 19:30``, ``01-05-2024``, ``01.05.2024``), as in the
UK and Ireland. US month-first dates are never guessed: ``05/13/2024`` is rejected
because there is no 13th month. Two-digit years and time-zone offsets are rejected
rather than guessed.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

__all__ = [
    "EUROS_AND_POUNDS",
    "FLAG_VALUES",
    "FLAG_WORDS",
    "POUNDS",
    "CellValue",
    "ValueProblem",
    "cell_text",
    "normalise_word",
    "parse_count",
    "parse_datetime",
    "parse_flag",
    "parse_money",
    "parse_time",
    "quoted",
]


def normalise_word(text: str) -> str:
    """A value reduced to lower-case letters and digits, for vocabulary look-ups."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


FLAG_VALUES: dict[bool, tuple[str, ...]] = {
    True: ("yes", "y", "true", "t", "1", "x"),
    False: ("no", "n", "false", "f", "0"),
}
FLAG_WORDS: dict[str, bool] = {w: k for k, words in FLAG_VALUES.items() for w in words}

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


QUOTED_CHARS = 60
"""How much of a value a message quotes."""


def quoted(value: CellValue, limit: int = QUOTED_CHARS) -> str:
    """A value as a message quotes it: its ``repr``, cut to ``limit`` characters with the
    full length said, so a message never echoes a long value whole."""
    text = cell_text(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


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
            f"{quoted(text)} is not a real date or time (dates are read day/month/year, as in "
            "the UK, or year-month-day; month/day/year is never guessed)"
        ) from None
    if _TWO_DIGIT_YEAR.fullmatch(value):
        raise ValueProblem(f"{quoted(text)} has a two-digit year; write the year in full (2024)")
    if _OFFSET.fullmatch(value):
        raise ValueProblem(
            f"{quoted(text)} has a time-zone offset; give the local time without one"
        )
    raise ValueProblem(
        f"{quoted(text)} is not a date houselights reads "
        "(use 2024-05-01 19:30 or 01/05/2024 19:30)"
    )


def parse_datetime(value: CellValue) -> tuple[datetime, bool]:
    """A date or date-time cell → ``(naive datetime, whether a time was given)``."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueProblem(f"{quoted(value)} has a time-zone; give the local time")
        return value, True
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), False
    if isinstance(value, time):
        raise ValueProblem(f"{quoted(value)} is a time without a date")
    return _parse_datetime_text(value)


def parse_time(value: CellValue) -> time:
    """A time-of-day cell (``19:30``, ``19.30``, ``7:30pm``) → ``time``."""
    if isinstance(value, time):
        return value
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, date):
        raise ValueProblem(f"{quoted(value)} is a date, not a time")
    match = _TIME.fullmatch(value.strip())
    if match:
        h, m, s, ampm = match.groups()
        try:
            return time(_hour(int(h), ampm), int(m), int(s or 0))
        except ValueError:
            pass
    raise ValueProblem(f"{quoted(value)} is not a time of day (use 19:30)")


_MONEY = re.compile(r"(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?|\.\d+")
_PENNY = Decimal("0.01")
POUNDS = ("£", "GBP")
"""Currency marks of the UK."""
EUROS_AND_POUNDS = ("€", "EUR", "£", "GBP")
"""Currency marks of a box office selling in Ireland and the UK."""


@functools.lru_cache(maxsize=8_192)
def _parse_money_text(text: str, symbols: tuple[str, ...]) -> Decimal:
    value = text.strip().replace(" ", "").replace("\u00a0", "")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.startswith("-"):
        negative, value = not negative, value[1:]
    for symbol in symbols:
        if value.upper().startswith(symbol):
            value = value[len(symbol) :]
            break
    if value.startswith("-") and not negative:
        negative, value = True, value[1:]
    if not _MONEY.fullmatch(value):
        if re.fullmatch(r"\d+,\d{1,2}", value):
            raise ValueProblem(
                f"{quoted(text)} uses a decimal comma; write pounds and pence with a point (12.50)"
            )
        example = f"{symbols[0]}12.50" if symbols else "12.50"
        raise ValueProblem(f"{quoted(text)} is not an amount of money (use 12.50 or {example})")
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern above rules this out
        raise ValueProblem(f"{quoted(text)} is not an amount of money") from None
    if abs(amount) >= Decimal("1e12"):  # before quantize: a long number overflows it
        raise ValueProblem(f"{quoted(text)} is too large an amount")
    pennies = amount.quantize(_PENNY)
    if pennies != amount:
        raise ValueProblem(f"{quoted(text)} has fractions of a penny")
    return -pennies if negative else pennies


def parse_money(value: CellValue, symbols: tuple[str, ...] = POUNDS) -> Decimal:
    """An amount (``£1,234.50``, ``-3``, ``(1.50)``) → ``Decimal`` to the penny/cent.

    ``symbols`` are the currency marks accepted before the amount (upper case)."""
    if not isinstance(value, str):
        raise ValueProblem(f"{quoted(value)} is a date, not an amount of money")
    return _parse_money_text(value, symbols)


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
    raise ValueProblem(f"{quoted(value)} is not a whole number of seats")


@functools.lru_cache(maxsize=4096)
def parse_flag(value: CellValue) -> bool:
    """A yes/no cell → ``bool`` (yes/no, y/n, true/false, 1/0, x)."""
    word = normalise_word(cell_text(value))
    if word in FLAG_WORDS:
        return FLAG_WORDS[word]
    raise ValueProblem(f"{quoted(value)} is not yes or no")
