"""Secrets at rest, organisations, connections and grants."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from houselights.errors import ConfigError, ConflictError, InputError, NotFoundError
from houselights.orgs import service
from houselights.orgs.vault import REDACTED, SecretVault
from houselights.warehouse import Warehouse


def test_key_file_created_0600_and_reused(tmp_path: Path) -> None:
    vault = SecretVault.from_settings("", tmp_path)
    key_file = tmp_path / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = vault.encrypt({"api_key": "s3cret-value"})
    assert "s3cret-value" not in token
    again = SecretVault.from_settings("", tmp_path)
    assert again.decrypt(token) == {"api_key": "s3cret-value"}
    assert "s3cret" not in repr(again)


def test_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    SecretVault.from_settings("", tmp_path)
    (tmp_path / "secret.key").chmod(0o644)
    with pytest.raises(ConfigError) as info:
        SecretVault.from_settings("", tmp_path)
    assert "chmod 600" in info.value.hint


def test_wrong_key_cannot_decrypt(tmp_path: Path) -> None:
    token = SecretVault.from_settings("", tmp_path / "a").encrypt({"k": "v"})
    with pytest.raises(ConfigError) as info:
        SecretVault.from_settings("", tmp_path / "b").decrypt(token)
    assert "cannot be decrypted" in info.value.message


def test_bad_env_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        SecretVault.from_settings("not-a-fernet-key", tmp_path)


def test_connections_store_secrets_encrypted(warehouse: Warehouse, tmp_path: Path) -> None:
    vault = SecretVault.from_settings("", tmp_path)
    with warehouse.connect() as s:
        service.add_org(s, "riverside", "Riverside Arts")
        conn = service.set_connection(
            s, vault, "riverside", "spektrix", {"client": "riverside"}, {"api_key": "TOPSECRETKEY"}
        )
        stored = s.scalar("SELECT secrets FROM connections WHERE org_id = 'riverside'")
        assert "TOPSECRETKEY" not in stored
        assert service.connection_secrets(s, vault, "riverside", "spektrix") == {
            "api_key": "TOPSECRETKEY"
        }
        shown = service.get_connection(s, "riverside", "spektrix", vault).redacted()
    assert shown["secrets"] == {"api_key": REDACTED}
    assert "TOPSECRETKEY" not in repr(shown) and "TOPSECRETKEY" not in repr(conn)


def test_org_validation_and_conflicts(warehouse: Warehouse) -> None:
    with warehouse.connect() as s:
        with pytest.raises(InputError):
            service.add_org(s, "Bad Slug!", "x")
        service.add_org(s, "riverside", "Riverside Arts")
        with pytest.raises(ConflictError):
            service.add_org(s, "riverside", "Again")
        with pytest.raises(NotFoundError) as info:
            service.get_org(s, "nowhere")
        assert "org list" in info.value.hint


def test_grants_recorded_and_revoked(warehouse: Warehouse) -> None:
    with warehouse.connect() as s:
        for slug in ("a-org", "b-org"):
            service.add_org(s, slug, slug.upper())
        service.grant_access(s, "a-org", "arts-council", by="alice")
        service.grant_access(s, "b-org", "arts-council", scope="all", by="bob")
        assert service.granted_orgs(s, "arts-council") == ["a-org", "b-org"]
        service.revoke_access(s, "a-org", "arts-council", by="carol")
        assert service.granted_orgs(s, "arts-council") == ["b-org"]
        grants = service.list_grants(s, "a-org")
        assert (
            len(grants) == 1 and grants[0].revoked_by == "carol" and grants[0].granted_by == "alice"
        )
        with pytest.raises(NotFoundError):
            service.revoke_access(s, "a-org", "arts-council", by="carol")
