"""What the CLI prints and writes is safe: no spreadsheet formulas in its CSV, no terminal
escape codes or Rich markup from data, and files readable by their owner only."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from houselights.cli.main import main
from houselights.exchange import Batch, ExchangeRun
from houselights.safe_output import neutralise, strip_control
from houselights.warehouse import open_warehouse

FORMULA = '=HYPERLINK("http://evil.example","x")'
ESCAPES = "Gala\x1b]0;pwned\x07\x1b[2J\x1b[31m night\u202e"
MARKUP = "[link=http://evil.example]Click[/link] [bold]me[/]"
BAD_ORDER = "=2+5\x1b[8m"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hostile(hl_env: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """An organisation whose published data holds formulas, escape codes and markup."""
    assert run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")[0] == 0
    batch = Batch()
    batch.add(
        "events",
        [{"event_id": f"e{k}", "name": n} for k, n in enumerate((FORMULA, ESCAPES, MARKUP))],
    )
    batch.add(
        "instances",
        [
            {
                "instance_id": f"i{k}",
                "event_id": f"e{k}",
                "starts_at": datetime(2025, 5, 1, 19, 30),
                "cancelled": False,
                "is_supplementary": False,
            }
            for k in range(3)
        ],
    )
    batch.add(
        "orders",
        [{"order_id": BAD_ORDER, "created_at": datetime(2025, 4, 1), "lines_hash": ""}],
    )
    batch.add(
        "order_lines",
        [
            {
                "order_id": BAD_ORDER,
                "line_no": 1,
                "kind": "ticket",
                "instance_id": "i0",
                "price_paid": Decimal("10.00"),
                "is_concession": False,
                "is_comp": False,
                "status": "exploded",  # quarantined, with its order
            }
        ],
    )
    wh = open_warehouse(os.environ["HOUSELIGHTS_DATABASE_URL"])
    try:
        with ExchangeRun(wh, "riverside-arts", source="upload", kind="upload") as exchange:
            exchange.publish(batch)
    finally:
        wh.close()
    return "riverside-arts"


def test_csv_output_neutralises_formulas(hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "events", hostile, "--format", "csv")
    assert code == 0
    names = [row["Event Name"] for row in csv.DictReader(io.StringIO(out))]
    assert sorted(names) == sorted(neutralise(strip_control(n)) for n in (FORMULA, ESCAPES, MARKUP))
    assert "'" + FORMULA in names
    assert "\x1b" not in out and "\x07" not in out

    code, out, _ = run(capsys, "quarantine", "list", hostile, "--format", "csv")
    assert code == 0
    keys = {row["record_key"] for row in csv.DictReader(io.StringIO(out))}
    assert "'=2+5[8m" in keys and "\x1b" not in out


def test_negative_numbers_stay_numbers_in_csv(capsys: pytest.CaptureFixture[str]) -> None:
    from houselights.cli.common import OutputFormat, emit_rows

    emit_rows([{"change": -5, "label": "-5", "note": "Hamlet - the play"}], OutputFormat.csv)
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "-5,'-5,Hamlet - the play"


def test_tables_show_data_as_plain_text(hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("report", "events", hostile), ("quarantine", "list", hostile)):
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert not any(c in out for c in "\x1b\x07\u202e"), args
    code, out, _ = run(capsys, "report", "events", hostile)
    assert "[bold]me[/]" in out  # markup in data is printed, not obeyed
    assert "Gala" in out and "night" in out


def test_emit_rows_never_reads_data_as_markup(capsys: pytest.CaptureFixture[str]) -> None:
    from houselights.cli.common import OutputFormat, emit_rows

    emit_rows([{"name": MARKUP}], OutputFormat.table)
    emit_rows([{"note": ESCAPES}], OutputFormat.table)
    out = capsys.readouterr().out
    assert MARKUP in out
    assert strip_control(ESCAPES) in out and "\x1b" not in out


def test_errors_quoting_data_are_plain_text(
    hl_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "org", "show", "x\x1b[2J[bold]y")
    assert code != 0
    assert "\x1b" not in err


@pytest.fixture
def duckdb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(data))
    monkeypatch.delenv("HOUSELIGHTS_DATABASE_URL", raising=False)
    monkeypatch.delenv("HOUSELIGHTS_SECRET_KEY", raising=False)
    return data


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_files_are_private(
    duckdb_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    previous = os.umask(0o022)  # a typical login umask: files 0644 unless we take care
    try:
        assert run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")[0] == 0
        database = duckdb_dir / "houselights.duckdb"
        assert _mode(database) == 0o600

        # DuckDB writes its log beside the database while a command runs: private too.
        from houselights.services import exchange

        seen: dict[str, int] = {}

        def list_runs_and_write(session, org_id, *, limit=20):  # type: ignore[no-untyped-def]
            session.execute("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)")
            session.execute("INSERT INTO scratch VALUES (1)")
            wal = database.with_name(database.name + ".wal")
            seen["wal"] = _mode(wal)
            return []

        monkeypatch.setattr(exchange, "list_runs", list_runs_and_write)
        assert run(capsys, "runs", "list", "riverside-arts")[0] == 0
        assert seen["wal"] == 0o600

        template = tmp_path / "template.csv"
        assert run(capsys, "upload-template", str(template))[0] == 0
        assert _mode(template) == 0o600
        assert os.umask(0o022) == 0o022  # the CLI put the caller's umask back
    finally:
        os.umask(previous)


def test_library_creates_the_database_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        wh = open_warehouse(f"duckdb://{tmp_path / 'lib.duckdb'}")
        wh.close()
        assert _mode(tmp_path / "lib.duckdb") == 0o600
        assert os.umask(0o022) == 0o022  # and left the process umask as it was
    finally:
        os.umask(previous)


def test_log_lines_are_plain_text(hl_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    try:
        assert run(capsys, "--verbose", "org", "list")[0] == 0
        logging.getLogger("houselights.test").warning("row %s", "Gala\x1b]0;pwned\x07\x1b[2J")
        err = capsys.readouterr().err
        assert "Gala" in err and "\x1b" not in err and "\x07" not in err
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
