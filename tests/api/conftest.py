"""Fixtures for the API tests: the published world served over HTTP (tests/api/world.py).

The read-only tests share one world per module and backend (building it publishes six
organisations through real exchange runs); tests that change grants or tokens build
their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .world import Served, serve_world


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The shared world, once per backend."""
    with serve_world(tmp_path_factory.mktemp("api"), str(request.param)) as s:
        yield s


@pytest.fixture(scope="module")
def served_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The shared world on DuckDB only (for tests about formats, not queries)."""
    with serve_world(tmp_path_factory.mktemp("api")) as s:
        yield s


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Served]:
    """A world of this test's own (for tests that revoke grants or tokens)."""
    with serve_world(tmp_path) as s:
        yield s
