"""The derived fact tables follow the published data: a change shows in the next answer."""

from __future__ import annotations

from houselights.insights import Filters, financial_year, ticket_sales
from houselights.insights.facts import refresh_facts
from houselights.warehouse import Session

from .dataset import load, load_alpha, ts

FY24 = Filters(org_id="alpha", period=financial_year(2024))


def test_new_rows_are_seen_by_the_next_call(session: Session) -> None:
    load_alpha(session)
    assert ticket_sales(session, FY24).tickets_issued == 10
    load(
        session,
        "orders",
        [
            {
                "org_id": "alpha",
                "order_id": "O99",
                "customer_id": "C2",
                "created_at": ts("2024-06-01 10:00"),
                "channel": "online",
            }
        ],
    )
    load(
        session,
        "order_lines",
        [
            {
                "org_id": "alpha",
                "order_id": "O99",
                "line_no": 1,
                "kind": "ticket",
                "instance_id": "I2",
                "face_value": 20,
                "price_paid": 20,
                "is_concession": False,
                "is_comp": False,
                "status": "issued",
            }
        ],
    )
    after = ticket_sales(session, FY24)
    assert (after.tickets_issued, after.gross_ticket_income) == (11, 205.0)


def test_a_publish_that_changes_rows_in_place_is_seen(session: Session) -> None:
    load_alpha(session)
    assert ticket_sales(session, FY24).tickets_issued == 10
    # A publish returns O9's ticket: same row count, but a new load is recorded.
    session.execute(
        "UPDATE order_lines SET status = 'returned', load_id = 'load-2' "
        "WHERE org_id = 'alpha' AND order_id = 'O9'"
    )
    load(
        session,
        "loads",
        [
            {
                "load_id": "load-2",
                "run_id": "run-2",
                "org_id": "alpha",
                "seq": 1,
                "published_at": ts("2025-05-01 10:00"),
                "rows_inserted": 0,
                "rows_updated": 1,
                "rows_unchanged": 0,
                "rows_quarantined": 0,
            }
        ],
    )
    assert ticket_sales(session, FY24).tickets_issued == 9


def test_refresh_facts_rebuilds_on_request(session: Session) -> None:
    load_alpha(session)
    assert ticket_sales(session, FY24).tickets_issued == 10
    session.execute(
        "UPDATE order_lines SET status = 'returned' WHERE org_id = 'alpha' AND order_id = 'O9'"
    )
    refresh_facts(session, "alpha")  # what the exchange calls after publishing
    assert ticket_sales(session, FY24).tickets_issued == 9
    n = session.scalar("SELECT COUNT(*) FROM insight_line_facts WHERE org_id = 'alpha'")
    assert n == 22  # every order line of alpha, once
