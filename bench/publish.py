"""Benchmark: N synthetic order lines through stage → check → publish, per backend.

Prints lines per second and peak memory (RSS) of a clean publish, and of re-publishing
the same batch (the idempotent, changed-only path). Each backend runs in its own
process so peak memory is its own. With ``--peer dlt`` the same order lines, orders and
customers are also merged (upsert on the natural key, from the same Arrow tables) by dlt
into the same backend in the same run, and the ratio is printed beside each figure — the
machine is shared and noisy, so only figures measured side by side compare.

    .venv/bin/python bench/publish.py                 # 1,000,000 lines, DuckDB + PostgreSQL
    .venv/bin/python bench/publish.py --peer dlt      # … and dlt on the same data
    .venv/bin/python bench/publish.py --lines 200000 --backends duckdb

dlt is a benchmark-only dependency: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from _pg import pg_schema


def make_batch(n_lines: int, seed: int = 7):  # type: ignore[no-untyped-def]
    from houselights.exchange import Batch

    rng = np.random.default_rng(seed)
    n_orders = max(1, n_lines // 2)
    n_customers = max(1, n_lines // 4)
    n_instances, n_events, n_venues = 2_000, 200, 5
    base = np.datetime64("2024-04-01T19:30:00", "us")

    def ids(prefix: str, values: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(prefix, pa.array(values).cast(pa.string()), "")

    order_of_line = np.sort(rng.integers(0, n_orders, n_lines))
    # line_no = position within the order
    starts = np.r_[0, np.flatnonzero(np.diff(order_of_line)) + 1]
    counts = np.diff(np.r_[starts, n_lines])
    line_no = np.arange(n_lines) - np.repeat(starts, counts) + 1
    present_orders = order_of_line[starts]
    price = rng.choice([0, 8.5, 12, 15, 22.5, 30], n_lines).round(2)
    inst_of_line = rng.integers(0, n_instances, n_lines)
    b = Batch(records_in=n_lines)
    b.tables["venues"] = pa.table(
        {"venue_id": ids("v", np.arange(n_venues)), "name": ids("Venue ", np.arange(n_venues))}
    )
    b.tables["events"] = pa.table(
        {"event_id": ids("e", np.arange(n_events)), "name": ids("Event ", np.arange(n_events))}
    )
    b.tables["instances"] = pa.table(
        {
            "instance_id": ids("i", np.arange(n_instances)),
            "event_id": ids("e", np.arange(n_instances) % n_events),
            "venue_id": ids("v", np.arange(n_instances) % n_venues),
            "starts_at": pa.array(base + np.arange(n_instances).astype("timedelta64[h]") * 6),
            "capacity": pa.array(np.full(n_instances, 2_000), pa.int32()),
            "cancelled": pa.array(np.zeros(n_instances, bool)),
            "is_supplementary": pa.array(np.zeros(n_instances, bool)),
        }
    )
    b.tables["customers"] = pa.table(
        {
            "customer_id": ids("c", np.arange(n_customers)),
            "postcode": pa.array(["M1 1AA"] * n_customers),
        }
    )
    b.tables["orders"] = pa.table(
        {
            "order_id": ids("o", present_orders),
            "customer_id": ids("c", present_orders % n_customers),
            "created_at": pa.array(base - (present_orders % 90).astype("timedelta64[D]")),
            "channel": pa.array(np.array(["online", "box_office", "phone"])[present_orders % 3]),
        }
    )
    b.tables["order_lines"] = pa.table(
        {
            "order_id": ids("o", order_of_line),
            "line_no": pa.array(line_no.astype(np.int32)),
            "kind": pa.array(["ticket"] * n_lines),
            "instance_id": ids("i", inst_of_line),
            "event_id": ids("e", inst_of_line % n_events),
            "ticket_type": pa.array(np.array(["Standard", "Concession", "Comp"])[line_no % 3]),
            "is_concession": pa.array(line_no % 3 == 1),
            "is_comp": pa.array(price == 0),
            "face_value": pa.array(price + 2).cast(pa.decimal128(14, 2)),
            "price_paid": pa.array(price).cast(pa.decimal128(14, 2)),
            "status": pa.array(["issued"] * n_lines),
        }
    )
    return b


DLT_KEYS = {
    "order_lines": ("order_id", "line_no"),
    "orders": ("order_id",),
    "customers": ("customer_id",),
}
DLT_MISSING = (
    "dlt is not installed; it is a benchmark-only dependency. Install it with:\n"
    "    .venv/bin/pip install -e '.[bench]'"
)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def run_one(backend: str, n_lines: int) -> dict[str, float]:
    from houselights.exchange import ExchangeRun
    from houselights.warehouse import open_warehouse

    with ExitStack() as stack:
        if backend == "duckdb":
            url = (
                f"duckdb://{Path(stack.enter_context(tempfile.TemporaryDirectory())) / 'b.duckdb'}"
            )
        else:
            url = stack.enter_context(pg_schema("bench_publish"))
        wh = open_warehouse(url)
        t0 = time.perf_counter()
        batch = make_batch(n_lines)
        gen = time.perf_counter() - t0
        timings = {}
        for label in ("first publish", "same batch again"):
            t0 = time.perf_counter()
            with ExchangeRun(wh, "bench", source="bench", kind="backfill") as run:
                run.publish(batch)
            timings[label] = time.perf_counter() - t0
        wh.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"generate_s": gen, **{f"{k}_s": v for k, v in timings.items()}, "peak_mb": peak_mb}


def run_dlt(backend: str, n_lines: int) -> dict[str, float]:
    """Merge the batch's order lines, orders and customers with dlt (from Arrow)."""
    import uuid

    # Telemetry of any dependency is off (and this machine has no network anyway).
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    import dlt
    import psycopg

    batch = make_batch(n_lines)
    tables = {name: batch.tables[name] for name in DLT_KEYS}
    with tempfile.TemporaryDirectory(prefix="hl-dlt-") as tmp:
        dataset = f"bench_dlt_{uuid.uuid4().hex[:8]}"
        if backend == "duckdb":
            destination = dlt.destinations.duckdb(str(Path(tmp) / "dlt.duckdb"))
        else:
            # dlt insists on a password; the local server trusts loopback and ignores it.
            destination = dlt.destinations.postgres(PG_ADMIN.replace("postgres@", "postgres:x@"))
        pipeline = dlt.pipeline(
            pipeline_name=dataset,
            pipelines_dir=str(Path(tmp) / "pipelines"),
            destination=destination,
            dataset_name=dataset,
            progress=None,
        )
        timings = {}
        try:
            for label in ("first publish", "same batch again"):
                resources = [
                    dlt.resource(
                        [tables[name]],
                        name=name,
                        primary_key=list(key),
                        write_disposition="merge",
                    )
                    for name, key in DLT_KEYS.items()
                ]
                t0 = time.perf_counter()
                pipeline.run(resources)
                timings[label] = time.perf_counter() - t0
        finally:
            if backend == "postgres":
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    for schema in (dataset, f"{dataset}_staging"):
                        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**{f"{k}_s": v for k, v in timings.items()}, "peak_mb": peak_mb}


