"""SIGKILL during a backfill, then a rerun: the warehouse equals a clean run's.

The sync runs as a real ``houselights sync`` process against a simulator served from this
test process; PostgreSQL lets the test watch loads commit while the process runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from source_kit import (
    ORG,
    actual,
    connect,
    expected,
    make_hl,
    running,
    sim_config,
    snapshot,
    sync_org,
    write_order_ids,
)

from houselights.exchange.state import get_state

HOUSELIGHTS = str(Path(sys.executable).with_name("houselights"))


def _loads(hl: object, kind: str) -> int:
    with hl.warehouse.connect() as s:  # type: ignore[attr-defined]
        return int(
            s.scalar(
                "SELECT COUNT(*) FROM loads l JOIN runs r ON r.run_id = l.run_id"
                " WHERE r.org_id = ? AND r.kind = ?",
                [ORG, kind],
            )
        )


def test_sigkill_mid_backfill_then_rerun_equals_clean_run(tmp_path: Path, pg_schemas) -> None:
    killed_url, clean_url = pg_schemas.new_url(), pg_schemas.new_url()
    hl = make_hl(tmp_path / "killed", killed_url)
    with running(sim_config(tickets=2_000, latency_ms=10)) as sim:
        connect(hl, sim, backfill_chunk=100)
        ids = write_order_ids(sim, tmp_path / "ids.csv")
        env = {
            **os.environ,
            "HOUSELIGHTS_DATA_DIR": str(tmp_path / "killed" / "data"),
            "HOUSELIGHTS_DATABASE_URL": killed_url,
        }
        env.pop("HOUSELIGHTS_SECRET_KEY", None)
        log = tmp_path / "sync.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [HOUSELIGHTS, "sync", ORG, "--backfill", str(ids)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        deadline = time.monotonic() + 60
        while _loads(hl, "backfill") < 3:  # the catalogue and at least two chunks committed
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the backfill did not commit loads in time"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with hl.warehouse.connect() as s:
            state = get_state(s, ORG, "spektrix", "orders_backfill")
        assert state is not None and state.checkpoint is not None
        stopped_at = state.checkpoint["position"]
        assert 0 < stopped_at < len(sim.truth("demo").orders)
        assert not state.checkpoint.get("complete")

        rerun = subprocess.run(
            [HOUSELIGHTS, "sync", ORG, "--backfill", str(ids)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert f"resumed at {stopped_at:,}" in rerun.stdout
        with hl.warehouse.connect() as s:
            failed = s.fetchall(
                "SELECT message FROM runs WHERE org_id = ? AND status = 'failed'", [ORG]
            )
        assert len(failed) == 1 and "Interrupted" in failed[0][0]

        clean = make_hl(tmp_path / "clean", clean_url)
        connect(clean, sim, backfill_chunk=100)
        sync_org(clean, ORG, backfill_file=ids)
        assert snapshot(hl) == snapshot(clean)
        assert actual(hl) == expected(sim.truth("demo"))
        clean.close()
    hl.close()
