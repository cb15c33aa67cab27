"""The Ticketsolve source against the simulator, on DuckDB and PostgreSQL.

Expectations are computed from the simulator's truth with code written here (not the
source's mapping): every listed performance with its start, capacity and cancellation,
every price type with face and selling price, every sales line and amount (a refund
marking one ticket returned), every customer's postcode or Eircode.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from houselights.common import utcnow
from houselights.context import Houselights
from houselights.errors import HouselightsError, InputError
from houselights.orgs import service as orgs
from houselights.sources.kit.connections import save_connection, sync_connection
from houselights.sources.kit.runner import SyncSummary
from houselights.sources.kit.source import SyncRequest
from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    FaultKind,
    FeedStyle,
    ScaleConfig,
    SimulatorConfig,
    TicketsolveSimulator,
    TicketsolveTruth,
)

ORG = "corrib"
CLIENT = "corrib"
SCALE = ScaleConfig(shows=14, performances=70, tickets=1_500, history_days=28)


@pytest.fixture
def sim() -> Iterator[TicketsolveSimulator]:
    config = SimulatorConfig(clients=(ClientConfig(name=CLIENT, seed=9, scale=SCALE,
                                                   organisation="galway"),))
    with TicketsolveSimulator(config).running() as simulator:
        yield simulator


@pytest.fixture
def hl(tmp_path: Path, warehouse_url: str) -> Iterator[Houselights]:
    app = Houselights(data_dir=tmp_path / "data", database_url=warehouse_url, secret_key="")
    with app.warehouse.connect() as s, s.transaction():
        orgs.add_org(s, ORG, "Corrib Arts Centre")
    yield app
    app.close()


def connect(hl: Houselights, sim: TicketsolveSimulator, folder: Path | None,
            **changes: Any) -> None:
    values: dict[str, Any] = {
        "client": CLIENT, "base_url": sim.base_url(CLIENT), "request_budget": 0,
        "performance_documents_per_run": 100_000, "retries": 6, "backoff_seconds": 0.01,
        "timeout_seconds": 3.0, **changes,
    }
    if folder is not None:
        values["sales_folder"] = str(folder)
    save_connection(hl, ORG, "ticketsolve", values)


def sync(hl: Houselights, request: SyncRequest | None = None) -> SyncSummary:
    return sync_connection(hl, ORG, "ticketsolve", request)


def rows(hl: Houselights, sql: str) -> list[tuple[Any, ...]]:
    with hl.warehouse.connect() as s:
        return [tuple(r) for r in s.fetchall(sql, [ORG])]


def snapshot(hl: Houselights) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in ("venues", "events", "instances", "price_types", "customers", "orders",
                  "order_lines", "items"):
        out[table] = sorted(rows(hl, f"SELECT * FROM {table} WHERE org_id = ?"))
    return out


def changed(summary: SyncSummary) -> int:
    return sum(x.counts.inserted + x.counts.updated for x in summary.loads)


# --- independent expectations ---------------------------------------------------------------

_EIRCODE = re.compile(r"^(?:[ACDEFHKNPRTVWXY]\d\d|D6W) ?[0-9ACDEFHKNPRTVWXY]{4}$")
_UK = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


def expected_postcode(raw: str) -> str | None:
    """The stored form of a postcode as typed, by the rules of the two formats."""
    text = raw.strip().upper()
    if not text:
        return None
    compact = text.replace(" ", "")
    if _EIRCODE.match(compact) and len(compact) == 7:
        return f"{compact[:3]} {compact[3:]}"
    if _UK.match(compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return text


def expected_lines(truth: TicketsolveTruth) -> Counter[tuple[Any, ...]]:
    """(order, kind, performance, price type, paid, status) of every line: each sale is a
    line; each refund turns one matching sale of its order into a returned one."""
    sold: Counter[tuple[Any, ...]] = Counter()
    refunded: Counter[tuple[Any, ...]] = Counter()
    for x in truth.sales:
        kind = "ticket" if x.kind == "ticket" else "fee"
        key = (x.order_id, kind, x.event_id if kind == "ticket" else None,
               x.price_type or None if kind == "ticket" else None, abs(x.paid))
        if x.quantity > 0:
            sold[key] += 1
        else:
            refunded[key] += 1
    out: Counter[tuple[Any, ...]] = Counter()
    for key, n in sold.items():
        back = min(n, refunded[key])
        if n - back:
            out[(*key, "issued")] += n - back
        if back:
            out[(*key, "returned")] += back
    return out


# --- the tests ---------------------------------------------------------------------------------


def test_warehouse_after_sync_equals_the_simulators_truth(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    sim.write_exports(CLIENT, folder, formats=("csv", "xlsx"))
    # One format is enough; the other goes through upload below (and is a duplicate).
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for path in folder.glob("*.csv"):
        shutil.copy(path, csv_dir / path.name)
    connect(hl, sim, csv_dir)
    summary = sync(hl)
    truth = sim.truth(CLIENT)

    listed = truth.listed_performances
    instances = {r[0]: r for r in rows(
        hl, "SELECT instance_id, event_id, venue_id, starts_at, capacity, cancelled"
        " FROM instances WHERE org_id = ?")}
    for perf in listed:
        got = instances[perf.event_id]
        assert got[1:] == (perf.show_id, perf.venue_id, perf.local_start.replace(tzinfo=None),
                           perf.capacity, perf.cancelled), perf.event_id
    prices = {(r[0], r[1]): r[2:] for r in rows(
        hl, "SELECT instance_id, price_type, face_value, selling_price, discount,"
        " is_concession, currency FROM price_types WHERE org_id = ?")}
    expected_prices = {(p.event_id, p.type): (p.face, p.selling, p.face - p.selling,
                                              p.selling < p.face, p.currency)
                       for perf in listed for p in perf.prices}
    assert prices == expected_prices
    events = {r[0]: r[1:] for r in rows(
        hl, "SELECT event_id, name, category, season FROM events WHERE org_id = ?")}
    for show in truth.listed_shows:
        assert events[show.show_id] == (show.name, show.category,
                                        ", ".join(show.tags) or None)

    lines = Counter(
        (r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows(
            hl, "SELECT order_id, kind, instance_id, ticket_type, price_paid, status"
            " FROM order_lines WHERE org_id = ?")
    )
    assert lines == expected_lines(truth)
    net = sum((r[0] if r[1] == "issued" else Decimal(0) for r in rows(
        hl, "SELECT price_paid, status FROM order_lines WHERE org_id = ?")), Decimal(0))
    assert net == truth.total_paid
    comps = rows(hl, "SELECT COUNT(*) FROM order_lines WHERE org_id = ? AND is_comp")[0][0]
    assert comps == sum(1 for x in truth.sales if x.status == "comp" and x.quantity > 0)
    orders = {r[0]: r[1:] for r in rows(
        hl, "SELECT order_id, customer_id, channel FROM orders WHERE org_id = ?")}
    assert set(orders) == {x.order_id for x in truth.sales}
    for x in truth.sales:
        assert orders[x.order_id][0] == x.customer_id
    customers = dict(rows(hl, "SELECT customer_id, postcode FROM customers WHERE org_id = ?"))
    assert customers == {c.customer_id: expected_postcode(c.postcode) for c in truth.customers}
    eircodes = rows(hl, "SELECT postcode, postcode_area FROM customers WHERE org_id = ?"
                        " AND postcode_area IS NOT NULL AND region IS NULL")
    assert eircodes and all(pc[:3] == area for pc, area in eircodes)
    assert summary.requests == 1 + len(listed)

    # The same exports as Excel (other bytes, the same lines), uploaded: nothing changes.
    before = snapshot(hl)
    from houselights.services.exchange import upload_file

    for path in sorted(folder.glob("*.xlsx")):
        upload_file(hl, ORG, path)
    assert snapshot(hl) == before


def test_unchanged_shows_are_not_refetched(
    hl: Houselights, sim: TicketsolveSimulator
) -> None:
    connect(hl, sim, None)
    sync(hl)
    sim.reset_requests(CLIENT)
    again = sync(hl)
    assert sim.requests(CLIENT) == {"/shows.xml": 1}
    assert changed(again) == 0
    result = sim.advance(CLIENT, hours=12, show_changes=0.3)
    touched = set(result.changed_show_ids) | set(result.new_show_ids)
    assert touched
    sim.reset_requests(CLIENT)
    sync(hl)
    truth = sim.truth(CLIENT)
    wanted = {f"/shows/{p.show_id}/events/{p.event_id}.xml"
              for p in truth.listed_performances if p.show_id in touched}
    assert sim.requests(CLIENT) == {"/shows.xml": 1, **dict.fromkeys(wanted, 1)}
    # and what changed is in the warehouse
    capacity = dict(rows(hl, "SELECT instance_id, capacity FROM instances WHERE org_id = ?"))
    for perf in truth.listed_performances:
        assert capacity[perf.event_id] == perf.capacity


def test_per_run_cap_and_budget_hold(hl: Houselights, sim: TicketsolveSimulator) -> None:
    connect(hl, sim, None, performance_documents_per_run=12, request_budget=25)
    truth = sim.truth(CLIENT)
    per_show = Counter(p.show_id for p in truth.listed_performances)
    syncs = 0
    while True:
        sim.reset_requests(CLIENT)
        # Scheduled syncs: the catalogue is read daily, but shows left waiting by the cap
        # are read at the next sync whatever the time.
        summary = sync(hl, SyncRequest(scheduled=True))
        syncs += 1
        documents = sum(n for path, n in sim.requests(CLIENT).items() if "/events/" in path)
        biggest = max(per_show.values())
        assert documents <= max(12, biggest)
        assert sim.max_requests_per_second(CLIENT) <= 35  # 25/s + burst; unpaced: hundreds
        if not summary.notes["shows_waiting"]:
            break
        assert any("wait for the next sync" in w for w in summary.warnings)
        assert syncs < 20
    assert syncs > 1
    got = rows(hl, "SELECT COUNT(*) FROM instances WHERE org_id = ?")[0][0]
    assert got == len(truth.listed_performances)
    # Caught up: the next scheduled sync leaves the catalogue for its daily read.
    sim.reset_requests(CLIENT)
    assert "catalogue" in sync(hl, SyncRequest(scheduled=True)).notes["not_due"]
    assert sim.requests(CLIENT) == {}


def test_scheduled_syncs_read_the_catalogue_once_a_day(
    hl: Houselights, sim: TicketsolveSimulator
) -> None:
    connect(hl, sim, None)
    sync(hl)
    touched = sim.advance(CLIENT, hours=12, show_changes=0.3)
    assert touched.changed_show_ids or touched.new_show_ids
    sim.reset_requests(CLIENT)
    waiting = sync(hl, SyncRequest(scheduled=True))
    assert sim.requests(CLIENT) == {} and changed(waiting) == 0
    assert set(waiting.notes["not_due"]) == {"catalogue"}
    # A day after the last read (the state says when), a scheduled sync reads it again.
    with hl.warehouse.connect() as s, s.transaction():
        s.execute(
            "UPDATE stream_state SET updated_at = ? WHERE org_id = ? AND stream = 'catalogue'",
            [utcnow() - timedelta(hours=24, minutes=1), ORG],
        )
    sim.reset_requests(CLIENT)
    due = sync(hl, SyncRequest(scheduled=True))
    assert sim.requests(CLIENT).get("/shows.xml") == 1 and changed(due) > 0
    assert "not_due" not in due.notes
    # A sync someone asks for reads every stream, due or not.
    sim.reset_requests(CLIENT)
    sync(hl)
    assert sim.requests(CLIENT) == {"/shows.xml": 1}


@pytest.mark.parametrize(
    ("kind", "route", "words"),
    [
        (FaultKind.MALFORMED, "events", "not well-formed"),
        (FaultKind.ENTITY_EXPANSION, "events", "refused"),
        (FaultKind.EXTERNAL_ENTITY, "events", "refused"),
        (FaultKind.ENTITY_EXPANSION, "shows.xml", "refused"),
    ],
)
def test_malformed_or_hostile_xml_publishes_nothing(
    hl: Houselights, sim: TicketsolveSimulator, kind: FaultKind, route: str, words: str
) -> None:
    connect(hl, sim, None)
    sim.faults.script(kind, route, {3} if route == "events" else {1})
    with pytest.raises(HouselightsError) as caught:
        sync(hl)
    assert words in caught.value.message and caught.value.hint
    assert rows(hl, "SELECT COUNT(*) FROM instances WHERE org_id = ?")[0][0] == 0
    assert rows(hl, "SELECT COUNT(*) FROM venues WHERE org_id = ?")[0][0] == 0
    sim.faults.clear()
    sync(hl)
    assert rows(hl, "SELECT COUNT(*) FROM instances WHERE org_id = ?")[0][0] == len(
        sim.truth(CLIENT).listed_performances)


def test_broken_export_in_the_folder_is_reported_and_left(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    paths = sim.write_exports(CLIENT, folder)
    sales = sorted(p for p in paths if "-sales-" in p.name)
    # The last sales file gets a line that is not a date: the whole file is refused.
    broken = sales[-1]
    text = broken.read_text(encoding="utf-8-sig").splitlines()
    text[2] = text[2].replace("/20", "/2O", 1)
    broken.write_text("\n".join(text) + "\n", encoding="utf-8")
    connect(hl, sim, folder)
    summary = sync(hl)
    assert any(broken.name in w and "line 3" in w for w in summary.warnings)
    assert broken.exists()
    loaded = {r[0] for r in rows(hl, "SELECT order_id FROM orders WHERE org_id = ?")}
    truth = sim.truth(CLIENT)
    in_broken = {x.order_id for x in truth.sales
                 if x.period == int(broken.name.split("-sales-")[1][:3])}
    only_there = in_broken - {x.order_id for x in truth.sales
                              if x.period != int(broken.name.split("-sales-")[1][:3])}
    assert only_there and not (only_there & loaded)
    # Fixed and dropped again: it loads, and the warehouse equals the truth's orders.
    broken.write_text("\n".join(text).replace("/2O", "/20") + "\n", encoding="utf-8")
    fixed = sync(hl)
    assert not fixed.warnings
    loaded = {r[0] for r in rows(hl, "SELECT order_id FROM orders WHERE org_id = ?")}
    assert loaded == {x.order_id for x in truth.sales}


def test_re_dropped_export_changes_nothing(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    paths = sim.write_exports(CLIENT, folder)
    connect(hl, sim, folder)
    sync(hl)
    before = snapshot(hl)
    with hl.warehouse.connect() as s:
        runs = s.scalar("SELECT COUNT(*) FROM runs WHERE org_id = ?", [ORG])
    shutil.copy(paths[0], folder / f"copy-of-{paths[0].name}")
    again = sync(hl)
    assert changed(again) == 0
    assert f"copy-of-{paths[0].name}" in again.notes["already_loaded"]
    assert snapshot(hl) == before
    with hl.warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM runs WHERE org_id = ?", [ORG]) == runs + 1
    with pytest.raises(InputError, match="loaded before"):
        from houselights.services.exchange import upload_file

        upload_file(hl, ORG, paths[0])


def test_a_refund_in_a_later_export_returns_the_ticket(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    sim.write_exports(CLIENT, folder)
    connect(hl, sim, folder)
    sync(hl)
    result = sim.advance(CLIENT, days=7)
    sim.write_exports(CLIENT, folder)
    assert result.refund_lines
    sync(hl)
    truth = sim.truth(CLIENT)
    refunded_later = {x.order_id for x in truth.sales
                      if x.quantity < 0 and x.period == result.period.index}
    early = {x.order_id for x in truth.sales if x.period < result.period.index}
    assert refunded_later & early
    lines = Counter(
        (r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows(
            hl, "SELECT order_id, kind, instance_id, ticket_type, price_paid, status"
            " FROM order_lines WHERE org_id = ?")
    )
    assert lines == expected_lines(truth)


def test_upload_recognises_an_export_and_needs_the_connection(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    from houselights.services.exchange import upload_file

    paths = sim.write_exports(CLIENT, tmp_path / "x", formats=("xlsx",))
    customers = next(p for p in paths if "-customers-" in p.name)
    with pytest.raises(InputError, match="is a Ticketsolve export"):
        upload_file(hl, ORG, customers)
    connect(hl, sim, None)
    summary = upload_file(hl, ORG, customers)
    assert summary.load.counts.inserted > 0
    assert summary.detected["format"] == "xlsx"
    with hl.warehouse.connect() as s:
        kinds = s.fetchall("SELECT source, kind FROM runs WHERE org_id = ?", [ORG])
    assert [tuple(k) for k in kinds] == [("ticketsolve", "upload")]


def test_replay_rebuilds_the_synced_rows(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    from houselights.services.exchange import replay

    folder = tmp_path / "drop"
    sim.write_exports(CLIENT, folder)
    connect(hl, sim, folder)
    sync(hl)
    sim.advance(CLIENT, days=7, show_changes=0.3)
    sim.write_exports(CLIENT, folder)
    sync(hl)
    synced = snapshot(hl)
    requests = sum(sim.requests(CLIENT).values())
    with hl.warehouse.connect() as s, s.transaction():
        for table in synced:
            s.execute(f"DELETE FROM {table} WHERE org_id = ?", [ORG])
    replay(hl, ORG, source="ticketsolve")
    assert sum(sim.requests(CLIENT).values()) == requests  # no request sent
    assert {t: [r[:-1] for r in v] for t, v in snapshot(hl).items()} == {
        t: [r[:-1] for r in v] for t, v in synced.items()  # all but the load id
    }


def test_a_missing_sales_folder_is_reported_and_the_catalogue_still_syncs(
    hl: Houselights, sim: TicketsolveSimulator, tmp_path: Path
) -> None:
    connect(hl, sim, tmp_path / "not-there")
    summary = sync(hl)
    assert any("not-there" in w and "--sales-folder" in w for w in summary.warnings)
    assert rows(hl, "SELECT COUNT(*) FROM instances WHERE org_id = ?")[0][0] == len(
        sim.truth(CLIENT).listed_performances)
    assert rows(hl, "SELECT COUNT(*) FROM orders WHERE org_id = ?")[0][0] == 0


@pytest.mark.parametrize(
    "style",
    [
        FeedStyle(zone_label="GMT"),  # the one public @zone value, on Irish venues
        FeedStyle(event_time_format="iso"),
        FeedStyle(event_time_format="local", zone_label=""),  # no offset, no zone
        FeedStyle(event_time_format="local"),  # no offset, the zone says where
    ],
    ids=["gmt-label", "iso", "local-no-zone", "local-with-zone"],
)
def test_starts_are_the_venues_local_time_whatever_the_time_style(
    hl: Houselights, style: FeedStyle
) -> None:
    config = SimulatorConfig(
        clients=(ClientConfig(name=CLIENT, seed=4, organisation="galway",
                              scale=ScaleConfig(shows=6, performances=30, tickets=0)),),
        feed=style,
    )
    with TicketsolveSimulator(config).running() as styled:
        connect(hl, styled, None)
        sync(hl)
        truth = styled.truth(CLIENT)
    starts = dict(rows(hl, "SELECT instance_id, starts_at FROM instances WHERE org_id = ?"))
    # Autumn: the performances run across the October clock change (both offsets seen).
    assert {p.event_id: p.local_start.replace(tzinfo=None)
            for p in truth.listed_performances} == starts
