"""Spektrix commands: ``connect spektrix``, ``check-setup``, ``sync`` and ``status``.

A thin shell over :mod:`houselights.sources.spektrix`: secrets come from files or hidden
prompts (never from flags that land in shell history), long steps show progress bars.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from houselights.cli.common import console, err_console, get_app, to_jsonable
from houselights.errors import InputError
from houselights.sources.spektrix.connection import DEFAULT_BASE_URL, save_connection
from houselights.sources.spektrix.setup_check import SetupCheckResult, check_setup
from houselights.sources.spektrix.sync import SyncSummary, connection_status, sync_org

__all__ = ["print_setup_check", "print_sync_summary", "register", "sync_with_progress"]

connect_app = typer.Typer(help="Connect an organisation to its box office.", no_args_is_help=True)

_STAGES = {
    "catalogue": "Catalogue",
    "orders": "Orders (backfill)",
    "customers": "Customers",
    "feed": "Orders (changes)",
    "audit": "Customer Audit",
}


def register(app: typer.Typer) -> None:
    """Add the Spektrix commands to the root app."""
    app.add_typer(connect_app, name="connect")
    app.command("check-setup")(check_setup_command)
    app.command("sync")(sync_command)
    app.command("status")(status_command)


def _read_secret(path: Path | None, prompt: str) -> str:
    if path is None:
        return str(typer.prompt(prompt, hide_input=True))
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(
            f"The secret file {path} cannot be read ({exc.strerror}).",
            hint="Check the path and its permissions.",
        ) from exc


def _from_credentials(path: Path, client: str | None) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["clients"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path} is not a credentials file with a 'clients' list.",
            hint="Use the JSON written by `houselights simulate spektrix --credentials-out FILE`.",
        ) from exc
    if client is None and len(entries) == 1:
        return dict(entries[0])
    for entry in entries:
        if entry.get("client") == client:
            return dict(entry)
    names = ", ".join(str(e.get("client")) for e in entries)
    raise InputError(f"{path} has no client {client!r}.", hint=f"Pass --client one of: {names}.")


@connect_app.command("spektrix")
def connect_spektrix(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation to connect.")],
    client: Annotated[
        str | None,
        typer.Option(
            help="Spektrix client name: the part after system.spektrix.com/ in its address."
        ),
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="Spektrix host (or a full API base ending in /api/v3).")
    ] = DEFAULT_BASE_URL,
    api_login: Annotated[str | None, typer.Option(help="API user name (guide step 1).")] = None,
    api_key_file: Annotated[
        Path | None,
        typer.Option(help="File holding the API secret key (prompted for if not given)."),
    ] = None,
    report_user: Annotated[
        str | None, typer.Option(help="Collect Report user name (guide step 3).")
    ] = None,
    report_password_file: Annotated[
        Path | None,
        typer.Option(help="File holding that user's password (prompted for if not given)."),
    ] = None,
    audit_report: Annotated[
        str | None, typer.Option(help="Name of the Customer Audit report (guide step 2).")
    ] = "Activity Stream - customer audit report",
    audit_report_url: Annotated[
        str | None, typer.Option(help="Download link of the scheduled Customer Audit report.")
    ] = None,
    season_field: Annotated[
        str, typer.Option(help="Event field with the season.")
    ] = "attribute_Series",
    category_field: Annotated[
        str, typer.Option(help="Event field with the category.")
    ] = "attribute_Category",
    type_field: Annotated[str, typer.Option(help="Event field with the type.")] = "attribute_Type",
    request_budget: Annotated[
        float, typer.Option(help="Most requests per second to this Spektrix system (0 = no limit).")
    ] = 10.0,
    orders_feed: Annotated[
        str, typer.Option(help="auto (orders/sync, else date windows), sync or windows.")
    ] = "auto",
    from_credentials: Annotated[
        Path | None,
        typer.Option(
            help="Read client, logins and secrets from a credentials JSON file (the simulator's "
            "--credentials-out)."
        ),
    ] = None,
) -> None:
    """Connect SLUG to its Spektrix system (settings stored; secrets encrypted).

    Example: houselights connect spektrix riverside-arts --client riverside
    --api-login activitystream --api-key-file key.txt --report-user activitystream_user
    --report-password-file password.txt
    """
    hl = get_app(ctx)
    given: dict[str, Any] = {}
    if from_credentials is not None:
        entry = _from_credentials(from_credentials, client)
        given = {
            "client": entry["client"],
            "base_url": entry["base_url"],
            "api_login": entry["api_login"],
            "api_key": entry["api_key"],
            "report_user": entry.get("report_user"),
            "report_password": entry.get("report_password"),
            "audit_report_url": entry.get("audit_report_url"),
        }
    else:
        if client is None or api_login is None:
            raise InputError(
                "Connecting needs --client and --api-login.",
                hint="Or pass --from-credentials FILE.",
            )
        given = {
            "client": client,
            "base_url": base_url,
            "api_login": api_login,
            "api_key": _read_secret(api_key_file, "API secret key"),
            "report_user": report_user,
            "report_password": _read_secret(report_password_file, f"Password of {report_user}")
            if report_user
            else None,
            "audit_report_url": audit_report_url,
        }
    if audit_report_url:
        given["audit_report_url"] = audit_report_url
    settings = save_connection(
        hl,
        slug,
        audit_report=audit_report,
        season_field=season_field,
        category_field=category_field,
        type_field=type_field,
        request_budget=request_budget,
        orders_feed=orders_feed,
        **given,
    )
    console.print(
        f"Connected [bold]{slug}[/] to Spektrix client [bold]{settings['client']}[/] "
        f"({settings['api_root']}) as API user {settings['api_login']}."
    )
    console.print(
        f"Next: `houselights check-setup {slug}`, then "
        f"`houselights sync {slug} --backfill ORDER_ID_FILE`."
    )


def print_setup_check(result: SetupCheckResult) -> None:
    """The setup check as ✓ / ⚠ / ✗ lines with their fixes."""
    colour = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
    console.print(f"[bold]Setup check of {result.org_id}[/] (Spektrix client {result.client})")
    for step in result.steps:
        c = colour[step.status]
        console.print(f"  [{c}]{step.mark}[/] [bold]{step.title}[/] [dim]({step.guide})[/]")
        console.print(f"      {step.detail}", soft_wrap=True)
        if step.fix:
            console.print(f"      [bold]Fix:[/] {step.fix}", soft_wrap=True)
    counts = Counter(s.status for s in result.steps)
    console.print(
        f"  {counts['ok']} ✓, {counts['warn']} ⚠, {counts['fail']} ✗"
        + (f", {counts['skip']} not checked" if counts["skip"] else "")
    )


def check_setup_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Verify every step of the Spektrix integration guide for SLUG (exit 1 on any ✗)."""
    result = check_setup(get_app(ctx), slug)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_setup_check(result)
    if not result.ok:
        raise typer.Exit(1)


