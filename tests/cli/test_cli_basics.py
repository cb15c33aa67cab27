"""The CLI shell: org commands, errors without tracebacks, secrets never printed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from houselights.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_org_lifecycle(hl_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "org",
        "add",
        "riverside-arts",
        "--name",
        "Riverside Arts Centre",
        "--region",
        "North West",
    )
    assert code == 0 and "Added organisation" in out
    code, out, _ = run(capsys, "org", "list", "--format", "json")
    assert code == 0 and json.loads(out)[0]["slug"] == "riverside-arts"
    code, out, _ = run(capsys, "org", "show", "riverside-arts")
    assert code == 0 and "Riverside Arts Centre" in out and "uploads only" in out


def test_user_errors_have_message_and_hint_and_no_traceback(
    hl_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "org", "show", "nowhere")
    assert code == 3
    assert "There is no organisation called 'nowhere'" in err
    assert "What to do:" in err and "Traceback" not in err + out
    code, _, err = run(capsys, "org", "add", "Bad Slug", "--name", "x")
    assert code == 2 and "not a valid organisation slug" in err
    code, _, err = run(capsys, "upload", "nowhere", "missing.csv")
    assert code == 3 and "Traceback" not in err


def test_bad_database_url_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "--db", "mysql://x", "org", "list")
    assert code == 2 and "duckdb://" in err and "Traceback" not in err


def test_debug_shows_traceback(hl_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--debug", "org", "show", "nowhere")
    assert code == 3 and "Traceback" in err


def test_db_upgrade_and_status(hl_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and ("applied migration 1" in out or "up to date" in out)
    code, out, _ = run(capsys, "db", "status")
    assert code == 0 and "✓" in out


def test_secrets_never_in_output_or_debug_logs(
    hl_env: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from houselights.context import Houselights
    from houselights.orgs import service

    secret = "ZmFrZS1zZWNyZXQta2V5LWZvci10ZXN0cw=="
    caplog.set_level(logging.DEBUG)
    hl = Houselights()
    with hl.warehouse.connect() as s:
        service.add_org(s, "riverside-arts", "Riverside")
        service.set_connection(
            s,
            hl.vault,
            "riverside-arts",
            "spektrix",
            {"client": "x"},
            {"api_key": secret, "report_password": "hunter2-pass"},
        )
    hl.close()
    for args in (
        ("--debug", "org", "show", "riverside-arts"),
        ("--debug", "org", "show", "riverside-arts", "--format", "json"),
    ):
        code, out, err = run(capsys, *args)
        assert code == 0
        for text in (out, err, caplog.text):
            assert secret not in text and "hunter2-pass" not in text
    assert "api_key=••••••" in run(capsys, "org", "show", "riverside-arts")[1]


def test_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("demo", "upload", "org", "report", "replay", "runs", "checks"):
        assert command in out
