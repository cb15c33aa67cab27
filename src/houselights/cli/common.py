"""Shared CLI plumbing: the application object, consoles and output formats."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from houselights.context import Houselights

__all__ = ["OutputFormat", "console", "emit_rows", "err_console", "get_app", "to_jsonable"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class OutputFormat(StrEnum):
    """How a command prints rows."""

    table = "table"
    csv = "csv"
    json = "json"


def get_app(ctx: typer.Context) -> Houselights:
    """The :class:`Houselights` built from the global options."""
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    if "app" not in root.obj:
        root.obj["app"] = Houselights(**root.obj.get("overrides", {}))
        root.call_on_close(root.obj["app"].close)
    app: Houselights = root.obj["app"]
    return app


def to_jsonable(value: Any) -> Any:
    """Dates, decimals and nested structures made JSON-friendly."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def emit_rows(
    rows: Sequence[dict[str, Any]],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    table_columns: Sequence[str] | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """Print ``rows`` as a rich table, CSV or JSON on standard output.

    ``columns`` limits every format; ``table_columns`` only the on-screen table (CSV and
    JSON keep every field, for scripts).
    """
    chosen = table_columns if fmt is OutputFormat.table and table_columns else columns
    cols = list(chosen or (rows[0].keys() if rows else []))
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps([to_jsonable(r) for r in rows], indent=2) + "\n")
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in cols])
        sys.stdout.write(buffer.getvalue())
        return
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, title_justify="left")
    for col in cols:
        table.add_column(col)
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in cols])
    console.print(table)
