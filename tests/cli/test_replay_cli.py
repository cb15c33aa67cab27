"""`houselights replay` rebuilds canonical rows from kept raw records."""

from __future__ import annotations

from pathlib import Path

import pytest

from houselights.cli.main import main
from houselights.sources.upload.generate import generate_upload
from houselights.warehouse import open_warehouse

from ..exchange.factory import table_dump


def test_replay_restores_lost_rows_and_changes_nothing_else(
    hl_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], warehouse_url: str
) -> None:
    path = tmp_path / "sales.csv"
    generate_upload(path, lines=300, seed=5)
    assert main(["org", "add", "riverside-arts", "--name", "Riverside"]) == 0
    assert main(["upload", "riverside-arts", str(path)]) == 0
    wh = open_warehouse(warehouse_url)
    with wh.connect() as s:
        before = table_dump(s, "riverside-arts", with_load=False)
        lost = s.scalar("SELECT MIN(order_id) FROM orders WHERE org_id = 'riverside-arts'")
        s.execute("DELETE FROM order_lines WHERE order_id = ?", [lost])
        s.execute("DELETE FROM orders WHERE order_id = ?", [lost])
    wh.close()
    capsys.readouterr()
    assert main(["replay", "riverside-arts"]) == 0
    out = capsys.readouterr().out
    assert "Replay" in out and "0 changed" in out  # the lost order comes back; nothing else
    wh = open_warehouse(warehouse_url)
    with wh.connect() as s:
        assert table_dump(s, "riverside-arts", with_load=False) == before
        kinds = [r[0] for r in s.fetchall("SELECT kind FROM runs ORDER BY started_at")]
    wh.close()
    assert kinds == ["upload", "replay"]


def test_replay_without_raw_records_says_so(
    hl_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["org", "add", "empty-org", "--name", "Empty"]) == 0
    assert main(["replay", "empty-org"]) == 3
    assert "no raw records" in capsys.readouterr().err
