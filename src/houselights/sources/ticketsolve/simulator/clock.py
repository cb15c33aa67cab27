"""The simulated clock and local times of venues in Ireland and the UK.

Times are aware ``datetime`` objects in UTC inside the simulator; documents and exports
show venue-local wall-clock time. Europe/Dublin and Europe/London share one rule (UTC+1
from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October,
UTC otherwise), computed here rather than read from a tz database so the data is the same
on every machine.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

__all__ = [
    "ZONES",
    "SimClock",
    "iso_local",
    "local_to_utc",
    "rails_local",
    "utc_offset",
    "utc_to_local",
]

ZONES = ("Europe/Dublin", "Europe/London")
_HOUR = timedelta(hours=1)


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@lru_cache(maxsize=64)
def _summer(year: int) -> tuple[datetime, datetime]:
    return _last_sunday(year, 3), _last_sunday(year, 10)


def utc_offset(zone: str, at: datetime) -> timedelta:
    """UTC offset of ``zone`` (one of :data:`ZONES`) at the aware instant ``at``."""
    if zone not in ZONES:
        raise ValueError(f"the simulator only knows {', '.join(ZONES)}, not {zone!r}")
    start, end = _summer(at.year)
    return _HOUR if start <= at < end else timedelta(0)


def utc_to_local(at: datetime, zone: str) -> datetime:
    """Naive local wall-clock time of the aware instant ``at``."""
    return (at + utc_offset(zone, at)).replace(tzinfo=None)


def local_to_utc(local: datetime, zone: str) -> datetime:
    """Aware UTC instant of a naive local wall-clock time (never inside a clock change:
    the simulator schedules nothing between 01:00 and 02:00)."""
    guess = local.replace(tzinfo=UTC) - _HOUR
    if utc_offset(zone, guess) == _HOUR:
        return guess
    return local.replace(tzinfo=UTC)


def _offset_text(offset: timedelta, colon: bool) -> str:
    hours = int(offset.total_seconds()) // 3600
    return f"+{hours:02d}:00" if colon else f"+{hours:02d}00"


def iso_local(at: datetime, zone: str) -> str:
    """``2025-09-12T19:30:00+01:00``: local time with its offset (ISO 8601)."""
    local = utc_to_local(at, zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _offset_text(utc_offset(zone, at), True)


def rails_local(at: datetime, zone: str) -> str:
    """``2025-09-12 19:30:00 +0100``: how Rails prints a zoned time by default."""
    local = utc_to_local(at, zone)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + _offset_text(utc_offset(zone, at), False)


class SimClock:
    """The simulated "now" of one client account, moved only by :meth:`advance`."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    @property
    def now(self) -> datetime:
        """Current simulated time (aware, UTC)."""
        return self._now

    def advance(self, seconds: float) -> tuple[datetime, datetime]:
        """Move forward by ``seconds`` (> 0); returns the ``(old, new)`` instants."""
        if seconds <= 0:
            raise ValueError("the simulated clock only moves forward")
        old = self._now
        self._now = old + timedelta(seconds=seconds)
        return old, self._now
