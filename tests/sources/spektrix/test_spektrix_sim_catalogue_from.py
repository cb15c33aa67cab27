"""``simulate spektrix --catalogue-from DIR``: a real programme (the captures in
shared/realdata, linked in place — never copied) served as saved, synthetic sales on top,
synced end to end; a missing or empty plans file and unknown plans tolerated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from source_kit import ORG, actual, connect, expected, make_hl, realdata_dir, sync_org
from typer.testing import CliRunner

from houselights.cli.simulate import app, build_config
from houselights.errors import ConfigError
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
    load_catalogue,
    suggest_start,
)
from houselights.sources.spektrix.simulator.clock import LocalZone

ZONE = "America/Vancouver"
CAPTURES = {
    "events.json": "events_real.json",
    "instances.json": "instances_real.json",
    "venues.json": "venues_real.json",
    "plans.json": "test_setup_mock_plans.json",
}


def _programme(folder: Path, *, plans: str | None = "capture") -> Path:
    """A catalogue folder whose files are links to the real captures (used in place)."""
    folder.mkdir()
    derived = realdata_dir() / "spektrix" / "derived"
    for name, capture in CAPTURES.items():
        if name == "plans.json" and plans != "capture":
            if plans == "empty":
                (folder / name).write_text("[]", encoding="utf-8")
            continue
        (folder / name).symlink_to(derived / capture)
    return folder


def _real(name: str) -> list[dict[str, Any]]:
    path = realdata_dir() / "spektrix" / "derived" / CAPTURES[name]
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_real_programme_is_served_as_saved(tmp_path: Path, make_partner: Any) -> None:
    folder = _programme(tmp_path / "programme")
    config = build_config(
        port=0, host="127.0.0.1", seed=3, scale="2000", clients="kaymeek", latency_ms=0.0,
        rate_limit=None, variation=[], fault=[], fault_rate=[], fault_seed=0, slow_ms=0.0,
        hang_seconds=1.0, clock_offset=0.0, skew_window=900.0, repeat_pages_over_days=None,
        start=None, catalogue_from=folder, timezone=ZONE,
    )
    catalogue = config.clients[0].catalogue
    assert catalogue is not None
    assert any("not plans" in n for n in catalogue.notes)  # seats mixed into the plans file
    assert any("name a plan not in plans.json" in n for n in catalogue.notes)
    assert any("name an event not in events.json" in n for n in catalogue.notes)
    with SpektrixSimulator(config).running() as sim:
        partner = make_partner(sim.credentials()["clients"][0])
        assert partner.get_json("events") == _real("events.json")
        assert partner.get_json("instances", {"pageSize": 1000}) == _real("instances.json")
        assert partner.get_json("venues") == _real("venues.json")
        assert len(partner.get_json("plans")) == 4
        # Unsigned calls see the same programme (it was saved from web mode).
        assert partner.get("events", signed=False).json() == _real("events.json")
        truth = sim.truth("kaymeek")
        assert truth.ticket_count == 2_000 and truth.timezone == ZONE
        events = {e["id"] for e in _real("events.json")}
        instances = {i["id"]: i for i in _real("instances.json")}
        sold = [t for o in truth.orders for t in o["tickets"]]
        assert sold and all(t["event"]["id"] in events for t in sold)
        # A ticket's instance is a real one, of the event the ticket names.
        assert all(instances[t["instance"]["id"]]["event"]["id"] == t["event"]["id"]
                   for t in sold)
        # The documented filter names work on the real instances too.
        first = min(i["start"] for i in _real("instances.json"))[:10]
        day = partner.get_json("instances", {"startFrom": first, "startTo": first})
        assert day and all(i["start"][:10] == first for i in day)


def test_a_sync_against_the_real_programme_equals_the_truth(
    tmp_path: Path, warehouse_url: str
) -> None:
    catalogue = load_catalogue(_programme(tmp_path / "programme", plans="missing"))
    assert any("plans.json is missing" in n for n in catalogue.notes)

    client = ClientConfig(name="kaymeek", seed=4, scale=ScaleConfig(tickets=1_500),
                          timezone=ZONE, catalogue=catalogue,
                          start=suggest_start(catalogue, LocalZone(ZONE)))
    hl = make_hl(tmp_path, warehouse_url)
    with SpektrixSimulator(SimulatorConfig(clients=(client,))).running() as sim:
        connect(hl, sim, client="kaymeek", timezone=ZONE)
        sync_org(hl)
        sim.advance("kaymeek", days=3)
        sync_org(hl)
        truth = sim.truth("kaymeek")
        assert actual(hl) == expected(truth)
    with hl.warehouse.connect() as s:
        events = s.fetchall("SELECT event_id, event_code, name FROM events WHERE org_id = ?",
                            [ORG])
        venues = s.fetchall("SELECT address, postcode FROM venues WHERE org_id = ?", [ORG])
        quarantined = s.scalar("SELECT COUNT(*) FROM quarantine WHERE org_id = ? AND"
                               " table_name = 'instances'", [ORG])
    hl.close()
    # The capture merges several real systems, whose ids may repeat (ids are unique per
    # system only, spec §5.2): a repeated id is read once, the first seen.
    real: dict[str, str] = {}
    for e in _real("events.json"):
        real.setdefault(e["id"], e["name"].strip())
    assert {e[0]: e[2] for e in events} == real
    assert all(e[0].startswith(e[1] + "A") for e in events)  # the numeric Event ID
    # Canadian addresses kept whole; no UK postcode read into them.
    assert sorted(v[0] for v in venues) == sorted(v["address"] for v in _real("venues.json"))
    assert all(v[1] is None for v in venues)
    # Instances of events the capture does not hold are quarantined, not dropped unseen.
    orphans = sum(1 for i in _real("instances.json") if i["event"]["id"] not in real)
    assert quarantined == orphans


def test_empty_plans_and_clear_errors(tmp_path: Path) -> None:
    catalogue = load_catalogue(_programme(tmp_path / "empty", plans="empty"))
    assert any("plans.json is empty" in n for n in catalogue.notes)
    with pytest.raises(ConfigError, match="is not a folder"):
        load_catalogue(tmp_path / "nowhere")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    with pytest.raises(ConfigError, match=r"events\.json is missing"):
        load_catalogue(lonely)
    (lonely / "events.json").write_text('{"data": []}', encoding="utf-8")
    (lonely / "instances.json").write_text("[]", encoding="utf-8")
    (lonely / "venues.json").write_text("not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a JSON array"):
        load_catalogue(lonely)
    (lonely / "events.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"venues\.json is not readable JSON"):
        load_catalogue(lonely)
    # Too many tickets for what the programme can have sold: a clear error, no traceback.
    too_many = build_config(
        port=0, host="127.0.0.1", seed=3, scale="1M", clients="x", latency_ms=0.0,
        rate_limit=None, variation=[], fault=[], fault_rate=[], fault_seed=0, slow_ms=0.0,
        hang_seconds=1.0, clock_offset=0.0, skew_window=900.0, repeat_pages_over_days=None,
        start=None, catalogue_from=tmp_path / "empty", timezone=ZONE,
    )
    with pytest.raises(ConfigError, match="can hold at most"):
        SpektrixSimulator(too_many)


def test_the_cli_flag(tmp_path: Path) -> None:
    folder = _programme(tmp_path / "programme")
    result = CliRunner().invoke(app, ["spektrix", "--no-serve", "--catalogue-from", str(folder),
                                      "--timezone", ZONE, "--port", "9912"])
    assert result.exit_code == 0, result.output
    assert "381 events, 527 instances, 3 venues, 4 plans" in result.output
    assert "name an event not in events.json" in result.output
    bad = CliRunner().invoke(app, ["spektrix", "--no-serve", "--catalogue-from",
                                   str(tmp_path / "nowhere")])
    assert bad.exit_code != 0 and isinstance(bad.exception, ConfigError)
