"""A Spektrix connection's settings: what ``houselights connect spektrix`` stores.

The API key and the reporting user's password are secrets (encrypted by the vault, never
shown); everything else is stored in the clear and shown by ``houselights status``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from houselights.sources.kit.settings import ADVANCED, ConnectionSettings

from .auth import is_valid_key
from .mapping import ProductionFields

__all__ = ["DEFAULT_AUDIT_REPORT", "DEFAULT_BASE_URL", "SpektrixSettings", "api_root"]

DEFAULT_BASE_URL = "https://system.spektrix.com"
DEFAULT_AUDIT_REPORT = "Activity Stream - customer audit report"


def api_root(base_url: str, client: str) -> str:
    """``https://system.spektrix.com`` + client → ``…/{client}/api/v3`` (a full API base
    given as ``base_url`` is kept as it is)."""
    base = base_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base
    return f"{base}/{client}/api/v3"


def _attribute(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = name.strip()
    return name if name.startswith("attribute_") else f"attribute_{name.replace(' ', '')}"


class SpektrixSettings(ConnectionSettings):
    """One organisation's Spektrix system (integration guide steps 1–5)."""

    client: str = Field(
        description="Spektrix client name: the part after system.spektrix.com/ in its address."
    )
    base_url: str = Field(
        DEFAULT_BASE_URL, description="Spektrix host (or a full API base ending in /api/v3)."
    )
    api_login: str = Field(description="API user name (guide step 1).")
    api_key: SecretStr = Field(description="API user's secret key (guide step 1).")
    report_user: str | None = Field(None, description="Collect Report user name (guide step 3).")
    report_password: SecretStr | None = Field(
        None,
        description="Collect Report user's password (guide step 3).",
        json_schema_extra={"prompt_if": "report_user"},
    )
    audit_report: str | None = Field(
        DEFAULT_AUDIT_REPORT, description="Name of the Customer Audit report (guide step 2)."
    )
    audit_report_url: str | None = Field(
        None,
        description="Download link of the scheduled Customer Audit report "
        "(default: beside the API, as the simulator serves it).",
    )
    season_field: str | None = Field("attribute_Series", description="Event field with the season.")
    category_field: str | None = Field(
        "attribute_Category", description="Event field with the category."
    )
    type_field: str | None = Field("attribute_Type", description="Event field with the type.")
    orders_feed: Literal["auto", "sync", "windows"] = Field(
        "auto", description="auto (orders/sync, else date windows), sync or windows."
    )
    backfill_chunk: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Orders published per backfill checkpoint.",
        json_schema_extra=ADVANCED,
    )

    @model_validator(mode="before")
    @classmethod
    def _from_older_rows(cls, values: Any) -> Any:
        # Connections stored before the kit kept only the joined api_root.
        if isinstance(values, dict) and "base_url" not in values and values.get("api_root"):
            root = str(values["api_root"]).rstrip("/")
            suffix = f"/{values.get('client', '')}/api/v3"
            values = {**values, "base_url": root[: -len(suffix)] if root.endswith(suffix) else root}
        return values

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or "/" in value:
            raise ValueError(
                f"'{value}' is not a Spektrix client name: use the part after "
                "system.spektrix.com/ in your Spektrix address"
            )
        return value

    @field_validator("api_login")
    @classmethod
    def _login(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the API login is empty (guide step 1)")
        return value.strip()

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value().strip()
        if not is_valid_key(text):
            raise ValueError("the secret key is not valid base64 text; copy it exactly")
        return SecretStr(text)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        parsed = urllib.parse.urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"'{value}' is not a web address (use e.g. {DEFAULT_BASE_URL})")
        return value.rstrip("/")

    @field_validator("season_field", "category_field", "type_field")
    @classmethod
    def _field(cls, value: str | None) -> str | None:
        return _attribute(value)

    @property
    def api_root(self) -> str:
        """The API base: ``https://system.spektrix.com/{client}/api/v3``."""
        return api_root(self.base_url, self.client)

    @property
    def audit_url(self) -> str:
        """Where the Customer Audit report is collected.

        **[invented]** Real Spektrix delivers the report as an emailed link; the simulator
        serves it next to the API, which is the default here (``--audit-report-url``
        overrides it).
        """
        return self.audit_report_url or self.api_root[: -len("/api/v3")] + "/reports/customer-audit"

    @property
    def fields(self) -> ProductionFields:
        """Which event fields hold the production details."""
        return ProductionFields(self.season_field, self.category_field, self.type_field)

    def shown(self) -> dict[str, Any]:
        """Settings fit to display (with the API base they join to)."""
        return {**super().shown(), "api_root": self.api_root}
