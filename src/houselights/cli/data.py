"""Data commands: upload, replay, runs, checks, quarantine and reports."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from houselights.cli.common import OutputFormat, console, emit_rows, err_console, get_app, shown
from houselights.context import Houselights
from houselights.errors import InputError
from houselights.exchange.checks.rules import default_rules, volume_rule
from houselights.exchange.run import LoadResult
from houselights.orgs.service import get_org
from houselights.safe_output import neutralise
from houselights.services import exchange as svc

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
SHOWN_PROBLEMS = 50
SHOWN_REASON = 300  # characters of a reason printed (the problem file has it whole)

runs_app = typer.Typer(
    help="Exchange runs: what was loaded, when, and what happened.", no_args_is_help=True
)
checks_app = typer.Typer(help="Quality checks: the rules and their results.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Rows held back by quality checks.", no_args_is_help=True)
report_app = typer.Typer(help="Reports on published data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the data commands to the root app."""
    app.command("upload")(upload)
    app.command("upload-template")(upload_template)
    app.command("replay")(replay)
    app.add_typer(runs_app, name="runs")
    app.add_typer(checks_app, name="checks")
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(report_app, name="report")


def print_load_summary(load: LoadResult, *, title: str) -> None:
    """The quality summary of one load, in plain words."""
    c = load.counts
    console.print(f"[bold]{title}[/]")
    console.print(
        f"  {load.rows_staged:,} rows checked: {c.inserted:,} new, {c.updated:,} changed, "
        f"{c.unchanged:,} unchanged, {load.quarantined:,} held back in quarantine."
    )
    passed = sum(1 for o in load.outcomes if o.outcome == "pass")
    console.print(f"  {passed} of {len(load.outcomes)} quality checks passed cleanly.")
    for o in load.outcomes:
        if o.outcome == "pass":
            continue
        mark = "[yellow]⚠[/]" if o.outcome == "warn" else "[red]✗[/]"
        verb = "warned about" if o.outcome == "warn" else "held back"
        sample = f" (e.g. {shown(', '.join(o.sample[:3]))})" if o.sample else ""
        console.print(
            f"  {mark} {o.rule.name}: {verb} {o.failing_rows:,} rows — {o.rule.description}{sample}"
        )


