"""``houselights demo``: the whole flow on example data, start to finish, in one command.

Five organisations run on simulated Spektrix systems (in this process): connect, check
the setup against the integration guide, backfill from the order-ID export, let three
simulated days pass, sync the changes, then the quality summary and the Event ID report.
One more runs on a simulated Ticketsolve account (``demo_ticketsolve``) and another loads
a box office export through the upload route. Every one of them grants a demo funder
benchmarks, so the dashboard's Benchmarks page has a cohort (five is the smallest that
may be shown).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from houselights.cli.common import OutputFormat, console, emit_rows, err_console, get_app, shown
from houselights.cli.data import print_load_summary
from houselights.cli.sources import print_setup_check, print_sync_summary, sync_with_progress
from houselights.context import Houselights
from houselights.errors import ConflictError
from houselights.orgs import service as orgs
from houselights.services import exchange as svc

DEMO_ORG = "riverside-arts"
DEMO_NAME = "Riverside Arts Centre"
DEMO_FUNDER = "demo-arts-council"
"""The recipient every demo organisation grants benchmarks (its cohort is all of them)."""


@dataclass(frozen=True)
class SpektrixDemoOrg:
    """One demo organisation on a simulated Spektrix system."""

    slug: str
    name: str
    region: str
    client: str
    seed: int
    variation: str | None = None


SPEKTRIX_ORGS = (
    SpektrixDemoOrg(
        "northgate-theatre", "Northgate Theatre", "Yorkshire and The Humber", "northgate", 11
    ),
    # A realistic setup slip: fee merchandise without the "Fee" value (guide optional 2).
    SpektrixDemoOrg(
        "harbour-arts", "Harbour Arts", "South West", "harbourarts", 12, "fee-without-value"
    ),
    SpektrixDemoOrg("castle-playhouse", "Castle Playhouse", "West Midlands", "castleplay", 13),
    SpektrixDemoOrg("lantern-theatre", "Lantern Theatre", "East of England", "lantern", 14),
    SpektrixDemoOrg("quayside-music", "Quayside Music Hall", "North East", "quayside", 15),
)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)


def _ensure_org(hl: Houselights, slug: str, name: str, region: str) -> None:
    # The demo is re-runnable: an organisation that exists already is reused.
    with hl.warehouse.connect() as s, s.transaction(), contextlib.suppress(ConflictError):
        orgs.add_org(s, slug, name, region=region, artform="multi-arts")


def grant_demo_funder(hl: Houselights, slugs: list[str]) -> None:
    """Each demo organisation grants the demo funder benchmarks (re-runnable)."""
    with hl.warehouse.connect() as s, s.transaction():
        for slug in slugs:
            orgs.grant_access(s, slug, DEMO_FUNDER, scope="benchmarks", by="demo")
    console.print(
        f"   {len(slugs)} organisations grant '{DEMO_FUNDER}' benchmarks: a cohort the "
        "dashboard's Benchmarks page can show."
    )


def run_upload_demo(hl: Houselights, *, lines: int, seed: int) -> None:
    """Generate a realistic upload file for the example organisation and load it."""
    from houselights.sources.upload.generate import generate_upload

    _ensure_org(hl, DEMO_ORG, DEMO_NAME, "North West")
    folder = hl.settings.data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{DEMO_ORG}-sales.csv"
    console.print(f"   Writing {lines:,} order lines of example sales to {path}")
    generated = generate_upload(path, lines=lines, seed=seed)
    console.print(
        f"   {generated.orders:,} orders, {generated.bytes_written / 1e6:.1f} MB; "
        f"loading them for {DEMO_NAME} (stage → quality checks → publish)"
    )
    with Progress(
        TextColumn("   {task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("loading", total=generated.bytes_written)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = svc.upload_file(hl, DEMO_ORG, path, progress=progress)
    print_load_summary(summary.load, title=f"   Quality summary (run {summary.run_id})")
    for p in summary.problems[:5]:
        console.print(
            f"     {p['table_name']} {shown(p['record_key'])}: {shown(p['reason'])}",
            soft_wrap=True,
        )
    if summary.problems_total > 5:
        console.print(
            f"     … {summary.problems_total - 5:,} more: houselights quarantine list {DEMO_ORG}"
        )


def show_event_report(
    hl: Houselights, slug: str, *, on: date | None = None, limit: int = 8
) -> None:
    """Print the first rows of the Event ID report: for the financial year containing
    ``on`` when given (the simulated systems' "today"), otherwise over all time."""
    from houselights.insights.periods import financial_year_of
    from houselights.services.reports import ALL_TIME, EVENT_ID_TABLE_COLUMNS, event_id_rows

    period = financial_year_of(on) if on else ALL_TIME
    with hl.warehouse.connect() as s:
        rows = event_id_rows(s, slug, period)
    emit_rows(
        rows[:limit],
        OutputFormat.table,
        title=f"Event ID report — {slug}, {period.label} (first {min(limit, len(rows))} "
        f"of {len(rows)})",
        empty=f"No events in {period.label}.",
        table_columns=EVENT_ID_TABLE_COLUMNS,
    )


def run_spektrix_demo(hl: Houselights, *, tickets: int, days: float) -> date:
    """Simulate Spektrix for the demo organisations and run connect → check → backfill →
    sync on each. Returns the simulated date (for the reports)."""
    from houselights.services.connections import check_setup, connect
    from houselights.sources.kit.connections import open_source
    from houselights.sources.kit.source import SyncRequest
    from houselights.sources.spektrix.simulator import (
        ClientConfig,
        ScaleConfig,
        SetupVariations,
        SimulatorConfig,
        SpektrixSimulator,
        apply_variation,
    )
    from houselights.sources.spektrix.source import SpektrixSource

    clients = tuple(
        ClientConfig(
            name=o.client,
            seed=o.seed,
            scale=ScaleConfig(tickets=tickets),
            variations=apply_variation(SetupVariations(), o.variation)
            if o.variation
            else SetupVariations(),
        )
        for o in SPEKTRIX_ORGS
    )
    folder = hl.settings.data_dir / "demo"
    with SpektrixSimulator(SimulatorConfig(clients=clients)).running() as sim:
        creds = {c["client"]: c for c in sim.credentials()["clients"]}
        for o in SPEKTRIX_ORGS:
            c = creds[o.client]
            console.rule(f"[bold]{o.name}[/] — simulated Spektrix client '{o.client}'")
            _ensure_org(hl, o.slug, o.name, o.region)
            # No request budget against the local simulator; real systems default to 10/s.
            connect(
                hl,
                o.slug,
                "spektrix",
                {
                    "client": o.client,
                    "base_url": c["base_url"],
                    "api_login": c["api_login"],
                    "api_key": c["api_key"],
                    "report_user": c["report_user"],
                    "report_password": c["report_password"],
                    "audit_report_url": c["audit_report_url"],
                    "request_budget": None,
                },
            )
            console.print(
                f"[bold]1.[/] Connected {o.slug} as API user {c['api_login']} "
                f"(secrets encrypted in the warehouse)."
            )
            console.print("[bold]2.[/] Checking the setup against the integration guide")
            print_setup_check(check_setup(hl, o.slug))
            ids = folder / f"{o.slug}-order-ids.csv"
            source = open_source(hl, o.slug, "spektrix").source
            if not isinstance(source, SpektrixSource):  # a plugin replaced the built-in
                raise TypeError(f"unexpected Spektrix source {type(source).__name__}")
            ids.parent.mkdir(parents=True, exist_ok=True)
            ids.write_bytes(asyncio.run(source.download(c["order_ids_url"])))
            console.print(f"[bold]3.[/] Backfilling from the historical order-ID export ({ids})")
            print_sync_summary(sync_with_progress(hl, o.slug, SyncRequest(backfill_file=ids)))
            sim.advance(o.client, days=days)
            console.print(f"[bold]4.[/] {days:g} simulated days later: incremental sync")
            print_sync_summary(sync_with_progress(hl, o.slug))
        today = sim.now(SPEKTRIX_ORGS[0].client).date()
    return today


def demo(
    ctx: typer.Context,
    no_serve: Annotated[
        bool,
        typer.Option(
            "--no-serve", help="Do not start the dashboard at the end (for CI and scripts)."
        ),
    ] = False,
    lines: Annotated[int, typer.Option(help="How many example order lines to upload.")] = 20_000,
    tickets: Annotated[int, typer.Option(help="Tickets per simulated Spektrix system.")] = 6_000,
    seed: Annotated[int, typer.Option(help="Seed of the example upload data.")] = 1,
) -> None:
    """Run houselights end to end on example data.

    Five organisations on simulated Spektrix systems (connect, setup check, backfill from
    the order-ID export, incremental sync), one on a simulated Ticketsolve account and one
    loading a box office export, each with its quality summary and the Event ID report;
    all grant a demo funder benchmarks. Safe to run again: unchanged data is left as it is.
    """
    hl = get_app(ctx)
    console.rule("[bold]houselights demo")
    console.print(f"Data directory: {hl.settings.data_dir}   database: {hl.warehouse.display_url}")
    today = run_spektrix_demo(hl, tickets=tickets, days=3)
    from houselights.cli.demo_ticketsolve import run_ticketsolve_demo

    ticketsolve_org, ticketsolve_today = run_ticketsolve_demo(hl)
    console.rule(f"[bold]{DEMO_NAME}[/] — a box office export, uploaded")
    run_upload_demo(hl, lines=lines, seed=seed)
    grant_demo_funder(hl, [*(o.slug for o in SPEKTRIX_ORGS), ticketsolve_org, DEMO_ORG])
    console.rule("[bold]Event ID reports[/] (what Illuminate asks each organisation for)")
    for o in SPEKTRIX_ORGS:
        show_event_report(hl, o.slug, on=today)
    show_event_report(hl, ticketsolve_org, on=ticketsolve_today)
    show_event_report(hl, DEMO_ORG)
    console.print(
        f"Explore: houselights status {SPEKTRIX_ORGS[0].slug} · houselights runs list "
        f"{SPEKTRIX_ORGS[0].slug} · houselights checks results {DEMO_ORG}"
    )
    if not no_serve:
        from houselights.cli.serve import serve_dashboard

        serve_dashboard(hl, demo_org=DEMO_ORG)
