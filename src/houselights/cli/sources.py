"""Box office commands for any source: ``connect <source>``, ``sync``, ``status``, ``check-setup``.

A thin shell over :mod:`houselights.services.connections`. ``connect <source>`` is
generated from the source's settings model (each setting an option, its description the
help; each secret a ``--<name>-file`` option or a hidden prompt — never a flag that lands
in shell history), so a new box office gets its command by registering. Long steps show
progress bars.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from houselights.cli.common import console, err_console, get_app, to_jsonable
from houselights.context import Houselights
from houselights.errors import InputError
from houselights.services import connections as svc
from houselights.sources.kit.registry import source_class, source_names
from houselights.sources.kit.runner import SyncSummary
from houselights.sources.kit.settings import ConnectionSettings
from houselights.sources.kit.setup import SetupCheckResult
from houselights.sources.kit.source import SyncRequest

__all__ = ["print_setup_check", "print_sync_summary", "register", "sync_with_progress"]

connect_app = typer.Typer(
    help="Connect an organisation to its box office (one sub-command per box office).",
    no_args_is_help=True,
)

SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="The box office, when the organisation is connected to more than one.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the box office commands to the root app."""
    for name in source_names():
        cls = source_class(name)
        if cls.requires_connection:
            connect_app.command(name, help=_connect_help(cls.title, cls.summary))(
                _connect_command(name, cls.settings_model)
            )
    app.add_typer(connect_app, name="connect")
    app.command("check-setup")(check_setup_command)
    app.command("sync")(sync_command)
    app.command("status")(status_command)


# --- connect ------------------------------------------------------------------------------


def _connect_help(title: str, summary: str) -> str:
    return (
        f"Connect SLUG to its {title} system: {summary}.\n\n"
        "Settings are stored; secrets are encrypted (give them in files, or be prompted). "
        "--from-credentials FILE reads every setting from a JSON file (a simulator's "
        "--credentials-out)."
    )


def _is_secret(info: FieldInfo) -> bool:
    args = getattr(info.annotation, "__args__", ()) or (info.annotation,)
    return SecretStr in args


def _option_type(info: FieldInfo) -> Any:
    args = getattr(info.annotation, "__args__", ()) or (info.annotation,)
    base = next((a for a in args if a is not type(None)), str)
    if base in (int, float, bool):
        return base | None
    return str | None


def _described(info: FieldInfo, name: str) -> str:
    return (info.description or name).rstrip(".")


def _advanced(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("advanced"))


def _settable(model: type[ConnectionSettings]) -> dict[str, FieldInfo]:
    """The settings a user sets, the box office's own first, then the common ones."""
    fields = {n: f for n, f in model.model_fields.items() if n != "checks"}
    common = set(ConnectionSettings.model_fields)
    return {
        **{n: f for n, f in fields.items() if n not in common},
        **{n: f for n, f in fields.items() if n in common},
    }


