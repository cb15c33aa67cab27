"""`houselights upload` end to end on both backends, and a SIGKILL in the middle."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from houselights.cli.main import main
from houselights.sources.upload.generate import generate_upload
from houselights.warehouse import open_warehouse

from ..exchange.factory import table_dump


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_upload_reports_bad_rows_and_publishes_the_rest(
    hl_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], warehouse_url: str
) -> None:
    path = tmp_path / "sales.csv"
    generate_upload(path, lines=400, seed=3)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    date_col = header.index("Order Date")
    cells = lines[5].split(",")
    bad_order = cells[header.index("Order ID")]
    cells[date_col] = "31/02/2025"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    assert run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")[0] == 0
    code, out, err = run(capsys, "upload", "riverside-arts", str(path))
    assert code == 0, err
    assert "line 6" in out and "31/02/2025" in out
    assert "held back" in out
    wh = open_warehouse(warehouse_url)
    with wh.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM orders WHERE order_id = ?", [bad_order]) == 0
        published = s.scalar("SELECT COUNT(*) FROM order_lines WHERE org_id = 'riverside-arts'")
        quarantined_lines = s.scalar(
            "SELECT COUNT(*) FROM quarantine WHERE table_name ="
            " 'order_lines' AND org_id = 'riverside-arts'"
        )
        first = table_dump(s, "riverside-arts")
    wh.close()
    assert published + quarantined_lines == 400  # nothing silently dropped
    # The same file again changes nothing, load ids included.
    code, out, _ = run(capsys, "upload", "riverside-arts", str(path))
    assert code == 0 and "0 new, 0 changed" in out
    wh = open_warehouse(warehouse_url)
    with wh.connect() as s:
        assert table_dump(s, "riverside-arts") == first
    wh.close()
    code, out, _ = run(capsys, "report", "events", "riverside-arts", "--format", "csv")
    assert code == 0 and out.startswith("Event ID,Event Name,First Instance,Last Instance")


def test_upload_file_level_errors_are_clear(
    hl_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(os.urandom(4096))
    code, _, err = run(capsys, "upload", "riverside-arts", str(garbage))
    assert code == 2 and "Traceback" not in err and "What to do" in err
    missing = tmp_path / "cols.csv"
    missing.write_text("Order ID,Order Date\n1,2024-01-01\n", encoding="utf-8")
    code, _, err = run(capsys, "upload", "riverside-arts", str(missing))
    assert code == 2 and "Price Paid" in err


def test_many_problems_print_the_first_and_count_the_rest(
    hl_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sales.csv"
    generate_upload(path, lines=300, seed=5)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    price = header.index("Price Paid")
    for i in range(1, 121):  # 120 unreadable lines: fewer than half
        cells = lines[i].split(",")
        cells[price] = "x" * 1_000
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")
    errors = tmp_path / "problems.csv"
    code, out, err = run(capsys, "upload", "riverside-arts", str(path), "--errors-out", str(errors))
    assert code == 0, err
    counted = re.search(r"([\d,]+) rows held back \(", out)
    assert counted is not None
    total = int(counted.group(1).replace(",", ""))
    assert total >= 120 and "readable" in out
    shown = [ln for ln in out.splitlines() if ln.startswith("  order")]
    assert len(shown) == 50
    assert f"… and {total - 50:,} more." in out
    assert max(len(ln) for ln in out.splitlines()) < 400  # a long value is never echoed whole
    with errors.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.reader(handle))) == total + 1


def test_hostile_paths_get_one_line_and_no_secret(
    hl_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "org", "add", "riverside-arts", "--name", "Riverside")
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$saltsalt$hashhash:19000:0:99999:7:::\n", encoding="utf-8")
    link = tmp_path / "sales.csv"
    link.symlink_to(secret)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    oneline = tmp_path / "oneline.csv"
    oneline.write_bytes(b"Order ID," + b"x," * 1_000_000)
    for path, expected in (
        (link, "sales.csv: is a symbolic link"),
        (pipe, "not a file (a named pipe)"),
        (oneline, "line 1: is longer than 1,048,576 characters without a line break"),
    ):
        code, out, err = run(capsys, "upload", "riverside-arts", str(path))
        assert code == 2 and expected in err and "Traceback" not in err
        assert "root:" not in out + err
        assert len(err) < 1_000


def test_upload_template_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "template.csv"
    assert run(capsys, "upload-template", str(target))[0] == 0
    assert "Order ID" in target.read_text(encoding="utf-8-sig")
    code, _, err = run(capsys, "upload-template", str(target))
    assert code == 2 and "exists already" in err


def _wait_for_the_run_to_start(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll until the upload's run is recorded as running (PostgreSQL: the runs table;
    DuckDB, whose file the process holds: its write-ahead log, written by that commit)."""
    deadline = time.monotonic() + 120
    wal = Path(url.removeprefix("duckdb://") + ".wal")
    while True:
        assert proc.poll() is None, "the upload finished before it could be killed"
        assert time.monotonic() < deadline, "the upload did not start in time"
        if url.startswith("duckdb://"):
            if wal.exists() and wal.stat().st_size > 0:
                return
        else:
            wh = open_warehouse(url, migrate=False)
            try:
                with wh.connect() as s:
                    if s.scalar("SELECT COUNT(*) FROM runs WHERE status = 'running'"):
                        return
            finally:
                wh.close()
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_mid_upload_then_rerun_equals_clean_run(
    tmp_path: Path, warehouse_url: str, backend: str, pg_schemas: object
) -> None:
    from ..conftest import PgSchemas, make_url

    assert isinstance(pg_schemas, PgSchemas)
    path = tmp_path / "big.csv"
    generate_upload(path, lines=40_000, seed=11)
    env = {
        **os.environ,
        "HOUSELIGHTS_DATA_DIR": str(tmp_path / "data"),
        "HOUSELIGHTS_DATABASE_URL": warehouse_url,
    }
    cli = [
        sys.executable,
        "-m",
        "houselights.cli",
    ]
    subprocess.run(
        [*cli, "org", "add", "big-org", "--name", "Big"], env=env, check=True, capture_output=True
    )
    proc = subprocess.Popen(
        [*cli, "upload", "big-org", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_the_run_to_start(warehouse_url, proc)  # reading/staging, before the commit
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wh = open_warehouse(warehouse_url)
    with wh.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM order_lines") == 0  # nothing half-published
    wh.close()
    subprocess.run([*cli, "upload", "big-org", str(path)], env=env, check=True, capture_output=True)
    clean_url = make_url(backend, tmp_path, pg_schemas)
    clean_env = {**env, "HOUSELIGHTS_DATABASE_URL": clean_url}
    subprocess.run(
        [*cli, "org", "add", "big-org", "--name", "Big"],
        env=clean_env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*cli, "upload", "big-org", str(path)], env=clean_env, check=True, capture_output=True
    )
    killed, clean = open_warehouse(warehouse_url), open_warehouse(clean_url)
    with killed.connect() as a, clean.connect() as b:
        assert table_dump(a, "big-org", with_load=False) == table_dump(
            b, "big-org", with_load=False
        )
        statuses = sorted(r[0] for r in a.fetchall("SELECT status FROM runs"))
    assert statuses == ["failed", "published"]  # the killed run is recorded as interrupted
    killed.close()
    clean.close()
