"""Shared CLI plumbing: the application object, consoles and output formats.

Everything the CLI prints may hold box office or uploaded text, so the consoles strip
control characters and escape sequences from every string they render, data is shown
as plain text (never as Rich markup), and CSV cells are neutralised against spreadsheet
formulas (see :mod:`houselights.safe_output`).
"""

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
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from houselights.context import Houselights
from houselights.safe_output import neutralise, strip_control

__all__ = [
    "OutputFormat",
    "SafeConsole",
    "console",
    "emit_rows",
    "err_console",
    "get_app",
    "shown",
    "to_jsonable",
]


class SafeConsole(Console):
    """A Rich console that drops control characters and escape sequences from every
    string it renders, so text from a box office or an upload cannot drive the terminal.
    (Rich passes them through; its own styling is added after this point.)"""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """``text`` rendered as Rich would, after :func:`strip_control`."""
        return super().render_str(strip_control(text), **kwargs)


console = SafeConsole(highlight=False)
err_console = SafeConsole(stderr=True, highlight=False)


def shown(value: object) -> str:
    """``value`` ready to put inside a Rich markup string: control characters removed and
    square brackets escaped, so data is printed as it is and never read as markup."""
    return escape(strip_control(str(value)))


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
    return strip_control(str(value))


def _csv_cell(value: Any) -> str:
    # Text is neutralised before formatting, so a negative number stays a number.
    return str(neutralise(strip_control(value))) if isinstance(value, str) else _cell(value)


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
        writer.writerow([_csv_cell(c) for c in cols])
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in cols])
        sys.stdout.write(buffer.getvalue())
        return
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, title_justify="left")
    for col in cols:
        table.add_column(Text(_cell(col)))
    for row in rows:
        table.add_row(*[Text(_cell(row.get(c))) for c in cols])  # Text: never markup
    console.print(table)
