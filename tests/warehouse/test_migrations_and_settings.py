"""Schema migrations on both backends; settings precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from houselights.errors import ConfigError
from houselights.model.schema import CANONICAL_TABLES, META_TABLES
from houselights.settings import load_settings
from houselights.warehouse import Warehouse, open_warehouse
from houselights.warehouse.migrations import MIGRATIONS, applied_versions, upgrade
from houselights.warehouse.urls import redact_url


def test_every_table_exists_and_upgrade_is_idempotent(warehouse: Warehouse) -> None:
    assert upgrade(warehouse) == []
    with warehouse.connect() as s:
        assert applied_versions(s) == {m.version for m in MIGRATIONS}
        for table in (*CANONICAL_TABLES, *META_TABLES):
            cols = [
                r[0]
                for r in s.fetchall(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                    " AND table_schema = current_schema() ORDER BY ordinal_position",
                    [table.name],
                )
            ]
            assert cols == list(table.column_names), table.name


def test_canonical_tables_carry_org_and_lineage() -> None:
    for table in CANONICAL_TABLES:
        assert table.key[0] == "org_id"
        assert {"org_id", "source", "row_hash", "load_id"} <= set(table.column_names)


def test_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "houselights.toml").write_text(
        '[houselights]\nprivacy = "standard"\napi_port = 9000\n'
    )
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOUSELIGHTS_API_PORT", "9100")
    s = load_settings()
    assert s.privacy == "standard"  # from the file
    assert s.api_port == 9100  # env beats file
    assert load_settings(api_port=9200).api_port == 9200  # flags beat env
    assert s.resolved_database_url == f"duckdb://{(tmp_path / 'houselights.duckdb').resolve()}"


def test_bad_settings_give_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError) as info:
        load_settings(database_url="mysql://nope")
    assert "duckdb://" in info.value.message
    (tmp_path / "houselights.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "not valid TOML" in info.value.message


def test_unreachable_postgres_is_a_clear_error() -> None:
    from houselights.errors import WarehouseError

    with pytest.raises(WarehouseError) as info:
        open_warehouse("postgresql://nobody:pw@127.0.0.1:1/nowhere")
    assert "Cannot connect to PostgreSQL" in info.value.message
    assert "pw" not in info.value.message


def test_redact_url() -> None:
    assert redact_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_url("duckdb:///tmp/x.duckdb") == "duckdb:///tmp/x.duckdb"
