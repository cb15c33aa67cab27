"""Injected faults: the run ends equal to a clean run, or fails clearly publishing nothing."""

from __future__ import annotations

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
    store,
    sync_org,
    write_order_ids,
)

from houselights.errors import (
    AccessWithdrawnError,
    AuthenticationError,
    SourceError,
    TransientSourceError,
    UpstreamBlockedError,
)
from houselights.orgs.service import get_connection
from houselights.sources.spektrix.simulator import FaultConfig
from houselights.sources.spektrix.simulator.faults import FaultKind

FAST = {"timeout_seconds": 0.5, "retries": 8, "backoff_seconds": 0.02}


def test_random_faults_end_equal_to_a_clean_run(tmp_path: Path) -> None:
    faults = FaultConfig(seed=5, timeout_seconds=3.0, retry_after_seconds=1)
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_500, faults=faults)) as sim:
        connect(hl, sim, **FAST)
        ids = write_order_ids(sim, tmp_path / "ids.csv")
        for kind, p in (
            (FaultKind.RATE_LIMIT, 0.02),
            (FaultKind.SERVER_ERROR, 0.08),
            (FaultKind.TRUNCATED, 0.08),
            (FaultKind.TIMEOUT, 0.02),
        ):
            sim.faults.set_probability(kind, p)
        first = sync_org(hl, ORG, backfill_file=ids)
        sim.advance("demo", days=3)
        second = sync_org(hl, ORG)
        assert first.retries + second.retries > 20
        assert first.rate_limited > 0
        assert actual(hl) == expected(sim.truth("demo"))
    hl.close()


def test_persistent_failure_publishes_nothing_and_a_rerun_catches_up(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_500)) as sim:
        connect(hl, sim, **FAST)
        sync_org(hl, ORG, backfill_file=write_order_ids(sim, tmp_path / "ids.csv"))
        before = snapshot(hl)
        sim.advance("demo", days=3)
        sim.faults.script(FaultKind.SERVER_ERROR, "orders/sync", set(range(1, 500)))
        with pytest.raises(TransientSourceError) as caught:
            sync_org(hl, ORG)
        assert "orders/sync" in caught.value.message and "9 attempts" in caught.value.message
        assert "nothing from the failed part was published" in caught.value.hint
        assert snapshot(hl) == before  # the catalogue and audit fetched first: not published
        with hl.warehouse.connect() as s:
            status, message = s.fetchone(
                "SELECT status, message FROM runs WHERE org_id = ?"
                " ORDER BY started_at DESC LIMIT 1",
                [ORG],
            )
        assert status == "failed" and "orders/sync" in message
        sim.faults.clear()
        sync_org(hl, ORG)
        assert actual(hl) == expected(sim.truth("demo"))
    hl.close()


def test_backfill_interrupted_by_failures_resumes(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_500)) as sim:
        connect(hl, sim, **FAST)
        ids = write_order_ids(sim, tmp_path / "ids.csv")
        sim.faults.script(FaultKind.SERVER_ERROR, "orders/{id}", set(range(450, 5_000)))
        with pytest.raises(TransientSourceError):
            sync_org(hl, ORG, backfill_file=ids)
        with hl.warehouse.connect() as s:
            assert s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = ?", [ORG]) == 400
        sim.faults.clear()
        summary = sync_org(hl, ORG, backfill_file=ids)
        assert summary.notes["backfill_resumed_at"] == 400
        assert actual(hl) == expected(sim.truth("demo"))
    hl.close()


def _error(tmp_path: Path, **sim_kw: object) -> tuple[Exception, object]:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    setup = sim_kw.pop("setup", None)
    with running(sim_config(tickets=800, **sim_kw)) as sim:  # type: ignore[arg-type]
        connect(hl, sim, **FAST)
        if callable(setup):
            setup(sim, hl)
        with pytest.raises(SourceError) as caught:
            sync_org(hl, ORG)
    return caught.value, hl


def test_html_403_says_blocked_upstream(tmp_path: Path) -> None:
    error, _ = _error(
        tmp_path, setup=lambda sim, hl: sim.faults.script(FaultKind.HTML_403, "*", {1})
    )
    assert isinstance(error, UpstreamBlockedError)
    assert "blocked upstream" in error.message and "IP" in error.hint


def test_rejected_signature_names_login_key_and_both_clocks(tmp_path: Path) -> None:
    def skew(sim, hl):  # type: ignore[no-untyped-def]
        sim.faults.clock_offset_seconds = 3_600.0

    error, _ = _error(tmp_path, setup=skew)
    assert isinstance(error, AuthenticationError)
    assert "outside the window" in error.message
    assert "Spektrix's clock said" in error.message and "this machine's" in error.message
    assert "clock" in error.hint


def test_wrong_key_says_check_login_and_key(tmp_path: Path) -> None:
    def wrong_key(sim, hl):  # type: ignore[no-untyped-def]
        with hl.warehouse.connect() as s:
            conn = get_connection(s, ORG, "spektrix")
        store(
            hl,
            {
                "client": "demo",
                "base_url": conn.settings["base_url"],
                "api_login": "houselights",
                "api_key": "d3Jvbmcga2V5",
                "audit_report": None,
            },
        )

    error, _ = _error(tmp_path, setup=wrong_key)
    assert isinstance(error, AuthenticationError)
    assert "signature was rejected" in error.message and "Spektrix's clock said" in error.message
    assert "API login ('houselights')" in error.hint and "secret key" in error.hint


def test_unknown_client_says_so(tmp_path: Path) -> None:
    def unknown(sim, hl):  # type: ignore[no-untyped-def]
        creds = sim.credentials()["clients"][0]
        store(
            hl,
            {
                "client": "nosuchclient",
                "base_url": sim.root_url,
                "api_login": creds["api_login"],
                "api_key": creds["api_key"],
                "audit_report": None,
            },
        )

    error, _ = _error(tmp_path, setup=unknown)
    assert "no client system called 'nosuchclient'" in error.message
    assert "--client" in error.hint


def test_partner_toggle_off_pauses_without_losing_anything(tmp_path: Path) -> None:
    hl = make_hl(tmp_path, f"duckdb://{tmp_path / 'wh.duckdb'}")
    with running(sim_config(tickets=1_000)) as sim:
        connect(hl, sim, **FAST)
        sync_org(hl, ORG, backfill_file=write_order_ids(sim, tmp_path / "ids.csv"))
        before = snapshot(hl)
        sim.set_partner_access("demo", False)
        sim.advance("demo", days=2)
        with pytest.raises(AccessWithdrawnError) as caught:
            sync_org(hl, ORG)
        assert "withdrawn" in caught.value.message and "paused" in caught.value.hint
        with hl.warehouse.connect() as s:
            conn = get_connection(s, ORG, "spektrix")
        assert conn.status == "paused" and "withdrawn" in (conn.status_reason or "")
        assert snapshot(hl) == before
        sim.set_partner_access("demo", True)
        sync_org(hl, ORG)
        with hl.warehouse.connect() as s:
            assert get_connection(s, ORG, "spektrix").status == "active"
        assert actual(hl) == expected(sim.truth("demo"))
    hl.close()
