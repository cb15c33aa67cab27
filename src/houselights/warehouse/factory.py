"""Open the warehouse a URL names, and bring its schema up to date."""

from __future__ import annotations

from houselights.errors import ConfigError
from houselights.warehouse.base import Warehouse

__all__ = ["open_warehouse"]


def open_warehouse(url: str, *, migrate: bool = True) -> Warehouse:
    """Open ``duckdb:///path`` or ``postgresql://…``; apply pending migrations."""
    wh: Warehouse
    if url.startswith("duckdb://"):
        from houselights.warehouse.duckdb import DuckDBWarehouse

        # duckdb://<path>: duckdb:///abs/file.duckdb, duckdb://rel.duckdb, duckdb://:memory:
        path = url.removeprefix("duckdb://") or ":memory:"
        wh = DuckDBWarehouse(path)
    elif url.startswith(("postgresql://", "postgres://")):
        from houselights.warehouse.postgres import PostgresWarehouse

        wh = PostgresWarehouse(url)
    else:
        raise ConfigError(
            f"Unknown database URL {url!r}.",
            hint="Use duckdb:///path/to/file.duckdb or postgresql://user@host:5432/db.",
        )
    if migrate:
        from houselights.warehouse.migrations import upgrade

        upgrade(wh)
    return wh
