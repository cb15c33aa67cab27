"""A full backfill plus incremental syncs reproduce the simulator's truth exactly."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
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

from houselights.common import utcnow
from houselights.exchange.state import get_state
from houselights.services.connections import sync
from houselights.sources.kit.source import SyncRequest


def test_backfill_and_incremental_equal_truth(tmp_path: Path, warehouse_url: str) -> None:
    hl = make_hl(tmp_path, warehouse_url)
    with running(sim_config(tickets=2_500)) as sim:
        connect(hl, sim)
        ids = write_order_ids(sim, tmp_path / "ids.csv")
        first = sync_org(hl, ORG, backfill_file=ids)
        assert first.notes["backfill_total"] == len(sim.truth("demo").orders)
        assert len(list(first.loads)) >= 4  # catalogue, chunks of 400, audit, incremental
        assert actual(hl) == expected(sim.truth("demo"))
        for days in (3, 2):
            counts = sim.advance("demo", days=days)
            assert counts["new_orders"] + counts["changed_orders"] > 0
            summary = sync_org(hl, ORG)
            assert summary.notes["feed"] == "orders/sync"
            assert summary.requests < 60  # the cost follows the changes, not the history
            assert actual(hl) == expected(sim.truth("demo"))
        # Totals as money, independently of line matching: each order's documented total.
        truth = sim.truth("demo")
        issued = sum(o["total"] for o in truth.orders)
        with hl.warehouse.connect() as s:
            total = s.scalar(
                "SELECT SUM(price_paid) FROM order_lines WHERE org_id = ? AND status = 'issued'",
                [ORG],
            )
        assert float(total) == pytest.approx(issued, abs=0.005)
    hl.close()


def test_rerun_changes_nothing_and_replay_rebuilds(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_500)) as sim:
        connect(hl, sim)
        ids = write_order_ids(sim, tmp_path / "ids.csv")
        sync_org(hl, ORG, backfill_file=ids)
        before = snapshot(hl)
        again = sync_org(hl, ORG, backfill_file=ids)  # backfill complete: incremental only
        assert any("completed before" in w for w in again.warnings)
        assert sum(x.counts.inserted + x.counts.updated for x in again.loads) == 0
        assert snapshot(hl) == before
    from houselights.services.exchange import replay

    with hl.warehouse.connect() as s, s.transaction():
        s.execute("DELETE FROM order_lines WHERE org_id = ?", [ORG])
        s.execute("DELETE FROM orders WHERE org_id = ?", [ORG])
        s.execute("DELETE FROM contact_preferences WHERE org_id = ?", [ORG])
    replay(hl, ORG, source="spektrix")
    assert snapshot(hl) == before
    hl.close()


def test_date_window_fallback_equals_truth(tmp_path: Path) -> None:
    """Without orders/sync, 4-day windows with de-duplication catch every change — even
    with the repeated-page quirk switched on for long windows."""
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_500, repeat_pages_over_days=5)) as sim:
        connect(hl, sim, orders_feed="windows")
        sync_org(hl, ORG, backfill_file=write_order_ids(sim, tmp_path / "ids.csv"))
        sim.advance("demo", days=6)
        summary = sync_org(hl, ORG)
        assert summary.notes["feed"] == "date windows"
        assert actual(hl) == expected(sim.truth("demo"))
        with hl.warehouse.connect() as s:
            state = get_state(s, ORG, "spektrix", "orders_windows")
        assert state is not None and state.cursor is not None
        newest = max(o["lastTransactionDate"][:10] for o in sim.truth("demo").orders)
        assert state.cursor == newest  # the next run starts at the newest transaction day
    hl.close()


def test_first_sync_without_backfill_reads_the_whole_feed(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_500)) as sim:
        connect(hl, sim)
        summary = sync_org(hl, ORG)
        assert summary.counts["orders"] == len(sim.truth("demo").orders)
        assert actual(hl) == expected(sim.truth("demo"))
    hl.close()


def test_scheduled_syncs_read_the_audit_report_once_a_day(
    tmp_path: Path, warehouse_url: str
) -> None:
    """The Customer Audit report is scheduled daily in Spektrix: a scheduled sync reads it
    once per ``refresh_hours`` (orders every time); a sync someone asks for reads it."""
    hl = make_hl(tmp_path, warehouse_url)
    with running(sim_config(tickets=800)) as sim:
        connect(hl, sim)
        ids = write_order_ids(sim, tmp_path / "ids.csv")
        sync_org(hl, ORG, backfill_file=ids)
        assert sim.advance("demo", days=1)["new_orders"] > 0
        sim.reset_hits()
        waiting = sync(hl, ORG, request=SyncRequest(scheduled=True))
        hits = sim.hits("demo")
        assert "reports/customer-audit" not in hits, hits
        assert waiting.notes["not_due"].keys() == {"audit"}
        with hl.warehouse.connect() as s:
            orders = s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = ?", [ORG])
        assert orders == len(sim.truth("demo").orders)  # the orders are never held back
        # A day after its last read (the state says when) the report is due again.
        with hl.warehouse.connect() as s, s.transaction():
            s.execute(
                "UPDATE stream_state SET updated_at = ? WHERE org_id = ? AND stream = 'audit'",
                [utcnow() - timedelta(hours=24, minutes=1), ORG],
            )
        sim.reset_hits()
        due = sync(hl, ORG, request=SyncRequest(scheduled=True))
        assert sim.hits("demo").get("reports/customer-audit") == 1
        assert "not_due" not in due.notes
        assert actual(hl) == expected(sim.truth("demo"))
        # Read just now, but asked for by someone: read again.
        sim.reset_hits()
        sync(hl, ORG)
        assert sim.hits("demo").get("reports/customer-audit") == 1
    hl.close()
