"""Disclosure control for anything shown across organisations.

Rules (specs/metrics.md M52, illuminate-and-audience-data.md §5):

* a cohort statistic needs at least ``min_cohort`` organisations (default 5);
* a cell with fewer than ``threshold`` bookers (default 10) is suppressed;
* a cell where one organisation contributes more than ``max_org_share`` (50%) of the
  published quantity is suppressed, since it would mostly describe that organisation;
* when exactly one cell of a distribution is suppressed and the total is published, the
  next smallest cell is suppressed too (complementary suppression), otherwise the hidden
  cell could be recovered by subtraction;
* only controlled vocabularies (region, frequency band, channel, lead-time bucket) are
  ever used as labels — never an organisation's free text such as event or ticket-type
  names (the Illuminate ticket-type incident).

These are pure functions over counts so they can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CellDecision",
    "PooledCell",
    "SuppressionPolicy",
    "SuppressionReason",
    "cohort_is_large_enough",
    "decide_cells",
]

SuppressionReason = Literal["too_few_bookers", "dominated_by_one_organisation", "complementary"]


@dataclass(frozen=True)
class SuppressionPolicy:
    """Thresholds for shared views (defaults from the specs; configurable in settings)."""

    threshold: int = 10
    min_cohort: int = 5
    max_org_share: float = 0.5


def cohort_is_large_enough(organisations: int, policy: SuppressionPolicy) -> bool:
    """Whether a cohort of ``organisations`` may be published at all."""
    return organisations >= policy.min_cohort


@dataclass(frozen=True)
class PooledCell:
    """One cell of a cross-organisation distribution before suppression.

    ``bookers``: distinct bookers in the cell, summed over organisations.
    ``contributions``: each organisation's amount of the published quantity.
    """

    label: str
    bookers: int
    contributions: Mapping[str, float]

    @property
    def total(self) -> float:
        """The published quantity summed over organisations."""
        return float(sum(self.contributions.values()))

    @property
    def largest_share(self) -> float:
        """The biggest single organisation's share of the cell (0 for an empty cell)."""
        total = self.total
        return max(self.contributions.values(), default=0.0) / total if total else 0.0


@dataclass(frozen=True)
class CellDecision:
    """Whether a cell may be shown, and if not why."""

    label: str
    shown: bool
    reason: SuppressionReason | None


def decide_cells(
    cells: Sequence[PooledCell], policy: SuppressionPolicy, *, total_published: bool = True
) -> list[CellDecision]:
    """Apply the threshold, dominance and complementary rules to ``cells`` (in order).

    An empty cell (no bookers, nothing published) is shown: a zero discloses no one.
    """
    reasons: dict[str, SuppressionReason] = {}
    for cell in cells:
        if cell.bookers == 0 and cell.total == 0:
            continue
        if cell.bookers < policy.threshold:
            reasons[cell.label] = "too_few_bookers"
        elif cell.largest_share > policy.max_org_share:
            reasons[cell.label] = "dominated_by_one_organisation"
    if total_published and len(reasons) == 1:
        shown = [c for c in cells if c.label not in reasons and (c.bookers or c.total)]
        if shown:
            smallest = min(shown, key=lambda c: (c.total, c.bookers, c.label))
            reasons[smallest.label] = "complementary"
    return [CellDecision(c.label, c.label not in reasons, reasons.get(c.label)) for c in cells]
