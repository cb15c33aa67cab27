"""What a metric or report looks at: one organisation, one period, an optional slice.

Every organisation-level insight takes a :class:`Filters`; its ``org_id`` has no default,
so no query can forget to scope by organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from houselights.errors import InputError
from houselights.insights.periods import Basis, Period, current_financial_year

__all__ = ["Filters"]

_BASES: tuple[Basis, ...] = ("performance", "transaction")


@dataclass(frozen=True)
class Filters:
    """The scope of an insight.

    ``org_id``: the organisation (required). ``period``: the reporting period (default the
    current UK financial year). ``venue_ids`` / ``seasons`` / ``event_ids``: an optional
    slice (empty = everything). ``basis``: ``performance`` (a ticket belongs to the period
    its performance starts in) or ``transaction`` (the period its order was made in);
    ``None`` means each metric's own default, which is ``performance`` except where the
    metric says otherwise.
    """

    org_id: str
    period: Period = field(default_factory=current_financial_year)
    venue_ids: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    basis: Basis | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.org_id, str) or not self.org_id:
            raise InputError(
                "No organisation was given for this insight.",
                hint="Pass the organisation's id (its slug), e.g. --org my-theatre.",
            )
        if self.basis is not None and self.basis not in _BASES:
            raise InputError(
                f"Unknown period basis {self.basis!r}.",
                hint="Use 'performance' (by performance date) or 'transaction' (by order date).",
            )
        # Accept lists from callers (CLI, API) but store tuples so Filters stay hashable.
        for name in ("venue_ids", "seasons", "event_ids"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def basis_or(self, default: Basis) -> Basis:
        """The basis to use for a metric whose own default is ``default``."""
        return self.basis or default

    def with_period(self, period: Period) -> Filters:
        """The same filters over another period."""
        return replace(self, period=period)

    @property
    def has_slice(self) -> bool:
        """Whether a venue, season or event slice is set."""
        return bool(self.venue_ids or self.seasons or self.event_ids)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "org_id": self.org_id,
            "period": self.period.to_dict(),
            "venue_ids": list(self.venue_ids),
            "seasons": list(self.seasons),
            "event_ids": list(self.event_ids),
            "basis": self.basis,
        }
