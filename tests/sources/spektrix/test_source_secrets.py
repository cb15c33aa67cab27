"""Secrets never appear in DEBUG logs, in error messages or in ``status`` output."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from source_kit import ORG, connect, make_hl, running, sim_config, sync_org, write_order_ids

from houselights.cli.main import main
from houselights.errors import HouselightsError
from houselights.orgs.service import get_connection
from houselights.sources.spektrix.simulator.faults import FaultKind


def test_no_secret_in_logs_errors_or_status(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"duckdb://{tmp_path / 'wh.duckdb'}"
    hl = make_hl(tmp_path, url)
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with running(sim_config(tickets=600)) as sim:
        creds = connect(hl, sim, backoff_seconds=0.01)
        secrets = [
            creds["api_key"],
            creds["report_password"],
            base64.b64encode(
                f"{creds['report_user']}:{creds['report_password']}".encode()
            ).decode(),
        ]
        sim.faults.script(FaultKind.SERVER_ERROR, "*", {3, 5, 8})  # retries get logged
        sync_org(hl, ORG, backfill_file=write_order_ids(sim, tmp_path / "ids.csv"))
        for breaking in ("report", "key"):
            with hl.warehouse.connect() as s, s.transaction():
                conn = get_connection(s, ORG, "spektrix")
            bad = {
                "report": {"report_password": "not-the-password"},
                "key": {"api_key": "d3Jvbmcga2V5"},
            }[breaking]
            from houselights.orgs.service import connection_secrets, set_connection

            with hl.warehouse.connect() as s, s.transaction():
                current = connection_secrets(s, hl.vault, ORG, "spektrix")
                set_connection(s, hl.vault, ORG, "spektrix", conn.settings, {**current, **bad})
            with pytest.raises(HouselightsError) as caught:
                sync_org(hl, ORG)
            texts += [caught.value.message, caught.value.hint, str(caught.value)]
            secrets += list(bad.values())
        hl.close()
        monkeypatch.setenv("HOUSELIGHTS_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("HOUSELIGHTS_DATABASE_URL", url)
        assert main(["status", ORG]) == 0
        assert main(["status", ORG, "--json"]) == 0
        assert main(["--debug", "sync", ORG]) != 0
        assert main(["org", "show", ORG]) == 0
    out = capsys.readouterr()
    assert "houselights_user" in out.out and "Last error" in out.out  # status did print
    logged = caplog.text
    assert "GET " in logged and "retrying" in logged  # DEBUG logging was on
    for secret in secrets:
        assert secret not in logged
        assert secret not in out.out and secret not in out.err
        for text in texts:
            assert secret not in text
