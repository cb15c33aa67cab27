"""``houselights worker``, ``houselights jobs``, ``houselights org pause|resume``."""

from __future__ import annotations

from typing import Annotated

import typer

from houselights.cli.common import OutputFormat, console, emit_rows, get_app
from houselights.errors import ConfigError
from houselights.jobs import queue, store

__all__ = ["register", "register_org_commands"]


def register(app: typer.Typer) -> None:
    """Add ``worker`` and ``jobs`` to the root app."""
    app.command("worker")(worker)
    app.command("jobs")(jobs)


def register_org_commands(org_app: typer.Typer) -> None:
    """Add ``pause`` and ``resume`` to ``houselights org``."""
    org_app.command("pause")(org_pause)
    org_app.command("resume")(org_resume)


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Syncs this worker runs at once.")
    ] = 1,
    name: Annotated[
        str | None, typer.Option(help="A name for this worker in procrastinate's tables.")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve this worker's Prometheus metrics on this port.",
                     show_default=False),
    ] = None,
) -> None:
    """Run sync jobs on PostgreSQL (server mode) until Ctrl-C or SIGTERM.

    Start as many workers as you like, on as many machines, against one PostgreSQL
    warehouse: each organisation is synced by one worker at a time, due syncs are queued
    by the workers' shared schedule, failures are retried with backoff, and the job of a
    worker that died is taken up by another. With the embedded DuckDB file,
    `houselights serve` runs the syncs itself: no worker is needed.
    """
    hl = get_app(ctx)
    if hl.warehouse.dialect != "postgres":
        raise ConfigError(
            "`houselights worker` needs PostgreSQL; this data directory uses the embedded "
            "DuckDB file.",
            hint="Run `houselights serve`: it serves the dashboard and runs every due sync "
            "in the same process. For many machines, see docs/deploy.md.",
        )
    from houselights.jobs.workers import run_worker

    if metrics_port is not None:
        from prometheus_client import start_http_server

        from houselights.jobs.metrics import REGISTRY

        start_http_server(metrics_port, registry=REGISTRY)
        console.print(f"Metrics on :{metrics_port}/metrics")
    console.print(f"Worker started on {hl.warehouse.display_url}. Ctrl-C stops it.")
    run_worker(hl, concurrency=concurrency, name=name)
    console.print("Worker stopped.")


def jobs(
    ctx: typer.Context,
    slug: Annotated[
        str | None, typer.Argument(help="One organisation (default: every one).",
                                   show_default=False)
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="Only these statuses (repeatable): queued, "
                     "running, retrying, failed, succeeded, cancelled.", show_default=False),
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Include finished jobs (default: queued, running, "
                           "retrying and failed).")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Most jobs shown.")] = 50,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
) -> None:
    """Sync jobs: queued, running, retrying and failed (per organisation, with the last
    error), newest first."""
    wanted = tuple(status or ()) or (() if all_ else ("queued", "running", "retrying", "failed"))
    hl = get_app(ctx)
    with hl.warehouse.connect() as s:
        if slug is not None:
            from houselights.orgs.service import get_org

            get_org(s, slug)
        rows = store.list_jobs(s, slug, statuses=wanted, limit=limit)
    emit_rows(
        [
            {
                "org": j.org_id,
                "source": j.source,
                "status": j.status,
                "attempts": j.attempts,
                "started": j.started_at,
                "next_attempt": j.run_after,
                "last_error": j.last_error,
            }
            for j in rows
        ],
        fmt,
        title="Sync jobs",
        empty="No jobs" + (f" in status {', '.join(wanted)}" if wanted else "")
        + ". `houselights jobs --all` shows finished ones too.",
    )


def org_pause(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    source: Annotated[
        str | None, typer.Option(help="Only this connection.", show_default=False)
    ] = None,
) -> None:
    """Stop SLUG's scheduled syncs (waiting jobs are cancelled; nothing loaded is lost)."""
    for conn in queue.pause(get_app(ctx), slug, source):
        console.print(f"Paused {slug}'s {conn.source} connection: no scheduled syncs until "
                      f"`houselights org resume {slug}`.")


def org_resume(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    source: Annotated[
        str | None, typer.Option(help="Only this connection.", show_default=False)
    ] = None,
) -> None:
    """Resume SLUG's scheduled syncs; the next one is due at once."""
    for conn in queue.resume(get_app(ctx), slug, source):
        console.print(f"Resumed {slug}'s {conn.source} connection: a sync is due now.")
