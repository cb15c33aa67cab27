"""Standard reports for one organisation: the Event ID report, sales by event and by
performance, the funder quarterly activity report, the annual ticketing export and the
data-quality report.

Each takes a :class:`~houselights.insights.filters.Filters` (so it is scoped to one
organisation) and returns a result dataclass, except :func:`ticketing_export`, which
returns an Arrow table with a fixed schema for CSV / Parquet / XLSX exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from houselights.errors import InputError
from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period, financial_quarters
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session
from houselights.warehouse.history import check_results_of_runs, list_runs, quarantine_groups

__all__ = [
    "EVENT_ID_REPORT_COLUMNS",
    "TICKETING_EXPORT_SCHEMA",
    "CheckRecord",
    "DataQualityReport",
    "EventIdReport",
    "EventIdRow",
    "EventSales",
    "InstanceSales",
    "QuarantineGroup",
    "QuarterActivity",
    "QuarterlyActivityReport",
    "RunSummary",
    "data_quality_report",
    "event_id_report",
    "funder_quarterly_report",
    "sales_by_event",
    "sales_by_instance",
    "ticketing_export",
]

EVENT_ID_REPORT_COLUMNS: tuple[str, ...] = (
    "Event ID",
    "Event Name",
    "First Instance",
    "Last Instance",
)
"""Column headings of the Spektrix "Illuminate Event ID Report"."""


def _performance_only(filters: Filters, what: str) -> None:
    if filters.basis_or("performance") != "performance":
        raise InputError(
            f"The {what} is by performance date only.",
            hint="Use basis 'performance'; ticket_sales() and ticketing_export() also "
            "work by transaction date.",
        )


# Event ID report ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventIdRow(InsightResult):
    """One event: its box office id, name and first and last instance start.

    ``event_id`` is the full source id; ``event_code`` the Event ID people see where it
    differs (Spektrix's number before the ``A``), shown by :attr:`shown_id`.
    """

    event_id: str
    event_name: str
    first_instance: datetime
    last_instance: datetime
    event_code: str | None = None

    @property
    def shown_id(self) -> str:
        """The Event ID as the box office shows it to people."""
        return self.event_code or self.event_id


@dataclass(frozen=True)
class EventIdReport(InsightResult):
    """The Event ID report, ordered by first instance."""

    org_id: str
    period: Period
    rows: tuple[EventIdRow, ...]

    def as_table(self) -> list[list[str]]:
        """Heading row plus one row per event, times as ``YYYY-MM-DD HH:MM`` (the layout of
        the Spektrix report Illuminate users are asked to build)."""
        out = [list(EVENT_ID_REPORT_COLUMNS)]
        out.extend(
            [
                r.shown_id,
                r.event_name,
                f"{r.first_instance:%Y-%m-%d %H:%M}",
                f"{r.last_instance:%Y-%m-%d %H:%M}",
            ]
            for r in self.rows
        )
        return out


def event_id_report(session: Session, filters: Filters) -> EventIdReport:
    """Event ID, Event Name, First Instance, Last Instance for every event with an
    instance starting in the period — what a funded organisation enters in Illuminate so
    its box office feed attaches to its events.

    Choices: like the Spektrix report (criteria on instance date, output event fields),
    an event is listed when any of its instances starts in the period, and First/Last
    Instance are over **all** its instances, cancelled ones included. Instances flagged
    supplementary (interval drinks, programmes, car parking) are not performances, so an
    event with only supplementary instances in the period is not listed.
    """
    sliced = _sql.slice_conditions(filters, "s")
    slice_sql = f" AND {sliced.text}" if sliced.text else ""
    rows = session.fetchall(
        f"""
        SELECT e.event_id, e.name, MIN(i.starts_at), MAX(i.starts_at), e.event_code
        FROM events e
        JOIN instances i ON i.org_id = e.org_id AND i.event_id = e.event_id
        WHERE e.org_id = ? AND e.event_id IN (
            SELECT s.event_id FROM instances s
            WHERE s.org_id = ? AND s.starts_at >= ? AND s.starts_at < ?
              AND NOT s.is_supplementary{slice_sql})
        GROUP BY e.event_id, e.name, e.event_code
        ORDER BY MIN(i.starts_at), e.event_id
        """,
        [
            filters.org_id,
            filters.org_id,
            filters.period.start_at,
            filters.period.end_at,
            *sliced.params,
        ],
    )
    return EventIdReport(
        org_id=filters.org_id,
        period=filters.period,
        rows=tuple(
            EventIdRow(str(a), str(b), c, d, None if code is None else str(code))
            for a, b, c, d, code in rows
        ),
    )


# Sales by instance and by event ---------------------------------------------------------


def _per_instance(filters: Filters) -> _sql.Sql:
    """Per performance in the period (cancelled included): tickets and income."""
    perf = _sql.performances(filters, include_cancelled=True)
    text = f"""
        WITH perf AS ({perf.text}),
        t AS (
            -- ticket lines per performance, kept by the facts build (money in pence)
            SELECT l.instance_id, l.tickets, l.paid, l.comps, l.returned,
                   l.income_pence AS income
            FROM {_sql.INSTANCE_FACTS} l
            WHERE l.org_id = ? AND l.starts_at >= ? AND l.starts_at < ?
        ),
        pi AS (
            -- a cancelled performance has no valid tickets (valid_ticket, metrics.md §1.1)
            SELECT p.*,
                   CASE WHEN p.cancelled THEN 0 ELSE COALESCE(t.tickets, 0) END AS tickets,
                   CASE WHEN p.cancelled THEN 0 ELSE COALESCE(t.paid, 0) END AS paid,
                   CASE WHEN p.cancelled THEN 0 ELSE COALESCE(t.comps, 0) END AS comps,
                   COALESCE(t.returned, 0) AS returned,
                   CASE WHEN p.cancelled THEN 0 ELSE COALESCE(t.income, 0) END AS income
            FROM perf p LEFT JOIN t ON t.instance_id = p.instance_id
        )"""
    params = [*perf.params, filters.org_id, filters.period.start_at, filters.period.end_at]
    return _sql.Sql(text, params)


@dataclass(frozen=True)
class InstanceSales(InsightResult):
    """Sales of one performance."""

    instance_id: str
    event_id: str
    event_name: str | None
    starts_at: datetime
    venue_id: str | None
    venue_name: str | None
    capacity: int | None
    cancelled: bool
    tickets: int
    paid_tickets: int
    comp_tickets: int
    returned_tickets: int
    income: float
    utilisation: float | None


def sales_by_instance(session: Session, filters: Filters) -> list[InstanceSales]:
    """Tickets and income per performance starting in the period, in start order.

    Basis: performance only. Cancelled performances are listed (flagged, with no valid
    tickets); supplementary instances are not performances and are left out.
    """
    _performance_only(filters, "sales by performance report")
    facts.ensure_fresh(session, [filters.org_id])
    base = _per_instance(filters)
    rows = session.fetch_dicts(
        f"""{base.text}
        SELECT pi.instance_id, pi.event_id, e.name AS event_name, pi.starts_at, pi.venue_id,
               v.name AS venue_name, pi.capacity, pi.cancelled, pi.tickets, pi.paid, pi.comps,
               pi.returned, pi.income
        FROM pi
        LEFT JOIN events e ON e.org_id = ? AND e.event_id = pi.event_id
        LEFT JOIN venues v ON v.org_id = ? AND v.venue_id = pi.venue_id
        ORDER BY pi.starts_at, pi.instance_id
        """,
        [*base.params, filters.org_id, filters.org_id],
    )
    return [
        InstanceSales(
            instance_id=r["instance_id"],
            event_id=r["event_id"],
            event_name=r["event_name"],
            starts_at=r["starts_at"],
            venue_id=r["venue_id"],
            venue_name=r["venue_name"],
            capacity=r["capacity"],
            cancelled=bool(r["cancelled"]),
            tickets=_sql.as_int(r["tickets"]),
            paid_tickets=_sql.as_int(r["paid"]),
            comp_tickets=_sql.as_int(r["comps"]),
            returned_tickets=_sql.as_int(r["returned"]),
            income=_sql.money(_sql.pounds(r["income"])),
            utilisation=None if r["cancelled"] else _sql.ratio(r["tickets"], r["capacity"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class EventSales(InsightResult):
    """Sales of one event over its performances in the period."""

    event_id: str
    event_code: str | None  # the Event ID people see in the box office (Spektrix)
    event_name: str | None
    season: str | None
    category: str | None
    first_performance: datetime
    last_performance: datetime
    performances: int
    cancelled_performances: int
    capacity: int
    tickets: int
    paid_tickets: int
    comp_tickets: int
    income: float
    utilisation: float | None
    yield_per_paid_ticket: float | None


def sales_by_event(session: Session, filters: Filters) -> list[EventSales]:
    """Tickets, income and utilisation per event, over its performances in the period,
    ordered by first performance.

    Basis: performance only. Utilisation counts performances with a known capacity only
    (as :func:`~houselights.insights.metrics.volume_and_capacity` does).
    """
    _performance_only(filters, "sales by event report")
    facts.ensure_fresh(session, [filters.org_id])
    base = _per_instance(filters)
    rows = session.fetch_dicts(
        f"""{base.text}
        SELECT pi.event_id, e.event_code, e.name AS event_name, e.season, e.category,
               MIN(pi.starts_at) AS first_performance, MAX(pi.starts_at) AS last_performance,
               COUNT(*) FILTER (WHERE NOT pi.cancelled) AS performances,
               COUNT(*) FILTER (WHERE pi.cancelled) AS cancelled_performances,
               SUM(pi.capacity) FILTER (WHERE NOT pi.cancelled) AS capacity,
               SUM(pi.tickets) AS tickets,
               SUM(pi.tickets) FILTER (WHERE NOT pi.cancelled AND pi.capacity IS NOT NULL)
                   AS tickets_with_capacity,
               SUM(pi.paid) AS paid, SUM(pi.comps) AS comps, SUM(pi.income) AS income
        FROM pi
        LEFT JOIN events e ON e.org_id = ? AND e.event_id = pi.event_id
        GROUP BY pi.event_id, e.event_code, e.name, e.season, e.category
        ORDER BY MIN(pi.starts_at), pi.event_id
        """,
        [*base.params, filters.org_id],
    )
    return [
        EventSales(
            event_id=r["event_id"],
            event_code=r["event_code"],
            event_name=r["event_name"],
            season=r["season"],
            category=r["category"],
            first_performance=r["first_performance"],
            last_performance=r["last_performance"],
            performances=_sql.as_int(r["performances"]),
            cancelled_performances=_sql.as_int(r["cancelled_performances"]),
            capacity=_sql.as_int(r["capacity"]),
            tickets=_sql.as_int(r["tickets"]),
            paid_tickets=_sql.as_int(r["paid"]),
            comp_tickets=_sql.as_int(r["comps"]),
            income=_sql.money(_sql.pounds(r["income"])),
            utilisation=_sql.ratio(
                _sql.as_int(r["tickets_with_capacity"]), _sql.as_int(r["capacity"])
            ),
            yield_per_paid_ticket=_sql.ratio(_sql.pounds(r["income"]), _sql.as_int(r["paid"])),
        )
        for r in rows
    ]


# Funder quarterly activity report ---------------------------------------------------------


@dataclass(frozen=True)
class QuarterActivity(InsightResult):
    """Activity in one financial quarter (or the whole period, ``label = 'total'``)."""

    label: str
    period: Period
    events: int
    performances: int
    attendance: int  # M02 tickets issued
    capacity: int
    gross_ticket_income: float


@dataclass(frozen=True)
class QuarterlyActivityReport(InsightResult):
    """Events, performances and attendance per financial quarter, and the total."""

    org_id: str
    period: Period
    quarters: tuple[QuarterActivity, ...]
    total: QuarterActivity
    basis: Basis = "performance"  # always: the report is by performance date


def funder_quarterly_report(session: Session, filters: Filters) -> QuarterlyActivityReport:
    """The quarterly activity return funders ask for: per quarter of the financial year,
    the events that ran, their performances and attendance (plus capacity and income).

    Basis: performance only. For a whole financial year there are four rows (Q1 = April
    to June); a shorter range gives one row per quarter it touches.
    Choices: an event counts in a quarter if it had a non-cancelled performance in it,
    so the total of events is distinct events (not the sum of the quarters).
    Attendance is tickets issued (M02), the proxy box office data supports.
    """
    _performance_only(filters, "funder quarterly report")
    facts.ensure_fresh(session, [filters.org_id])
    quarters = financial_quarters(filters.period)
    case = "CASE " + " ".join(f"WHEN pi.starts_at < ? THEN {k}" for k in range(len(quarters)))
    case += " END"
    base = _per_instance(filters)
    rows = session.fetchall(
        f"""{base.text},
        q AS (SELECT {case} AS q, pi.* FROM pi WHERE NOT pi.cancelled)
        SELECT q.q, COUNT(DISTINCT q.event_id), COUNT(*), SUM(q.tickets), SUM(q.capacity),
               SUM(q.income)
        FROM q GROUP BY GROUPING SETS ((q.q), ())
        """,
        [*base.params, *(p.end_at for p in quarters)],
    )
    found = {r[0]: r[1:] for r in rows}

    def activity(label: str, period: Period, values: Any) -> QuarterActivity:
        events, perfs, tickets, capacity, income = values or (0, 0, 0, 0, 0)
        return QuarterActivity(
            label=label,
            period=period,
            events=_sql.as_int(events),
            performances=_sql.as_int(perfs),
            attendance=_sql.as_int(tickets),
            capacity=_sql.as_int(capacity),
            gross_ticket_income=_sql.money(_sql.pounds(income)),
        )

    return QuarterlyActivityReport(
        org_id=filters.org_id,
        period=filters.period,
        quarters=tuple(activity(p.label, p, found.get(k)) for k, p in enumerate(quarters)),
        total=activity("total", filters.period, found.get(None)),
    )


# Annual ticketing export ----------------------------------------------------------------

TICKETING_EXPORT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_name", pa.string()),
        ("instance_id", pa.string()),
        ("performance_start", pa.timestamp("us")),
        ("venue_id", pa.string()),
        ("venue_name", pa.string()),
        ("order_id", pa.string()),
        ("line_no", pa.int32()),
        ("order_date", pa.timestamp("us")),
        ("channel", pa.string()),
        ("ticket_type", pa.string()),
        ("price_band", pa.string()),
        ("is_concession", pa.bool_()),
        ("is_comp", pa.bool_()),
        ("face_value", pa.float64()),
        ("price_paid", pa.float64()),
        ("customer_id", pa.string()),
        ("postcode_district", pa.string()),
        ("region", pa.string()),
    ]
)
"""Columns of the annual ticketing export, one row per valid ticket."""


def ticketing_export(session: Session, filters: Filters) -> pa.Table:
    """One row per valid ticket of the period, with event, performance, venue, order,
    price and the booker's postcode district and region — the annual ticketing return.

    Basis: performance by default; transaction supported.
    Choices: only valid tickets (no returns, no cancelled performances, no supplementary
    items); the full postcode is never exported, only its district; money as float
    pounds. Ordered by performance, order and line.
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    vt = _sql.valid_tickets(filters, basis, extra_columns="t.line_no, t.ticket_type, t.price_band")
    table = session.fetch_arrow(
        f"""
        WITH vt AS ({vt.text})
        SELECT vt.event_id, e.name AS event_name, vt.instance_id,
               vt.starts_at AS performance_start, vt.venue_id, v.name AS venue_name,
               vt.order_id, vt.line_no, vt.created_at AS order_date, vt.channel,
               vt.ticket_type, vt.price_band, vt.is_concession, vt.is_comp,
               CAST(vt.face_value AS DOUBLE PRECISION) AS face_value,
               CAST(vt.price_paid AS DOUBLE PRECISION) AS price_paid,
               vt.customer_id, c.postcode_district, c.region
        FROM vt
        LEFT JOIN events e ON e.org_id = vt.org_id AND e.event_id = vt.event_id
        LEFT JOIN venues v ON v.org_id = vt.org_id AND v.venue_id = vt.venue_id
        LEFT JOIN customers c ON c.org_id = vt.org_id AND c.customer_id = vt.customer_id
        ORDER BY vt.starts_at, vt.order_id, vt.line_no
        """,
        vt.params,
    )
    return table.cast(TICKETING_EXPORT_SCHEMA)


# Data-quality report --------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary(InsightResult):
    """One exchange run."""

    run_id: str
    kind: str
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    records_in: int | None
    rows_staged: int | None
    rows_published: int | None
    rows_unchanged: int | None
    rows_quarantined: int | None
    message: str | None


@dataclass(frozen=True)
class CheckRecord(InsightResult):
    """One quality check's recorded result on one load (as the exchange stored it)."""

    run_id: str
    load_id: str
    check_name: str
    table_name: str
    policy: str
    outcome: str
    failing_rows: int
    description: str


@dataclass(frozen=True)
class QuarantineGroup(InsightResult):
    """Rows held back by one check in one table of one run, with a few examples."""

    run_id: str
    table_name: str
    check_name: str
    rows: int
    sample_reasons: tuple[str, ...]
    sample_keys: tuple[str, ...]


@dataclass(frozen=True)
class DataQualityReport(InsightResult):
    """Recent runs, their check results and quarantined rows."""

    org_id: str
    runs: tuple[RunSummary, ...]
    checks: tuple[CheckRecord, ...]
    quarantine: tuple[QuarantineGroup, ...]
    quarantined_rows: int
    failing_checks: int  # results with outcome other than 'pass'


def data_quality_report(
    session: Session, filters: Filters, *, runs: int = 20, samples: int = 3
) -> DataQualityReport:
    """The last ``runs`` exchange runs of the organisation (newest first), every check
    result of those runs, and their quarantined rows grouped by table and check with up to
    ``samples`` example keys and reasons each.

    Choices: not limited by ``filters.period`` — data quality is about the latest runs,
    whatever period they loaded. Quarantined record contents are not included (they may
    hold personal data); fetch one by key if needed.
    """
    run_list = tuple(RunSummary(**r) for r in list_runs(session, filters.org_id, limit=runs))
    ids = [r.run_id for r in run_list]
    if not ids:
        return DataQualityReport(filters.org_id, (), (), (), 0, 0)
    order = {rid: k for k, rid in enumerate(ids)}
    checks = sorted(
        (
            CheckRecord(**{**r, "failing_rows": _sql.as_int(r["failing_rows"])})
            for r in check_results_of_runs(session, filters.org_id, ids)
        ),
        key=lambda c: (order[c.run_id], c.load_id, c.check_name),
    )
    quarantine = tuple(
        sorted(
            (
                QuarantineGroup(
                    run_id=r,
                    table_name=t,
                    check_name=c,
                    rows=n,
                    sample_reasons=tuple(e[1] for e in examples),
                    sample_keys=tuple(e[0] for e in examples),
                )
                for r, t, c, n, examples in quarantine_groups(
                    session, filters.org_id, ids, samples=samples
                )
            ),
            key=lambda g: (order[g.run_id], g.table_name, g.check_name),
        )
    )
    return DataQualityReport(
        org_id=filters.org_id,
        runs=run_list,
        checks=tuple(checks),
        quarantine=quarantine,
        quarantined_rows=sum(g.rows for g in quarantine),
        failing_checks=sum(1 for c in checks if c.outcome != "pass"),
    )