def _connect_command(name: str, model: type[ConnectionSettings]) -> Callable[..., None]:
    fields = _settable(model)
    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        inspect.Parameter(
            "slug",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[str, typer.Argument(help="The organisation to connect.")],
        ),
    ]
    for field_name, info in fields.items():
        option = "--" + field_name.replace("_", "-")
        panel = "Advanced" if _advanced(info) else None
        if _is_secret(info):
            annotation: Any = Annotated[
                Path | None,
                typer.Option(
                    f"{option}-file",
                    help=f"File holding the {_described(info, field_name)}; prompted for "
                    "if not given.",
                    show_default=False,
                    rich_help_panel=panel,
                ),
            ]
            params.append(
                inspect.Parameter(
                    f"{field_name}_file",
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=annotation,
                )
            )
            continue
        default = None if info.is_required() else info.default
        shown = f" [default: {default}]" if default is not None else ""
        annotation = Annotated[
            _option_type(info),
            typer.Option(
                option,
                help=(info.description or "") + shown,
                show_default=False,
                rich_help_panel=panel,
            ),
        ]
        params.append(
            inspect.Parameter(
                field_name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
            )
        )
    params.append(
        inspect.Parameter(
            "from_credentials",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None,
                typer.Option(
                    help="Read settings and secrets from a JSON file: an object of settings, "
                    "or a simulator's credentials file ({'clients': [...]}, picked by --client).",
                    show_default=False,
                ),
            ],
        )
    )

    def command(**kwargs: Any) -> None:
        ctx: typer.Context = kwargs.pop("ctx")
        slug: str = kwargs.pop("slug")
        _connect(get_app(ctx), name, model, slug, kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__ = f"connect_{name}"
    return command


def _read_secret(path: Path) -> str:
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
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path} is not a JSON credentials file.",
            hint="Use the JSON written by `houselights simulate … --credentials-out FILE`, "
            "or an object of settings.",
        ) from exc
    entries = data.get("clients") if isinstance(data, dict) else None
    if entries is None:
        if not isinstance(data, dict):
            raise InputError(f"{path} does not hold a JSON object of settings.")
        return dict(data)
    if not isinstance(entries, list):
        raise InputError(f"{path}: 'clients' is not a list.")
    if client is None and len(entries) == 1:
        return dict(entries[0])
    for entry in entries:
        if isinstance(entry, dict) and entry.get("client") == client:
            return dict(entry)
    names = ", ".join(str(e.get("client")) for e in entries if isinstance(e, dict))
    raise InputError(f"{path} has no client {client!r}.", hint=f"Pass --client one of: {names}.")


def _connect(
    hl: Houselights,
    name: str,
    model: type[ConnectionSettings],
    slug: str,
    given: dict[str, Any],
) -> None:
    fields = _settable(model)
    values: dict[str, Any] = {}
    credentials = given.pop("from_credentials", None)
    if credentials is not None:
        values.update(_from_credentials(credentials, given.get("client")))
    for field_name, info in fields.items():
        if _is_secret(info):
            path = given.get(f"{field_name}_file")
            if path is not None:
                values[field_name] = _read_secret(path)
        elif given.get(field_name) is not None:
            values[field_name] = given[field_name]
    missing = [
        "--" + n.replace("_", "-")
        for n, info in fields.items()
        if info.is_required() and not _is_secret(info) and values.get(n) in (None, "")
    ]
    if missing:
        raise InputError(
            f"Connecting to {source_class(name).title} needs {' and '.join(missing)}.",
            hint=f"Or pass --from-credentials FILE. See `houselights connect {name} --help`.",
        )
    for field_name, info in fields.items():
        if not _is_secret(info) or values.get(field_name) is not None:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        companion = extra.get("prompt_if")
        if info.is_required() or (companion and values.get(str(companion))):
            values[field_name] = str(
                typer.prompt((info.description or field_name).capitalize(), hide_input=True)
            ).strip()
    settings = svc.connect(hl, slug, name, values)
    shown = settings.shown()
    where = ", ".join(
        f"{k} {shown[k]}" for k in ("client", "api_root", "api_login") if shown.get(k)
    )
    console.print(
        f"Connected [bold]{slug}[/] to {source_class(name).title}"
        + (f" ({where})." if where else ".")
    )
    console.print(
        f"Next: `houselights check-setup {slug}`, then `houselights sync {slug}`"
        + (" --backfill ORDER_ID_FILE`." if name == "spektrix" else "`.")
    )


# --- check-setup --------------------------------------------------------------------------


