"""A second organisation's data never changes the first one's answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from houselights.insights import (
    Filters,
    bookings_and_channels,
    data_quality_report,
    event_id_report,
    financial_year,
    first_timer_return,
    funder_quarterly_report,
    geographic_distribution,
    income_by_kind,
    lapsed,
    lead_time,
    loyalty,
    reach,
    retention,
    sales_by_event,
    sales_by_instance,
    ticket_sales,
    ticketing_export,
    volume_and_capacity,
)
from houselights.warehouse import Session

from .dataset import load_alpha, load_beta, load_quality

FILTERS = [
    Filters(org_id="alpha", period=financial_year(2024)),
    Filters(org_id="alpha", period=financial_year(2024), basis="transaction"),
    Filters(org_id="alpha", period=financial_year(2023), venue_ids=("V1",)),
]


def _everything(session: Session) -> list[Any]:
    out: list[Any] = []
    for flt in FILTERS:
        for fn in (
            ticket_sales,
            income_by_kind,
            bookings_and_channels,
            lead_time,
            reach,
            loyalty,
            retention,
            lapsed,
            geographic_distribution,
            event_id_report,
            data_quality_report,
        ):
            out.append(fn(session, flt).to_dict())
        out.append(first_timer_return(session, flt, as_of=date(2026, 1, 1)).to_dict())
        out.append(ticketing_export(session, flt).to_pylist())
        if flt.basis is None:
            out.append(volume_and_capacity(session, flt).to_dict())
            out.append(funder_quarterly_report(session, flt).to_dict())
            out.append([r.to_dict() for r in sales_by_event(session, flt)])
            out.append([r.to_dict() for r in sales_by_instance(session, flt)])
    return out


def test_second_organisation_changes_nothing(session: Session) -> None:
    load_alpha(session)
    load_quality(session)
    alone = _everything(session)
    load_beta(session)  # same natural keys, different values
    assert _everything(session) == alone
    # …and beta does see its own data
    beta = ticket_sales(session, Filters(org_id="beta", period=financial_year(2024)))
    assert beta.tickets_issued == 4  # O1 ×2, O4/2 (its I4 is not cancelled), O13
