"""Every metric against answers worked out by hand on dataset.py, on both backends.

Valid FY 2024/25 tickets by performance date (valid = ticket, issued, performance not
cancelled, not supplementary):
  I1: O1/1 20, O1/2 15 conc (face 20), O2/1 0 comp (face 20), O9/1 18 (face 20)
  I2: O2/2 20, O3/1 25            (O3/2 returned: out)
  I3: O4/1 12 conc (face 15), O5/1 15 (anonymous)   (O4/2 is for cancelled I4: out)
  I7: O8/1 30, O8/2 30            (capacity unknown)
  → 10 tickets, 9 paid, 1 comp, income 20+15+0+18+20+25+12+15+30+30 = 185
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from houselights.errors import InputError, NotFoundError
from houselights.insights import (
    METRICS,
    Filters,
    bookings_and_channels,
    compute_metric,
    financial_year,
    first_timer_return,
    geographic_distribution,
    income_by_kind,
    lapsed,
    lead_time,
    loyalty,
    parse_period,
    reach,
    retention,
    ticket_sales,
    volume_and_capacity,
)
from houselights.warehouse import Session

from .dataset import load_alpha, load_beta

FY24 = financial_year(2024)


@pytest.fixture
def db(session: Session) -> Session:
    load_alpha(session)
    load_beta(session)
    return session


def f(**kw: object) -> Filters:
    return Filters(org_id="alpha", period=FY24, **kw)  # type: ignore[arg-type]


def test_volume_and_capacity(db: Session) -> None:
    r = volume_and_capacity(db, f())
    assert r.basis == "performance"
    # M01: I1, I2, I3, I7 (I4 cancelled, I6 supplementary, I5/I8/I9 other years)
    assert r.performances == 4
    assert (r.tickets_issued, r.paid_tickets, r.comp_tickets) == (10, 9, 1)
    # M06: 100 + 100 + 50; I7 has no capacity
    assert r.capacity == 250
    assert r.performances_without_capacity == 1
    # M07: tickets on performances with capacity: I1 4 + I2 2 + I3 2 = 8 → 8 / 250
    assert r.utilisation == pytest.approx(8 / 250)
    # paid: I1 3 + I2 2 + I3 2 = 7
    assert r.paid_utilisation == pytest.approx(7 / 250)
    assert r.average_audience == pytest.approx(10 / 4)  # M08
    assert r.gross_ticket_income == 185.0  # M09
    # M11: max face (any status) × capacity: I1 20×100 + I2 25×100 + I3 15×50 = 5250
    assert r.financial_capacity == 5250.0
    assert r.performances_without_price == 0
    # M12: income of I1 (53) + I2 (45) + I3 (27) = 125 over 5250
    assert r.financial_utilisation == pytest.approx(125 / 5250)


def test_volume_refuses_transaction_basis(db: Session) -> None:
    with pytest.raises(InputError) as err:
        volume_and_capacity(db, f(basis="transaction"))
    assert "performance" in err.value.hint


def test_ticket_sales_performance_basis(db: Session) -> None:
    r = ticket_sales(db, f())
    assert (r.tickets_issued, r.paid_tickets, r.comp_tickets) == (10, 9, 1)
    assert r.gross_ticket_income == 185.0
    assert r.yield_per_paid_ticket == pytest.approx(185 / 9)  # M10
    assert r.yield_per_ticket == pytest.approx(185 / 10)  # M10b
    # M13 over the 9 paid tickets: Σface = 20+20+20+25+15+15+30+30+20 = 195;
    # Σ(face − paid) = 0+5+0+0+3+0+0+0+2 = 10
    assert r.face_value_of_paid == 195.0
    assert r.discount_amount == 10.0
    assert r.discount_rate == pytest.approx(10 / 195)
    # M14: O1/2 and O4/1 are paid concessions
    assert r.concession_tickets == 2
    assert r.concession_share == pytest.approx(2 / 9)
    # M20: C1, C2, C3, C4, C6 (O5 anonymous); M15 = 185 / 5
    assert r.bookers == 5
    assert r.income_per_booker == pytest.approx(37.0)


def test_ticket_sales_transaction_basis(db: Session) -> None:
    # Orders made in FY24: O1 O2 O3 O4 O5 O8 O10 (O9 was made 2024-03-15; O11/O12 later).
    # Same tickets minus O9/1 (18) plus O10/1 (15, for I8 in April 2025).
    r = ticket_sales(db, f(basis="transaction"))
    assert r.basis == "transaction"
    assert (r.tickets_issued, r.paid_tickets) == (10, 9)
    assert r.gross_ticket_income == 185 - 18 + 15
    assert r.bookers == 5  # C1 C2 C3 C4 C5


def test_income_by_kind_transaction_default(db: Session) -> None:
    r = income_by_kind(db, f())
    assert r.basis == "transaction"
    got = {k.kind: (k.lines, k.income) for k in r.kinds}
    assert list(got) == ["ticket", "supplementary", "product", "fee", "donation", "membership"]
    assert got == {
        "ticket": (10, 182.0),  # 185 − 18 (O9, ordered in FY23) + 15 (O10)
        "supplementary": (1, 5.0),
        "product": (1, 8.0),
        "fee": (1, 2.0),
        "donation": (1, 10.0),
        "membership": (1, 40.0),
    }
    assert r.total_income == 247.0
    assert r.kinds[0].share_of_income == pytest.approx(182 / 247)


def test_income_by_kind_performance_basis(db: Session) -> None:
    # ticket lines dated by performance (185); the supplementary line by I6 (May 2024);
    # fee, donation, membership, product by their orders (all in FY24).
    r = income_by_kind(db, f(basis="performance"))
    assert {k.kind: k.income for k in r.kinds}["ticket"] == 185.0
    assert r.total_income == 185 + 5 + 2 + 10 + 40 + 8


def test_income_by_kind_with_slice_counts_only_performance_lines(db: Session) -> None:
    # Venue V2 by order date in FY24: I3 (O4/1 12, O5/1 15), I7 (O8 30 + 30) and I8
    # (O10/1 15, ordered 2025-03-30); O4/2 is for the cancelled I4.
    r = income_by_kind(db, f(venue_ids=("V2",)))
    got = {k.kind: (k.lines, k.income) for k in r.kinds}
    assert got["ticket"] == (5, 102.0)
    assert got["donation"] == (0, 0.0) and got["membership"] == (0, 0.0)


def test_bookings_and_channels(db: Session) -> None:
    r = bookings_and_channels(db, f())
    # M16: O1 O2 O3 O4 O5 O8 O9
    assert r.bookings == 7
    assert r.tickets_per_booking == pytest.approx(10 / 7)  # M17
    mix = {c.channel: (c.tickets, c.bookings) for c in r.channels}
    assert mix == {
        "online": (4, 3),  # O1 ×2, O4, O9
        "box_office": (3, 2),  # O2 ×2, O5
        "phone": (1, 1),  # O3
        "agent": (2, 1),  # O8 ×2
    }
    shares = [c.share_of_tickets for c in r.channels]
    assert shares == pytest.approx([0.4, 0.3, 0.1, 0.2])


def test_lead_time(db: Session) -> None:
    # days: O1 ×2 39 (Apr 1 → May 10), O2/1 0, O2/2 1, O3 10, O4 30, O5 0, O8 ×2 27,
    # O9 56 (Mar 15 → May 10). Sorted 0 0 1 10 27 27 30 39 39 56 → median 27; mean 22.9
    r = lead_time(db, f())
    assert r.tickets == 10
    assert r.median_days == 27.0
    assert r.mean_days == pytest.approx(22.9)
    assert [(b.bucket, b.tickets) for b in r.buckets] == [
        ("same_day", 2),
        ("1-7", 1),
        ("8-30", 4),
        ("31-90", 3),
        ("over_90", 0),
    ]
    assert r.buckets[2].share == pytest.approx(0.4)


def test_reach(db: Session) -> None:
    r = reach(db, f())
    assert r.bookers == 5
    assert (r.bookings, r.bookings_with_customer) == (7, 6)  # O5 anonymous
    assert r.data_capture_rate == pytest.approx(6 / 7)  # M21
    assert r.bookers_with_postcode == 4  # C4 has none
    assert r.postcode_capture_rate == pytest.approx(4 / 5)  # M22
    assert r.tickets_per_booker == pytest.approx(9 / 5)  # 10 − the anonymous one


def test_loyalty(db: Session) -> None:
    # occasions: C1 {I1, I3} 3 tickets £47; C2 {I1, I2} 2 tickets £20; C3 {I2} £25;
    # C4 {I7} 2 tickets £60; C6 {I1} £18. Prior history (before FY24 performances): C1, C5.
    r = loyalty(db, f())
    assert r.bookers == 5
    assert r.occasions == 7
    assert r.average_frequency == pytest.approx(7 / 5)  # M25
    bands = {b.band: (b.bookers, b.occasions, b.tickets, b.income) for b in r.bands}
    assert bands == {
        "1": (3, 3, 4, 103.0),  # C3, C4, C6
        "2": (2, 4, 5, 67.0),  # C1, C2
        "3-5": (0, 0, 0, 0.0),
        "6+": (0, 0, 0, 0.0),
    }
    assert (r.new_bookers, r.returning_bookers) == (4, 1)  # M30, M31: only C1 returns
    assert r.new_share == pytest.approx(0.8)  # M32
    assert r.reattendance_rate == pytest.approx(2 / 5)  # M34
    assert r.repeat_income_share == pytest.approx(67 / 185)  # M40 over M09
    assert r.data_starts == date(2023, 6, 1)
    # Data from June 2023 is less than three years before April 2024: "new" is flagged.
    assert r.short_history is True


def test_new_bookers_are_flagged_until_three_years_of_history(db: Session) -> None:
    # History starts 2023-06-01: a period starting 2026-04-01 still has under 3 years,
    # one starting 2026-06-01 has exactly 3, one starting 2027-04-01 more.
    def short(period: str) -> bool:
        return loyalty(db, Filters("alpha", parse_period(period))).short_history

    assert short("2026/27") is True
    assert short("2026-06-01..2026-12-31") is False
    assert short("2027/28") is False


def test_loyalty_transaction_basis(db: Session) -> None:
    # By order date: B = C1 C2 C3 C4 C5; earlier orders with valid tickets: O6 (C5),
    # O7 (C1), O9 (C6) → returning C1, C5; new C2, C3, C4
    r = loyalty(db, f(basis="transaction"))
    assert (r.bookers, r.new_bookers, r.returning_bookers) == (5, 3, 2)


def test_new_means_new_to_the_organisation_even_in_a_slice(db: Session) -> None:
    # Venue V2 in FY24: C1 (I3) and C4 (I7). C1 booked I5 (V1) in 2023 → still returning.
    r = loyalty(db, f(venue_ids=("V2",)))
    assert (r.bookers, r.new_bookers, r.returning_bookers) == (2, 1, 1)


def test_retention(db: Session) -> None:
    # B(FY23) = {C1, C5} (I5); B(FY24) = {C1, C2, C3, C4, C6}; retained {C1}
    r = retention(db, f())
    assert r.previous_period == financial_year(2023)
    assert (r.previous_bookers, r.bookers, r.retained) == (2, 5, 1)
    assert r.retention_rate == pytest.approx(0.5)


def test_first_timer_return(db: Session) -> None:
    # cohort N(FY24) = C2 (first I1 2024-05-10), C3 (I2 2024-05-11), C4 (I7 2025-02-01),
    # C6 (I1 2024-05-10). Next occasions: C2 I2 next day; C6 I8 2025-04-10 (11 months);
    # C3 I9 2025-10-01 (16.7 months); C4 none.
    r = first_timer_return(db, f(), as_of=date(2026, 1, 1))
    assert r.cohort == 4
    w12, w18 = r.windows
    assert (w12.months, w12.returned, w12.incomplete) == (12, 2, 1)  # C4's window is open
    assert w12.return_rate == pytest.approx(0.5)
    assert w12.churn_rate == pytest.approx(0.5)
    assert (w18.months, w18.returned, w18.incomplete) == (18, 3, 1)
    assert w18.return_rate == pytest.approx(0.75)


def test_lapsed(db: Session) -> None:
    # last occasion before 2025-04-01: C1 2024-12-20, C2/C3 2024-05-11, C4 2025-02-01,
    # C5 2023-06-01, C6 2024-05-10. 18 and 12 months before → 2023-10-01 / 2024-04-01.
    r = lapsed(db, f())
    assert r.as_of == date(2025, 4, 1)
    assert r.bookers_with_history == 6
    assert [(t.months, t.lapsed) for t in r.thresholds] == [(18, 1), (12, 1), (24, 0)]
    # At 2025-06-01, C5 and C6 came back for I8 (2025-04-10): 12 months → C2, C3.
    later = lapsed(db, f(), as_of=date(2025, 6, 1))
    assert [(t.months, t.lapsed) for t in later.thresholds] == [(18, 0), (12, 2), (24, 0)]
    assert later.thresholds[1].share == pytest.approx(2 / 6)


def test_geography_by_region(db: Session) -> None:
    # C1 NE (3 tickets £47), C6 NE (1, £18), C2 NW (2, £20), C3 London (1, £25),
    # C4 no postcode (2, £60) + the anonymous ticket (1, £15) → unknown
    r = geographic_distribution(db, f())
    cells = [(c.label, c.bookers, c.tickets, c.income) for c in r.cells]
    assert cells == [
        ("North East", 2, 4, 65.0),
        ("North West", 1, 2, 20.0),
        ("London", 1, 1, 25.0),
        ("unknown", 1, 3, 75.0),
    ]
    assert r.bookers == 5
    assert r.cells[0].share_of_bookers == pytest.approx(0.4)


def test_geography_by_area_and_district(db: Session) -> None:
    area = {c.label: c.bookers for c in geographic_distribution(db, f(), "area").cells}
    assert area == {"NE": 2, "M": 1, "SW": 1, "unknown": 1}
    district = {c.label: c.bookers for c in geographic_distribution(db, f(), "district").cells}
    assert district == {"NE1": 1, "NE2": 1, "M1": 1, "SW1A": 1, "unknown": 1}


def test_slices(db: Session) -> None:
    # season "Spring 2024" = E1 (and E4, supplementary): I1 4 tickets + I2 2 tickets
    assert ticket_sales(db, f(seasons=("Spring 2024",))).tickets_issued == 6
    assert ticket_sales(db, f(event_ids=("E2",))).tickets_issued == 4
    v = volume_and_capacity(db, f(venue_ids=["V1"]))
    assert (v.performances, v.capacity, v.tickets_issued) == (2, 200, 6)


def test_empty_period_gives_zeros_and_none(db: Session) -> None:
    empty = Filters(org_id="alpha", period=financial_year(2019))
    v = volume_and_capacity(db, empty)
    assert (v.performances, v.tickets_issued, v.utilisation, v.average_audience) == (
        0,
        0,
        None,
        None,
    )
    s = ticket_sales(db, empty)
    assert (s.gross_ticket_income, s.yield_per_paid_ticket, s.discount_rate) == (0.0, None, None)
    assert loyalty(db, empty).new_share is None
    assert lead_time(db, empty).median_days is None


def test_unknown_organisation_has_no_data(db: Session) -> None:
    assert ticket_sales(db, Filters(org_id="nobody", period=FY24)).tickets_issued == 0


def test_compute_metric_matches_the_family(db: Session) -> None:
    assert compute_metric(db, "M07", f()).value == pytest.approx(8 / 250)
    m = compute_metric(db, "M43", f())
    assert m.unit == "table" and m.value[0]["label"] == "North East"
    as_dict = compute_metric(db, "M33", f()).to_dict()
    assert as_dict["period"]["label"] == "2024/25" and as_dict["value"] == 0.5
    with pytest.raises(NotFoundError):
        compute_metric(db, "M99", f())


def test_every_catalogued_metric_runs_and_serialises(db: Session) -> None:
    import json

    for metric_id, definition in METRICS.items():
        value = compute_metric(db, metric_id, f())
        assert value.basis in definition.bases
        json.dumps(value.to_dict())


def test_results_are_plain_python(db: Session) -> None:
    d = ticket_sales(db, f()).to_dict()
    assert type(d["gross_ticket_income"]) is float
    assert type(d["tickets_issued"]) is int
    assert d["period"] == {
        "start": "2024-04-01",
        "end": "2025-04-01",
        "last_day": "2025-03-31",
        "label": "2024/25",
    }
    assert isinstance(volume_and_capacity(db, f()).capacity, int)
    assert isinstance(loyalty(db, f()).data_starts, date)
    assert not isinstance(loyalty(db, f()).data_starts, datetime)
