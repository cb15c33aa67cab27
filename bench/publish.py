"""Benchmark: N synthetic order lines through stage → check → publish, per backend.

Prints lines per second and peak memory (RSS) of a clean publish, and of re-publishing
the same batch (the idempotent, changed-only path). Each backend runs in its own
process so peak memory is its own.

    .venv/bin/python bench/publish.py                 # 1,000,000 lines, DuckDB + PostgreSQL
    .venv/bin/python bench/publish.py --lines 200000 --backends duckdb
"""

from __future__ import annotations

import argparse
import json
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


def run_one(backend: str, n_lines: int) -> dict[str, float]:
    from houselights.exchange import ExchangeRun
    from houselights.warehouse import open_warehouse

    with ExitStack() as stack:
        if backend == "duckdb":
            url = f"duckdb://{Path(tempfile.mkdtemp()) / 'bench.duckdb'}"
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--backends", default="duckdb,postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.lines)))
        return
    print(
        f"houselights publish benchmark — {args.lines:,} order lines, "
        f"{datetime.now():%Y-%m-%d %H:%M}"
    )
    print(
        f"{'backend':<10} {'publish s':>10} {'lines/s':>12} {'again s':>9} "
        f"{'lines/s':>12} {'peak MB':>9}"
    )
    for backend in args.backends.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--lines", str(args.lines), "--child", backend],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        first, again = r["first publish_s"], r["same batch again_s"]
        print(
            f"{backend:<10} {first:>10.2f} {args.lines / first:>12,.0f} {again:>9.2f} "
            f"{args.lines / again:>12,.0f} {r['peak_mb']:>9.0f}"
        )


if __name__ == "__main__":
    main()
