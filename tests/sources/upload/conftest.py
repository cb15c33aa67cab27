"""Fixtures for the upload-source tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from upload_helpers import MINIMAL_HEADER, WriteCsv, csv_bytes


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write rows under a header to a CSV file in tmp_path and return its path."""

    def write(rows: list[dict[str, str]] | list[list[str]], header: list[str] | None = None,
              *, name: str = "upload.csv", **kwargs: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_bytes(header or MINIMAL_HEADER, rows, **kwargs))
        return path

    return write
