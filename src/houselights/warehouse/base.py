"""The one small interface both warehouse backends implement.

SQL in houselights is written once, with ``?`` placeholders, in the subset DuckDB and
PostgreSQL share; the PostgreSQL backend translates placeholders. A :class:`Session` is
one connection; use it from one thread at a time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from houselights.common import Dialect

__all__ = ["Params", "Row", "Session", "Warehouse"]

Params = Sequence[Any]
Row = tuple[Any, ...]


class Session(ABC):
    """One connection to the warehouse."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row as a tuple."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Params = ()) -> pa.Table:
        """Run a query and return the result as an Arrow table."""

    @abstractmethod
    def load_arrow(self, table: str, data: pa.Table) -> None:
        """Append ``data`` to ``table`` (existing; columns matched by name)."""

    @abstractmethod
    def begin(self) -> None:
        """Start a transaction."""

    @abstractmethod
    def commit(self) -> None:
        """Commit the open transaction."""

    @abstractmethod
    def rollback(self) -> None:
        """Roll back the open transaction."""

    @abstractmethod
    def try_lock_org(self, org_id: str) -> bool:
        """Take the organisation's exclusive run lock for the life of this session.

        Returns False (without waiting) when another session — in this process or, on
        PostgreSQL, on any machine — holds it. Released by :meth:`unlock_org` or when the
        session closes (or its process dies).
        """

    @abstractmethod
    def unlock_org(self, org_id: str) -> None:
        """Release the organisation's run lock."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # Conveniences built on the primitives ------------------------------------------

    def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, or None."""
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.fetchone(sql, params)
        return row[0] if row else None

    def fetch_dicts(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Every row as a dict keyed by column name."""
        rows: list[dict[str, Any]] = self.fetch_arrow(sql, params).to_pylist()
        return rows

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """``with session.transaction():`` commits on success, rolls back on error."""
        self.begin()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()


class Warehouse(ABC):
    """A warehouse database: hands out sessions and knows its dialect."""

    dialect: Dialect
    url: str

    @abstractmethod
    def session(self) -> Session:
        """A new session (connection). Close it, or use :meth:`connect`."""

    @contextmanager
    def connect(self) -> Iterator[Session]:
        """``with warehouse.connect() as s:`` a session closed afterwards."""
        session = self.session()
        try:
            yield session
        finally:
            session.close()

    def close(self) -> None:  # noqa: B027 - optional hook for backends holding a handle
        """Release the backend's handle (DuckDB keeps the file open)."""

    @property
    def display_url(self) -> str:
        """The URL with any password removed, safe to print."""
        from houselights.warehouse.urls import redact_url

        return redact_url(self.url)
