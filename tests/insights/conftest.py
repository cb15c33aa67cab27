"""Fixtures for the insights tests.

Every test runs on DuckDB and on PostgreSQL through the shared ``warehouse`` fixture
(tests/conftest.py: a fresh DuckDB file, or a fresh PostgreSQL schema that is dropped
afterwards; PostgreSQL failing — never skipping — when unreachable).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from houselights.warehouse import Session, Warehouse


@pytest.fixture
def session(warehouse: Warehouse) -> Iterator[Session]:
    """A session on an empty, migrated warehouse."""
    with warehouse.connect() as s:
        yield s
