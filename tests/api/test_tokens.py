"""Tokens: only hashes are stored; create, list and revoke through the service and CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from houselights.api import tokens
from houselights.cli.main import main
from houselights.context import Houselights
from houselights.errors import InputError, NotFoundError
from houselights.orgs.service import add_org

from .world import Served


@pytest.fixture
def hl(tmp_path: Path) -> Houselights:
    app = Houselights(data_dir=tmp_path, database_url=f"duckdb://{tmp_path / 'wh.duckdb'}")
    with app.warehouse.connect() as s, s.transaction():
        add_org(s, "riverside", "Riverside")
    return app


def test_only_the_hash_is_stored(hl: Houselights) -> None:
    with hl.warehouse.connect() as s, s.transaction():
        created = tokens.create_token(s, "org", "riverside", label="laptop")
        stored = s.fetchall("SELECT * FROM api_tokens")
    assert created.token.startswith(tokens.TOKEN_PREFIX) and len(created.token) > 40
    assert created.token not in repr(stored)
    assert stored[0][0] == tokens.hash_token(created.token)
    assert created.info.token_id == stored[0][0][:12]
    hl.close()


def test_create_list_resolve_revoke(hl: Houselights) -> None:
    with hl.warehouse.connect() as s, s.transaction():
        admin = tokens.create_token(s, "admin", "ignored")
        funder = tokens.create_token(s, "recipient", "arts-council")
        assert admin.info.subject == "admin"
        assert tokens.resolve_token(s, funder.token) == funder.info
        assert [t.kind for t in tokens.list_tokens(s)] == ["admin", "recipient"]
        tokens.revoke_token(s, funder.info.token_id)
        assert tokens.resolve_token(s, funder.token) is None
        assert [t.kind for t in tokens.list_tokens(s)] == ["admin"]
        assert len(tokens.list_tokens(s, include_revoked=True)) == 2
        with pytest.raises(NotFoundError):
            tokens.revoke_token(s, funder.info.token_id)
        with pytest.raises(InputError):
            tokens.create_token(s, "superuser")
        with pytest.raises(InputError):
            tokens.create_token(s, "recipient", "  ")
        with pytest.raises(NotFoundError):
            tokens.create_token(s, "org", "no-such-org")
    hl.close()


def test_token_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--data-dir", str(tmp_path), "--db", f"duckdb://{tmp_path / 'wh.duckdb'}"]
    assert main([*db, "org", "add", "riverside", "--name", "Riverside"]) == 0
    assert main([*db, "token", "create", "org", "riverside", "--label", "box office"]) == 0
    out = capsys.readouterr().out
    token = re.search(r"hl_[A-Za-z0-9_-]+", out)
    assert token is not None
    assert main([*db, "token", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["kind"], t["subject"], t["label"]) for t in listed] == [
        ("org", "riverside", "box office")
    ]
    assert token.group(0) not in json.dumps(listed)
    assert main([*db, "token", "revoke", listed[0]["id"]]) == 0
    assert "Revoked the org token" in capsys.readouterr().out
    assert main([*db, "token", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main([*db, "token", "create", "org"]) == 2  # no subject: InputError, exit code 2


def test_secrets_never_leave_the_api(served: Served) -> None:
    admin = served.tokens["admin"]
    for path in (
        "/api/v1/orgs/alpha/connections",
        "/api/v1/orgs/alpha/connections/spektrix",
        "/api/v1/orgs/alpha/connections/spektrix/status",
        "/api/v1/me",
    ):
        body = served.get(path, admin).text
        assert "SUPERSECRETKEY" not in body and "hunter2" not in body
        assert served.tokens["admin"] not in body
    conn = served.get("/api/v1/orgs/alpha/connections/spektrix", admin).json()
    assert set(conn["secrets"]) == {"api_key", "report_password"}
