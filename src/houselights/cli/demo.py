"""``houselights demo``: the whole flow on example data, start to finish, in one command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from houselights.cli.common import OutputFormat, console, emit_rows, err_console, get_app
from houselights.cli.data import print_load_summary
from houselights.context import Houselights
from houselights.errors import ConflictError
from houselights.orgs import service as orgs
from houselights.services import exchange as svc

DEMO_ORG = "riverside-arts"
DEMO_NAME = "Riverside Arts Centre"


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)


def _ensure_org(hl: Houselights, slug: str, name: str, region: str) -> None:
    with hl.warehouse.connect() as s, s.transaction():
        try:
            orgs.add_org(s, slug, name, region=region, artform="multi-arts")
        except ConflictError:
            pass  # the demo is re-runnable: reuse the organisation


def run_upload_demo(hl: Houselights, *, lines: int, seed: int) -> None:
    """Generate a realistic upload file for the example organisation and load it."""
    from houselights.sources.upload.generate import generate_upload

    _ensure_org(hl, DEMO_ORG, DEMO_NAME, "North West")
    folder = hl.settings.data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{DEMO_ORG}-sales.csv"
    console.print(f"[bold]1.[/] Writing {lines:,} order lines of example sales to {path}")
    generated = generate_upload(path, lines=lines, seed=seed)
    console.print(f"   {generated.orders:,} orders, {generated.bytes_written / 1e6:.1f} MB.")
    console.print(f"[bold]2.[/] Loading them for {DEMO_NAME} through the exchange "
                  "(stage → quality checks → publish)")
    with Progress(
        TextColumn("   {task.description}"), BarColumn(), TaskProgressColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
    ) as bar:
        task = bar.add_task("loading", total=generated.bytes_written)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = svc.upload_file(hl, DEMO_ORG, path, progress=progress)
    print_load_summary(summary.load, title=f"   Quality summary (run {summary.run_id})")
    for p in summary.problems[:5]:
        console.print(f"     {p['table_name']} {p['record_key']}: {p['reason']}", soft_wrap=True)
    if len(summary.problems) > 5:
        console.print(f"     … {len(summary.problems) - 5:,} more: "
                      f"houselights quarantine list {DEMO_ORG}")


def show_event_report(hl: Houselights, slug: str, *, limit: int = 12) -> None:
    """Print the first rows of the Event ID report."""
    from houselights.insights.reports import event_id_report

    with hl.warehouse.connect() as s:
        rows = event_id_report(s, slug)
    emit_rows(rows[:limit], OutputFormat.table, title=f"Event ID report — {slug} "
              f"(first {min(limit, len(rows))} of {len(rows)})")


def demo(
    ctx: typer.Context,
    no_serve: Annotated[bool, typer.Option(
        "--no-serve", help="Do not start the dashboard at the end (for CI and scripts)."
    )] = False,
    lines: Annotated[int, typer.Option(help="How many example order lines.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the example data.")] = 1,
) -> None:
    """Run houselights end to end on example data.

    Creates an example organisation, writes a realistic box office export, loads it
    through the quality-checked exchange, and prints the quality summary and the Event ID
    report. Safe to run again: unchanged data is left as it is.
    """
    hl = get_app(ctx)
    console.rule("[bold]houselights demo")
    console.print(f"Data directory: {hl.settings.data_dir}   database: "
                  f"{hl.warehouse.display_url}")
    run_upload_demo(hl, lines=lines, seed=seed)
    console.print("[bold]3.[/] The Event ID report")
    show_event_report(hl, DEMO_ORG)
    console.print(f"Explore: houselights org show {DEMO_ORG} · houselights runs list {DEMO_ORG}"
                  f" · houselights checks results {DEMO_ORG}")
    if not no_serve:
        from houselights.cli.serve import serve_dashboard

        serve_dashboard(hl, demo_org=DEMO_ORG)
