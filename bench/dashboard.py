"""Benchmark: p50 / p95 latency of every dashboard API endpoint, over HTTP.

Builds the warehouse of ``bench/insights.py`` (its generator is imported, not copied:
``--tickets`` ticket lines, default 10,000,000, eight organisations, all granting the
recipient ``funder`` benchmarks), serves the real app under uvicorn on 127.0.0.1, and
calls each ``/api/v1`` endpoint the dashboard pages use ``--repeat`` times for the
largest organisation (FY 2024/25) with an admin token, one request at a time. Timings
include HTTP, authentication, the query and JSON encoding. PostgreSQL gets a smaller
warehouse (``--pg-tickets``, default 2,000,000) — loading 10M rows over COPY takes
minutes; its figures are reported beside DuckDB's, not compared row for row.

    .venv/bin/python bench/dashboard.py                           # DuckDB 10M + PostgreSQL 2M
    .venv/bin/python bench/dashboard.py --tickets 1000000 --backends duckdb
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import duckdb
import httpx
import uvicorn

from _pg import pg_schema
from houselights.api import create_app
from houselights.api.tokens import create_token
from houselights.context import Houselights
from houselights.insights import facts

ORG = "org01"
PERIOD = {"period": "2024/25"}
VIEWER = {"viewer": "funder", **PERIOD}


def _bench_insights() -> ModuleType:
    """``bench/insights.py`` (its generator and schema helpers)."""
    spec = importlib.util.spec_from_file_location(
        "bench_insights", Path(__file__).with_name("insights.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _bench_insights()

# (label, path, query) for every call the dashboard pages make.
ENDPOINTS: list[tuple[str, str, dict[str, str]]] = [
    ("me", "/api/v1/me", {}),
    ("orgs", "/api/v1/orgs", {}),
    ("filter-options", f"/api/v1/orgs/{ORG}/filter-options", {}),
    *[
        (f"insights/{name}", f"/api/v1/orgs/{ORG}/insights/{name}", PERIOD)
        for name in (
            "ticket-sales",
            "volume-capacity",
            "income",
            "reach",
            "loyalty",
            "retention",
            "lapsed",
            "first-timer-return",
            "bookings-channels",
            "lead-time",
        )
    ],
    (
        "insights/geography[region]",
        f"/api/v1/orgs/{ORG}/insights/geography",
        {**PERIOD, "level": "region"},
    ),
    (
        "insights/geography[area]",
        f"/api/v1/orgs/{ORG}/insights/geography",
        {**PERIOD, "level": "area"},
    ),
    ("metrics/M07", f"/api/v1/orgs/{ORG}/metrics/M07", PERIOD),
    ("reports/funder-quarterly", f"/api/v1/orgs/{ORG}/reports/funder-quarterly", PERIOD),
    (
        "reports/sales-by-event",
        f"/api/v1/orgs/{ORG}/reports/sales-by-event",
        {**PERIOD, "limit": "500"},
    ),
    (
        "reports/sales-by-event[25]",
        f"/api/v1/orgs/{ORG}/reports/sales-by-event",
        {**PERIOD, "limit": "25"},
    ),
    ("reports/event-id", f"/api/v1/orgs/{ORG}/reports/event-id", PERIOD),
    ("reports/data-quality", f"/api/v1/orgs/{ORG}/reports/data-quality", {"runs": "20"}),
    ("runs", f"/api/v1/orgs/{ORG}/runs", {"limit": "20"}),
    ("checks", f"/api/v1/orgs/{ORG}/checks", {}),
    ("connections", f"/api/v1/orgs/{ORG}/connections", {"limit": "100"}),
    ("benchmarks/kpis", f"/api/v1/orgs/{ORG}/benchmarks/kpis", VIEWER),
    *[
        (f"benchmarks/{dim}", f"/api/v1/orgs/{ORG}/benchmarks/distribution/{dim}", VIEWER)
        for dim in ("region", "frequency_band", "channel", "lead_time")
    ],
]


@contextmanager
def serving(hl: Houselights) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(hl), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def time_endpoints(hl: Houselights, repeat: int) -> list[tuple[str, float, float]]:
    with hl.warehouse.connect() as s, s.transaction():
        token = create_token(s, "admin", label="bench").token
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    with serving(hl) as base, httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        for label, path, params in ENDPOINTS:
            first = http.get(path, params=params)
            if first.status_code != 200:
                raise SystemExit(f"{label}: HTTP {first.status_code} {first.text[:300]}")
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                http.get(path, params=params).raise_for_status()
                samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            out.append((label, statistics.median(samples), p95))
    return out


def report(title: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}")
    print(f"{'endpoint':32} {'p50 ms':>9} {'p95 ms':>9}")
    for name, p50, p95 in rows:
        flag = "" if p95 < 200 else "  > 200 ms"
        print(f"{name:32} {p50:9.1f} {p95:9.1f}{flag}")


def warm(hl: Houselights) -> str:
    """Build the derived insight tables once (what the exchange does after publishing)."""
    t0 = time.perf_counter()
    with hl.warehouse.connect() as s:
        facts.ensure_fresh(s, [f"org{k + 1:02d}" for k in range(len(GEN.ORG_WEIGHTS))])
    return f"insight facts built in {time.perf_counter() - t0:.1f} s"


def run_duckdb(tickets: int, repeat: int, workdir: Path) -> None:
    path = workdir / "bench-dashboard.duckdb"
    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    GEN.create_schema(con)
    GEN.generate(con, tickets)
    con.close()
    hl = Houselights(data_dir=workdir, database_url=f"duckdb://{path}")
    print(f"DuckDB: {tickets:,} tickets generated in {time.perf_counter() - t0:.0f} s; {warm(hl)}")
    report(
        f"DuckDB ({tickets:,} tickets), {ORG}, HTTP, {repeat} calls each",
        time_endpoints(hl, repeat),
    )
    hl.close()


def run_postgres(tickets: int, repeat: int, workdir: Path) -> None:
    with pg_schema("bench_dashboard") as url:
        t0 = time.perf_counter()
        hl = Houselights(data_dir=workdir, database_url=url)
        src = duckdb.connect()
        GEN.create_schema(src)
        GEN.generate(src, tickets)
        with hl.warehouse.connect() as s:
            GEN.copy_to_postgres(src, s)
        src.close()
        print(
            f"\nPostgreSQL: {tickets:,} tickets loaded in {time.perf_counter() - t0:.0f} s; "
            f"{warm(hl)}"
        )
        report(
            f"PostgreSQL ({tickets:,} tickets), {ORG}, HTTP, {repeat} calls each",
            time_endpoints(hl, repeat),
        )
        hl.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--pg-tickets", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backends", default="duckdb,postgres")
    args = parser.parse_args()
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="hl-bench-") as tmp:
        if "duckdb" in backends:
            run_duckdb(args.tickets, args.repeat, Path(tmp))
        if "postgres" in backends:
            run_postgres(args.pg_tickets, args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
