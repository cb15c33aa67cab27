"""``houselights worker``: run box office syncs when they are due."""

from __future__ import annotations

from typing import Annotated

import typer

from houselights.cli.common import console, get_app
from houselights.jobs.scheduler import PassResult, run_worker


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the root app."""
    app.command("worker")(worker)


def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one pass and exit (for cron).")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between passes.")] = 30.0,
) -> None:
    """Sync every active connection when its interval has passed (default hourly).

    Start as many workers as you like, on as many machines, against one PostgreSQL
    warehouse: each organisation is synced by one worker at a time, the others skip it.
    With the embedded DuckDB file, run one worker (or `--once` from cron).
    """
    hl = get_app(ctx)

    def report(outcome: PassResult) -> None:
        for org in outcome.synced:
            console.print(f"synced {org}")
        for org in outcome.skipped_busy:
            console.print(f"skipped {org}: another run is in progress")
        for org, message in outcome.failed.items():
            console.print(f"[red]failed[/] {org}: {message}")
        if not (outcome.synced or outcome.skipped_busy or outcome.failed):
            console.print("nothing due")

    try:
        run_worker(hl, poll_seconds=poll, max_passes=1 if once else None, on_pass=report)
    except KeyboardInterrupt:
        console.print("Worker stopped.")
