"""Docs that are tested: every command and setting is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from houselights.cli.main import app
from houselights.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _commands(cmd: Any, path: str) -> list[str]:
    out = [path]
    # Typer ships its own click: a group is whatever has sub-commands.
    for name, sub in (getattr(cmd, "commands", None) or {}).items():
        out.extend(_commands(sub, f"{path} {name}"))
    return out


def test_every_command_is_in_the_cli_reference() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    commands = _commands(typer.main.get_command(app), "houselights")
    assert "houselights simulate ticketsolve" in commands  # the walk reaches sub-commands
    missing = [c for c in commands if f"## `{c}`" not in reference]
    assert missing == [], f"run scripts/gen_cli_docs.py; undocumented: {missing}"


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"HOUSELIGHTS_{name.upper()}" not in text]
    assert missing == []


def test_readme_shows_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"
