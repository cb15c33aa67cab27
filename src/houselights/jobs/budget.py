"""An organisation's request budget toward its box office, shared by every worker.

In server mode several workers on several machines may call one organisation's box office
(a retry picked up elsewhere, a manual sync beside a scheduled one of another source):
the budget is kept in PostgreSQL, one row per connection in ``request_budgets``, as the
*generic cell rate algorithm* — the row holds the time the next request may go; each
request moves it on by 1/rate in one atomic statement, using the database's clock (so
machines' clocks need not agree), and sleeps until its slot. A burst of up to
``max(1, rate/10)`` requests may go at once after a quiet spell, as with the in-process
:class:`~houselights.sources.kit.budget.TokenBucket`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from houselights.sources.kit.budget import RequestBudget, shared_budgets

__all__ = ["PostgresBudget", "postgres_budgets"]

_RESERVE = """
WITH clock AS (SELECT extract(epoch FROM clock_timestamp())::double precision AS now)
INSERT INTO request_budgets AS b (org_id, source, next_at)
SELECT %(org)s, %(source)s, clock.now - %(tau)s + %(t)s FROM clock
ON CONFLICT (org_id, source) DO UPDATE
  SET next_at = GREATEST(b.next_at, (SELECT now FROM clock) - %(tau)s) + %(t)s
RETURNING next_at - %(t)s - (SELECT now FROM clock)
"""


class PostgresBudget:
    """``rate`` requests per second for one connection, across every process."""

    def __init__(self, url: str, org_id: str, source: str, rate: float) -> None:
        self.url, self.org_id, self.source = url, org_id, source
        self.rate = rate
        self.interval = 1.0 / rate
        self.tau = (max(1.0, rate / 10) - 1.0) * self.interval
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        with self._lock:
            if self._conn is None:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            row = self._conn.execute(
                _RESERVE,
                {"org": self.org_id, "source": self.source, "t": self.interval, "tau": self.tau},
            ).fetchone()
        return float(row[0]) if row else 0.0

    async def acquire(self) -> None:
        """Wait for this request's slot."""
        wait = await asyncio.to_thread(self._reserve)
        if wait > 0:
            await asyncio.sleep(wait)

    def close(self) -> None:
        """Close the budget's database connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


@contextmanager
def postgres_budgets(url: str, org_id: str, source: str) -> Iterator[None]:
    """Within the block, ``org_id``'s connections to ``source`` pace themselves with the
    budget kept in PostgreSQL at ``url``."""
    made: list[PostgresBudget] = []

    def factory(rate: float) -> RequestBudget:
        budget = PostgresBudget(url, org_id, source, rate)
        made.append(budget)
        return budget

    try:
        with shared_budgets(factory):
            yield
    finally:
        for budget in made:
            budget.close()
