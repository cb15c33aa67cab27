"""The running application: settings, the warehouse and the secret vault, opened lazily.

The CLI, the REST API and the scheduler all build one :class:`Houselights` and call the
same service functions with it, so behaviour never differs between front ends.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from houselights.orgs.vault import SecretVault
from houselights.settings import Settings, load_settings
from houselights.warehouse.base import Warehouse

__all__ = ["Houselights"]

log = logging.getLogger(__name__)


class Houselights:
    """One configured instance of houselights."""

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.settings = settings or load_settings(**overrides)

    @cached_property
    def warehouse(self) -> Warehouse:
        """The warehouse, migrated to the latest schema on first use."""
        from houselights.warehouse.factory import open_warehouse

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        wh = open_warehouse(self.settings.resolved_database_url)
        log.debug("warehouse opened: %s", wh.display_url)
        return wh

    @cached_property
    def vault(self) -> SecretVault:
        """The secret vault (key from settings or the data directory's key file)."""
        return SecretVault.from_settings(self.settings.secret_key, self.settings.data_dir)

    def close(self) -> None:
        """Release the warehouse."""
        if "warehouse" in self.__dict__:
            self.warehouse.close()
            del self.__dict__["warehouse"]
