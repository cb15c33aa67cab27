"""The scheduler: due syncs run once per organisation, even with several workers."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from houselights.jobs.scheduler import PassResult, due_syncs, run_due_syncs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources" / "spektrix"))
from source_kit import connect, make_hl, running, sim_config


def test_due_syncs_run_once_and_then_wait(tmp_path: Path, warehouse_url: str) -> None:
    hl = make_hl(tmp_path, warehouse_url)
    with running(sim_config(tickets=800)) as sim:
        connect(hl, sim, org="org-a")
        connect(hl, sim, org="org-b")
        assert [d.org_id for d in due_syncs(hl)] == ["org-a", "org-b"]
        first = run_due_syncs(hl)
        assert sorted(first.synced) == ["org-a", "org-b"] and first.failed == {}
        assert due_syncs(hl) == []  # the hourly interval has not passed
        second = run_due_syncs(hl)
        assert second.synced == [] and second.skipped_busy == []
    with hl.warehouse.connect() as s:
        for org in ("org-a", "org-b"):
            assert s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = ?", [org]) > 0
    hl.close()


def test_concurrent_workers_never_sync_one_org_twice(tmp_path: Path, pg_schemas: object) -> None:
    from ..conftest import PgSchemas

    assert isinstance(pg_schemas, PgSchemas)
    url = pg_schemas.new_url()
    setup = make_hl(tmp_path, url)
    with running(sim_config(tickets=800)) as sim:
        for org in ("org-a", "org-b", "org-c"):
            connect(setup, sim, org=org)
        setup.close()
        results: list[PassResult] = []
        workers = [make_hl(tmp_path, url) for _ in range(3)]  # three "machines"
        threads = [threading.Thread(target=lambda w=w: results.append(run_due_syncs(w)))
                   for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    synced = sorted(org for r in results for org in r.synced)
    assert synced == ["org-a", "org-b", "org-c"]  # each exactly once
    assert all(r.failed == {} for r in results)
    check = make_hl(tmp_path, url)
    with check.warehouse.connect() as s:
        per_org = s.fetchall("SELECT org_id, COUNT(*) FROM runs WHERE status = 'published'"
                             " GROUP BY org_id ORDER BY org_id")
    assert [r[0] for r in per_org] == ["org-a", "org-b", "org-c"]
    check.close()
    for w in workers:
        w.close()
