"""docs/api.md documents every route (read from the app's own OpenAPI document)."""

from __future__ import annotations

from pathlib import Path

from houselights.api import create_app
from houselights.context import Houselights

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_every_route_is_in_the_api_reference() -> None:
    text = DOC.read_text(encoding="utf-8")
    paths = create_app(Houselights(data_dir="/nonexistent-not-opened")).openapi()["paths"]
    missing = [
        f"{method.upper()} {path}"
        for path, ops in paths.items()
        for method in ops
        if f"| {method.upper()} | `{path}` |" not in text
    ]
    assert missing == []