def print_setup_check(result: SetupCheckResult) -> None:
    """The setup check as ✓ / ⚠ / ✗ lines with their fixes."""
    colour = {"ok": "green", "warn": "yellow", "fail": "red", "skip": "dim"}
    console.print(f"[bold]Setup check of {result.org_id}[/] ({result.target})")
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
    source: SourceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Verify SLUG's box office setup step by step, with the fix for each problem (exit 1
    on any ✗)."""
    result = svc.check_setup(get_app(ctx), slug, source)
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        print_setup_check(result)
    if not result.ok:
        raise typer.Exit(1)


# --- sync ---------------------------------------------------------------------------------


def sync_with_progress(
    hl: Houselights,
    slug: str,
    request: SyncRequest | None = None,
    *,
    source: str | None = None,
) -> SyncSummary:
    """Run a sync with a progress bar (and ETA) per stream."""
    with Progress(
        TextColumn("   {task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(label: str, done: int, total: int | None) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        return svc.sync(hl, slug, source=source, request=request, progress=progress)


def _counted(counts: dict[str, int], source: str = "") -> str:
    words = {"audit": "audit rows", "upload_rows": "lines", "sales": "sales lines"}
    parts = []
    for key, n in counts.items():
        name = key.removeprefix(f"{source}_") if source else key
        if n:
            parts.append(f"{n:,} {words.get(name, name.replace('_', ' '))}")
    return ", ".join(parts) or "nothing new"


def print_sync_summary(summary: SyncSummary) -> None:
    """What a sync did, with the quality checks over all its loads."""
    loads = summary.loads
    notes = summary.notes
    staged = sum(x.rows_staged for x in loads)
    new = sum(x.counts.inserted for x in loads)
    changed = sum(x.counts.updated for x in loads)
    same = sum(x.counts.unchanged for x in loads)
    held = sum(x.quarantined for x in loads)
    if notes.get("backfill_total") is not None:
        at = notes.get("backfill_resumed_at")
        resumed = f", resumed at {at:,}" if at else ""
        console.print(f"  Backfill: {notes['backfill_total']:,} order ids in the file{resumed}.")
    feed = notes.get("feed")
    console.print(
        f"  Fetched {_counted(summary.counts, summary.source)}"
        + (f" (changes via {feed})" if feed else "")
        + f" with {summary.requests:,} requests ({summary.retries} retried, "
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
    found: dict[tuple[str, str, str], int] = {}
    for load in loads:
        for f in load.findings:
            found[f.key] = found.get(f.key, 0) + f.rows
    for (name, _, description), rows in found.items():
        console.print(f"  [yellow]⚠[/] {name}: {rows:,} {description}", soft_wrap=True)
    for warning in summary.warnings:
        console.print(f"  [yellow]⚠[/] {warning}", soft_wrap=True)


def sync_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation to sync.")],
    source: SourceOption = None,
    backfill: Annotated[
        Path | None,
        typer.Option(
            help="A one-off history file to load first, resumably (Spektrix: the export of "
            "historical order IDs)."
        ),
    ] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            metavar="FILE",
            help="A data file to load with the sync (a box office's report export); repeat "
            "for several.",
        ),
    ] = None,
) -> None:
    """Pull SLUG's changes from its box office (and backfill history from a file first).

    Example: houselights sync riverside-arts --backfill order-ids.csv
    """
    hl = get_app(ctx)
    request = SyncRequest(backfill_file=backfill, files=tuple(file or ()))
    summary = sync_with_progress(hl, slug, request, source=source)
    console.print(f"[bold]Synced {slug}[/] (runs {', '.join(summary.run_ids) or 'none'})")
    print_sync_summary(summary)


# --- status -------------------------------------------------------------------------------


def _ago(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def status_command(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    source: SourceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """SLUG's box office connection: last success, lag per stream, last error, next run."""
    status = svc.connection_status(get_app(ctx), slug, source)
    if as_json:
        sys.stdout.write(json.dumps(to_jsonable(status.to_dict()), indent=2) + "\n")
        return
    state = "[green]active[/]" if status.status == "active" else f"[red]{status.status}[/]"
    target = status.settings.get("client")
    console.print(
        f"[bold]{slug}[/] — {status.title}"
        + (f" client {target}" if target else "")
        + f": {state}"
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
        console.print(
            f"  {s.stream:<16} moved {_ago(s.lag_seconds)} ago  {s.detail or s.cursor or ''}",
            soft_wrap=True,
        )
