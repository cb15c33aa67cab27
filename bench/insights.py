"""Benchmark: latency of every insight the dashboard calls, DuckDB and PostgreSQL side by side.

Builds a warehouse of ``--tickets`` ticket lines (default 10,000,000) over five financial
years for eight organisations of unequal size (the largest holds 30%), generated directly
in DuckDB with ``range()``, then times each library function ``--repeat`` times for the
largest organisation and prints first-call, p50 and p95 milliseconds for DuckDB and for
PostgreSQL on the same data, with the PostgreSQL / DuckDB ratio. A CPU reference and the
load average are printed before and after: the machine is shared, so only figures of the
same run compare.

PostgreSQL's copy of the data is kept between runs (``--pg-url``, default the ``hl_bench``
database on 127.0.0.1, one schema per data set; ``--pg-rebuild`` makes it again): loading
10M lines takes minutes. The derived insight tables are rebuilt whenever the code that
builds them changes (the first facts build of a run says how long that took).

``--orgs200`` adds the multi-tenant case: the largest organisation's data alone, and the
same data among 199 other organisations (the remaining 70% of ``--tickets``) in one
database, and prints the largest organisation's p95 in both and their ratio.

    .venv/bin/python bench/insights.py                          # 10M tickets, both backends
    .venv/bin/python bench/insights.py --tickets 1000000 --backends duckdb
    .venv/bin/python bench/insights.py --orgs200                # … and the 200-org case
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa

from houselights import insights as hi
from houselights.insights import facts
from houselights.model.postcodes import postcode_areas
from houselights.model.schema import CANONICAL_TABLES, META_TABLES, render_create
from houselights.warehouse import Session, open_warehouse

ORG_WEIGHTS = (0.30, 0.20, 0.10, 0.10, 0.10, 0.10, 0.05, 0.05)
DAYS = 1826  # five financial years, 2020/21 … 2024/25
FY = hi.financial_year(2024)


def generate(
    con: duckdb.DuckDBPyConnection, tickets: int, weights: tuple[float, ...] = ORG_WEIGHTS
) -> None:
    """Fill the canonical tables of ``con`` (already created) with synthetic data: one
    organisation per weight (``org01`` …), holding that share of ``tickets``."""
    areas = [(a.area, a.region) for a in postcode_areas() if a.region]
    con.execute("CREATE TEMP TABLE areas (idx INTEGER, area VARCHAR, region VARCHAR)")
    con.executemany(
        "INSERT INTO areas VALUES (?, ?, ?)", [(k, a, r) for k, (a, r) in enumerate(areas)]
    )
    n_areas = len(areas)
    sizes = []
    for k, w in enumerate(weights):
        t = int(tickets * w)
        sizes.append(
            (
                f"org{k + 1:02d}",
                k,
                t,
                max(1, t // 120),
                max(1, t // 1200),
                max(1, t // 5),
                max(1, t // 2),
            )
        )
    con.execute(
        "CREATE TEMP TABLE sizes (org_id VARCHAR, o INTEGER, tickets BIGINT, "
        "n_inst BIGINT, n_ev BIGINT, n_cust BIGINT, n_ord BIGINT)"
    )
    con.executemany("INSERT INTO sizes VALUES (?, ?, ?, ?, ?, ?, ?)", sizes)
    common = "'bench' AS source, 'h' AS row_hash, 'load-0' AS load_id"
    con.execute("""
        INSERT INTO organisations SELECT org_id, 'Organisation ' || o,
            CASE WHEN o % 2 = 0 THEN 'London' ELSE 'North West' END, 'theatre',
            TIMESTAMP '2020-01-01' FROM sizes""")
    con.execute("""
        INSERT INTO grants SELECT org_id || '-funder', org_id, 'funder', 'benchmarks',
            TIMESTAMP '2020-01-01', 'admin', NULL, NULL FROM sizes""")
    con.execute(f"""
        INSERT INTO venues (org_id, venue_id, name, postcode, region, source, row_hash, load_id)
        SELECT org_id, 'v' || v, 'Venue ' || v, NULL, 'London', {common}
        FROM sizes, range(3) r(v)""")
    con.execute(f"""
        INSERT INTO events (org_id, event_id, name, season, category, event_type,
                            source, row_hash, load_id)
        SELECT org_id, 'e' || k, 'Event ' || k, 'Season ' || (k % 10), 'drama', 'show',
               {common}
        FROM (SELECT org_id, unnest(range(n_ev)) AS k FROM sizes)""")
    con.execute(f"""
        INSERT INTO instances (org_id, instance_id, event_id, venue_id, starts_at, capacity,
                               cancelled, is_supplementary, source, row_hash, load_id)
        SELECT org_id, 'i' || k, 'e' || (k // 10), 'v' || (k % 3),
               TIMESTAMP '2020-04-01 19:30' + to_days(CAST(k * {DAYS} // n_inst AS INTEGER)),
               CASE WHEN hash(k, 1) % 100 = 0 THEN NULL ELSE 150 + hash(k, 2) % 450 END,
               hash(k, 3) % 100 = 0, hash(k, 4) % 50 = 0, {common}
        FROM (SELECT org_id, n_inst, unnest(range(n_inst)) AS k FROM sizes)""")
    con.execute(f"""
        INSERT INTO customers (org_id, customer_id, postcode, postcode_area,
                               postcode_district, region, source, row_hash, load_id)
        SELECT org_id, 'c' || k,
               CASE WHEN hash(k, 5) % 12 = 0 THEN NULL ELSE a.area || '1 1AA' END,
               CASE WHEN hash(k, 5) % 12 = 0 THEN NULL ELSE a.area END,
               CASE WHEN hash(k, 5) % 12 = 0 THEN NULL ELSE a.area || '1' END,
               CASE WHEN hash(k, 5) % 12 = 0 THEN NULL ELSE a.region END, {common}
        FROM (SELECT org_id, unnest(range(n_cust)) AS k FROM sizes) c
        JOIN areas a ON a.idx = hash(c.k, 6) % {n_areas}""")
    # Orders: an instance each; ~2.5 orders per customer; 10% anonymous; booked 0–119 days
    # before the performance.
    con.execute("""
        CREATE TEMP TABLE o AS
        SELECT org_id, k, n_inst, CAST(hash(k, 7) % n_inst AS BIGINT) AS inst,
               CASE WHEN hash(k, 8) % 10 = 0 THEN NULL ELSE 'c' || (hash(k, 9) % n_cust) END
                   AS customer_id,
               CAST(1 + hash(k, 10) % 3 AS BIGINT) AS nl
        FROM (SELECT org_id, n_inst, n_cust, unnest(range(n_ord)) AS k FROM sizes)""")
    con.execute(f"""
        INSERT INTO orders (org_id, order_id, customer_id, created_at, channel, lines_hash,
                            source, row_hash, load_id)
        SELECT org_id, 'o' || k, customer_id,
               TIMESTAMP '2020-04-01 10:00' + to_days(CAST(inst * {DAYS} // n_inst AS INTEGER))
                   - to_days(CAST(hash(k, 11) % 120 AS INTEGER)),
               CASE WHEN hash(k, 12) % 10 < 6 THEN 'online' WHEN hash(k, 12) % 10 < 8
                    THEN 'box_office' WHEN hash(k, 12) % 10 = 8 THEN 'phone' ELSE 'agent' END,
               'lh', {common}
        FROM o""")
    con.execute(f"""
        INSERT INTO order_lines (org_id, order_id, line_no, kind, instance_id, event_id,
            item_id, ticket_type, price_band, is_concession, is_comp, face_value, price_paid,
            status, source_line_id, source, row_hash, load_id)
        SELECT l.org_id, 'o' || l.k, l.n + 1,
               CASE WHEN i.is_supplementary THEN 'supplementary' ELSE 'ticket' END,
               'i' || l.inst, 'e' || (l.inst // 10), NULL, 'Type ' || (h % 4), 'A',
               h % 5 = 0, h % 40 = 0, face,
               CASE WHEN h % 40 = 0 THEN 0 WHEN h % 5 = 0 THEN face * 0.8 ELSE face END,
               CASE WHEN h % 33 = 0 THEN 'returned' ELSE 'issued' END, NULL, {common}
        FROM (SELECT o.*, unnest(range(o.nl)) AS n FROM o) l
        JOIN instances i ON i.org_id = l.org_id AND i.instance_id = 'i' || l.inst,
        LATERAL (SELECT hash(l.k, l.n, 13) AS h) x,
        LATERAL (SELECT CAST([10, 15, 20, 25, 30, 40][CAST(1 + hash(l.inst, 14) % 6 AS BIGINT)] AS
                        DECIMAL(14, 2)) AS face) y""")
    for kind, modulo, price, line in (
        ("fee", 20, 2, 10),
        ("donation", 25, 10, 11),
        ("product", 50, 8, 12),
        ("membership", 100, 40, 13),
    ):
        con.execute(f"""
            INSERT INTO order_lines (org_id, order_id, line_no, kind, is_concession, is_comp,
                                     price_paid, status, source, row_hash, load_id)
            SELECT org_id, 'o' || k, {line}, '{kind}', false, false, {price}, 'issued',
                   {common}
            FROM o WHERE hash(k, {line}) % {modulo} = 0""")
    # Exchange history for the data-quality page.
    con.execute("""
        INSERT INTO runs (run_id, org_id, kind, source, status, started_at, rows_published)
        SELECT org_id || '-run-' || r, org_id, 'incremental', 'spektrix', 'published',
               TIMESTAMP '2025-01-01' + to_hours(CAST(r AS INTEGER)), 1000
        FROM sizes, range(200) t(r)""")
    con.execute("""
        INSERT INTO loads SELECT org_id || '-run-' || r, org_id || '-run-' || r, org_id, 1,
               TIMESTAMP '2025-01-01' + to_hours(CAST(r AS INTEGER)), 1000, 0, 0, 0
        FROM sizes, range(200) t(r)""")
    con.execute("""
        INSERT INTO check_results SELECT org_id || '-run-' || r, org_id || '-run-' || r,
            org_id, 'check_' || c, 'orders', 'warn', 'pass', 0, 'a check', NULL
        FROM sizes, range(200) t(r), range(7) u(c)""")
    con.execute("DROP TABLE o")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for table in (*META_TABLES, *CANONICAL_TABLES):
        for stmt in render_create(table, "duckdb"):
            con.execute(stmt)


def copy_to_postgres(src: duckdb.DuckDBPyConnection, session: Session) -> None:
    for table in (*META_TABLES, *CANONICAL_TABLES):
        reader = src.sql(f"SELECT * FROM {table.name}").to_arrow_reader(500_000)
        for batch in reader:
            session.load_arrow(table.name, pa.Table.from_batches([batch]))
        # Only this schema's tables: a bare ANALYZE would visit every schema in the database.
        session.execute(f"ANALYZE {table.name}")


Call = Callable[[Session], Any]


def calls(org: str) -> list[tuple[str, Call]]:
    """Every insight the dashboard pages call, for ``org`` in FY 2024/25."""
    f = hi.Filters(org_id=org, period=FY)
    return [
        ("volume_and_capacity", lambda s: hi.volume_and_capacity(s, f)),
        ("ticket_sales", lambda s: hi.ticket_sales(s, f)),
        (
            "ticket_sales[transaction]",
            lambda s: hi.ticket_sales(s, hi.Filters(org_id=org, period=FY, basis="transaction")),
        ),
        ("income_by_kind", lambda s: hi.income_by_kind(s, f)),
        ("bookings_and_channels", lambda s: hi.bookings_and_channels(s, f)),
        ("lead_time", lambda s: hi.lead_time(s, f)),
        ("reach", lambda s: hi.reach(s, f)),
        ("loyalty", lambda s: hi.loyalty(s, f)),
        ("retention", lambda s: hi.retention(s, f)),
        ("first_timer_return", lambda s: hi.first_timer_return(s, f)),
        ("lapsed", lambda s: hi.lapsed(s, f)),
        ("geography[region]", lambda s: hi.geographic_distribution(s, f, "region")),
        ("geography[district]", lambda s: hi.geographic_distribution(s, f, "district")),
        ("event_id_report", lambda s: hi.event_id_report(s, f)),
        ("sales_by_event", lambda s: hi.sales_by_event(s, f)),
        ("sales_by_instance", lambda s: hi.sales_by_instance(s, f)),
        ("funder_quarterly_report", lambda s: hi.funder_quarterly_report(s, f)),
        ("data_quality_report", lambda s: hi.data_quality_report(s, f)),
        ("benchmark_kpis", lambda s: hi.benchmark_kpis(s, "funder", FY, org_id=org)),
        (
            "benchmark[region]",
            lambda s: hi.benchmark_distribution(s, "funder", FY, "region", org_id=org),
        ),
        (
            "benchmark[frequency_band]",
            lambda s: hi.benchmark_distribution(s, "funder", FY, "frequency_band", org_id=org),
        ),
        (
            "benchmark[channel]",
            lambda s: hi.benchmark_distribution(s, "funder", FY, "channel", org_id=org),
        ),
        (
            "benchmark[lead_time]",
            lambda s: hi.benchmark_distribution(s, "funder", FY, "lead_time", org_id=org),
        ),
    ]


Timing = tuple[str, float, float, float]  # call, first ms, p50 ms, p95 ms


def time_calls(session: Session, org: str, repeat: int) -> list[Timing]:
    out = []
    for name, call in calls(org):
        t0 = time.perf_counter()
        call(session)  # first call after the facts build: nothing warmed for this call
        first = (time.perf_counter() - t0) * 1000
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            call(session)
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
        out.append((name, first, statistics.median(samples), p95))
    return out


def build_facts(session: Session, orgs: list[str]) -> str:
    """Time the build of the derived insight tables (if stale), and one freshness check."""
    t0 = time.perf_counter()
    facts.ensure_fresh(session, orgs)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    facts.ensure_fresh(session, [orgs[0]])
    check = (time.perf_counter() - t0) * 1000
    return (
        f"insight facts ready in {built:.1f} s ({len(orgs)} orgs); freshness check {check:.1f} ms"
    )


def cpu_reference() -> str:
    """A fixed single-core workload and the load average: how busy the machine is now."""
    t0 = time.perf_counter()
    data = b"x" * 4096
    for _ in range(60_000):
        hashlib.md5(data).digest()
    return f"CPU reference {time.perf_counter() - t0:.2f} s, load average {os.getloadavg()[0]:.1f}"


def counts(session: Session) -> str:
    tickets = session.scalar("SELECT COUNT(*) FROM order_lines WHERE kind = 'ticket'")
    lines = session.scalar("SELECT COUNT(*) FROM order_lines")
    org = session.scalar(
        "SELECT COUNT(*) FROM order_lines l JOIN instances i ON i.org_id = l.org_id "
        "AND i.instance_id = l.instance_id WHERE l.org_id = 'org01' AND l.kind = 'ticket' "
        "AND i.starts_at >= ? AND i.starts_at < ?",
        [FY.start_at, FY.end_at],
    )
    return f"{tickets:,} ticket lines ({lines:,} lines); org01 FY 2024/25: {org:,} tickets"


def org_ids(weights: tuple[float, ...]) -> list[str]:
    return [f"org{k + 1:02d}" for k in range(len(weights))]


def run_duckdb(
    tickets: int, repeat: int, workdir: Path, weights: tuple[float, ...] = ORG_WEIGHTS
) -> list[Timing]:
    path = workdir / f"bench-insights-{len(weights)}.duckdb"
    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = duckdb.connect(str(path))
    create_schema(con)
    generate(con, tickets, weights)
    con.close()
    build = time.perf_counter() - t0
    wh = open_warehouse(f"duckdb://{path}")
    with wh.connect() as s:
        print(f"DuckDB: built in {build:.0f} s — {counts(s)}")
        print(f"DuckDB: {build_facts(s, org_ids(weights))}")
        rows = time_calls(s, "org01", repeat)
    wh.close()
    path.unlink(missing_ok=True)
    return rows


def _pg_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    base, _, name = url.rpartition("/")
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')


def pg_warehouse(
    url: str, tickets: int, weights: tuple[float, ...], rebuild: bool
) -> tuple[str, str]:
    """The URL of a kept PostgreSQL copy of the data set (made if missing), and how."""
    _pg_database(url)
    schema = f"bench_{tickets}_{len(weights)}orgs_{round(weights[0] * 100)}"
    with psycopg.connect(url, autocommit=True) as admin:
        done = admin.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name = 'bench_complete'",
            [schema],
        ).fetchone()
        if done and not rebuild:
            return f"{url}?options=-csearch_path%3D{schema}", f"kept schema {schema}"
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    wh_url = f"{url}?options=-csearch_path%3D{schema}"
    t0 = time.perf_counter()
    wh = open_warehouse(wh_url)
    src = duckdb.connect()
    create_schema(src)
    generate(src, tickets, weights)
    with wh.connect() as s:
        copy_to_postgres(src, s)
        s.execute("CREATE TABLE bench_complete (built_at TIMESTAMP)")
    src.close()
    wh.close()
    return wh_url, f"loaded into schema {schema} in {time.perf_counter() - t0:.0f} s"


def run_postgres(
    url: str,
    tickets: int,
    repeat: int,
    weights: tuple[float, ...] = ORG_WEIGHTS,
    rebuild: bool = False,
) -> list[Timing]:
    wh_url, how = pg_warehouse(url, tickets, weights, rebuild)
    wh = open_warehouse(wh_url)
    with wh.connect() as s:
        print(f"PostgreSQL: {how} — {counts(s)}")
        print(f"PostgreSQL: {build_facts(s, org_ids(weights))}")
        rows = time_calls(s, "org01", repeat)
    wh.close()
    return rows


def side_by_side(
    title: str, left: tuple[str, list[Timing]], right: tuple[str, list[Timing]]
) -> None:
    (lname, lrows), (rname, rrows) = left, right
    print(f"\n{title}")
    head = f"{'call':28} " + " ".join(
        f"{n + ' ' + k:>16}" for n in (lname, rname) for k in ("first", "p50", "p95")
    )
    print(head + f" {rname + '/' + lname:>14}")
    by_name = {r[0]: r for r in rrows}
    for name, first, p50, p95 in lrows:
        _, rfirst, rp50, rp95 = by_name[name]
        flag = "" if rp95 < 200 and p95 < 200 else "  > 200 ms"
        print(
            f"{name:28} {first:16.1f} {p50:16.1f} {p95:16.1f} {rfirst:16.1f} {rp50:16.1f}"
            f" {rp95:16.1f} {rp95 / p95:13.2f}×{flag}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--pg-tickets", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backends", default="duckdb,postgres")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/hl_bench")
    parser.add_argument("--pg-rebuild", action="store_true", help="load PostgreSQL again")
    parser.add_argument("--orgs200", action="store_true", help="add the 200-organisation case")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print(f"insights benchmark, {time.strftime('%Y-%m-%d %H:%M')}; {cpu_reference()}")
    results: dict[str, list[Timing]] = {}
    with tempfile.TemporaryDirectory(prefix="hl-bench-") as tmp:
        if "duckdb" in backends:
            results["DuckDB"] = run_duckdb(args.tickets, args.repeat, Path(tmp))
        if "postgres" in backends:
            results["PG"] = run_postgres(
                args.pg_url, args.pg_tickets, args.repeat, rebuild=args.pg_rebuild
            )
        print(f"after the calls: {cpu_reference()}")
        for name, rows in results.items():
            report(f"{name}, org01, FY 2024/25, {args.repeat} calls each", rows)
        if len(results) == 2:
            note = "" if args.tickets == args.pg_tickets else " (NOT the same size)"
            side_by_side(
                f"DuckDB {args.tickets:,} vs PostgreSQL {args.pg_tickets:,} tickets{note}",
                ("DuckDB", results["DuckDB"]),
                ("PG", results["PG"]),
            )
        if args.orgs200:
            run_orgs200(args, backends, Path(tmp))
    return 0


def run_orgs200(args: argparse.Namespace, backends: list[str], workdir: Path) -> None:
    """The largest organisation alone, and among 199 others, on each backend."""
    alone = (ORG_WEIGHTS[0],)
    crowd = (ORG_WEIGHTS[0], *([(1 - ORG_WEIGHTS[0]) / 199] * 199))
    for backend in backends:
        size = args.tickets if backend == "duckdb" else args.pg_tickets
        runs = []
        for label, weights in (("alone", alone), ("among 199", crowd)):
            total = round(size * sum(weights))
            print(f"\n{backend}, org01 {label}: {len(weights)} organisation(s), {total:,} tickets")
            if backend == "duckdb":
                rows = run_duckdb(
                    total, args.repeat, workdir, tuple(w * size / total for w in weights)
                )
            else:
                rows = run_postgres(
                    args.pg_url,
                    total,
                    args.repeat,
                    tuple(w * size / total for w in weights),
                    args.pg_rebuild,
                )
            runs.append((label, rows))
        side_by_side(
            f"{backend}: org01 alone vs among 199 other organisations (target ratio ≤ 1.3×)",
            runs[0],
            runs[1],
        )
        print(f"after the {backend} 200-organisation case: {cpu_reference()}")


def report(title: str, rows: list[Timing]) -> None:
    print(f"\n{title}")
    print(f"{'call':32} {'first ms':>9} {'p50 ms':>9} {'p95 ms':>9}")
    for name, first, p50, p95 in rows:
        flag = "" if p95 < 200 else "  > 200 ms"
        print(f"{name:32} {first:9.1f} {p50:9.1f} {p95:9.1f}{flag}")


if __name__ == "__main__":
    sys.exit(main())
