"""One settings object for the whole of houselights.

Precedence, highest first: explicit overrides (CLI flags such as ``--data-dir`` and
``--db``) > environment variables (``HOUSELIGHTS_*``) > the config file
(``houselights.toml`` in the data directory, or the file named by
``HOUSELIGHTS_CONFIG``) > defaults.

The default database is a DuckDB file inside the data directory, so one command works on
a laptop with no server; ``postgresql://…`` switches to server mode.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from houselights.errors import ConfigError

__all__ = ["PrivacyLevel", "Settings", "load_settings"]

PrivacyLevel = Literal["minimal", "standard"]

DEFAULT_DATA_DIR = Path.home() / ".houselights"
CONFIG_FILE_NAME = "houselights.toml"


class Settings(BaseSettings):
    """Every setting houselights reads. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="HOUSELIGHTS_", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Folder for the embedded database, the secret key file and uploads.",
    )
    database_url: str = Field(
        default="",
        description="Empty for the embedded DuckDB file in the data directory; "
        "`duckdb:///path/file.duckdb` or `postgresql://user@host:port/db` otherwise.",
    )
    secret_key: str = Field(
        default="",
        description="Fernet key for secrets at rest; empty to use (and create) "
        "`secret.key` in the data directory with mode 0600.",
        repr=False,
    )
    privacy: PrivacyLevel = Field(
        default="minimal",
        description="`minimal` keeps only postcode-derived geography of customers; "
        "`standard` also keeps names and email addresses.",
    )
    api_host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    api_port: int = Field(default=8765, description="Port `serve` listens on.")
    suppression_threshold: int = Field(
        default=10, description="Cells with fewer bookers than this are suppressed in shared views."
    )
    min_cohort: int = Field(
        default=5, description="Benchmarks need at least this many organisations."
    )
    # Limits on one uploaded (or dropped) table file: each bounds the work or memory a
    # file can cause, so a broken or hostile file is refused early with a one-line reason.
    file_max_mb: int = Field(
        default=1024, ge=1, description="Largest table file (CSV or XLSX) read, in MB."
    )
    file_max_unzipped_mb: int = Field(
        default=2048,
        ge=1,
        description="Largest an XLSX may be once unpacked (all its parts), in MB; its "
        "shared-text part, held in memory while reading, at most a sixteenth of this.",
    )
    file_max_zip_ratio: int = Field(
        default=100,
        ge=2,
        description="Refuse an XLSX part that unpacks to more than this many times its "
        "packed size (real workbooks compress 5–20 times; a zip bomb thousands of times).",
    )
    file_max_rows: int = Field(
        default=5_000_000,
        ge=2,
        description="Most lines (rows) a table file may have, counting the header and "
        "blank lines.",
    )
    file_max_columns: int = Field(
        default=1_000, ge=1, description="Most columns (values) a line may have."
    )
    file_max_value_chars: int = Field(
        default=32_767,
        ge=1,
        le=131_072,
        description="Longest value (cell) read, in characters (Excel's own limit is "
        "32,767; at most 131,072, the CSV reader's).",
    )
    upload_max_rejected_percent: int = Field(
        default=50,
        ge=1,
        le=100,
        description="Refuse an upload as a whole once more than this share of its lines "
        "(judged from 1,000 lines on) cannot be used.",
    )
    upload_max_rejected_lines: int = Field(
        default=100_000,
        ge=1,
        description="Refuse an upload as a whole once more than this many of its lines "
        "cannot be used.",
    )
    jobs_max_attempts: int = Field(
        default=5,
        ge=1,
        le=50,
        description="Attempts of a sync job whose box office is unavailable before it is "
        "shown failed (withdrawn access is never retried).",
    )
    jobs_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Wait before a failed sync's first retry; doubles for each next one "
        "(at most an hour).",
    )
    jobs_tick_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="How often the scheduler looks for due syncs (serve, and each worker).",
    )
    jobs_stalled_seconds: float = Field(
        default=30.0,
        ge=2,
        le=3600,
        description="A worker silent this long (no heartbeat) is taken for dead and its job "
        "is run again by another (server mode).",
    )

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("duckdb://", "postgresql://", "postgres://")):
            raise ValueError(
                "must start with duckdb:// or postgresql:// (or be empty for the default)"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use, defaulting to a DuckDB file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"duckdb://{(self.data_dir / 'houselights.duckdb').resolve().as_posix()}"

    @property
    def is_postgres(self) -> bool:
        """True in server mode."""
        return self.resolved_database_url.startswith(("postgresql://", "postgres://"))


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {exc}.",
            hint="Fix the file or remove it; settings can also come from HOUSELIGHTS_* "
            "environment variables.",
        ) from exc
    section = data.get("houselights", data)
    if not isinstance(section, dict):
        raise ConfigError(f"The config file {path} has no [houselights] table.")
    return section


def load_settings(**overrides: Any) -> Settings:
    """Build the settings: overrides > environment > config file > defaults.

    ``None`` overrides are ignored so CLI options that were not given fall through.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    env_dir = os.environ.get("HOUSELIGHTS_DATA_DIR")
    data_dir = Path(given.get("data_dir") or env_dir or DEFAULT_DATA_DIR).expanduser()
    config_path = Path(os.environ.get("HOUSELIGHTS_CONFIG", data_dir / CONFIG_FILE_NAME))
    from_file = _read_config_file(config_path) if config_path.is_file() else {}
    # Environment beats the file: drop file keys that the environment also sets.
    for key in list(from_file):
        if f"HOUSELIGHTS_{key.upper()}" in os.environ:
            from_file.pop(key)
    try:
        settings = Settings(**{**from_file, **given, "data_dir": data_dir})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"A setting is not valid: {problems}.",
            hint="Check the --db / --data-dir flags, HOUSELIGHTS_* environment variables "
            f"and {config_path}.",
        ) from exc
    return settings
