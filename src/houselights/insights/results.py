"""The shape every insight returns: a frozen dataclass that turns into plain JSON types.

Values inside are plain Python — ``int``, ``float`` (money in pounds, rounded to pence),
``str``, ``bool``, ``None``, ``date``/``datetime`` — so the CLI, the REST API and the
dashboard can serialise any result with :meth:`InsightResult.to_dict`.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from houselights.insights.periods import Period

__all__ = ["InsightResult", "plain"]


def plain(value: Any) -> Any:
    """``value`` as JSON-friendly Python: dataclasses → dicts, tuples → lists, dates → ISO."""
    if isinstance(value, Period):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class InsightResult:
    """Mixin for result dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict (dates as ISO strings)."""
        out = plain(self)
        assert isinstance(out, dict)
        return out
