"""The Event ID report shows Spektrix's numeric Event ID (machines keep the full id); the
migration that adds it; and a connection's own time zone — all on both backends."""

from __future__ import annotations

import csv
import io
import json
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
    sync_org,
    write_order_ids,
)

from houselights.cli.main import main
from houselights.insights import Filters, event_id_report
from houselights.services.reports import ALL_TIME, event_id_rows
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)
from houselights.warehouse import open_warehouse
from houselights.warehouse.migrations import upgrade


def test_event_id_report_shows_the_number_people_see(
    tmp_path: Path, hl_env: Path, warehouse_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hl = make_hl(tmp_path, warehouse_url)
    with running(sim_config(tickets=600)) as sim:
        connect(hl, sim)
        sync_org(hl)
        events = {e["id"]: e for e in sim.truth("demo").events}
    with hl.warehouse.connect() as s:
        rows = event_id_rows(s, ORG)
        report = event_id_report(s, Filters(org_id=ORG, period=ALL_TIME))
    hl.close()
    assert rows and len(rows) == len(report.rows)
    for row, r in zip(rows, report.rows, strict=True):
        full = row["event_source_id"]
        assert full in events and full == r.event_id
        # 33-character id → the integer before the A, as Spektrix's reports show it.
        assert row["Event ID"] == full.split("A", 1)[0] == r.event_code == r.shown_id
        assert row["Event Name"] == events[full]["name"]
    assert report.as_table()[1][0] == rows[0]["Event ID"]

    capsys.readouterr()
    assert main(["report", "events", ORG, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == rows
    assert main(["report", "events", ORG, "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["Event ID", "Event Name", "First Instance", "Last Instance",
                        "event_source_id"]
    assert [r[0] for r in table[1:]] == [r["Event ID"] for r in rows]
    assert main(["report", "events", ORG]) == 0  # people's table: the four headings
    out = capsys.readouterr().out
    assert rows[0]["Event ID"] in out and "event_source_id" not in out


def test_other_sources_keep_their_event_id(warehouse_url: str) -> None:
    wh = open_warehouse(warehouse_url)
    with wh.connect() as s, s.transaction():
        s.execute("INSERT INTO organisations (org_id, name, created_at) VALUES "
                  "('up', 'Upload Theatre', CURRENT_TIMESTAMP)")
        s.execute("INSERT INTO events (org_id, event_id, name, source, row_hash, load_id)"
                  " VALUES ('up', 'HAM-2024', 'Hamlet', 'upload', 'h', 'l')")
        s.execute("INSERT INTO instances (org_id, instance_id, event_id, starts_at, cancelled,"
                  " is_supplementary, source, row_hash, load_id) VALUES ('up', 'I1',"
                  " 'HAM-2024', TIMESTAMP '2024-05-01 19:30:00', FALSE, FALSE, 'upload', 'h', 'l')")
    with wh.connect() as s:
        rows = event_id_rows(s, "up")
    wh.close()
    assert rows == [{"Event ID": "HAM-2024", "Event Name": "Hamlet",
                     "First Instance": "2024-05-01 19:30", "Last Instance": "2024-05-01 19:30",
                     "event_source_id": "HAM-2024"}]


def test_the_migration_adds_event_code_and_undated_preferences(warehouse_url: str) -> None:
    wh = open_warehouse(warehouse_url)
    # A warehouse from before: no event_code, changed_at required, version 4 not applied.
    with wh.connect() as s, s.transaction():
        s.execute("ALTER TABLE events DROP COLUMN event_code")
        s.execute("ALTER TABLE contact_preferences ALTER COLUMN changed_at SET NOT NULL")
        s.execute("DELETE FROM schema_migrations WHERE version = 4")
    assert [m.version for m in upgrade(wh)] == [4]
    assert upgrade(wh) == []  # idempotent
    with wh.connect() as s, s.transaction():
        s.execute("INSERT INTO organisations (org_id, name, created_at) VALUES "
                  "('o', 'O', CURRENT_TIMESTAMP)")
        s.execute("INSERT INTO events (org_id, event_id, event_code, name, source, row_hash,"
                  " load_id) VALUES ('o', '4607AHGJ', '4607', 'Hamlet', 'spektrix', 'h', 'l')")
        s.execute("INSERT INTO contact_preferences (org_id, customer_id, statement, opted_in,"
                  " changed_at, source, row_hash, load_id)"
                  " VALUES ('o', 'C1', 'Email', TRUE, NULL, 'spektrix', 'h', 'l')")
    with wh.connect() as s:
        assert s.scalar("SELECT event_code FROM events WHERE org_id = 'o'") == "4607"
    wh.close()


def test_a_connection_in_another_time_zone(tmp_path: Path, warehouse_url: str) -> None:
    """A Canadian system: local times in payloads, date windows and the audit window in
    America/Vancouver; the connection says so and reproduces the truth, by both feeds."""
    zone = "America/Vancouver"
    config = SimulatorConfig(clients=(
        ClientConfig(name="demo", seed=11, scale=ScaleConfig(tickets=1_200), timezone=zone),
    ))
    hl = make_hl(tmp_path, warehouse_url)
    with SpektrixSimulator(config).running() as sim:
        truth = sim.truth("demo")
        first = truth.orders[0]
        # The payload's local time is Vancouver's, its UTC companion 7 or 8 hours later.
        local, utc = first["firstTransactionDate"], first["firstTransactionDateUtc"]
        gap = (int(utc[11:13]) - int(local[11:13])) % 24
        assert gap in (7, 8)
        connect(hl, sim, timezone=zone, orders_feed="windows")
        sync_org(hl, backfill_file=write_order_ids(sim, tmp_path / "ids.csv"))
        sim.advance("demo", days=5)
        summary = sync_org(hl)
        assert summary.notes["feed"] == "date windows"
        assert actual(hl) == expected(sim.truth("demo"))
    hl.close()
