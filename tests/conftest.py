"""Shared fixtures: a warehouse on each backend (DuckDB file, PostgreSQL schema).

PostgreSQL tests use the server on this machine (HOUSELIGHTS_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test). If it is unreachable they fail — never skip —
so CI cannot pass without exercising server mode.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from houselights.warehouse import Warehouse, open_warehouse

PG_BASE = os.environ.get("HOUSELIGHTS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["duckdb", "postgres"]


class PgSchemas:
    """Creates throw-away PostgreSQL schemas and URLs that point at them."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def new_url(self) -> str:
        name = f"hl_{uuid.uuid4().hex[:12]}"
        try:
            with psycopg.connect(PG_BASE, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"CREATE SCHEMA {name}")
        except psycopg.OperationalError as exc:  # fail loudly: CI must exercise PostgreSQL
            pytest.fail(f"PostgreSQL is unreachable at {PG_BASE}: {exc}", pytrace=False)
        self.created.append(name)
        sep = "&" if "?" in PG_BASE else "?"
        return f"{PG_BASE}{sep}options=-csearch_path%3D{name}"

    def drop_all(self) -> None:
        if not self.created:
            return
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@pytest.fixture
def pg_schemas() -> Iterator[PgSchemas]:
    schemas = PgSchemas()
    yield schemas
    schemas.drop_all()


def make_url(backend: str, tmp_path: Path, pg_schemas: PgSchemas) -> str:
    """A fresh, empty warehouse URL on ``backend``."""
    if backend == "duckdb":
        return f"duckdb://{tmp_path / f'wh-{uuid.uuid4().hex[:6]}.duckdb'}"
    return pg_schemas.new_url()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def warehouse_url(backend: str, tmp_path: Path, pg_schemas: PgSchemas) -> str:
    return make_url(backend, tmp_path, pg_schemas)


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    wh = open_warehouse(warehouse_url)
    yield wh
    wh.close()


@pytest.fixture
def hl_env(tmp_path: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment for CLI tests: a data dir and the backend's URL."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HOUSELIGHTS_DATABASE_URL", warehouse_url)
    monkeypatch.delenv("HOUSELIGHTS_SECRET_KEY", raising=False)
    return data_dir
