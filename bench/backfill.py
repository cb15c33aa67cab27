"""Benchmark the Spektrix source: backfill throughput and the cost of an incremental sync.

Run: ``.venv/bin/python bench/backfill.py [--orders 5000] [--latency-ms 30] [--skip-large]``

* **Backfill** of ``--orders`` orders (with their customers) from the historical order-ID
  export, against a simulator with ``--latency-ms`` on every answer, served from a
  *separate process* (so server and client never share a GIL):
  (a) a request budget of 50/s against a simulator that answers 429 above 50/s per login;
  (b) no budget; (c) a sequential one-request-at-a-time client (how simple Spektrix
  clients work), measured on a sample of ``--sequential-orders`` orders.
* **Incremental sync** of about 100 changed orders on top of a 1,000,000-ticket warehouse
  (built directly from the simulator's truth, then cursors set as after a backfill).
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing as mp
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.exchange.batch import StreamCursor
from houselights.exchange.run import ExchangeRun
from houselights.orgs import service as orgs
from houselights.services.connections import sync
from houselights.sources.kit.connections import save_connection
from houselights.sources.kit.runner import merge_batches
from houselights.sources.kit.source import SyncRequest
from houselights.sources.spektrix.batches import (
    audit_batch,
    catalogue_batch,
    catalogue_digests,
    orders_batch,
)
from houselights.sources.spektrix.mapping import CATALOGUE_LISTS, ProductionFields
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)

ORG = "bench-org"


def _serve(tickets: int, latency_ms: float, rate_limit: float | None, out: Any, stop: Any) -> None:
    config = SimulatorConfig(
        clients=(ClientConfig(name="bench", seed=9, scale=ScaleConfig(tickets=tickets)),),
        latency_ms=latency_ms,
        rate_limit=rate_limit,
    )
    with SpektrixSimulator(config).running() as sim:
        out.put(sim.credentials()["clients"][0])
        stop.wait()


def _order_ids(creds: dict[str, Any], n: int, path: Path) -> Path:
    token = base64.b64encode(f"{creds['report_user']}:{creds['report_password']}".encode())
    request = urllib.request.Request(
        creds["order_ids_url"], headers={"Authorization": f"Basic {token.decode()}"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        lines = answer.read().decode().splitlines()
    path.write_text("\n".join(lines[: n + 1]) + "\n", encoding="utf-8")
    return path


def _settings(creds: dict[str, Any], client: str) -> dict[str, Any]:
    return {
        "client": client,
        "base_url": creds["base_url"],
        "api_login": creds["api_login"],
        "api_key": creds["api_key"],
        "report_user": creds["report_user"],
        "report_password": creds["report_password"],
        "audit_report": None,
        "audit_report_url": creds["audit_report_url"],
    }


def _hl(folder: Path) -> Houselights:
    hl = Houselights(data_dir=folder, database_url=f"duckdb://{folder / 'wh.duckdb'}")
    with hl.warehouse.connect() as s, s.transaction():
        orgs.add_org(s, ORG, "Bench Theatre")
    return hl


def backfill_case(
    label: str,
    *,
    orders: int,
    latency_ms: float,
    budget: float | None,
    server_limit: float | None,
    concurrency: int,
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(orders * 3, latency_ms, server_limit, out, stop))
    server.start()
    try:
        creds = out.get(timeout=120)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            hl = _hl(folder)
            save_connection(
                hl,
                ORG,
                "spektrix",
                {
                    **_settings(creds, "bench"),
                    "request_budget": budget,
                    "concurrency": concurrency,
                    "backfill_chunk": 1000,
                },
            )
            ids = _order_ids(creds, orders, folder / "ids.csv")
            began = time.perf_counter()
            summary = sync(hl, ORG, request=SyncRequest(backfill_file=ids, incremental=False))
            seconds = time.perf_counter() - began
            hl.close()
    finally:
        stop.set()
        server.join(30)
    n_orders = summary.counts.get("orders", 0)
    n_customers = summary.counts.get("customers", 0)
    row = {
        "case": label,
        "orders": n_orders,
        "customers": n_customers,
        "requests": summary.requests,
        "seconds": seconds,
        "orders_per_s": n_orders / seconds,
        "requests_per_s": summary.requests / seconds,
        "429s": summary.rate_limited,
    }
    if budget:
        row["share_of_budget"] = row["requests_per_s"] / budget
    print(
        f"  {label:<44} {n_orders:>6,} orders {n_customers:>6,} customers "
        f"{summary.requests:>6,} req in {seconds:6.1f} s = {row['orders_per_s']:7.1f} orders/s, "
        f"{row['requests_per_s']:6.1f} req/s, {summary.rate_limited} × 429"
        + (f", {row['share_of_budget']:.0%} of the budget" if budget else ""),
        flush=True,
    )
    return row


def incremental_case(tickets: int, hours: float) -> dict[str, Any]:
    began = time.perf_counter()
    config = SimulatorConfig(
        clients=(ClientConfig(name="big", seed=21, scale=ScaleConfig(tickets=tickets)),)
    )
    with SpektrixSimulator(config).running() as sim, tempfile.TemporaryDirectory() as tmp:
        creds = sim.credentials()["clients"][0]
        truth = sim.truth("big")
        print(
            f"  generated {truth.ticket_count:,} tickets / {len(truth.orders):,} orders in "
            f"{time.perf_counter() - began:.1f} s",
            flush=True,
        )
        hl = _hl(Path(tmp))
        save_connection(hl, ORG, "spektrix", {**_settings(creds, "big"), "request_budget": None})
        built = time.perf_counter()
        fields = ProductionFields()
        lists = {n: getattr(truth, n) for n in CATALOGUE_LISTS}
        catalogue, index, _ = catalogue_batch(lists, fields)
        catalogue.cursors.append(StreamCursor("catalogue", None, catalogue_digests(lists, fields)))
        stamp, last = max((t, i) for i, t in truth.modified.items())
        position = f"/big/api/v3/orders/sync?since={stamp}&after={last}"
        history = orders_batch(truth.orders, truth.customers, index, privacy="minimal")
        audit = audit_batch(truth.audit)
        audit.cursors.append(StreamCursor("audit", truth.audit[-1]["date"][:19]))
        history.cursors.append(StreamCursor("orders_sync", position))
        with ExchangeRun(hl.warehouse, ORG, source="spektrix", kind="backfill") as run:
            run.publish(merge_batches([catalogue, history, audit]))
        with hl.warehouse.connect() as s:
            lines = s.scalar("SELECT COUNT(*) FROM order_lines WHERE org_id = ?", [ORG])
        print(
            f"  warehouse built from the truth: {lines:,} order lines in "
            f"{time.perf_counter() - built:.1f} s",
            flush=True,
        )
        counts = sim.advance("big", hours=hours)
        t0 = time.perf_counter()
        summary = sync(hl, ORG)
        seconds = time.perf_counter() - t0
        hl.close()
    n_orders = summary.counts.get("orders", 0)
    print(
        f"  incremental sync: {n_orders} changed orders ({counts['new_orders']} new, "
        f"{counts['changed_orders']} changed), {summary.counts.get('customers', 0)} customers, "
        f"{summary.counts.get('audit', 0)} audit rows, {summary.requests} requests in "
        f"{seconds:.2f} s on a {lines:,}-line warehouse",
        flush=True,
    )
    return {
        "orders": n_orders,
        "seconds": seconds,
        "warehouse_lines": lines,
        "requests": summary.requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--sequential-orders", type=int, default=300)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--hours", type=float, default=3.5)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    print(f"Backfill from the order-ID export, {args.latency_ms:g} ms latency per answer:")
    a = backfill_case(
        "(a) budget 50 req/s, server limit 50/s",
        orders=args.orders,
        latency_ms=args.latency_ms,
        budget=50.0,
        server_limit=50.0,
        concurrency=16,
    )
    b = backfill_case(
        "(b) no budget, 64 concurrent",
        orders=args.orders,
        latency_ms=args.latency_ms,
        budget=None,
        server_limit=None,
        concurrency=64,
    )
    c = backfill_case(
        "(c) sequential, one request at a time",
        orders=args.sequential_orders,
        latency_ms=args.latency_ms,
        budget=None,
        server_limit=None,
        concurrency=1,
    )
    print(
        f"  targets: (a) ≥ 90% of budget with 0 × 429 → "
        f"{'met' if a['share_of_budget'] >= 0.9 and a['429s'] == 0 else 'MISSED'}; "
        f"(b) ≥ 500 orders/s → {'met' if b['orders_per_s'] >= 500 else 'MISSED'}; "
        f"(b) is {b['orders_per_s'] / c['orders_per_s']:.0f}× the sequential client"
    )
    if not args.skip_large:
        print(f"Incremental sync on a {args.tickets:,}-ticket warehouse:")
        inc = incremental_case(args.tickets, args.hours)
        print(f"  target < 3 s → {'met' if inc['seconds'] < 3 else 'MISSED'}")


if __name__ == "__main__":
    main()
