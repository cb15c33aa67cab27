"""A 200 MB upload streams with bounded memory (measured in a fresh process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from houselights.sources.upload.generate import generate_upload

# Runs in its own interpreter so the peak RSS is this read's and nothing else's.
_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from houselights.sources.upload import read_upload

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

before = peak_mb()
started = time.perf_counter()
reader = read_upload(Path(sys.argv[1]), chunk_rows=int(sys.argv[2]))
batches = 0
for batch in reader:
    batches += 1
    del batch  # the consumer (the exchange) stages a batch and lets it go
print(json.dumps({
    "growth_mb": peak_mb() - before, "lines": reader.lines_read,
    "rejected": reader.rows_rejected, "batches": batches,
    "seconds": time.perf_counter() - started, "entities": reader.entity_counts,
}))
"""


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_200_mb_file_streams_with_bounded_memory(tmp_path: Path) -> None:
    size = 200 * 1024 * 1024
    made = generate_upload(tmp_path / "large.csv", target_bytes=size)
    assert made.path.stat().st_size >= size
    # chunk_rows=20,000 keeps a chunk's share small, so what the assertion measures is
    # whether memory grows with the file (it must not, beyond the per-entity dedupe
    # indexes). With the default 50,000 the peak growth on this file is about 150 MB.
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(made.path), "20000"],
        capture_output=True, text=True, check=True, timeout=850,
    )
    figures = json.loads(done.stdout)
    print(f"200 MB upload: {figures}")
    assert figures["lines"] == made.lines > 1_000_000
    assert figures["rejected"] == 0
    assert figures["batches"] == -(-made.lines // 20_000)
    assert figures["entities"]["orders"] == made.orders
    # Well below the file's size, and far below holding it (several GB as Python rows).
    assert figures["growth_mb"] < 150, figures
