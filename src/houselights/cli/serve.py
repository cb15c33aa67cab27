"""``houselights serve``: the REST API and the dashboard on one address (uvicorn).

Also :func:`serve_dashboard`, which ``houselights demo`` calls at its end.
"""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from houselights.api import tokens
from houselights.cli.common import console, get_app
from houselights.context import Houselights
from houselights.errors import ConfigError

__all__ = ["DASHBOARD_TOKEN_LABEL", "register", "serve", "serve_dashboard"]

DASHBOARD_TOKEN_LABEL = "dashboard (houselights demo)"  # noqa: S105 - a label


def _check_port(host: str, port: int) -> None:
    """Fail with a plain message, before starting, if the address is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                hint="Choose another port with --port (or HOUSELIGHTS_API_PORT), or stop "
                "whatever is using it.",
            ) from exc


def _warm(hl: Houselights) -> None:
    """Bring the derived insight tables up to date before the first page asks: the first
    dashboard load then answers at once, and its parallel requests find them built."""
    from houselights.insights.facts import ensure_fresh
    from houselights.orgs.service import list_orgs

    with hl.warehouse.connect() as s:
        orgs = [o.org_id for o in list_orgs(s)]
        if orgs:
            console.print(f"Preparing insight tables for {len(orgs)} organisation(s)…")
            ensure_fresh(s, orgs)


def _run(hl: Houselights, host: str, port: int, *, scheduler: bool = True) -> None:
    """Serve until Ctrl-C; with the embedded DuckDB file (and ``scheduler``), run every
    due sync in this process too."""
    import uvicorn

    from houselights.api import create_app
    from houselights.jobs.embedded import EmbeddedScheduler, RetryPolicy
    from houselights.warehouse.duckdb.holder import announce_server

    _check_port(host, port)
    _warm(hl)
    app = create_app(hl)
    runner: EmbeddedScheduler | None = None
    if scheduler and hl.warehouse.dialect == "duckdb":
        s = hl.settings
        runner = EmbeddedScheduler(
            hl,
            tick_seconds=s.jobs_tick_seconds,
            retry=RetryPolicy(max_attempts=s.jobs_max_attempts, base_seconds=s.jobs_retry_seconds),
        )
        app.state.scheduler = runner
        console.print(f"Scheduled syncs run in this process (every {s.jobs_tick_seconds:g} s "
                      "the due connections are looked for).")
    elif hl.warehouse.dialect == "postgres":
        console.print("Server mode: syncs run on `houselights worker` processes.")
    path = getattr(hl.warehouse, "path", None)
    with announce_server(str(path) if path else None, _address(host, port)):
        if runner is not None:
            runner.start()
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            if runner is not None and not runner.stop(timeout=30.0):
                console.print("A sync was still running; it is queued again at the next start.")


def _address(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - display only
    return f"http://{shown}:{port}"


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to listen on (env HOUSELIGHTS_API_HOST; default 127.0.0.1).",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port (env HOUSELIGHTS_API_PORT; default 8765).", show_default=False),
    ] = None,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run due syncs in this process (embedded DuckDB file; with PostgreSQL, "
            "`houselights worker` runs them).",
        ),
    ] = True,
) -> None:
    """Serve the REST API (/api/v1) and the dashboard, and run every due sync, until Ctrl-C.

    One process does it all on one machine: while it runs, upload files, sync now and
    manage tokens on the dashboard or through the API. Sign in with a token from
    `houselights token create`. A restart resumes where it stopped.
    """
    hl = get_app(ctx)
    host = host or hl.settings.api_host
    port = port or hl.settings.api_port
    console.print(
        f"Dashboard: {_address(host, port)}/dashboard/   API: "
        f"{_address(host, port)}/api/v1/openapi.json"
    )
    console.print("Sign in with an API token (`houselights token create admin`). Ctrl-C stops.")
    _run(hl, host, port, scheduler=scheduler)
    console.print("Stopped.")


def serve_dashboard(hl: Houselights, *, demo_org: str | None = None) -> None:
    """Create a fresh admin token for the dashboard, print the address and the token,
    and serve until Ctrl-C. Earlier tokens made by this function are revoked (only
    hashes are stored, so an old one cannot be shown again)."""
    with hl.warehouse.connect() as s, s.transaction():
        for old in tokens.list_tokens(s):
            if old.kind == "admin" and old.label == DASHBOARD_TOKEN_LABEL:
                tokens.revoke_token(s, old.token_id)
        created = tokens.create_token(s, "admin", label=DASHBOARD_TOKEN_LABEL)
    host, port = hl.settings.api_host, hl.settings.api_port
    page = f"{_address(host, port)}/dashboard/overview"
    if demo_org:
        page += f"?org={demo_org}"
    console.rule("[bold]Dashboard")
    console.print(f"Open {page}")
    console.print("Sign in with this admin token (shown once):")
    console.print(created.token, soft_wrap=True, markup=False)
    console.print("Press Ctrl-C to stop.")
    try:
        _run(hl, host, port)
    except KeyboardInterrupt:
        console.print("Dashboard stopped.")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``token`` to the root app."""
    from houselights.cli.tokens import token_app

    app.command("serve")(serve)
    app.command("run", help="The same as `houselights serve`.")(serve)
    app.add_typer(token_app, name="token")
