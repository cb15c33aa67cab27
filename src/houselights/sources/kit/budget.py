"""The per-connection request budget: how fast one organisation may call its box office.

:class:`RequestBudget` is what the HTTP client needs (``await budget.acquire()`` before
every request); :class:`TokenBucket` is the in-process implementation. A budget shared by
several processes (workers on many machines) implements the same protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

__all__ = ["BudgetFactory", "RequestBudget", "TokenBucket", "budget_factory", "shared_budgets"]


class RequestBudget(Protocol):
    """Anything that paces requests: one token per request."""

    async def acquire(self) -> None:
        """Wait until one more request may be sent."""


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


BudgetFactory = Callable[[float], RequestBudget]
"""Builds the budget of one connection from its rate (requests per second)."""

_FACTORY: ContextVar[BudgetFactory | None] = ContextVar("houselights_budget", default=None)


@contextmanager
def shared_budgets(factory: BudgetFactory) -> Iterator[None]:
    """Within the block (this thread or task and what it starts), connections take their
    request budget from ``factory`` instead of an in-process bucket: a worker sets it to
    a budget shared with every other worker of the organisation."""
    token = _FACTORY.set(factory)
    try:
        yield
    finally:
        _FACTORY.reset(token)


def budget_factory() -> BudgetFactory | None:
    """The factory set by :func:`shared_budgets`, if any."""
    return _FACTORY.get()
