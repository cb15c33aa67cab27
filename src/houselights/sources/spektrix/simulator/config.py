"""Configuration of the Spektrix simulator: clients, scale, setup variations, faults.

Everything a test or the CLI can change is a field here, with the default a faithful
simulation would use. Defaults that stand in for unknown real behaviour say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from houselights.errors import ConfigError

from .faults import FaultConfig

__all__ = [
    "SCALE_PRESETS",
    "VARIATIONS",
    "ClientConfig",
    "ScaleConfig",
    "SetupVariations",
    "SimulatorConfig",
    "apply_variation",
    "parse_scale",
]

DEFAULT_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
"""Default simulated "now": fixed, so the same seed gives the same data on any day."""


@dataclass(frozen=True)
class ScaleConfig:
    """How much data one client system holds.

    ``tickets`` is exact: the generator produces precisely this many ticket lines
    (main-house and supplementary), spread over ``history_days`` before the simulated now
    and sales for instances up to ``future_days`` ahead.
    """

    tickets: int = 5_000
    history_days: int = 730
    future_days: int = 120


SCALE_PRESETS: dict[str, int] = {
    "tiny": 1_500,
    "small": 20_000,
    "medium": 200_000,
    "large": 1_000_000,
}

_SCALE_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)([kKmM]?)$")


def parse_scale(value: str) -> ScaleConfig:
    """Read ``--scale``: a preset name (tiny, small, medium, large) or a ticket count (``250k``)."""
    text = value.strip().replace("_", "").replace(",", "")
    if text.lower() in SCALE_PRESETS:
        return ScaleConfig(tickets=SCALE_PRESETS[text.lower()])
    match = _SCALE_NUMBER.match(text)
    if match is None:
        raise ConfigError(
            f"--scale {value!r} is neither a preset nor a ticket count",
            hint="use one of " + ", ".join(SCALE_PRESETS) + ", or a number such as 50000 or 1M",
        )
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    tickets = int(float(match.group(1)) * factor)
    if not 100 <= tickets <= 20_000_000:
        raise ConfigError(
            f"--scale {value!r} asks for {tickets:,} tickets",
            hint="choose between 100 and 20,000,000 tickets",
        )
    return ScaleConfig(tickets=tickets)


@dataclass(frozen=True)
class SetupVariations:
    """How the client set Spektrix up: each field can break one thing a setup check must catch.

    Attribute names become payload keys by removing spaces (``"AS Product Type"`` →
    ``attribute_ASProductType``) — the spec's inference (§5.5). A trailing space in an
    attribute *name* therefore vanishes from the key; a trailing space in a dropdown
    *value* (``"Fee "``) survives, which is the form this simulator offers.
    """

    product_type_attribute: str = "AS Product Type"
    supplementary_attribute: str = "AS Supplementary Event"
    fee_value: str = "Fee"
    product_value: str = "Product"
    fee_items_without_fee_value: bool = False
    all_venues_without_address: bool = False
    report_user_has_collect_role: bool = True
    api_user_is_system_owner: bool = True
    partner_access: bool = True


VARIATIONS: dict[str, dict[str, object]] = {
    "product-type-misspelt": {"product_type_attribute": "AS Product type"},
    "supplementary-misspelt": {"supplementary_attribute": "AS Supplementary event"},
    "product-type-trailing-space": {"fee_value": "Fee ", "product_value": "Product "},
    "fee-without-value": {"fee_items_without_fee_value": True},
    "no-venue-addresses": {"all_venues_without_address": True},
    "report-user-without-collect-role": {"report_user_has_collect_role": False},
    "api-user-not-system-owner": {"api_user_is_system_owner": False},
    "partner-access-off": {"partner_access": False},
}
"""Named setup variations for the CLI's ``--variation`` flag (and tests)."""


def apply_variation(variations: SetupVariations, name: str) -> SetupVariations:
    """Return ``variations`` with the named variation switched on."""
    change = VARIATIONS.get(name)
    if change is None:
        raise ConfigError(
            f"unknown setup variation {name!r}",
            hint="choose from: " + ", ".join(VARIATIONS),
        )
    return replace(variations, **change)  # type: ignore[arg-type]


_CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class ClientConfig:
    """One simulated Spektrix client system (an arts organisation).

    Credentials default to values derived from the seed and the name (stable across
    restarts, convenient for demos — they protect nothing).
    """

    name: str = "demo"
    seed: int = 1
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    variations: SetupVariations = field(default_factory=SetupVariations)
    api_login: str = "houselights"
    api_key: str | None = None
    report_user: str = "houselights_user"
    report_password: str | None = None
    start: datetime = DEFAULT_START

    def __post_init__(self) -> None:
        if not _CLIENT_NAME.match(self.name):
            raise ConfigError(
                f"client name {self.name!r} is not usable in a URL path",
                hint="use lower-case letters, digits, '-' or '_' (Spektrix client names are "
                "lower case)",
            )


@dataclass(frozen=True)
class SimulatorConfig:
    """The whole simulator: which clients it serves and how the server behaves.

    ``max_clock_skew_seconds`` (default ±15 min) is an inference — Spektrix does not
    publish its window. ``rate_limit`` is requests per second per API login (``None`` =
    unlimited; real limits are unknown). ``repeat_pages_over_days`` switches on the
    observed ``orders?DateFrom&DateTo`` quirk for windows longer than that many days.
    """

    clients: tuple[ClientConfig, ...] = (ClientConfig(),)
    host: str = "127.0.0.1"
    port: int = 0
    latency_ms: float = 0.0
    rate_limit: float | None = None
    max_clock_skew_seconds: float = 900.0
    repeat_pages_over_days: int | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        names = [c.name for c in self.clients]
        if not names:
            raise ConfigError("the simulator needs at least one client", hint="pass --clients")
        if len(set(names)) != len(names):
            raise ConfigError(
                "client names must be unique", hint=f"got {', '.join(names)}"
            )
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError("--rate-limit must be positive", hint="e.g. --rate-limit 10")
        if self.latency_ms < 0:
            raise ConfigError("--latency-ms cannot be negative", hint="e.g. --latency-ms 50")

    def client(self, name: str) -> ClientConfig:
        """The configuration of client ``name``."""
        for client in self.clients:
            if client.name == name:
                return client
        raise ConfigError(f"no simulated client named {name!r}", hint="check --clients")
