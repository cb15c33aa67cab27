"""Secrets at rest: Fernet encryption with a key from the environment or a 0600 key file.

Secrets (API keys, passwords) are stored only encrypted, decrypted only where a source
needs them, and shown everywhere else as :data:`REDACTED`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from houselights.errors import ConfigError

__all__ = ["REDACTED", "SecretVault", "redact"]

REDACTED = "••••••"
KEY_FILE_NAME = "secret.key"


class SecretVault:
    """Encrypts and decrypts connection secrets."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "The secret key is not a valid Fernet key.",
                hint="Set HOUSELIGHTS_SECRET_KEY to the output of `houselights keygen`, or "
                "unset it to use the key file in the data directory.",
            ) from exc

    def __repr__(self) -> str:
        return "SecretVault(<key hidden>)"

    @classmethod
    def from_settings(cls, secret_key: str, data_dir: Path) -> SecretVault:
        """Use ``secret_key`` if given, else the data directory's key file (created 0600)."""
        if secret_key:
            return cls(secret_key.encode())
        path = data_dir / KEY_FILE_NAME
        if path.exists():
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                raise ConfigError(
                    f"The key file {path} can be read by other users (mode {mode:o}).",
                    hint=f"Run `chmod 600 {path}`.",
                )
            return cls(path.read_bytes().strip())
        data_dir.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        # Create with 0600 from the start: no window in which the key is world-readable.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return cls(key)

    def encrypt(self, secrets: dict[str, str]) -> str:
        """Encrypt a dict of secrets to a token string."""
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        """Decrypt a token made by :meth:`encrypt`."""
        try:
            data: dict[str, str] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ConfigError(
                "The stored secrets cannot be decrypted with this secret key.",
                hint="Use the same HOUSELIGHTS_SECRET_KEY (or key file) that stored them, or "
                "reconnect the box office to store the secrets again.",
            ) from exc
        return data


def redact(secrets: dict[str, Any]) -> dict[str, str]:
    """Every secret value replaced by :data:`REDACTED` (keys kept, to show what is set)."""
    return dict.fromkeys(secrets, REDACTED)
