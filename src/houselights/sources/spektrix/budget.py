"""The per-connection request budget: an asyncio token bucket."""

from __future__ import annotations

import asyncio
import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """An asyncio token bucket: ``rate`` tokens per second, at most ``burst`` saved up.

    Each caller reserves a token (the level may go negative) and sleeps until its token
    exists, so waiting callers are served in order and never exceed the rate. The burst is
    small by default: a smooth pace keeps the server's own bucket full, so jitter on the
    wire never turns into 429s.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._level = self.burst
        self._last = time.monotonic()

    async def acquire(self) -> None:
        """Wait for one token."""
        now = time.monotonic()
        self._level = min(self.burst, self._level + (now - self._last) * self.rate)
        self._last = now
        self._level -= 1.0
        if self._level < 0:
            await asyncio.sleep(-self._level / self.rate)
