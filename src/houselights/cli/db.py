"""``houselights db``: the warehouse schema."""

from __future__ import annotations

import typer

from houselights.cli.common import console, get_app
from houselights.warehouse.migrations import MIGRATIONS, applied_versions, upgrade

app = typer.Typer(help="The warehouse database: schema migrations.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending schema migrations (also applied automatically on first use)."""
    hl = get_app(ctx)
    from houselights.warehouse.factory import open_warehouse

    wh = open_warehouse(hl.settings.resolved_database_url, migrate=False)
    try:
        done = upgrade(wh)
        console.print(f"Database: {wh.display_url}")
        if done:
            for m in done:
                console.print(f"  applied migration {m.version}: {m.description}")
        else:
            console.print("  already up to date.")
    finally:
        wh.close()


@app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the database URL (password hidden) and which migrations are applied."""
    hl = get_app(ctx)
    wh = hl.warehouse
    with wh.connect() as s:
        have = applied_versions(s)
    console.print(f"Database: {wh.display_url}")
    for m in MIGRATIONS:
        mark = "✓" if m.version in have else "pending"
        console.print(f"  {m.version:>3} {mark:<8} {m.description}")
