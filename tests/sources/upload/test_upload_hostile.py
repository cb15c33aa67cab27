"""Hostile uploads (issue 14): each is refused with a short one-line reason, after a
bounded amount of work and memory, and publishes nothing — on both backends.

The corpus (``hostile_files.CASES``) is generated once per session, small on disk. Work is
bounded structurally, never timed: the lines the reader looked at and the bytes it read
from disk before refusing. Memory is measured as peak RSS in a fresh process, per file.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_files import CASES, MB, HostileCase

from houselights.context import Houselights
from houselights.errors import UploadError
from houselights.model.schema import CANONICAL_TABLES
from houselights.orgs.service import add_org
from houselights.services.exchange import upload_file
from houselights.sources.upload import read_upload
from houselights.sources.upload.generate import generate_upload

ORG = "harbour-arts"
MESSAGE_CHARS = 800  # a refusal's message: one line, at most this long
HINT_CHARS = 300
RSS_GROWTH_MB = 120  # per file; the probe saw 1.7–5.4 GB


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every hostile file, built once."""
    root = tmp_path_factory.mktemp("hostile")
    built = {}
    for case in CASES:
        folder = root / case.name
        folder.mkdir()
        built[case.name] = case.build(folder)
    return built


def _bytes_read() -> int:
    """Bytes this process has read through system calls so far (Linux)."""
    text = Path("/proc/self/io").read_text(encoding="ascii")
    match = re.search(r"^rchar: (\d+)$", text, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def _assert_short_and_clear(error: UploadError, case: HostileCase) -> None:
    message, hint = error.message, error.hint
    assert case.message in message, message
    assert "\n" not in message and "\r" not in message
    assert len(message) <= MESSAGE_CHARS, len(message)
    assert hint and "\n" not in hint and len(hint) <= HINT_CHARS
    assert "root:" not in message and "root:" not in hint


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.timeout(120)  # a pipe opened for reading would wait for ever
def test_the_reader_refuses_after_bounded_work(case: HostileCase, corpus: dict[str, Path]) -> None:
    path = corpus[case.name]
    reader = None
    before = _bytes_read()
    overhead = _bytes_read() - before  # reading /proc/self/io is itself a read
    before = _bytes_read()
    with pytest.raises(UploadError) as caught:
        reader = read_upload(path)
        for _ in reader:
            pass
    read = _bytes_read() - before - overhead
    _assert_short_and_clear(caught.value, case)
    assert read <= case.max_read, f"read {read:,} bytes"
    if case.max_rows is None:
        assert reader is None, "refused only after the header was accepted"
    else:
        assert reader is not None
        looked_at = reader.table.rows_read + reader.table.empty_rows
        assert looked_at <= case.max_rows, looked_at


@pytest.fixture
def hl(tmp_path: Path, warehouse_url: str) -> Iterator[Houselights]:
    app = Houselights(data_dir=tmp_path / "data", database_url=warehouse_url)
    with app.warehouse.connect() as session, session.transaction():
        add_org(session, ORG, "Harbour Arts")
    yield app
    app.close()


def _snapshot(hl: Houselights) -> dict[str, Any]:
    """Every published row of the organisation, and its lineage and quarantine counts."""
    tables: dict[str, Any] = {}
    with hl.warehouse.connect() as s:
        for table in CANONICAL_TABLES:
            rows = s.fetchall(f"SELECT * FROM {table.name} WHERE org_id = ?", [ORG])
            tables[table.name] = sorted(rows, key=repr)
        for name in ("raw_records", "quarantine", "loads", "check_results"):
            tables[name] = s.scalar(f"SELECT COUNT(*) FROM {name} WHERE org_id = ?", [ORG])
    return tables


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.timeout(120)
def test_a_hostile_upload_publishes_nothing(
    case: HostileCase, corpus: dict[str, Path], hl: Houselights, backend: str
) -> None:
    before = _snapshot(hl)
    with pytest.raises(UploadError) as caught:
        upload_file(hl, ORG, corpus[case.name])
    _assert_short_and_clear(caught.value, case)
    assert _snapshot(hl) == before
    with hl.warehouse.connect() as s:
        runs = s.fetchall("SELECT status, message FROM runs WHERE org_id = ?", [ORG])
    # Refused before its run started, or in it: then the run failed with the same reason.
    assert all(run == ("failed", caught.value.message) for run in runs), runs


# Runs in a fresh interpreter that imports everything, then forks one child per file:
# each child opens the warehouse, resets its peak (/proc/self/clear_refs), uploads, and
# reports its peak resident memory above what it held just before the upload.
_MEASURE = """
import json, os, re, sys
from pathlib import Path
import openpyxl  # imported up front: its import is not the upload's cost
from houselights.context import Houselights
from houselights.errors import HouselightsError
from houselights.orgs.service import add_org
from houselights.services.exchange import upload_file

def status(field):
    text = Path("/proc/self/status").read_text()
    return int(re.search(field + r":\\s+(\\d+) kB", text).group(1)) / 1024

url, data_dir, files = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
first = True
for name, path in files.items():
    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        hl = Houselights(data_dir=data_dir, database_url=url)
        with hl.warehouse.connect() as s, s.transaction():
            if first:
                add_org(s, "harbour-arts", "Harbour Arts")
        Path("/proc/self/clear_refs").write_text("5")
        before = status("VmRSS")
        try:
            upload_file(hl, "harbour-arts", Path(path))
            outcome = "accepted"
        except HouselightsError as exc:
            outcome = exc.message
        peak = status("VmHWM")
        hl.close()
        print(json.dumps({"case": name, "growth_mb": peak - before, "outcome": outcome}))
        sys.stdout.flush()
        os._exit(0)
    _, code = os.waitpid(child, 0)
    assert code == 0, (name, code)
    first = False
"""


@pytest.mark.timeout(600)
def test_peak_memory_per_hostile_upload_is_bounded(
    corpus: dict[str, Path], warehouse_url: str, tmp_path: Path
) -> None:
    files = {name: str(path) for name, path in corpus.items()}
    # A control: a real file the same process accepts, so the measure is seen to work.
    control = generate_upload(tmp_path / "control.csv", lines=20_000, seed=14).path
    files["control"] = str(control)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, warehouse_url, str(tmp_path / "data"), json.dumps(files)],
        capture_output=True,
        text=True,
        timeout=550,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = [json.loads(line) for line in done.stdout.splitlines()]
    print("peak RSS growth per hostile upload (MB):")
    for row in figures:
        print(f"  {row['case']:24} {row['growth_mb']:7.1f}")
    by_case = {row["case"]: row for row in figures}
    assert set(by_case) == set(files)
    assert by_case["control"]["outcome"] == "accepted"
    assert by_case["control"]["growth_mb"] > 2 * max(
        by_case[case.name]["growth_mb"] for case in CASES if case.max_rows is None
    )
    for case in CASES:
        row = by_case[case.name]
        assert case.message in row["outcome"], row
        assert row["growth_mb"] < RSS_GROWTH_MB, row


def test_the_corpus_is_small_on_disk(corpus: dict[str, Path]) -> None:
    sizes = {
        name: path.stat().st_size
        for name, path in corpus.items()
        if path.is_file() and not path.is_symlink()
    }
    assert len(sizes) >= 13
    assert max(sizes.values()) <= 3 * MB, sizes
