"""Report use cases shared by the CLI, the API and the demo."""

from __future__ import annotations

from datetime import date

from houselights.insights.filters import Filters
from houselights.insights.periods import Period, parse_period
from houselights.insights.reports import EVENT_ID_REPORT_COLUMNS, event_id_report
from houselights.warehouse.base import Session

__all__ = ["ALL_TIME", "EVENT_ID_TABLE_COLUMNS", "event_id_rows"]

ALL_TIME = Period(date(1900, 1, 1), date(2200, 1, 1), "all time")
EVENT_ID_TABLE_COLUMNS = EVENT_ID_REPORT_COLUMNS
"""What a person's table of :func:`event_id_rows` shows (CSV/JSON add event_source_id)."""


def event_id_rows(
    session: Session, org_id: str, period: str | Period | None = None
) -> list[dict[str, str]]:
    """The Event ID report as rows keyed by its four headings (all time by default), plus
    ``event_source_id``: the full box office id, for machines (the "Event ID" column is
    the one people see — Spektrix's number before the ``A``)."""
    chosen = (
        ALL_TIME
        if period is None
        else (parse_period(period) if isinstance(period, str) else period)
    )
    report = event_id_report(session, Filters(org_id=org_id, period=chosen))
    table = report.as_table()
    heading, body = table[0], table[1:]
    return [
        {**dict(zip(heading, row, strict=True)), "event_source_id": r.event_id}
        for row, r in zip(body, report.rows, strict=True)
    ]
