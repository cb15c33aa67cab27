"""The simulated business clock and the date formats Spektrix payloads use.

Two clocks exist on purpose:

* the **simulated clock** (:class:`SimClock`) is "now" for the data: orders up to it
  exist, the Customer Audit report's "last 3 days" ends at it, ``advance()`` moves it;
* the **wall clock** (plus a configurable offset for the clock-skew fault) is what the
  ``Date`` header of a signed request is compared with, because real clients sign with
  their real clock.

Times are kept as integer **microseconds since the Unix epoch, UTC** so millions of them
fit in numpy arrays. Local times are Europe/London (the simulated organisation is in the
UK); the BST rule is computed here rather than through ``zoneinfo`` so that no tz
database is needed and results are identical everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from houselights.errors import ConfigError

__all__ = [
    "LONDON",
    "MICROS",
    "LocalZone",
    "SimClock",
    "format_local",
    "format_utc",
    "format_utc7",
    "from_micros",
    "local_day_start",
    "parse_query_datetime",
    "to_micros",
]

MICROS = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(dt: datetime) -> int:
    """Microseconds since the epoch for an aware (or naive-UTC) datetime."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def from_micros(us: int) -> datetime:
    """Aware UTC datetime for microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=int(us))


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@lru_cache(maxsize=256)
def _bst_bounds(year: int) -> tuple[int, int]:
    # BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
    # Sunday of October.
    return to_micros(_last_sunday(year, 3)), to_micros(_last_sunday(year, 10))


def london_offset_micros(us: int) -> int:
    """UTC offset of Europe/London at instant ``us`` (0 or one hour), in microseconds."""
    year = from_micros(us).year
    start, end = _bst_bounds(year)
    return 3600 * MICROS if start <= us < end else 0


class LocalZone:
    """A client system's local time zone (wall-clock times in payloads and filters)."""

    def __init__(self, name: str = "Europe/London") -> None:
        self.name = name
        self._zone: ZoneInfo | None = None
        if name != "Europe/London":
            try:
                self._zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(
                    f"{name!r} is not a time zone name",
                    hint="use an IANA name such as Europe/London or America/Vancouver",
                ) from None

    def offset(self, us: int) -> int:
        """UTC offset at instant ``us``, in microseconds."""
        if self._zone is None:
            return london_offset_micros(us)
        delta = from_micros(us).astimezone(self._zone).utcoffset()
        return 0 if delta is None else int(delta.total_seconds()) * MICROS

    def from_wall_clock(self, wall_us: int) -> int:
        """The instant of a local wall-clock time given as naive epoch microseconds."""
        if self._zone is None:
            return wall_us - london_offset_micros(wall_us - 3600 * MICROS)
        naive = from_micros(wall_us).replace(tzinfo=None)
        delta = naive.replace(tzinfo=self._zone).utcoffset()
        return wall_us - (0 if delta is None else int(delta.total_seconds()) * MICROS)


LONDON = LocalZone()
"""The default zone (the simulated organisation is in the UK unless told otherwise)."""


def format_local(us: int, zone: LocalZone = LONDON) -> str:
    """Local wall-clock time without offset: ``YYYY-MM-DDTHH:MM:SS``."""
    return from_micros(us + zone.offset(us)).strftime("%Y-%m-%dT%H:%M:%S")


def format_utc(us: int) -> str:
    """UTC time without suffix, as Spektrix prints ``startUtc``: ``YYYY-MM-DDTHH:MM:SS``."""
    return from_micros(us).strftime("%Y-%m-%dT%H:%M:%S")


def format_utc7(us: int) -> str:
    """UTC time with seven fractional digits, as ``orders/sync`` uses (spec §5.3)."""
    dt = from_micros(us)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0"


def local_day_start(year: int, month: int, day: int, zone: LocalZone = LONDON) -> int:
    """UTC microseconds of local midnight starting the given local day."""
    # London: midnight is never inside a transition hour (they happen at 01:00 UTC), so
    # the offset at naive-midnight-minus-one-hour is the offset in force at midnight.
    return zone.from_wall_clock(to_micros(datetime(year, month, day, tzinfo=UTC)))


_QUERY_DT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_query_datetime(
    value: str, *, local: bool, zone: LocalZone = LONDON
) -> tuple[int, bool] | None:
    """Parse a query-string date or datetime.

    Returns ``(micros, date_only)`` or ``None``. Values without an offset are read as
    local time in ``zone`` when ``local`` is true (catalogue filters), else as UTC
    (``orders/sync?since=`` — an **invented** reading; the docs example has no offset).
    """
    match = _QUERY_DT.match(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, frac, tz = match.groups()
    try:
        base = datetime(
            int(year), int(month), int(day),
            int(hour or 0), int(minute or 0), int(second or 0),
            int((frac or "0").ljust(7, "0")[:6]), tzinfo=UTC,
        )
    except ValueError:
        return None
    us = to_micros(base)
    if tz:
        if tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            us -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60) * MICROS
    elif local:
        us = zone.from_wall_clock(us)
    return us, hour is None


class SimClock:
    """The simulated "now" of one client system, moved only by :meth:`advance`."""

    def __init__(self, start: datetime) -> None:
        self._now = to_micros(start)

    @property
    def now_micros(self) -> int:
        """Current simulated time in epoch microseconds (UTC)."""
        return self._now

    def now(self) -> datetime:
        """Current simulated time as an aware UTC datetime."""
        return from_micros(self._now)

    def advance(self, seconds: float) -> tuple[int, int]:
        """Move forward by ``seconds`` (> 0); returns the ``(old, new)`` instants."""
        if seconds <= 0:
            raise ValueError("the simulated clock only moves forward")
        old = self._now
        self._now = old + int(seconds * MICROS)
        return old, self._now