def upload(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation the file belongs to.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8, UTF-8 BOM or Windows-1252; comma, "
            "semicolon or tab) or XLSX, one row per order line."
        ),
    ],
    errors_out: Annotated[
        Path | None,
        typer.Option(
            "--errors-out", help="Write every problem row (line, reason) to this CSV file."
        ),
    ] = None,
) -> None:
    """Load an upload file (the template in docs/upload-template.md) for SLUG.

    A box office's own report export (a Ticketsolve sales or customer export) is
    recognised by its header and loaded through SLUG's connection to that box office.

    Every row is either published or reported with its line number and reason; rows of an
    order with a bad line are held back together. The whole file publishes atomically.
    """
    hl = get_app(ctx)
    with hl.warehouse.connect() as s:
        get_org(s, slug)
    with Progress(
        TextColumn("[bold]Loading[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(file.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = svc.upload_file(hl, slug, file, progress=progress)
    det = summary.detected
    console.print(
        f"Read {summary.lines_read:,} lines from {shown(summary.file)}"
        + (f" ({shown(', '.join(f'{k}: {v}' for k, v in det.items()))})" if det else "")
        + "."
    )
    print_load_summary(summary.load, title=f"Run {summary.run_id}")
    _report_problems(hl, summary, errors_out)


def _clip(text: str) -> str:
    return text if len(text) <= SHOWN_REASON else text[:SHOWN_REASON] + "…"


def _report_problems(hl: Houselights, summary: svc.UploadSummary, errors_out: Path | None) -> None:
    """The first held-back rows and the count by check; every one to a CSV file when
    asked for, or when there are more than are shown (read a page at a time)."""
    total = summary.problems_total
    if not total:
        return
    by_check = ", ".join(f"{shown(k)} {n:,}" for k, n in summary.problems_by_check.items())
    console.print(f"[bold]{total:,} rows held back[/] ({by_check}):")
    for p in summary.problems[:SHOWN_PROBLEMS]:
        console.print(
            f"  {p['table_name']} {shown(_clip(str(p['record_key'])))}: "
            f"{shown(_clip(str(p['reason'])))}",
            soft_wrap=True,
        )
    more = total - min(len(summary.problems), SHOWN_PROBLEMS)
    if more > 0:
        console.print(f"  … and {more:,} more.")
    target = errors_out
    if target is None and more > 0:
        target = hl.settings.data_dir / "reports" / f"{summary.run_id}-problems.csv"
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["table", "record", "check", "reason"])
            for p in svc.run_problems(hl, summary.org_id, summary.run_id):
                row = (p["table_name"], p["record_key"], p["check_name"], p["reason"])
                writer.writerow([neutralise(v) for v in row])
        console.print(f"  Every problem row is listed in {target}.")


def upload_template(
    file: Annotated[Path, typer.Argument(help="Where to write it: .csv or .xlsx.")],
) -> None:
    """Write an empty upload template (header + one example row) to FILE.

    Fill it with one row per order line from any box office and load it with
    `houselights upload SLUG FILE`. Every column is explained in docs/upload-template.md.
    """
    from houselights.sources.upload.template import write_template

    if file.exists():
        raise InputError(f"{file} exists already.", hint="Choose another file name.")
    write_template(file)
    console.print(f"Wrote the upload template to {file}.")


def replay(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation to rebuild.")],
    source: Annotated[str | None, typer.Option(help="Only this source (upload, spektrix).")] = None,
) -> None:
    """Rebuild SLUG's canonical rows from the kept raw records (no box office calls).

    Use after a mapping fix or a changed setting (e.g. production fields); only rows whose
    mapping changed are republished.
    """
    hl = get_app(ctx)
    result = svc.replay(hl, slug, source=source)
    if result is None:
        console.print("Nothing to replay.")
        return
    print_load_summary(result, title="Replay")


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    slug: str,
    limit: Annotated[int, typer.Option(help="How many runs.")] = 20,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """SLUG's most recent runs, newest first."""
    with get_app(ctx).warehouse.connect() as s:
        get_org(s, slug)
        rows = svc.list_runs(s, slug, limit=limit)
    emit_rows(
        rows,
        fmt,
        title=f"Runs of {slug}",
        table_columns=[
            "run_id",
            "kind",
            "source",
            "status",
            "started_at",
            "rows_published",
            "rows_unchanged",
            "rows_quarantined",
            "message",
        ],
        empty=f"{slug} has no runs yet.",
    )


@checks_app.command("list")
def checks_list(fmt: FormatOpt = OutputFormat.table) -> None:
    """Every quality check, its table and default policy."""
    emit_rows(
        [
            {"check": r.name, "table": r.table, "policy": r.policy, "rule": r.description}
            for r in [*default_rules(), volume_rule()]
        ],
        fmt,
        title="Quality checks",
    )


@checks_app.command("results")
def checks_results(
    ctx: typer.Context,
    slug: str,
    run: Annotated[str | None, typer.Option(help="Run id (default: the latest).")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Check results of SLUG's latest run (or --run)."""
    with get_app(ctx).warehouse.connect() as s:
        get_org(s, slug)
        rows = svc.check_results(s, slug, run_id=run)
    emit_rows(
        rows,
        fmt,
        title=f"Check results of {slug}",
        table_columns=[
            "check_name",
            "policy",
            "outcome",
            "failing_rows",
            "description",
            "sample",
        ],
        empty="No check results yet.",
    )


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    slug: str,
    run: Annotated[str | None, typer.Option(help="Only this run.")] = None,
    limit: Annotated[int, typer.Option(help="How many rows.")] = 100,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Rows of SLUG held back by checks, with the reason."""
    with get_app(ctx).warehouse.connect() as s:
        get_org(s, slug)
        rows = svc.quarantined_rows(s, slug, run_id=run, limit=limit)
    emit_rows(
        rows,
        fmt,
        title=f"Quarantine of {slug}",
        table_columns=[
            "run_id",
            "table_name",
            "record_key",
            "check_name",
            "reason",
        ],
        empty="Nothing in quarantine.",
    )


@report_app.command("events")
def report_events(
    ctx: typer.Context,
    slug: str,
    period: Annotated[
        str | None,
        typer.Option(
            help="Only events with an instance in this period: 2024/25, 2024/25 Q1 or "
            "2024-04-01..2024-06-30 (default: all time)."
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """The Event ID report: Event ID, Event Name, First Instance, Last Instance.

    Funders' platforms (e.g. Illuminate) ask for each box office Event ID against their own
    event records; this lists them.
    """
    from houselights.services.reports import EVENT_ID_TABLE_COLUMNS, event_id_rows

    with get_app(ctx).warehouse.connect() as s:
        get_org(s, slug)
        rows = event_id_rows(s, slug, period)
    emit_rows(rows, fmt, title=f"Event ID report — {slug}", empty=f"{slug} has no events yet.",
              table_columns=EVENT_ID_TABLE_COLUMNS)
