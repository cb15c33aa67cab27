"""Reports as files: CSV, Parquet or XLSX (spreadsheet formulas neutralised)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pyarrow as pa
from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from houselights import insights as hi
from houselights.api.deps import Ctx, FilterQuery, Slug
from houselights.api.exports import (
    MEDIA_TYPES,
    ExportFormat,
    csv_chunks,
    parquet_bytes,
    xlsx_bytes,
)
from houselights.warehouse.base import Session

__all__ = ["EXPORTS", "router"]

router = APIRouter(tags=["exports"])

ReportName = Literal[
    "event-id", "sales-by-event", "sales-by-instance", "funder-quarterly", "ticketing"
]


def _rows_table(rows: list[Any]) -> pa.Table:
    """Result dataclasses as a table, keeping dates and numbers typed."""
    return pa.Table.from_pylist(
        [{f.name: getattr(r, f.name) for f in dataclasses.fields(r)} for r in rows]
    )


def _event_id(session: Session, filters: hi.Filters) -> pa.Table:
    report = hi.event_id_report(session, filters)
    # "Event ID" is the one people see (Spektrix: 4607); event_source_id the full id.
    names = ("shown_id", "event_name", "first_instance", "last_instance", "event_id")
    headings = (*hi.EVENT_ID_REPORT_COLUMNS, "event_source_id")
    columns = {
        h: [getattr(r, n) for r in report.rows] for h, n in zip(headings, names, strict=True)
    }
    return (
        pa.table(columns)
        if report.rows
        else pa.table({h: pa.array([], pa.string()) for h in headings})
    )


def _quarterly(session: Session, filters: hi.Filters) -> pa.Table:
    report = hi.funder_quarterly_report(session, filters)
    return pa.Table.from_pylist(
        [
            {
                "quarter": q.label,
                "first_day": q.period.start,
                "last_day": q.period.last_day,
                "events": q.events,
                "performances": q.performances,
                "attendance": q.attendance,
                "capacity": q.capacity,
                "gross_ticket_income": q.gross_ticket_income,
            }
            for q in (*report.quarters, report.total)
        ]
    )


EXPORTS: dict[str, Callable[[Session, hi.Filters], pa.Table]] = {
    "event-id": _event_id,
    "sales-by-event": lambda s, f: _rows_table(hi.sales_by_event(s, f)),
    "sales-by-instance": lambda s, f: _rows_table(hi.sales_by_instance(s, f)),
    "funder-quarterly": _quarterly,
    "ticketing": hi.ticketing_export,
}
"""Exportable report → function building its table."""


_FILE = {"schema": {"type": "string", "format": "binary"}}


@router.get(
    "/orgs/{slug}/exports/{report}",
    summary="Export a report",
    response_class=Response,
    responses={
        200: {
            "description": "The report as a file (attachment), in the format asked for.",
            "content": {media.split(";")[0]: _FILE for media in MEDIA_TYPES.values()},
        }
    },
)
def export(
    ctx: Ctx,
    slug: Slug,
    report: ReportName,
    filters: FilterQuery,
    format: Annotated[ExportFormat, Query(description="File format.")] = "csv",
) -> Response:
    """The report as a file to download. ``ticketing`` is the annual ticketing export,
    one row per valid ticket (postcode district only, never the full postcode)."""
    # Every report but the ticketing export is by performance date only.
    scoped = filters.for_org(ctx.org(slug, "reports"), performance_only=report != "ticketing")
    table = EXPORTS[report](ctx.session, scoped)
    label = re.sub(r"[^A-Za-z0-9.]+", "-", scoped.period.label)
    filename = f"{slug}-{report}-{label}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return StreamingResponse(csv_chunks(table), media_type=MEDIA_TYPES["csv"], headers=headers)
    body = parquet_bytes(table) if format == "parquet" else xlsx_bytes(table, sheet=report)
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)
