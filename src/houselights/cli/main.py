"""The ``houselights`` command: a thin shell over the service functions.

Errors are translated here, once: a :class:`~houselights.errors.HouselightsError` prints
its message and hint and exits with its code; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.logging import RichHandler

from houselights import __version__
from houselights.cli.common import err_console
from houselights.errors import HouselightsError

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
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        force=True,
        handlers=[RichHandler(console=err_console, show_path=False)],
    )


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
    app.add_typer(simulate.app, name="simulate")


_register()


def _report(exc: HouselightsError) -> None:
    err_console.print(f"[bold red]Error:[/] {exc.message}", soft_wrap=True)
    if exc.hint:
        err_console.print(f"[bold]What to do:[/] {exc.hint}", soft_wrap=True)
    if _DEBUG["on"] and exc.detail:
        err_console.print(f"[dim]Detail: {exc.detail}[/]", soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the process exit code."""
    try:
        result = app(args=argv, standalone_mode=False)
    except HouselightsError as exc:
        if _DEBUG["on"]:
            err_console.print_exception()
        _report(exc)
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        err_console.print("Aborted.")
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted; nothing half-published (runs are atomic).")
        code = 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if _DEBUG["on"]:
            err_console.print_exception()
        err_console.print(
            f"[bold red]Unexpected error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in houselights. Run again with --debug and report the output."
        )
        code = 70
    else:
        # Non-standalone click returns the exit code of typer.Exit / --help as an int.
        code = result if isinstance(result, int) else 0
    if argv is None:
        sys.exit(code)
    return code
