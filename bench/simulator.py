"""Benchmark the Spektrix simulator: signed orders/{id} requests per second, generation time.

Run: ``.venv/bin/python bench/simulator.py [--seconds 10] [--concurrency 32] [--tickets 1000000]``

The server runs in this process (its own thread and event loop, as tests use it); the
load comes from a *separate process* with an aiohttp client that signs every request,
so the two never share a GIL and the figure is what a real client would see.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import resource
import time
from typing import Any

import aiohttp

from houselights.sources.spektrix.auth import authorization_header, http_date
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ClientDataset,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)


async def _load(creds: dict[str, Any], ids: list[str], seconds: float,
                concurrency: int) -> tuple[int, int]:
    ok = failed = 0
    deadline = time.perf_counter() + seconds
    rng = random.Random(1)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal ok, failed
            while time.perf_counter() < deadline:
                url = f"{creds['base_url']}/orders/{rng.choice(ids)}"
                date = http_date()
                headers = {"Date": date, "Authorization": authorization_header(
                    creds["api_login"], creds["api_key"], "GET", url, date)}
                async with session.get(url, headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        ok += 1
                    else:
                        failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, failed


def _client_process(creds: dict[str, Any], ids: list[str], seconds: float, concurrency: int,
                    out: Any) -> None:
    out.put(asyncio.run(_load(creds, ids, seconds, concurrency)))


def bench_requests(seconds: float, concurrency: int, processes: int = 1) -> None:
    config = SimulatorConfig(clients=(ClientConfig(scale=ScaleConfig(tickets=200_000)),))
    sim = SpektrixSimulator(config)
    ids = sim.truth().order_ids
    with sim.running():
        creds = sim.credentials()["clients"][0]
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        # Warm up briefly, then measure.
        warm = ctx.Process(target=_client_process, args=(creds, ids, 1.0, concurrency, queue))
        warm.start()
        queue.get()
        warm.join()
        procs = [ctx.Process(target=_client_process,
                             args=(creds, ids, seconds, concurrency, queue))
                 for _ in range(processes)]
        began = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        for proc in procs:
            proc.start()
        results = [queue.get() for _ in procs]
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        for proc in procs:
            proc.join()
        ok = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        elapsed = time.perf_counter() - began
    # CPU the server process spent (user + system): independent of other load on the box.
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    rate = ok / seconds
    print(f"orders/{{id}} signed GETs: {ok:,} ok, {failed} failed in {seconds:.0f} s "
          f"at concurrency {concurrency} x {processes} client process(es) -> {rate:,.0f} req/s "
          f"(wall {elapsed:.1f} s incl. "
          f"client start)")
    print(f"server CPU per request: {cpu / max(ok, 1) * 1e6:,.0f} us "
          f"-> one server core can answer ~{max(ok, 1) / cpu:,.0f} req/s")


def bench_generation(tickets: int) -> None:
    began = time.perf_counter()
    dataset = ClientDataset(ClientConfig(scale=ScaleConfig(tickets=tickets)))
    elapsed = time.perf_counter() - began
    print(f"generation: {len(dataset.orders.base.tickets):,} tickets, "
          f"{len(dataset.orders.base):,} orders, {len(dataset.customers):,} customers, "
          f"{len(dataset.audit):,} audit rows in {elapsed:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=1,
                        help="load-generating client processes")
    args = parser.parse_args()
    bench_generation(args.tickets)
    bench_requests(args.seconds, args.concurrency, args.processes)


if __name__ == "__main__":
    main()
