"""The one error hierarchy of houselights.

Every error a user can meet carries three things, kept apart:

* ``message`` — what went wrong, in plain words, naming *where* (file, line, setting,
  organisation) when that is known;
* ``hint`` — what to do about it: the command, flag or setting that fixes it;
* ``detail`` — extra technical context (never secrets) shown only with ``--debug``.

The CLI and the REST API each translate these once, at their boundary (see
``houselights.cli.main`` and ``houselights.api.errors``). Domain code never raises HTTP
exceptions or prints.

The tree::

    HouselightsError
    ├── ConfigError            settings, flags, data directory, secret key
    ├── NotFoundError          an organisation, connection, run… that does not exist
    ├── ConflictError          it exists already / another run holds the lock
    ├── PermissionDeniedError  a token or grant does not allow this
    ├── InputError             a user-supplied file or value is unusable
    │   └── UploadError          an upload file as a whole is unusable
    ├── WarehouseError         the database refused or is unreachable
    ├── ExchangeError          a run could not complete
    │   └── ChecksFailedError    a ``fail_run`` quality check stopped publication
    └── SourceError            talking to a box office went wrong
        ├── AuthenticationError  credentials rejected (signature, login, password)
        ├── AccessWithdrawnError the organisation switched partner access off
        ├── UpstreamBlockedError an HTML 403 from a firewall / CDN
        └── TransientSourceError 429 / 5xx / timeout / truncated body (retriable)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessWithdrawnError",
    "AuthenticationError",
    "ChecksFailedError",
    "ConfigError",
    "ConflictError",
    "ExchangeError",
    "HouselightsError",
    "InputError",
    "NotFoundError",
    "PermissionDeniedError",
    "SourceError",
    "TransientSourceError",
    "UploadError",
    "UpstreamBlockedError",
    "WarehouseError",
]


class HouselightsError(Exception):
    """Base of every error houselights raises on purpose.

    ``exit_code`` is what the CLI exits with; ``http_status`` is what the API answers.
    """

    exit_code: int = 1
    http_status: int = 400
    code: str = "error"

    def __init__(self, message: str, *, hint: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"

    def to_dict(self) -> dict[str, str]:
        """The one JSON error shape used by the API and ``--json`` outputs."""
        return {"code": self.code, "message": self.message, "hint": self.hint}


class ConfigError(HouselightsError):
    """A setting, flag, data directory or key is missing or wrong."""

    exit_code = 2
    code = "config_error"


class NotFoundError(HouselightsError):
    """Something named by the user does not exist."""

    exit_code = 3
    http_status = 404
    code = "not_found"


class ConflictError(HouselightsError):
    """It exists already, or another run holds the organisation's lock."""

    exit_code = 4
    http_status = 409
    code = "conflict"


class PermissionDeniedError(HouselightsError):
    """The caller's token or grants do not allow this."""

    exit_code = 5
    http_status = 403
    code = "permission_denied"


class InputError(HouselightsError):
    """A value or file supplied by the user cannot be used."""

    exit_code = 2
    http_status = 422
    code = "invalid_input"


class UploadError(InputError):
    """An upload file as a whole cannot be read (empty, binary, missing columns…).

    ``rejected`` holds the first unusable lines (``record_key``, ``reason``, ``record``)
    when the file is refused for too many of them; else it is empty.
    """

    code = "invalid_upload"

    def __init__(self, message: str, *, hint: str = "", detail: str = "") -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.rejected: list[dict[str, Any]] = []


class WarehouseError(HouselightsError):
    """The warehouse database refused an operation or cannot be reached."""

    exit_code = 6
    http_status = 503
    code = "warehouse_error"


class ExchangeError(HouselightsError):
    """An exchange run could not complete; nothing it staged was published."""

    exit_code = 7
    http_status = 500
    code = "exchange_error"


class ChecksFailedError(ExchangeError):
    """A quality check with the ``fail_run`` policy failed, so the run published nothing."""

    exit_code = 8
    http_status = 422
    code = "checks_failed"

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        detail: str = "",
        outcomes: list[Any] | None = None,
    ) -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.outcomes: list[Any] = list(outcomes or [])

    def with_outcomes(self, outcomes: list[Any]) -> ChecksFailedError:
        """Attach every check outcome of the failed load (for reports)."""
        self.outcomes = outcomes
        return self


class SourceError(HouselightsError):
    """Talking to a box office went wrong."""

    exit_code = 9
    http_status = 502
    code = "source_error"
    retriable: bool = False


class AuthenticationError(SourceError):
    """The box office rejected the credentials."""

    code = "source_auth_failed"


class AccessWithdrawnError(SourceError):
    """The organisation has switched third-party access off; syncing pauses."""

    code = "access_withdrawn"


class UpstreamBlockedError(SourceError):
    """A firewall or CDN in front of the box office blocked the request (HTML 403)."""

    code = "upstream_blocked"


class TransientSourceError(SourceError):
    """Rate limited, server error, timeout or a truncated body: worth retrying."""

    code = "source_unavailable"
    retriable = True
