"""The exchange pipeline on both backends: atomic, idempotent, traceable."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from houselights.errors import ChecksFailedError, ConflictError
from houselights.exchange import Batch, ExchangeRun, RejectedRow, StreamCursor
from houselights.exchange.state import get_state
from houselights.warehouse import Warehouse

from .factory import line, orders_batch, table_dump


def publish(wh: Warehouse, batch: Batch, org: str = "acme", **kw: object):  # type: ignore[no-untyped-def]
    with ExchangeRun(wh, org, source="test", kind="incremental", **kw) as run:  # type: ignore[arg-type]
        return run.publish(batch)


def test_publishes_rows_with_lineage(warehouse: Warehouse) -> None:
    result = publish(warehouse, orders_batch())
    with warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = 'acme'") == 3
        assert s.scalar("SELECT COUNT(*) FROM order_lines WHERE org_id = 'acme'") == 6
        load_ids = {r[0] for r in s.fetchall("SELECT DISTINCT load_id FROM order_lines")}
        assert load_ids == {result.load_id}
        run = s.fetchone(
            "SELECT r.status, r.rows_published FROM loads l JOIN runs r"
            " ON r.run_id = l.run_id WHERE l.load_id = ?",
            [result.load_id],
        )
        assert run == ("published", result.counts.inserted)
        assert s.scalar("SELECT COUNT(*) FROM raw_records WHERE org_id = 'acme'") == 3
    assert result.counts.by_table["order_lines"] == (6, 0, 0)


def test_same_batch_twice_leaves_identical_tables(warehouse: Warehouse) -> None:
    publish(warehouse, orders_batch())
    with warehouse.connect() as s:
        before = table_dump(s, "acme")
    second = publish(warehouse, orders_batch())
    with warehouse.connect() as s:
        after = table_dump(s, "acme")
    assert before == after  # load ids included: unchanged rows keep their lineage
    assert second.counts.inserted == 0 and second.counts.updated == 0
    assert second.counts.unchanged == second.rows_staged


def test_changed_order_replaces_its_line_set(warehouse: Warehouse) -> None:
    publish(warehouse, orders_batch(n_orders=2, lines_per_order=3))
    batch = Batch()
    batch.add(
        "orders",
        [
            {
                "order_id": "o0",
                "customer_id": "c0",
                "created_at": "2025-04-21T19:30:00",
                "channel": "online",
            }
        ],
    )
    batch.add("order_lines", [line("o0", 1), line("o0", 2, status="returned")])
    result = publish(warehouse, batch)
    with warehouse.connect() as s:
        rows = s.fetchall(
            "SELECT line_no, status, load_id FROM order_lines"
            " WHERE org_id = 'acme' AND order_id = 'o0' ORDER BY line_no"
        )
        untouched = s.fetchall("SELECT DISTINCT load_id FROM order_lines WHERE order_id = 'o1'")
    assert [(r[0], r[1]) for r in rows] == [(1, "issued"), (2, "returned")]
    assert {r[2] for r in rows} == {result.load_id}
    assert untouched[0][0] != result.load_id
    assert result.counts.by_table["orders"] == (0, 1, 0)


def test_fail_run_check_rolls_back_everything(warehouse: Warehouse) -> None:
    batch = orders_batch()
    batch.add(
        "orders",
        [
            {
                "order_id": "o1",
                "customer_id": "c1",
                "created_at": "2025-04-21T19:30:00",
                "channel": "online",
            }
        ],
    )
    batch.cursors.append(StreamCursor("orders", "2025-05-01"))
    with pytest.raises(ChecksFailedError) as info:
        publish(warehouse, batch)
    assert "orders.key_unique" in info.value.message
    with warehouse.connect() as s:
        for table in (
            "orders",
            "order_lines",
            "customers",
            "events",
            "raw_records",
            "quarantine",
            "loads",
        ):
            assert s.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
        assert get_state(s, "acme", "test", "orders") is None
        status, message = s.fetchone("SELECT status, message FROM runs")  # type: ignore[misc]
        assert status == "failed" and "orders.key_unique" in message
        outcome = s.fetchone(
            "SELECT outcome, failing_rows FROM check_results WHERE check_name = 'orders.key_unique'"
        )
        assert outcome == ("fail", 2)


def test_bad_line_quarantines_whole_order(warehouse: Warehouse) -> None:
    batch = orders_batch()
    batch.tables["order_lines"][1]["price_paid"] = Decimal("-4.00")  # type: ignore[index]
    result = publish(warehouse, batch)
    with warehouse.connect() as s:
        assert s.fetchall("SELECT DISTINCT order_id FROM order_lines ORDER BY 1") == [
            ("o1",),
            ("o2",),
        ]
        assert s.scalar("SELECT COUNT(*) FROM orders WHERE order_id = 'o0'") == 0
        q = s.fetchall("SELECT table_name, record_key, check_name FROM quarantine ORDER BY 1, 2")
    assert ("order_lines", "o0/2", "order_lines.price_paid_range") in q
    assert ("orders", "o0", "order_lines.price_paid_range") in q
    assert ("order_lines", "o0/1", "order_lines.price_paid_range") in q
    assert result.quarantined >= 1


def test_rejected_rows_from_reader_hold_back_their_order(warehouse: Warehouse) -> None:
    batch = orders_batch()
    batch.rejected.append(
        RejectedRow(
            "order_lines",
            "line 7",
            "Order date '31/02/2025' is not a date",
            {"Order ID": "o2"},
            order_id="o2",
        )
    )
    publish(warehouse, batch)
    with warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM orders WHERE order_id = 'o2'") == 0
        reasons = dict(
            s.fetchall(
                "SELECT record_key, reason FROM quarantine"
                " WHERE table_name IN ('order_lines', 'orders')"
            )
        )
    assert "31/02/2025" in reasons["line 7"]
    assert "another line of this order" in reasons["o2"]


def test_relationship_to_live_rows_and_missing_instance(warehouse: Warehouse) -> None:
    publish(warehouse, orders_batch(n_orders=1))
    batch = Batch()
    batch.add("orders", [{"order_id": "o9", "customer_id": "c0", "created_at": "2025-04-01"}])
    batch.add("order_lines", [line("o9", 1, instance="i2"), line("o9", 2, instance="i2")])
    batch.add("orders", [{"order_id": "o8", "created_at": "2025-04-01"}])
    batch.add("order_lines", [line("o8", 1, instance="nope")])
    publish(warehouse, batch)
    with warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM order_lines WHERE order_id = 'o9'") == 2
        assert s.scalar("SELECT COUNT(*) FROM order_lines WHERE order_id = 'o8'") == 0
        assert s.fetchone("SELECT check_name FROM quarantine WHERE record_key = 'o8/1'") == (
            "order_lines.instance_exists",
        )


def test_oversell_is_a_warning(warehouse: Warehouse) -> None:
    result = publish(warehouse, orders_batch(n_orders=3, lines_per_order=2, capacity=5))
    oversell = next(o for o in result.outcomes if o.rule.name == "order_lines.oversell")
    assert oversell.outcome == "warn" and oversell.failing_rows == 6
    with warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM order_lines") == 6


def test_policy_override_turns_warning_into_failure(warehouse: Warehouse) -> None:
    with pytest.raises(ChecksFailedError):
        publish(
            warehouse,
            orders_batch(capacity=5),
            policy_overrides={"order_lines.oversell": "fail_run"},
        )


def test_volume_anomaly_warns_against_recent_loads(warehouse: Warehouse) -> None:
    for k in range(3):
        batch = orders_batch(n_orders=20)
        for row in batch.tables["orders"]:
            row["channel"] = ["online", "phone", "box_office"][k]  # type: ignore[index]
        publish(warehouse, batch)
    tiny = Batch()
    tiny.add("events", [{"event_id": "e1", "name": "Hamlet"}])
    result = publish(warehouse, tiny)
    volume = next(o for o in result.outcomes if o.rule.name == "batch.volume_anomaly")
    assert volume.outcome == "warn"


def test_cursor_commits_with_data(warehouse: Warehouse) -> None:
    batch = orders_batch()
    batch.cursors.append(StreamCursor("orders", "2025-05-01T00:00:00", {"page": 3}))
    result = publish(warehouse, batch)
    with warehouse.connect() as s:
        state = get_state(s, "acme", "test", "orders")
    assert state is not None and state.cursor == "2025-05-01T00:00:00"
    assert state.checkpoint == {"page": 3}
    assert state.run_id == result.load_id.split(".")[0]


def test_one_run_per_organisation_at_a_time(warehouse: Warehouse) -> None:
    with ExchangeRun(warehouse, "acme", source="test", kind="incremental"):
        with pytest.raises(ConflictError) as info:
            ExchangeRun(warehouse, "acme", source="test", kind="incremental").start()
        assert "in progress" in info.value.message
        other = ExchangeRun(warehouse, "other-org", source="test", kind="incremental")
        other.start()
        other.finish()


def test_interrupted_run_is_marked_failed_by_the_next(warehouse: Warehouse) -> None:
    run = ExchangeRun(warehouse, "acme", source="test", kind="incremental")
    run.start()
    # Simulate a process that died: its connection goes away, the run row stays "running".
    session = run.session
    run._session = None
    session.close()
    publish(warehouse, orders_batch())
    with warehouse.connect() as s:
        status, message = s.fetchone(
            "SELECT status, message FROM runs WHERE run_id = ?",  # type: ignore[misc]
            [run.run_id],
        )
    assert status == "failed" and "Interrupted" in message


def test_organisations_are_isolated(warehouse: Warehouse) -> None:
    publish(warehouse, orders_batch(), org="acme")
    with warehouse.connect() as s:
        acme_before = table_dump(s, "acme")
    batch = orders_batch(n_orders=2)
    batch.tables["order_lines"][0]["status"] = "returned"  # type: ignore[index]
    publish(warehouse, batch, org="beta")
    with warehouse.connect() as s:
        assert table_dump(s, "acme") == acme_before
        assert s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = 'beta'") == 2


def test_concurrent_runs_of_different_orgs(warehouse: Warehouse) -> None:
    errors: list[BaseException] = []

    def work(org: str) -> None:
        try:
            publish(warehouse, orders_batch(n_orders=50), org=org)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"org-{k}",)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(DISTINCT org_id) FROM orders") == 3


def test_one_run_can_publish_several_loads(warehouse: Warehouse) -> None:
    with ExchangeRun(warehouse, "acme", source="test", kind="backfill") as run:
        first = run.publish(orders_batch(n_orders=2))
        second_batch = orders_batch(n_orders=4)
        second_batch.cursors.append(StreamCursor("orders", "page-2"))
        second = run.publish(second_batch)
    assert first.load_id.endswith(".1") and second.load_id.endswith(".2")
    with warehouse.connect() as s:
        seqs = [r[0] for r in s.fetchall("SELECT seq FROM raw_records ORDER BY seq")]
        assert seqs == list(range(1, 7))  # one sequence across the run's loads
        assert s.scalar("SELECT COUNT(*) FROM loads") == 2
        state = get_state(s, "acme", "test", "orders")
    assert state is not None and state.cursor == "page-2"


def test_findings_are_added_up_and_recorded_as_warnings(warehouse: Warehouse) -> None:
    first, second = orders_batch(), Batch()
    first.note("unmapped", "orders", 2, "orders carry giftVouchers (kept raw)", ("o1", "o2"))
    second.note("unmapped", "orders", 3, "orders carry giftVouchers (kept raw)", ("o9",))
    second.note("unmapped", "orders", 0, "nothing to say is not recorded")
    with ExchangeRun(warehouse, "acme", source="test", kind="incremental") as run:
        result = run.publish([first, second])
    assert [(f.rows, f.sample) for f in result.findings] == [(5, ("o1", "o2", "o9"))]
    assert result.findings[0].message() == "5 orders carry giftVouchers (kept raw)"
    with warehouse.connect() as s:
        rows = s.fetchall(
            "SELECT check_name, table_name, policy, outcome, failing_rows, description"
            " FROM check_results WHERE org_id = 'acme' AND check_name = 'unmapped'"
        )
    assert rows == [
        ("unmapped", "orders", "warn", "warn", 5, "orders carry giftVouchers (kept raw)")
    ]
