"""Server mode: PostgreSQL, shared by workers on many machines."""

from houselights.warehouse.postgres.backend import PostgresWarehouse

__all__ = ["PostgresWarehouse"]
