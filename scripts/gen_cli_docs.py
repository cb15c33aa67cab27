"""Regenerate docs/cli.md from the commands' own --help texts.

    .venv/bin/python scripts/gen_cli_docs.py

tests/test_docs.py fails when a command is missing from docs/cli.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import typer.main

from houselights.cli.main import app


def walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)]
    # Typer ships its own copy of click, so test for a group by its sub-commands rather
    # than with isinstance(cmd, click.Group) (always false with typer >= 0.20).
    commands = getattr(cmd, "commands", None) or {}
    for name in sorted(commands):
        out.extend(walk(commands[name], [*path, name]))
    return out


def main() -> None:
    root = typer.main.get_command(app)
    parts = [
        "# Command reference\n",
        "Generated from `--help` by `scripts/gen_cli_docs.py`; do not edit by hand.\n",
    ]
    for path, cmd in walk(root, ["houselights"]):
        ctx = typer.Context(cmd, info_name=" ".join(path))
        usage = cmd.get_usage(ctx).replace("Usage: ", "")
        parts.append(f"\n## `{' '.join(path)}`\n\n{(cmd.help or '').strip()}\n\n```\n{usage}\n")
        for param in cmd.get_params(ctx):
            record = param.get_help_record(ctx)
            if record and record[0] != "--help":
                parts.append(f"  {record[0]}\n      {record[1]}\n")
        parts.append("```\n")
    Path("docs/cli.md").write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
