"""The ``houselights`` command: a thin shell over the service functions.

Errors are translated here, once: a :class:`~houselights.errors.HouselightsError` prints
its message and hint and exits with its code; a traceback appears only with ``--debug``.
Usage mistakes (a missing argument, an unknown option, a bad choice) are Typer's to
report: it prints the usage and the problem and exits 2. Typer runs in standalone mode
for that, whichever click it uses (recent Typer vendors its own copy, whose exceptions
are not ``click``'s), so no usage error can reach the "this is a bug" branch.

Every command runs with a umask that keeps the files it creates (the DuckDB database
and its write-ahead log, reports, templates) readable by their owner only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.logging import RichHandler

from houselights import __version__
from houselights.cli.common import err_console, shown
from houselights.errors import HouselightsError
from houselights.safe_output import strip_control

__all__ = ["app", "main"]

app = typer.Typer(
    name="houselights",
    help=(
        "houselights — an open box office data exchange for arts organisations.\n\n"
        "Connect box offices (Spektrix, uploads, …), quality-check and publish their data, and "
        "report on it. Start with `houselights demo`, then `houselights org add`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_DEBUG = {"on": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"houselights {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for the embedded database and key file "
            "(env HOUSELIGHTS_DATA_DIR; default ~/.houselights).",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL: duckdb:///path/file.duckdb or postgresql://user@host/db "
            "(env HOUSELIGHTS_DATABASE_URL; default: a DuckDB file in the data directory).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log everything and show tracebacks on errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Global options apply to every command."""
    ctx.obj = {"overrides": {"data_dir": data_dir, "database_url": db}}
    _DEBUG["on"] = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = RichHandler(console=err_console, show_path=False)
    handler.addFilter(_plain_log_text)
    logging.basicConfig(
        level=level, format="%(message)s", datefmt="[%X]", force=True, handlers=[handler]
    )


def _plain_log_text(record: logging.LogRecord) -> bool:
    # Log lines quote box office and file data too; RichHandler renders them as they are.
    record.msg = strip_control(record.getMessage())
    record.args = None
    return True


def _register() -> None:
    from houselights.cli import data, db, demo, orgs, serve, simulate, sources, worker

    app.add_typer(db.app, name="db")
    app.add_typer(orgs.org_app, name="org")
    app.add_typer(orgs.grant_app, name="grant")
    data.register(app)
    demo.register(app)
    sources.register(app)
    serve.register(app)
    worker.register(app)
    worker.register_org_commands(orgs.org_app)
    app.add_typer(simulate.app, name="simulate")


_register()


def _report(exc: HouselightsError) -> None:
    # The message may quote a file or a box office answer: print it as text, not markup.
    err_console.print(f"[bold red]Error:[/] {shown(exc.message)}", soft_wrap=True)
    if exc.hint:
        err_console.print(f"[bold]What to do:[/] {shown(exc.hint)}", soft_wrap=True)
    if _DEBUG["on"] and exc.detail:
        err_console.print(f"[dim]Detail: {shown(exc.detail)}[/]", soft_wrap=True)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else 1


def _run(argv: list[str] | None) -> int:
    try:
        app(args=argv, prog_name="houselights", standalone_mode=True)
    except SystemExit as exc:
        # Typer ends every run this way: 0, a command's typer.Exit code, or 2 after it has
        # printed a usage error; 130 when it turned Ctrl-C into an exit.
        code = _exit_code(exc.code)
        if code == 130 and _caused_by(exc, KeyboardInterrupt):
            err_console.print("Interrupted; nothing half-published (runs are atomic).")
        return code
    except HouselightsError as exc:
        if _DEBUG["on"]:
            err_console.print_exception()
        _report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted; nothing half-published (runs are atomic).")
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if _DEBUG["on"]:
            err_console.print_exception()
        err_console.print(
            f"[bold red]Unexpected error:[/] {shown(type(exc).__name__)}: {shown(exc)}\n"
            "This is a bug in houselights. Run again with --debug and report the output."
        )
        return 70
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the process exit code."""
    previous = os.umask(0o077)
    os.umask(previous | 0o077)
    try:
        code = _run(argv)
    finally:
        os.umask(previous)
    if argv is None:
        sys.exit(code)
    return code
