"""A refused statement says what went wrong without the SQL, and suggests `db upgrade`
only when the schema may be out of date (a missing table or column)."""

from __future__ import annotations

import pytest

from houselights.errors import WarehouseError
from houselights.warehouse import Warehouse


def test_missing_table_suggests_an_upgrade(warehouse: Warehouse) -> None:
    with warehouse.connect() as s, pytest.raises(WarehouseError) as info:
        s.fetchall("SELECT * FROM no_such_table")
    assert "db upgrade" in info.value.hint
    assert "\n" not in info.value.message and "LINE" not in info.value.message


def test_other_errors_do_not_suggest_an_upgrade(warehouse: Warehouse) -> None:
    with warehouse.connect() as s, pytest.raises(WarehouseError) as info:
        s.fetchall("SELECT CAST(9223372036854775807 AS BIGINT) + 1")
    assert "db upgrade" not in info.value.hint
    assert "--debug" in info.value.hint
    assert "\n" not in info.value.message and "SELECT" not in info.value.message
    assert "SELECT" in info.value.detail  # the statement is kept for --debug
