"""The embedded default: one DuckDB file, no server."""

from houselights.warehouse.duckdb.backend import DuckDBWarehouse

__all__ = ["DuckDBWarehouse"]
