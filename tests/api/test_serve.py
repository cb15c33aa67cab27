"""``houselights serve`` and the demo's ``serve_dashboard`` (without blocking on a server)."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from houselights.api.tokens import list_tokens, resolve_token
from houselights.cli import serve as serve_module
from houselights.cli.main import main
from houselights.context import Houselights


def test_serve_dashboard_prints_address_and_a_working_admin_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(serve_module, "_run", lambda hl, host, port: served.append((host, port)))
    hl = Houselights(
        data_dir=tmp_path, database_url=f"duckdb://{tmp_path / 'wh.duckdb'}", api_port=8999
    )
    serve_module.serve_dashboard(hl, demo_org="riverside")
    first = capsys.readouterr().out
    assert "http://127.0.0.1:8999/dashboard/overview?org=riverside" in first
    assert served == [("127.0.0.1", 8999)]
    token = re.search(r"hl_[A-Za-z0-9_-]+", first)
    assert token is not None
    with hl.warehouse.connect() as s:
        info = resolve_token(s, token.group(0))
        assert info is not None and info.kind == "admin"
    # Run again: a new token, and the previous demo token no longer works.
    serve_module.serve_dashboard(hl)
    second = re.search(r"hl_[A-Za-z0-9_-]+", capsys.readouterr().out)
    assert second is not None and second.group(0) != token.group(0)
    with hl.warehouse.connect() as s:
        assert resolve_token(s, token.group(0)) is None
        assert len(list_tokens(s)) == 1
    hl.close()


def test_serve_refuses_a_port_in_use_with_a_plain_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(
            [
                "--data-dir",
                str(tmp_path),
                "--db",
                f"duckdb://{tmp_path / 'wh.duckdb'}",
                "serve",
                "--port",
                str(port),
            ]
        )
    assert code == 2
    err = capsys.readouterr().err
    assert f"Cannot listen on 127.0.0.1:{port}" in err and "--port" in err
