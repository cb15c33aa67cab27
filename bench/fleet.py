"""Benchmark server mode: a fleet of simulated Spektrix organisations synced by 1, 2 and 4
``houselights worker`` processes on PostgreSQL.

Run: ``.venv/bin/python bench/fleet.py [--orgs 200] [--workers 1,2,4] [--concurrency 8]
[--budget 20] [--tickets 40] [--latency-ms 30]``

Each organisation is a small simulated Spektrix system (``--tickets`` ticket lines) with
its own request budget (``--budget`` requests/second, also the simulator's 429 limit per
login) and ``--latency-ms`` on every answer. For each worker count, on a fresh schema,
every organisation's first sync is due at once (a cold start: the worst case for the
queue); the workers' shared schedule queues them and the workers sync them. Printed:

* organisations synced per minute (first due → last finished);
* the share of each organisation's budget its sync used (requests ÷ (budget × sync time));
* due → start latency p50/p95 (how long a due sync waited for a worker);
* requests the simulator refused for going over a budget (must be 0).

The in-run reference: one organisation synced alone, in-process (its time is the floor of
any organisation's sync; ``orgs × that ÷ (workers × concurrency)`` the ideal).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _pg import pg_schema
from houselights.context import Houselights
from houselights.orgs.service import add_org
from houselights.services.connections import sync
from houselights.sources.kit.connections import save_connection
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)


def _config(orgs: int, tickets: int, latency_ms: float, budget: float) -> SimulatorConfig:
    return SimulatorConfig(
        clients=tuple(
            ClientConfig(name=f"c{i:03d}", seed=i + 1, scale=ScaleConfig(tickets=tickets))
            for i in range(orgs)
        ),
        latency_ms=latency_ms,
        rate_limit=budget,
    )


def _connect(hl: Houselights, sim: SpektrixSimulator, budget: float) -> list[str]:
    orgs = []
    for creds in sim.credentials()["clients"]:
        org = f"org-{creds['client']}"
        with hl.warehouse.connect() as s, s.transaction():
            add_org(s, org, org)
        save_connection(hl, org, "spektrix", {
            **{k: creds[k] for k in ("base_url", "api_login", "api_key", "report_user",
                                     "report_password", "audit_report_url")},
            "client": creds["client"], "request_budget": budget, "timeout_seconds": 10.0,
        })
        orgs.append(org)
    return orgs


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def reference(args: argparse.Namespace) -> float:
    """One organisation synced alone, in-process (seconds)."""
    config = _config(1, args.tickets, args.latency_ms, args.budget)
    with SpektrixSimulator(config).running() as sim, tempfile.TemporaryDirectory() as tmp:
        hl = Houselights(data_dir=Path(tmp), database_url=f"duckdb://{tmp}/wh.duckdb",
                         secret_key="")
        (org,) = _connect(hl, sim, args.budget)
        began = time.perf_counter()
        sync(hl, org)
        took = time.perf_counter() - began
        hl.close()
    return took


def run(args: argparse.Namespace, workers: int, sim: SpektrixSimulator) -> dict[str, Any]:
    with pg_schema("fleet") as url, tempfile.TemporaryDirectory() as tmp:
        hl = Houselights(data_dir=Path(tmp), database_url=url, secret_key="")
        orgs = _connect(hl, sim, args.budget)
        sim.reset_hits()
        throttled_before = {c: sim.throttled(c) for c in (o[4:] for o in orgs)}
        env = {**os.environ, "HOUSELIGHTS_JOBS_TICK_SECONDS": "1",
               "HOUSELIGHTS_JOBS_STALLED_SECONDS": "30"}
        with hl.warehouse.connect() as s, s.transaction():  # nothing due while workers start
            s.execute("UPDATE connections SET next_sync_at = ?", [datetime(2999, 1, 1)])
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "houselights.cli", "--db", url, "--data-dir", tmp,
                 "worker", "--concurrency", str(args.concurrency)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            )
            for _ in range(workers)
        ]
        deadline = time.monotonic() + args.timeout
        try:
            while True:  # every worker up (procrastinate lists it), then all due at once
                with hl.warehouse.connect() as s:
                    up = s.scalar("SELECT COUNT(*) FROM procrastinate_workers") \
                        if s.scalar("SELECT to_regclass('procrastinate_workers')") else 0
                if up >= workers:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("the workers did not start")
                time.sleep(0.2)
            with hl.warehouse.connect() as s, s.transaction():
                due = s.scalar("SELECT CURRENT_TIMESTAMP AT TIME ZONE 'UTC'")
                s.execute("UPDATE connections SET next_sync_at = ?", [due])
            while True:
                with hl.warehouse.connect() as s:
                    done = s.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'succeeded'")
                if done >= len(orgs):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out with {done} of {len(orgs)} synced")
                time.sleep(0.5)
        finally:
            for p in procs:
                p.send_signal(signal.SIGINT)
            for p in procs:
                p.wait(timeout=120)
        with hl.warehouse.connect() as s:
            rows = s.fetchall("SELECT org_id, started_at, finished_at FROM jobs"
                              " WHERE status = 'succeeded'")
            failed = s.scalar("SELECT COUNT(*) FROM jobs WHERE status <> 'succeeded'")
        hl.close()
    last: datetime = max(r[2] for r in rows)
    waits = [(r[1] - due).total_seconds() for r in rows]
    shares = []
    for org, started, finished in rows:
        requests = sum(sim.hits(org[4:]).values())
        shares.append(requests / (args.budget * (finished - started).total_seconds()))
    throttled = sum(sim.throttled(c) - n for c, n in throttled_before.items())
    return {
        "workers": workers,
        "orgs_per_minute": len(rows) / (last - due).total_seconds() * 60,
        "seconds": (last - due).total_seconds(),
        "share_p50": statistics.median(shares),
        "share_max": max(shares),
        "wait_p50": _pct(waits, 0.5),
        "wait_p95": _pct(waits, 0.95),
        "sync_p50": statistics.median((r[2] - r[1]).total_seconds() for r in rows),
        "throttled": throttled,
        "not_succeeded": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    alone = reference(args)
    print(f"reference: one organisation synced alone in {alone:.1f} s "
          f"(budget {args.budget:g}/s, latency {args.latency_ms:g} ms, {args.tickets} tickets)")
    print(f"cpu cores: {os.cpu_count()}")
    print("workers  orgs/min  total s  ideal s  sync p50 s  budget used p50/max  "
          "due→start p50/p95 s  over budget  not ok")
    with SpektrixSimulator(
        _config(args.orgs, args.tickets, args.latency_ms, args.budget)
    ).running() as sim:
        for workers in (int(w) for w in args.workers.split(",")):
            r = run(args, workers, sim)
            ideal = args.orgs * alone / (workers * args.concurrency)
            print(f"{workers:>7}  {r['orgs_per_minute']:8.1f}  {r['seconds']:7.1f}  {ideal:7.1f}"
                  f"  {r['sync_p50']:10.1f}  {r['share_p50']:9.0%} / {r['share_max']:4.0%}"
                  f"  {r['wait_p50']:9.1f} / {r['wait_p95']:6.1f}  {r['throttled']:11d}"
                  f"  {r['not_succeeded']:6d}", flush=True)


if __name__ == "__main__":
    main()
