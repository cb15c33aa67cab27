"""The request budget is shared through PostgreSQL: two workers' budgets for one
organisation together stay within its rate (judged by the simulators' own limiter)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from houselights.context import Houselights
from houselights.jobs.budget import PostgresBudget
from houselights.sources.kit.budget import RequestBudget, TokenBucket
from houselights.sources.simulation.ratelimit import RateLimiter

from ..conftest import PgSchemas

RATE = 20.0
EACH = 30  # requests per "worker"


def _spend(budgets: list[RequestBudget]) -> int:
    """Two workers spend their budget at once; how many requests the box office's own
    limiter (a token bucket of RATE per second, as the simulators keep) refuses."""
    judge = RateLimiter(RATE)
    refused = 0
    lock = threading.Lock()

    def worker(budget: RequestBudget) -> None:
        nonlocal refused

        async def go() -> None:
            nonlocal refused
            for _ in range(EACH):
                await budget.acquire()
                with lock:
                    refused += judge.acquire("org", now=time.monotonic()) > 0

        asyncio.run(go())

    threads = [threading.Thread(target=worker, args=(b,)) for b in budgets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return refused


@pytest.fixture
def url(pg_schemas: PgSchemas, tmp_path: object) -> str:
    url = pg_schemas.new_url()
    Houselights(data_dir=f"{tmp_path}/data", database_url=url, secret_key="").warehouse.close()
    return url


def test_budgets_in_postgres_are_shared_by_workers(url: str) -> None:
    budgets = [PostgresBudget(url, "org-a", "spektrix", RATE) for _ in range(2)]
    try:
        assert _spend(list(budgets)) == 0
    finally:
        for b in budgets:
            b.close()


def test_budgets_per_process_are_not(url: str) -> None:
    # What the shared budget prevents: each worker pacing itself alone sends twice the rate.
    assert _spend([TokenBucket(RATE), TokenBucket(RATE)]) > 0


def test_each_connection_has_its_own_budget(url: str) -> None:
    import psycopg

    budgets = [PostgresBudget(url, org, "spektrix", RATE) for org in ("org-a", "org-b")]
    try:
        _spend(list(budgets))
    finally:
        for b in budgets:
            b.close()
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT org_id, source FROM request_budgets ORDER BY 1").fetchall()
    assert rows == [("org-a", "spektrix"), ("org-b", "spektrix")]