def sync_with_progress(ctx_app: Any, slug: str, backfill: Path | None) -> SyncSummary:
    """Run a sync with a progress bar (and ETA) per stage."""
    with Progress(
        TextColumn("   {task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return sync_org(ctx_app, slug, backfill_file=backfill, progress=progress)


def print_sync_summary(summary: SyncSummary) -> None:
    """What a sync did, with the quality checks over all its loads."""
    loads = summary.loads
    staged = sum(x.rows_staged for x in loads)
    new = sum(x.counts.inserted for x in loads)
    changed = sum(x.counts.updated for x in loads)
    same = sum(x.counts.unchanged for x in loads)
    held = sum(x.quarantined for x in loads)
    if summary.backfill_total is not None:
        resumed = (
            f", resumed at {summary.backfill_resumed_at:,}" if summary.backfill_resumed_at else ""
        )
        console.print(f"  Backfill: {summary.backfill_total:,} order ids in the file{resumed}.")
    console.print(
        f"  Fetched {summary.orders:,} orders, {summary.customers:,} customers, "
        f"{summary.audit_rows:,} audit rows"
        + (f" (changes via {summary.feed})" if summary.feed else "")
        + f" with "
        f"{summary.requests:,} requests ({summary.retries} retried, "
        f"{summary.rate_limited} rate-limited) in {summary.seconds:.1f} s."
    )
    console.print(
        f"  {len(loads)} load(s): {staged:,} rows checked — {new:,} new, "
        f"{changed:,} changed, {same:,} unchanged, {held:,} held back."
    )
    problems: dict[str, list[Any]] = {}
    for load in loads:
        for o in load.warnings:
            problems.setdefault(o.rule.name, []).append(o)
    for name, outs in problems.items():
        rule = outs[0].rule
        verb = "warned about" if outs[0].outcome == "warn" else "held back"
        console.print(
            f"  [yellow]⚠[/] {name}: {verb} {sum(o.failing_rows for o in outs):,} "
            f"rows — {rule.description}"
        )
    for warning in summary.warnings:
        console.print(f"  [yellow]⚠[/] {warning}", soft_wrap=True)


def sync_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation to sync.")],
    backfill: Annotated[
        Path | None,
        typer.Option(
            help="The historical order-ID export (CSV) to backfill from first; resumable."
        ),
    ] = None,
) -> None:
    """Pull SLUG's changes from Spektrix (and backfill history from an order-ID file)."""
    hl = get_app(ctx)
    summary = sync_with_progress(hl, slug, backfill)
    console.print(f"[bold]Synced {slug}[/] (runs {', '.join(summary.run_ids)})")
    print_sync_summary(summary)


def status_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """SLUG's Spektrix connection: last success, lag per stream, last error, next run."""
    status = connection_status(get_app(ctx), slug)
    if as_json:
        sys.stdout.write(json.dumps(to_jsonable(status.to_dict()), indent=2) + "\n")
        return
    state = "[green]active[/]" if status.status == "active" else f"[red]{status.status}[/]"
    console.print(
        f"[bold]{slug}[/] — Spektrix client {status.settings.get('client')}: {state}"
        + (f" ({status.status_reason})" if status.status_reason else ""),
        soft_wrap=True,
    )
    when = f"{status.last_success:%Y-%m-%d %H:%M} UTC" if status.last_success else "never"
    console.print(f"  Last success: {when}" + (" (a run is in progress)" if status.running else ""))
    if status.last_error:
        console.print(
            f"  Last error ({status.last_error_at:%Y-%m-%d %H:%M} UTC): {status.last_error}",
            soft_wrap=True,
        )
    nxt = (
        f"{status.next_run:%Y-%m-%d %H:%M} UTC"
        if status.next_run
        else "none while the connection is paused"
    )
    console.print(f"  Next run due: {nxt}")
    for s in status.streams:
        lag = s.lag_seconds
        ago = (
            f"{lag / 3600:.1f} h"
            if lag >= 3600
            else f"{lag / 60:.0f} min"
            if lag >= 60
            else f"{lag:.0f} s"
        )
        where = s.detail or (s.cursor or "")
        console.print(f"  {s.stream:<16} moved {ago} ago  {where}", soft_wrap=True)
