"""The setup check's result: steps marked ✓ / ⚠ / ✗ / –, each with the exact fix.

A source's :meth:`~houselights.sources.kit.source.Source.check_setup` returns a
:class:`SetupCheckResult`; the CLI prints it and the API returns :meth:`to_dict`, so both
show the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["MARKS", "SetupCheckResult", "SetupStep", "StepStatus"]

StepStatus = Literal["ok", "warn", "fail", "skip"]
MARKS: dict[str, str] = {"ok": "✓", "warn": "⚠", "fail": "✗", "skip": "–"}


@dataclass(frozen=True)
class SetupStep:
    """One verified step: what, where in the guide, the outcome and the fix."""

    key: str
    title: str
    guide: str
    status: StepStatus
    detail: str
    fix: str = ""

    @property
    def mark(self) -> str:
        """✓, ⚠, ✗ or –."""
        return MARKS[self.status]


@dataclass
class SetupCheckResult:
    """All steps of one organisation's setup check of one connection.

    ``target`` names what was checked in the box office's words ("Spektrix client
    riverside", "Ticketsolve account riverside").
    """

    org_id: str
    source: str
    target: str
    steps: list[SetupStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no step failed (warnings allowed)."""
        return all(s.status != "fail" for s in self.steps)

    def step(self, key: str) -> SetupStep:
        """The step called ``key``."""
        return next(s for s in self.steps if s.key == key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "org_id": self.org_id,
            "source": self.source,
            "target": self.target,
            "ok": self.ok,
            "steps": [{**asdict(s), "mark": s.mark} for s in self.steps],
        }