def cpu_reference() -> float:
    """Seconds for a fixed single-core workload: how busy the machine is right now."""
    import hashlib

    t0 = time.perf_counter()
    data = b"x" * 4096
    for _ in range(60_000):
        hashlib.md5(data).digest()
    return time.perf_counter() - t0


def _child(kind: str, n_lines: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--lines", str(n_lines), "--child", kind],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--backends", default="duckdb,postgres")
    parser.add_argument("--peer", choices=["dlt"], help="also merge the same tables with dlt")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child.startswith("dlt-"):
            print(json.dumps(run_dlt(args.child.removeprefix("dlt-"), args.lines)))
        else:
            print(json.dumps(run_one(args.child, args.lines)))
        return
    if args.peer == "dlt":
        try:
            import dlt  # noqa: F401
        except ImportError:
            print(DLT_MISSING, file=sys.stderr)
            sys.exit(2)
    print(
        f"houselights publish benchmark — {args.lines:,} order lines, "
        f"{datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()[0]:.1f}, "
        f"CPU reference {cpu_reference():.2f} s"
    )
    print(
        f"{'backend':<12} {'publish s':>10} {'lines/s':>12} {'again s':>9} "
        f"{'lines/s':>12} {'peak MB':>9}"
    )
    for backend in args.backends.split(","):
        r = _child(backend, args.lines)
        first, again = r["first publish_s"], r["same batch again_s"]
        print(
            f"{backend:<12} {first:>10.2f} {args.lines / first:>12,.0f} {again:>9.2f} "
            f"{args.lines / again:>12,.0f} {r['peak_mb']:>9.0f}"
        )
        if args.peer == "dlt":
            d = _child(f"dlt-{backend}", args.lines)
            d_first, d_again = d["first publish_s"], d["same batch again_s"]
            print(
                f"{'dlt ' + backend:<12} {d_first:>10.2f} {args.lines / d_first:>12,.0f} "
                f"{d_again:>9.2f} {args.lines / d_again:>12,.0f} {d['peak_mb']:>9.0f}"
            )
            print(
                f"{'ratio':<12} {d_first / first:>9.2f}× {'':>12} {d_again / again:>8.2f}× "
                "  (houselights speed ÷ dlt's; > 1 = faster)"
            )
        print(f"{'':<12} load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
