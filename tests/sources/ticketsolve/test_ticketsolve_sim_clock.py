"""The simulated clock: edited shows get a new version, unchanged ones stay byte-identical,
shows are announced, performances cancelled, and each advance is a new sales period."""

from __future__ import annotations

from pathlib import Path

import httpx
from defusedxml import ElementTree
from ticketsolve_helpers import SMALLISH, tiny_config

from houselights.sources.ticketsolve.simulator import (
    ClientConfig,
    SimulatorConfig,
    TicketsolveSimulator,
)


def _sim(**overrides: object) -> TicketsolveSimulator:
    return TicketsolveSimulator(SimulatorConfig(
        clients=(ClientConfig(scale=SMALLISH),), **overrides))  # type: ignore[arg-type]


def _show_blocks(sim: TicketsolveSimulator) -> dict[str, tuple[str, bytes]]:
    """Show id → (version, its <show> element without events' status) as bytes."""
    root = ElementTree.fromstring(sim.shows_xml())
    out = {}
    for show in root.iter("show"):
        for status in show.iter("status"):
            status.text = ""  # availability, not content
        out[show.get("id", "")] = (show.findtext("version", ""), ElementTree.tostring(show))
    return out


def _without_availability(document: bytes) -> list[bytes]:
    return [x for x in document.split(b"\n") if b"<available>" not in x and b"<status>" not in x]


def test_advance_changes_versions_of_edited_shows_only() -> None:
    sim = _sim()
    before = _show_blocks(sim)
    docs_before = {p.event_id: sim.event_xml(p.show_id, p.event_id)
                   for p in sim.truth().listed_performances}
    result = sim.advance(days=3, show_changes=0.2)
    after = _show_blocks(sim)
    truth = sim.truth()
    changed = set(result.changed_show_ids)
    assert len(changed) >= round(0.2 * len(before))
    for show_id, (version, block) in before.items():
        if show_id not in after:
            continue  # its last performance has passed
        if show_id in changed:
            assert int(after[show_id][0]) > int(version)
        else:
            assert after[show_id][0] == version
            listed_now = {p.event_id for p in truth.listed_performances if p.show_id == show_id}
            old = ElementTree.fromstring(block)
            kept = [e for e in old.iter("event") if e.get("id") in listed_now]
            new = ElementTree.fromstring(after[show_id][1])
            assert [ElementTree.tostring(e) for e in kept] == \
                [ElementTree.tostring(e) for e in new.iter("event")]
    unchanged_docs = [(e, d) for e, d in docs_before.items()
                      if truth.performance(e).show_id not in changed
                      and truth.performance(e).listed]
    for event_id, doc in unchanged_docs:
        perf = truth.performance(event_id)
        new_doc = sim.event_xml(perf.show_id, event_id)
        assert _without_availability(new_doc) == _without_availability(doc)


def test_advance_announces_cancels_and_sells_deterministically() -> None:
    first, second = _sim(), _sim()
    results = [s.advance(days=14, show_changes=0.1) for s in (first, second)]
    assert results[0] == results[1]
    assert first.truth() == second.truth()
    result = results[0]
    truth = first.truth()
    assert result.new_show_ids and result.new_event_ids and result.cancelled_event_ids
    listed = {s.show_id for s in truth.listed_shows}
    assert set(result.new_show_ids) <= listed
    for event_id in result.cancelled_event_ids:
        perf = truth.performance(event_id)
        assert perf.cancelled and perf.status == "cancelled" and perf.sold == 0
        assert perf.show_id in result.changed_show_ids
    new_lines = [s for s in truth.sales if s.period == result.period.index]
    assert result.sales_lines + result.refund_lines == len(new_lines) > 0
    assert all(result.period.start <= s.at < result.period.end for s in new_lines)
    assert truth.now == result.now == result.period.end
    assert truth.periods[-1] == result.period


def test_new_shows_go_on_sale_when_announced() -> None:
    sim = _sim()
    result = sim.advance(days=21)
    truth = sim.truth()
    for show_id in result.new_show_ids:
        show = next(s for s in truth.shows if s.show_id == show_id)
        assert result.period.start <= show.onsale_at < result.period.end
        assert show.listed


def test_advance_through_the_admin_endpoint_writes_the_new_period(
    tmp_path: Path, http_client: httpx.Client
) -> None:
    config = tiny_config(exports_dir=tmp_path, export_formats=("csv", "xlsx"))
    with TicketsolveSimulator(config).running() as sim:
        response = http_client.post(f"{sim.root_url}/_simulator/demo/advance",
                                    params={"days": "7", "show_changes": "0.5"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["changed_show_ids"]) >= 5
        label = body["period"]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            f"demo-{r}-{label}.{f}" for r in ("sales", "customers") for f in ("csv", "xlsx"))
        bad = http_client.post(f"{sim.root_url}/_simulator/demo/advance", params={"days": "x"})
        assert bad.status_code == 400
        assert http_client.post(f"{sim.root_url}/_simulator/demo/advance").status_code == 400
        clients = http_client.get(f"{sim.root_url}/_simulator/clients").json()["clients"]
        assert clients[0]["shows_url"] == sim.shows_url()


def test_a_day_of_default_activity_is_quiet_but_not_still() -> None:
    sim = _sim()
    before = {s.show_id: s.version for s in sim.truth().shows}
    result = sim.advance(hours=24)
    after = {s.show_id: s.version for s in sim.truth().shows}
    bumped = {k for k in before if after[k] != before[k]}
    assert bumped == set(result.changed_show_ids)
    assert len(bumped) <= 3 and result.sales_lines > 0
