"""The test world (tests/api/data.py) served over real HTTP, on DuckDB or PostgreSQL.

PostgreSQL worlds live in a throw-away schema (never skipped: the server must be
reachable). Used by the API tests and the dashboard tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from houselights.api import create_app
from houselights.context import Houselights

from .data import World, build_world
from .server import running

PG_BASE = os.environ.get("HOUSELIGHTS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Served:
    """A world, its Houselights and an HTTP client pointed at the running app."""

    hl: Houselights
    world: World
    http: httpx.Client

    @property
    def tokens(self) -> dict[str, str]:
        return self.world.tokens

    def call(
        self, method: str, path: str, token: str | None = None, **params: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, path, headers=headers, params=params or None)

    def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        return self.call("GET", path, token, **params)


@contextmanager
def _pg_url() -> Iterator[str]:
    name = f"hl_api_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_BASE, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is unreachable at {PG_BASE}: {exc}", pytrace=False)
    sep = "&" if "?" in PG_BASE else "?"
    try:
        yield f"{PG_BASE}{sep}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


@contextmanager
def serve_world(folder: Path, backend: str = "duckdb", **settings: Any) -> Iterator[Served]:
    """Build the world on ``backend`` in ``folder`` and serve it over HTTP (``settings``
    override the app's settings, e.g. ``suppression_threshold``)."""
    with _pg_url() if backend == "postgres" else _no_url() as url:
        hl = Houselights(
            data_dir=folder, database_url=url or f"duckdb://{folder / 'wh.duckdb'}", **settings
        )
        try:
            world = build_world(hl)
            with running(create_app(hl)) as base, httpx.Client(base_url=base, timeout=30) as http:
                yield Served(hl, world, http)
        finally:
            hl.close()


@contextmanager
def _no_url() -> Iterator[str]:
    yield ""
