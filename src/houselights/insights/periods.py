"""Reporting periods: the UK financial year, its quarters and custom date ranges.

A :class:`Period` is a half-open range of dates ``[start, end)`` — ``end`` is the first
day *after* the period — so consecutive periods never overlap and never leave a gap.
The default year is the UK financial year, 1 April to 31 March (the Arts Council's
reporting year); ``financial_year(2024)`` is 1 April 2024 – 31 March 2025, "2024/25".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from houselights.errors import InputError

__all__ = [
    "Basis",
    "Period",
    "add_months",
    "current_financial_year",
    "financial_quarters",
    "financial_year",
    "financial_year_of",
    "parse_period",
]

Basis = Literal["performance", "transaction"]
"""Which date puts a ticket in a period: the performance's start, or the order's date."""

FY_START_MONTH = 4


@dataclass(frozen=True)
class Period:
    """A half-open date range ``[start, end)`` with a human label."""

    start: date
    end: date
    label: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InputError(
                f"The period {self.start.isoformat()} to {self.end.isoformat()} is empty.",
                hint="Give an end date on or after the start date.",
            )
        if not self.label:
            object.__setattr__(
                self, "label", f"{self.start.isoformat()}..{self.last_day.isoformat()}"
            )

    @classmethod
    def between(cls, first_day: date, last_day: date, label: str = "") -> Period:
        """The period from ``first_day`` to ``last_day``, both included."""
        if last_day < first_day:
            raise InputError(
                f"The period {first_day.isoformat()}..{last_day.isoformat()} ends before it "
                "starts.",
                hint="Give the earlier date first.",
            )
        return cls(first_day, last_day + timedelta(days=1), label)

    @property
    def last_day(self) -> date:
        """The last day inside the period."""
        return self.end - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        """Midnight at the start, for comparing with timestamps."""
        return datetime(self.start.year, self.start.month, self.start.day)

    @property
    def end_at(self) -> datetime:
        """Midnight after the last day (excluded)."""
        return datetime(self.end.year, self.end.month, self.end.day)

    @property
    def days(self) -> int:
        """Length in days."""
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period just before, of the same shape.

        A whole financial year (or any whole number of months starting on the 1st) steps
        back by the same number of months, so FY 2024/25 → FY 2023/24; any other range
        steps back by its length in days.
        """
        months = _whole_months(self.start, self.end)
        if months:
            start = add_months(self.start, -months)
            label = (
                financial_year(start.year).label if _is_financial_year(start, self.start) else ""
            )
            return Period(start, self.start, label)
        return Period(self.start - timedelta(days=self.days), self.start)

    def contains(self, moment: date | datetime) -> bool:
        """Whether ``moment`` falls inside the period."""
        day = moment.date() if isinstance(moment, datetime) else moment
        return self.start <= day < self.end

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: ISO dates, ``end`` exclusive, plus the last day included."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "last_day": self.last_day.isoformat(),
            "label": self.label,
        }


def _whole_months(start: date, end: date) -> int:
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def _is_financial_year(start: date, end: date) -> bool:
    return start.month == FY_START_MONTH and start.day == 1 and end == add_months(start, 12)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


def financial_year(start_year: int) -> Period:
    """The UK financial year starting 1 April ``start_year``, labelled e.g. ``2024/25``."""
    return Period(
        date(start_year, FY_START_MONTH, 1),
        date(start_year + 1, FY_START_MONTH, 1),
        f"{start_year}/{(start_year + 1) % 100:02d}",
    )


def financial_year_of(day: date) -> Period:
    """The financial year that contains ``day``."""
    return financial_year(day.year if day.month >= FY_START_MONTH else day.year - 1)


def current_financial_year() -> Period:
    """The financial year containing today."""
    return financial_year_of(date.today())


def financial_quarters(period: Period) -> list[Period]:
    """``period`` cut at financial-quarter boundaries (Q1 = April–June … Q4 = January–March).

    A whole financial year gives its four quarters; a partial range gives the pieces of
    each quarter it touches, labelled with the quarter they belong to.
    """
    pieces: list[Period] = []
    cursor = period.start
    while cursor < period.end:
        fy = financial_year_of(cursor)
        q_index = ((cursor.month - FY_START_MONTH) % 12) // 3
        q_start = add_months(fy.start, 3 * q_index)
        q_end = add_months(q_start, 3)
        piece_end = min(q_end, period.end)
        pieces.append(Period(cursor, piece_end, f"{fy.label} Q{q_index + 1}"))
        cursor = piece_end
    return pieces


_FY = re.compile(r"^(?:fy\s*)?(\d{4})\s*/\s*(\d{2}|\d{4})(?:\s+q([1-4]))?$", re.IGNORECASE)
_FY_SHORT = re.compile(r"^fy\s*(\d{4})(?:\s*q([1-4]))?$", re.IGNORECASE)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


def parse_period(text: str) -> Period:
    """Read a period as people write it.

    Accepted: ``2024/25`` or ``FY2024`` (a financial year), ``2024/25 Q2`` or ``FY2024Q2``
    (one of its quarters), ``2024-04-01..2024-06-30`` (both days included).
    """
    value = text.strip()
    quarter: str | None = None
    if m := _FY.match(value):
        start_year, tail, quarter = int(m.group(1)), m.group(2), m.group(3)
        if int(tail[-2:]) != (start_year + 1) % 100:
            raise InputError(
                f"The financial year {value!r} does not run over two consecutive years.",
                hint="Write it like 2024/25 (1 April 2024 to 31 March 2025).",
            )
    elif m := _FY_SHORT.match(value):
        start_year, quarter = int(m.group(1)), m.group(2)
    elif m := _RANGE.match(value):
        try:
            first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        except ValueError as exc:
            raise InputError(
                f"The period {value!r} has an impossible date: {exc}.",
                hint="Use real dates as YYYY-MM-DD..YYYY-MM-DD.",
            ) from exc
        return Period.between(first, last)
    else:
        raise InputError(
            f"Cannot read the period {value!r}.",
            hint="Use a financial year (2024/25 or FY2024), a quarter (2024/25 Q1) or a "
            "date range (2024-04-01..2024-06-30).",
        )
    fy = financial_year(start_year)
    return financial_quarters(fy)[int(quarter) - 1] if quarter else fy
