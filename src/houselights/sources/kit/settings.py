"""Typed connection settings: what ``houselights connect <source>`` stores for a box office.

Every source declares one pydantic model, a subclass of :class:`ConnectionSettings`.
Secrets are fields typed :class:`~pydantic.SecretStr`: they are stored encrypted by the
vault, apart from the other settings, and never shown (their ``repr`` is ``'**********'``).
Every default is defined once, here or in the source's model — the scheduler, the status
report and the CLI read it from the model, never from a literal of their own.

The ``connect`` command is generated from the model: each field becomes an option (its
description is the help), each secret a ``--<name>-file`` option (or a hidden prompt).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from houselights.errors import InputError

from .budget import RequestBudget, TokenBucket, budget_factory
from .http import HttpOptions

__all__ = ["ADVANCED", "ConnectionSettings", "Policy", "settings_error"]

Policy = Literal["warn", "quarantine_row", "fail_run"]


ADVANCED: dict[str, Any] = {"advanced": True}
"""``json_schema_extra`` of a setting shown under "Advanced" in ``connect --help``."""


class ConnectionSettings(BaseModel):
    """Settings every box office connection has (a source's model adds its own)."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    sync_interval_minutes: int = Field(
        60, ge=1, le=7 * 24 * 60, description="How often the scheduler syncs (minutes)."
    )
    refresh_hours: int = Field(
        24,
        ge=1,
        le=7 * 24,
        description="How often scheduled syncs read the streams that change slowly "
        "(Spektrix's Customer Audit report, Ticketsolve's catalogue), in hours; a sync you "
        "start yourself reads every stream.",
    )
    request_budget: float | None = Field(
        10.0,
        ge=0,
        description="Most requests per second to the box office (0 = no limit).",
    )
    timezone: str = Field(
        "Europe/London",
        description="The box office's local time zone (IANA name, e.g. Europe/Dublin).",
    )
    concurrency: int = Field(
        16, ge=1, le=256, description="Most requests in flight at once.", json_schema_extra=ADVANCED
    )
    timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="Seconds to wait per request.", json_schema_extra=ADVANCED
    )
    retries: int = Field(
        5, ge=0, le=20, description="Retries of a failed request.", json_schema_extra=ADVANCED
    )
    backoff_seconds: float = Field(
        0.5,
        ge=0,
        le=60,
        description="First wait before a retry (doubles each time).",
        json_schema_extra=ADVANCED,
    )
    checks: dict[str, Policy] | None = Field(
        None,
        description="Quality-check policy overrides: check name → policy.",
        json_schema_extra=ADVANCED,
    )

    # Subclasses set this: the fields that only make sense once (never shown by status).
    derived: ClassVar[tuple[str, ...]] = ()

    @field_validator("request_budget")
    @classmethod
    def _no_budget(cls, value: float | None) -> float | None:
        return value if value else None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"'{value}' is not a time zone name (use e.g. Europe/London or Europe/Dublin)"
            ) from None
        return value

    # --- derived values ------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        """The connection's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def sync_interval(self) -> timedelta:
        """The time between scheduled syncs."""
        return timedelta(minutes=self.sync_interval_minutes)

    @property
    def refresh_interval(self) -> timedelta:
        """The time between reads of a periodic stream in scheduled syncs."""
        return timedelta(hours=self.refresh_hours)

    def http_options(self) -> HttpOptions:
        """The HTTP client's options from these settings."""
        return HttpOptions(
            concurrency=self.concurrency,
            timeout=self.timeout_seconds,
            retries=self.retries,
            backoff_base=self.backoff_seconds,
        )

    def token_bucket(self) -> RequestBudget | None:
        """The request budget, or ``None`` for no limit: in-process, or the shared one a
        worker set up (:func:`~houselights.sources.kit.budget.shared_budgets`)."""
        if not self.request_budget:
            return None
        factory = budget_factory()
        return factory(self.request_budget) if factory else TokenBucket(self.request_budget)

    # --- storage -------------------------------------------------------------------------

    @classmethod
    def secret_fields(cls) -> tuple[str, ...]:
        """Names of the fields kept encrypted."""
        return tuple(
            name
            for name, info in cls.model_fields.items()
            if info.annotation is not None and SecretStr in _types_of(info.annotation)
        )

    def split(self) -> tuple[dict[str, Any], dict[str, str]]:
        """``(settings stored in the clear, secrets to encrypt)``."""
        secret_names = self.secret_fields()
        clear = self.model_dump(mode="json", exclude=set(secret_names))
        secrets: dict[str, str] = {}
        for name in secret_names:
            value = getattr(self, name)
            if value is not None:
                secrets[name] = value.get_secret_value()
        return clear, secrets

    @classmethod
    def from_stored(cls, settings: dict[str, Any], secrets: dict[str, str]) -> Self:
        """Rebuild from what the connection row holds (unknown old keys are ignored)."""
        return cls.parse_input({**settings, **secrets}, where="the stored connection")

    @classmethod
    def parse_input(cls, values: dict[str, Any], *, where: str = "the settings") -> Self:
        """Validate user input; a problem is an :class:`InputError` naming the setting."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise settings_error(exc, where) from None

    def shown(self) -> dict[str, Any]:
        """The settings fit to display: no secrets (only whether each is set)."""
        clear, secrets = self.split()
        for name in self.secret_fields():
            clear[name] = "set" if name in secrets else "not set"
        return clear


def settings_error(exc: ValidationError, where: str) -> InputError:
    """A pydantic validation error as one plain :class:`InputError`."""
    problems = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "value"
        message = str(err["msg"]).removeprefix("Value error, ")
        problems.append(f"{name.replace('_', '-')}: {message}")
    return InputError(
        f"Invalid connection setting in {where}: " + "; ".join(problems) + ".",
        hint="See `houselights connect SOURCE --help` for each setting and its values.",
    )


def _types_of(annotation: Any) -> set[Any]:
    args = getattr(annotation, "__args__", None)
    if not args:
        return {annotation}
    found: set[Any] = set()
    for arg in args:
        found |= _types_of(arg)
    return found
