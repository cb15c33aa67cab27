"""Configuration of the Spektrix simulator: clients, scale, setup variations, faults.

Everything a test or the CLI can change is a field here, with the default a faithful
simulation would use. Defaults that stand in for unknown real behaviour say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from houselights.errors import ConfigError

from .faults import FaultConfig

if TYPE_CHECKING:
    from .imported import ImportedCatalogue

__all__ = [
    "PAYLOAD_VARIATIONS",
    "SCALE_PRESETS",
    "SETUP_VARIATIONS",
    "VARIATIONS",
    "ClientConfig",
    "PayloadVariations",
    "ScaleConfig",
    "SetupVariations",
    "SimulatorConfig",
    "apply_variation",
    "parse_scale",
    "variations_from",
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


SETUP_VARIATIONS: dict[str, dict[str, object]] = {
    "product-type-misspelt": {"product_type_attribute": "AS Product type"},
    "supplementary-misspelt": {"supplementary_attribute": "AS Supplementary event"},
    "product-type-trailing-space": {"fee_value": "Fee ", "product_value": "Product "},
    "fee-without-value": {"fee_items_without_fee_value": True},
    "no-venue-addresses": {"all_venues_without_address": True},
    "report-user-without-collect-role": {"report_user_has_collect_role": False},
    "api-user-not-system-owner": {"api_user_is_system_owner": False},
    "partner-access-off": {"partner_access": False},
}
"""Named setup variations (how the organisation set Spektrix up)."""


@dataclass(frozen=True)
class PayloadVariations:
    """Which shape of the payloads the simulator serves.

    The defaults are the shapes Spektrix documents (spec §14: order line collections
    with ``price``/``discount``/``total``/``originalPrice``/``priceOverridden``,
    ``orders/sync`` values as references with a host-relative ``next`` without the
    client segment, owner-mode customers with ``addresses``, ``agreedStatements``,
    ``allStatements``, ``tags``, ``creditBalance`` as Money). Each field switches on a
    shape seen in the wild or one the public record leaves open, so a client can be
    tested against every one (``[observed]`` and ``[invented]`` mark which is which).
    """

    ticket_original_price_only: bool = False
    """[observed] tickets carry ``originalPrice`` and ``type`` only (no price/total)."""
    bare_refs: bool = False
    """[observed] ``event``/``instance`` (and an order's ``customer``) as bare id strings."""
    sync_next: Literal["documented", "with-client", "absolute"] = "documented"
    """``paging.next``: ``/api/v3/…`` (the docs), ``/{client}/api/v3/…``, or absolute."""
    sync_values_embed_order: bool = False
    """[invented, the first build] sync values also carry the whole order."""
    invented_fields: bool = False
    """[invented, the first build] line ``status`` (returned lines kept), order
    ``status``, ``salesChannel`` and ``lastModifiedUtc`` — no public model shows them."""
    legacy_collection_names: bool = False
    """[invented, the first build] ``merchandise``/``memberships`` instead of the
    documented ``merchandiseItems``/``membershipSubscriptions``."""
    gift_vouchers: bool = False
    """Some orders carry ``giftVouchers[]`` (documented collection; item shape invented)."""
    ticket_subscriptions: bool = False
    """Some orders carry ``ticketSubscriptions[]`` (documented; item shape invented)."""
    unknown_fields: bool = False
    """[invented] a collection, a ticket field and a customer field no model names."""
    customer_statements: bool = True
    """Customers carry ``agreedStatements``/``allStatements`` (documented, §14.3)."""
    address_place: Literal["billing", "addresses"] = "billing"
    """Where a customer's address is: ``billingAddress`` (and ``addresses[]``), or only
    ``addresses[]``."""
    postcode_key: str = "postcode"
    """[invented] the postcode's key inside an address (its inner keys are not public)."""


PAYLOAD_VARIATIONS: dict[str, dict[str, object]] = {
    "ticket-original-price-only": {"ticket_original_price_only": True},
    "bare-refs": {"bare_refs": True},
    "sync-next-with-client": {"sync_next": "with-client"},
    "sync-next-absolute": {"sync_next": "absolute"},
    "sync-values-embed-order": {"sync_values_embed_order": True},
    "invented-fields": {"invented_fields": True},
    "legacy-collection-names": {"legacy_collection_names": True},
    "gift-vouchers": {"gift_vouchers": True},
    "ticket-subscriptions": {"ticket_subscriptions": True},
    "unknown-fields": {"unknown_fields": True},
    "no-agreed-statements": {"customer_statements": False},
    "address-in-addresses": {"address_place": "addresses"},
    "postcode-as-postalCode": {"postcode_key": "postalCode"},
}
"""Named payload variations (which of the shapes seen in the wild is served)."""

VARIATIONS: dict[str, dict[str, object]] = {**SETUP_VARIATIONS, **PAYLOAD_VARIATIONS}
"""Every named variation, for the CLI's ``--variation`` flag (and tests)."""


def apply_variation(variations: SetupVariations, name: str) -> SetupVariations:
    """Return ``variations`` with the named setup variation switched on."""
    change = SETUP_VARIATIONS.get(name)
    if change is None:
        raise ConfigError(
            f"unknown setup variation {name!r}",
            hint="choose from: " + ", ".join(SETUP_VARIATIONS),
        )
    return replace(variations, **change)  # type: ignore[arg-type]


def variations_from(names: list[str]) -> tuple[SetupVariations, PayloadVariations]:
    """Setup and payload variations with every named one switched on."""
    setup, payload = SetupVariations(), PayloadVariations()
    for name in names:
        if name in SETUP_VARIATIONS:
            setup = apply_variation(setup, name)
        elif name in PAYLOAD_VARIATIONS:
            payload = replace(payload, **PAYLOAD_VARIATIONS[name])  # type: ignore[arg-type]
        else:
            raise ConfigError(
                f"unknown variation {name!r}", hint="choose from: " + ", ".join(VARIATIONS)
            )
    return setup, payload


_CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class ClientConfig:
    """One simulated Spektrix client system (an arts organisation).

    Credentials default to values derived from the seed and the name (stable across
    restarts, convenient for demos — they protect nothing). ``timezone`` is the system's
    local zone (payload wall-clock times, date filters, the audit window). ``catalogue``
    replaces the synthetic programme by a real one (``--catalogue-from``, see
    :mod:`.imported`); sales are still synthetic.
    """

    name: str = "demo"
    seed: int = 1
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    variations: SetupVariations = field(default_factory=SetupVariations)
    payload: PayloadVariations = field(default_factory=PayloadVariations)
    api_login: str = "houselights"
    api_key: str | None = None
    report_user: str = "houselights_user"
    report_password: str | None = None
    start: datetime = DEFAULT_START
    timezone: str = "Europe/London"
    catalogue: ImportedCatalogue | None = field(default=None, compare=False)

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
