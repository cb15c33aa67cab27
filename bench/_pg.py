"""A throw-away PostgreSQL schema for a benchmark run (created, then dropped)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def pg_schema(prefix: str = "bench") -> Iterator[str]:
    """Yield a warehouse URL pointing at a fresh schema; drop the schema afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
