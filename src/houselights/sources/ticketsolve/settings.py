"""A Ticketsolve connection's settings: what ``houselights connect ticketsolve`` stores.

Ticketsolve's public catalogue feed needs no credentials (``specs/ticketsolve.md`` §2.3),
so there is no secret here. The defaults are polite: Ticketsolve publishes no rate-limit
figure, and the integrations in use keep themselves under it with a cap on per-performance
documents per run (250 in the Craft plugin) — the same cap is the default here, with a
request budget of 2 requests a second **[invented figure]**.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator

from houselights.sources.kit.settings import ADVANCED, ConnectionSettings

__all__ = [
    "DEFAULT_DOCUMENTS_PER_RUN",
    "DEFAULT_REQUEST_BUDGET",
    "TicketsolveSettings",
    "default_base_url",
]

DEFAULT_DOCUMENTS_PER_RUN = 250
"""Per-performance documents fetched per sync at most (as the Craft plugin caps itself)."""
DEFAULT_REQUEST_BUDGET = 2.0
"""Requests per second to Ticketsolve by default [invented: no figure is public]."""

_CLIENT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def default_base_url(client: str) -> str:
    """``https://<client>.ticketsolve.com`` (spec §1)."""
    return f"https://{client}.ticketsolve.com"


class TicketsolveSettings(ConnectionSettings):
    """One organisation's Ticketsolve account: its public feed and its report exports."""

    client: str = Field(
        description="Ticketsolve client name: the part before .ticketsolve.com in its address."
    )
    base_url: str | None = Field(
        None,
        description="Account address (default https://<client>.ticketsolve.com; a custom "
        "domain or a simulator's address).",
    )
    sales_folder: Path | None = Field(
        None,
        description="Folder where the sales and customer report exports are dropped; a "
        "sync loads each new file once.",
    )
    venue_postcodes: dict[str, str] | None = Field(
        None,
        description="Venue postcodes (the feed has none): VENUE_ID=POSTCODE, separated by ';'.",
    )
    tag: str | None = Field(None, description="Read only shows with this tag (shows.xml?tag=).")
    category: str | None = Field(
        None, description="Read only shows of this category (shows.xml?category=)."
    )
    performance_documents_per_run: int = Field(
        DEFAULT_DOCUMENTS_PER_RUN,
        ge=1,
        le=1_000_000,
        description="Most per-performance documents fetched per sync (the rest wait for the "
        "next sync).",
    )
    request_budget: float | None = Field(
        DEFAULT_REQUEST_BUDGET,
        ge=0,
        description="Most requests per second to Ticketsolve (0 = no limit).",
    )
    timezone: str = Field(
        "Europe/Dublin",
        description="The box office's local time zone (IANA name, e.g. Europe/London).",
    )
    sync_interval_minutes: int = Field(
        15, ge=1, le=7 * 24 * 60, description="How often the scheduler syncs (minutes)."
    )
    concurrency: int = Field(
        4, ge=1, le=256, description="Most requests in flight at once.", json_schema_extra=ADVANCED
    )

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        value = value.strip().lower()
        if not _CLIENT.match(value):
            raise ValueError(
                f"'{value}' is not a Ticketsolve client name (lower-case letters, digits and "
                "'-': the part before .ticketsolve.com)"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parsed = urllib.parse.urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"'{value}' is not a web address (https://…)")
        return value.strip().rstrip("/")

    @field_validator("sales_folder")
    @classmethod
    def _folder(cls, value: Path | None) -> Path | None:
        if value is None or not str(value).strip():
            return None
        return Path(value).expanduser().resolve()

    @field_validator("venue_postcodes", mode="before")
    @classmethod
    def _postcodes(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        if text.startswith("{"):
            return json.loads(text)
        pairs: dict[str, str] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            venue, sep, postcode = part.partition("=")
            if not sep or not venue.strip() or not postcode.strip():
                raise ValueError(f"'{part.strip()}' is not VENUE_ID=POSTCODE")
            pairs[venue.strip()] = postcode.strip()
        return pairs

    @field_validator("tag", "category")
    @classmethod
    def _blank(cls, value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    @property
    def account_url(self) -> str:
        """The account's root: ``base_url`` or ``https://<client>.ticketsolve.com``."""
        return self.base_url or default_base_url(self.client)

    @property
    def shows_url(self) -> str:
        """``<account>/shows.xml`` with the tag and category filters."""
        query = {k: v for k, v in (("tag", self.tag), ("category", self.category)) if v}
        suffix = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.account_url}/shows.xml{suffix}"
