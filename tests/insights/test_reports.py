"""Reports against hand-worked answers on dataset.py, on both backends."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from houselights.errors import InputError
from houselights.insights import (
    EVENT_ID_REPORT_COLUMNS,
    TICKETING_EXPORT_SCHEMA,
    Filters,
    data_quality_report,
    event_id_report,
    financial_year,
    funder_quarterly_report,
    parse_period,
    sales_by_event,
    sales_by_instance,
    ticketing_export,
)
from houselights.warehouse import Session

from .dataset import load_alpha, load_beta, load_quality

FY24 = financial_year(2024)


@pytest.fixture
def db(session: Session) -> Session:
    load_alpha(session)
    load_beta(session)
    load_quality(session)
    return session


def f(**kw: object) -> Filters:
    return Filters(org_id="alpha", period=FY24, **kw)  # type: ignore[arg-type]


def test_event_id_report(db: Session) -> None:
    # Events with an instance starting in FY24: E1 (I1, I2), E2 (I3, I4, I7, and I8 in
    # April 2025, which still counts for its Last Instance). Ordered by first. E4 (I6) has
    # only a supplementary instance: not a performance, so not an event to report.
    r = event_id_report(db, f())
    assert [(x.event_id, x.event_name, x.first_instance, x.last_instance) for x in r.rows] == [
        ("E1", "Macbeth", datetime(2024, 5, 10, 19, 30), datetime(2024, 5, 11, 19, 30)),
        ("E2", "Panto", datetime(2024, 12, 20, 14), datetime(2025, 4, 10, 19)),
    ]
    table = r.as_table()
    assert tuple(table[0]) == EVENT_ID_REPORT_COLUMNS
    assert table[1] == ["E1", "Macbeth", "2024-05-10 19:30", "2024-05-11 19:30"]


def test_event_id_report_slice(db: Session) -> None:
    assert [x.event_id for x in event_id_report(db, f(venue_ids=("V2",))).rows] == ["E2"]


def test_sales_by_instance(db: Session) -> None:
    rows = sales_by_instance(db, f())
    got = [
        (
            r.instance_id,
            r.cancelled,
            r.tickets,
            r.paid_tickets,
            r.comp_tickets,
            r.returned_tickets,
            r.income,
            r.utilisation,
        )
        for r in rows
    ]
    assert got == [
        ("I1", False, 4, 3, 1, 0, 53.0, pytest.approx(4 / 100)),
        ("I2", False, 2, 2, 0, 1, 45.0, pytest.approx(2 / 100)),
        ("I3", False, 2, 2, 0, 0, 27.0, pytest.approx(2 / 50)),
        ("I4", True, 0, 0, 0, 0, 0.0, None),  # cancelled: listed, no valid tickets
        ("I7", False, 2, 2, 0, 0, 60.0, None),  # unknown capacity
    ]
    assert (rows[0].event_name, rows[0].venue_name) == ("Macbeth", "Main House")


def test_sales_by_event(db: Session) -> None:
    rows = {r.event_id: r for r in sales_by_event(db, f())}
    assert list(rows) == ["E1", "E2"]
    e1, e2 = rows["E1"], rows["E2"]
    assert (e1.performances, e1.capacity, e1.tickets, e1.paid_tickets, e1.income) == (
        2,
        200,
        6,
        5,
        98.0,
    )
    assert e1.utilisation == pytest.approx(6 / 200)
    assert e1.yield_per_paid_ticket == pytest.approx(98 / 5)
    # E2: I3 and I7 run, I4 cancelled; capacity known only for I3
    assert (e2.performances, e2.cancelled_performances, e2.capacity, e2.tickets) == (2, 1, 50, 4)
    assert e2.income == 87.0
    assert e2.utilisation == pytest.approx(2 / 50)
    assert e2.season == "Winter 2024"


def test_funder_quarterly_report(db: Session) -> None:
    r = funder_quarterly_report(db, f())
    got = [
        (q.label, q.events, q.performances, q.attendance, q.capacity, q.gross_ticket_income)
        for q in r.quarters
    ]
    assert got == [
        ("2024/25 Q1", 1, 2, 6, 200, 98.0),  # E1: I1, I2
        ("2024/25 Q2", 0, 0, 0, 0, 0.0),
        ("2024/25 Q3", 1, 1, 2, 50, 27.0),  # E2: I3 (I4 cancelled)
        ("2024/25 Q4", 1, 1, 2, 0, 60.0),  # E2: I7, no capacity
    ]
    t = r.total
    # events are distinct over the year: E1, E2
    assert (t.events, t.performances, t.attendance, t.capacity, t.gross_ticket_income) == (
        2,
        4,
        10,
        250,
        185.0,
    )


def test_funder_quarterly_report_partial_period(db: Session) -> None:
    r = funder_quarterly_report(db, f().with_period(parse_period("2024-05-11..2024-12-31")))
    assert [(q.label, q.performances, q.attendance) for q in r.quarters] == [
        ("2024/25 Q1", 1, 2),
        ("2024/25 Q2", 0, 0),
        ("2024/25 Q3", 1, 2),
    ]


def test_reports_refuse_transaction_basis(db: Session) -> None:
    for report in (sales_by_event, sales_by_instance, funder_quarterly_report):
        with pytest.raises(InputError):
            report(db, f(basis="transaction"))


def test_ticketing_export(db: Session) -> None:
    t = ticketing_export(db, f())
    assert t.schema == TICKETING_EXPORT_SCHEMA
    assert t.num_rows == 10
    assert "postcode" not in t.column_names  # only the district leaves the warehouse
    assert sum(t["price_paid"].to_pylist()) == pytest.approx(185.0)
    first = t.slice(0, 1).to_pylist()[0]
    assert first["event_name"] == "Macbeth"
    assert first["performance_start"] == datetime(2024, 5, 10, 19, 30)
    assert (first["order_id"], first["line_no"], first["ticket_type"]) == ("O1", 1, "Standard")
    assert first["postcode_district"] == "NE1" and first["region"] == "North East"
    anon = next(r for r in t.to_pylist() if r["order_id"] == "O5")
    assert anon["customer_id"] is None


def test_ticketing_export_empty_keeps_schema(db: Session) -> None:
    t = ticketing_export(db, Filters(org_id="alpha", period=financial_year(2010)))
    assert t.num_rows == 0 and t.schema == TICKETING_EXPORT_SCHEMA
    assert isinstance(t, pa.Table)


def test_data_quality_report(db: Session) -> None:
    r = data_quality_report(db, f())
    assert [run.run_id for run in r.runs] == ["r2", "r1"]  # newest first; beta's not here
    assert r.runs[0].status == "failed" and r.runs[0].message == "check unique_order_id failed"
    assert r.runs[1].rows_quarantined == 3
    assert [(c.run_id, c.check_name, c.outcome) for c in r.checks] == [
        ("r2", "unique_order_id", "fail"),
        ("r1", "not_null_price", "quarantined"),
        ("r1", "postcode_format", "quarantined"),
        ("r1", "volume", "pass"),
    ]
    assert r.failing_checks == 3
    assert r.quarantined_rows == 3
    groups = [(g.table_name, g.check_name, g.rows, g.sample_keys) for g in r.quarantine]
    assert groups == [
        ("customers", "postcode_format", 2, ("C98", "C99")),
        ("order_lines", "not_null_price", 1, ("O50/1",)),
    ]
    assert r.quarantine[0].sample_reasons == (
        "postcode 'XX' is not valid",
        "postcode 'YY' is not valid",
    )
    limited = data_quality_report(db, f(), runs=1, samples=1)
    assert [run.run_id for run in limited.runs] == ["r2"] and limited.quarantine == ()


def test_data_quality_report_without_runs(db: Session) -> None:
    r = data_quality_report(db, Filters(org_id="nobody", period=FY24))
    assert (r.runs, r.checks, r.quarantine, r.quarantined_rows) == ((), (), (), 0)
