"""The definitions the API and dashboard show are docs/metrics.md's own words."""

from __future__ import annotations

from pathlib import Path

from houselights.insights import METRICS
from houselights.insights.definitions import definitions, metrics_document

DOCS = Path(__file__).parents[2] / "docs" / "metrics.md"


def test_the_packaged_copy_is_docs_metrics_md() -> None:
    # After editing docs/metrics.md: cp docs/metrics.md src/houselights/insights/data/
    assert metrics_document() == DOCS.read_text(encoding="utf-8")


def test_every_catalogued_metric_has_its_definition() -> None:
    found = {d.key: d for d in definitions().definitions if d.kind == "metric"}
    assert set(METRICS) <= set(found)
    # Read here from the table row directly, not through the parser.
    row = next(x for x in DOCS.read_text(encoding="utf-8").splitlines() if x.startswith("| M22 "))
    assert found["M22"].formula == row.split("|")[3].strip()
