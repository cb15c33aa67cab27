"""What each number means, in the words of ``docs/metrics.md``, shipped in the package.

``data/metrics.md`` is a copy of ``docs/metrics.md`` (a test keeps the two identical), so
the API and the dashboard can link every figure to its definition without the docs
folder being installed. Its *Metrics* table gives one :class:`Definition` per metric id,
its *Reports* table one per report function, its *Benchmarks* bullets one per benchmark
function, and its *Common rules* are kept whole.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from houselights.insights.results import InsightResult

__all__ = ["Definition", "Definitions", "definitions", "metrics_document"]


@dataclass(frozen=True)
class Definition(InsightResult):
    """One metric or report as docs/metrics.md defines it."""

    key: str  # a metric id (M07) or a report function name (funder_quarterly_report)
    kind: str  # "metric" or "report"
    name: str
    formula: str
    basis: str
    choice: str


@dataclass(frozen=True)
class Definitions(InsightResult):
    """Every definition, and the common rules they all follow."""

    common_rules: str
    definitions: tuple[Definition, ...]


def metrics_document() -> str:
    """The packaged copy of docs/metrics.md."""
    return (
        resources.files("houselights.insights")
        .joinpath("data", "metrics.md")
        .read_text(encoding="utf-8")
    )


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() if match else ""


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _rows(section: str) -> list[list[str]]:
    lines = [x for x in section.splitlines() if x.startswith("|")]
    return [_cells(x) for x in lines[2:]]  # past the header and its rule


_BULLET = re.compile(r"^- \*\*`(\w+)`\*\*:?\s*(.*?)(?=^- |\Z)", re.M | re.S)


def _plain(cell: str) -> str:
    return cell.replace("`", "").replace("**", "")


@functools.cache
def definitions() -> Definitions:
    """Every metric and report definition from the packaged metrics document."""
    text = metrics_document()
    found: list[Definition] = []
    for cells in _rows(_section(text, "Metrics")):
        mid, name, formula, basis, _where, choice = cells[:6]
        found.append(Definition(mid, "metric", name, formula, basis, choice))
    for cells in _rows(_section(text, "Reports")):
        function, what, basis, choice = cells[:4]
        key = _plain(function)
        found.append(Definition(key, "report", key.replace("_", " "), what, basis, choice))
    # Benchmarks are bullets: "- **`benchmark_kpis`**: what it is…" (to the next bullet).
    for match in _BULLET.finditer(_section(text, "Benchmarks")):
        key, body = match.group(1), " ".join(match.group(2).split())
        found.append(Definition(key, "benchmark", key.replace("_", " "), body, "both", ""))
    return Definitions(common_rules=_section(text, "Common rules"), definitions=tuple(found))
