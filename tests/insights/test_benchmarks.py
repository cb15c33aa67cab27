"""Benchmarks: cohort from grants, minimum cohort, suppression, no free-text labels.

Peers p1…p5 each run one performance (capacity 100) in FY 2024/25 and sell one ticket to
each of n bookers at price £10·k:  p1 12 bookers £10, p2 14 £20, p3 16 £30, p4 18 £40,
p5 20 £50.  p6 (5 bookers, £60) is used for the booker threshold.
Home regions: p1 3 Wales + 9 London; p2 13 London + 1 'Narnia' (not a region);
p3 16 London; p4 1 North East + 17 London; p5 11 North East + 9 London; p6 5 London.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from houselights.errors import InputError, PermissionDeniedError
from houselights.insights import (
    BENCHMARK_DIMENSIONS,
    BENCHMARK_KPIS,
    SuppressionPolicy,
    benchmark_cohort,
    benchmark_distribution,
    benchmark_kpis,
    financial_year,
)
from houselights.model.postcodes import REGIONS
from houselights.warehouse import Session

from .dataset import load, ts

FY24 = financial_year(2024)
PEERS = {  # org: (bookers, price, regions)
    "p1": (12, 10, ["Wales"] * 3 + ["London"] * 9),
    "p2": (14, 20, ["London"] * 13 + ["Narnia"]),
    "p3": (16, 30, ["London"] * 16),
    "p4": (18, 40, ["North East"] + ["London"] * 17),
    "p5": (20, 50, ["North East"] * 11 + ["London"] * 9),
    "p6": (5, 60, ["London"] * 5),
}


def _load_peer(session: Session, org: str, n: int, price: int, regions: list[str]) -> None:
    load(
        session,
        "organisations",
        [
            {
                "org_id": org,
                "name": org,
                "region": "London",
                "artform": "theatre" if org != "p5" else "music",
                "created_at": ts("2020-01-01 00:00"),
            }
        ],
    )
    load(session, "events", [{"org_id": org, "event_id": "E1", "name": f"Secret Show of {org}"}])
    load(
        session,
        "instances",
        [
            {
                "org_id": org,
                "instance_id": "I1",
                "event_id": "E1",
                "starts_at": ts("2024-06-01 19:30"),
                "capacity": 100,
                "cancelled": False,
                "is_supplementary": False,
            }
        ],
    )
    load(
        session,
        "customers",
        [{"org_id": org, "customer_id": f"C{k}", "region": r} for k, r in enumerate(regions)],
    )
    load(
        session,
        "orders",
        [
            {
                "org_id": org,
                "order_id": f"O{k}",
                "customer_id": f"C{k}",
                "created_at": ts("2024-05-01 10:00"),
                "channel": "online",
            }
            for k in range(n)
        ],
    )
    load(
        session,
        "order_lines",
        [
            {
                "org_id": org,
                "order_id": f"O{k}",
                "line_no": 1,
                "kind": "ticket",
                "instance_id": "I1",
                "face_value": price,
                "price_paid": price,
                "is_concession": False,
                "is_comp": False,
                "status": "issued",
                "ticket_type": f"Secret Ticket Type of {org}",
            }
            for k in range(n)
        ],
    )


def _grant(
    session: Session,
    org: str,
    recipient: str,
    scope: str = "benchmarks",
    revoked: datetime | None = None,
) -> None:
    load(
        session,
        "grants",
        [
            {
                "grant_id": f"{org}-{recipient}-{scope}",
                "org_id": org,
                "recipient": recipient,
                "scope": scope,
                "granted_at": ts("2024-01-01 00:00"),
                "granted_by": "admin",
                "revoked_at": revoked,
                "revoked_by": "admin" if revoked else None,
            }
        ],
    )


@pytest.fixture
def peers(session: Session) -> Session:
    for org, (n, price, regions) in PEERS.items():
        _load_peer(session, org, n, price, regions)
    for org in ("p1", "p2", "p3", "p4"):
        _grant(session, org, "funder")
    _grant(session, "p5", "funder", scope="all")
    _grant(session, "p6", "funder", scope="reports")  # not for benchmarks
    _grant(session, "p6", "funder", revoked=ts("2024-02-01 00:00"))  # revoked long ago
    for org in ("p1", "p2", "p3", "p4"):
        _grant(session, org, "council")  # only four
    for org in ("p1", "p2", "p3", "p4", "p5", "p6"):
        _grant(session, org, "agency")
    return session


def _revoke(session: Session, org: str, recipient: str) -> None:
    session.execute(
        "UPDATE grants SET revoked_at = ?, revoked_by = 'org' WHERE org_id = ? AND recipient = ?",
        [datetime(2025, 1, 1), org, recipient],
    )


def test_cohort_is_active_benchmark_grants(peers: Session) -> None:
    assert benchmark_cohort(peers, "funder") == ["p1", "p2", "p3", "p4", "p5"]
    assert benchmark_cohort(peers, "funder", artform="theatre") == ["p1", "p2", "p3", "p4"]
    assert benchmark_cohort(peers, "nobody") == []


def test_cohort_of_four_gives_no_benchmark(peers: Session) -> None:
    r = benchmark_kpis(peers, "council", FY24)
    assert r.status == "not_enough_organisations"
    assert r.cohort_size == 4 and r.kpis == ()
    assert "4" in r.message and "5" in r.message
    d = benchmark_distribution(peers, "council", FY24, "region")
    assert d.status == "not_enough_organisations" and d.cells == () and d.total is None


def test_cohort_of_five_gives_benchmark(peers: Session) -> None:
    r = benchmark_kpis(peers, "funder", FY24, org_id="p1")
    assert r.status == "ok" and r.cohort_size == 5
    kpis = {k.metric: k for k in r.kpis}
    assert set(kpis) == set(BENCHMARK_KPIS)
    # M07 utilisation n/100: .12 .14 .16 .18 .20 → p25 .14, median .16, p75 .18
    u = kpis["M07"]
    assert (u.organisations, u.suppressed) == (5, False)
    assert [u.p25, u.median, u.p75] == pytest.approx([0.14, 0.16, 0.18])
    # M10 yield £10…£50 → median 30; p1's index = 10 / 30 × 100
    y = kpis["M10"]
    assert y.median == pytest.approx(30.0) and y.org_value == pytest.approx(10.0)
    assert y.index == pytest.approx(100 / 3)
    # everyone new, one performance each
    assert kpis["M32"].median == pytest.approx(1.0)
    assert kpis["M25"].median == pytest.approx(1.0)
    assert kpis["M08"].median == pytest.approx(16.0)


def test_revoked_grant_disappears_from_the_next_answer(peers: Session) -> None:
    assert benchmark_kpis(peers, "funder", FY24).status == "ok"
    _revoke(peers, "p5", "funder")
    after = benchmark_kpis(peers, "funder", FY24)
    assert after.status == "not_enough_organisations" and after.cohort_size == 4
    assert "p5" not in benchmark_cohort(peers, "funder")


def test_organisation_under_threshold_is_left_out_of_the_spread(peers: Session) -> None:
    # agency's cohort is p1…p6 but p6 has only 5 bookers (< 10): spread over p1…p5
    r = benchmark_kpis(peers, "agency", FY24)
    assert r.cohort_size == 6
    m10 = next(k for k in r.kpis if k.metric == "M10")
    assert m10.organisations == 5 and m10.median == pytest.approx(30.0)
    # with a threshold of 15 bookers only p3, p4, p5 count → too few → suppressed
    strict = benchmark_kpis(peers, "agency", FY24, policy=SuppressionPolicy(threshold=15))
    m10 = next(k for k in strict.kpis if k.metric == "M10")
    assert m10.suppressed and m10.median is None and m10.reason == "not_enough_organisations"


def test_transaction_basis_suppresses_capacity_ratios(peers: Session) -> None:
    r = benchmark_kpis(peers, "funder", FY24, basis="transaction")
    kpis = {k.metric: k for k in r.kpis}
    assert kpis["M07"].suppressed and kpis["M07"].reason == "needs_performance_basis"
    assert kpis["M10"].median == pytest.approx(30.0)


def test_region_distribution_suppresses_small_and_dominated_cells(peers: Session) -> None:
    d = benchmark_distribution(peers, "funder", FY24, "region", org_id="p4")
    cells = {c.label: c for c in d.cells}
    assert [c.label for c in d.cells] == [*REGIONS, "unknown"]  # controlled vocabulary
    assert d.total == 80  # 12 + 14 + 16 + 18 + 20 bookers
    # London 9 + 13 + 16 + 17 + 9 = 64, largest p4 17/64 < 50%
    assert (cells["London"].bookers, cells["London"].suppressed) == (64, False)
    assert cells["London"].share == pytest.approx(64 / 80)
    # Wales: 3 bookers → suppressed
    assert cells["Wales"].suppressed and cells["Wales"].reason == "too_few_bookers"
    assert cells["Wales"].bookers is None and cells["Wales"].share is None
    # North East: 12 bookers but p5 has 11 of them → dominated
    ne = cells["North East"]
    assert ne.suppressed and ne.reason == "dominated_by_one_organisation"
    # 'Narnia' is not a region: counted as unknown (1 booker → suppressed)
    assert cells["unknown"].suppressed and cells["unknown"].reason == "too_few_bookers"
    # empty regions show a zero
    assert (cells["Scotland"].bookers, cells["Scotland"].suppressed) == (0, False)
    # p4's own shares: 1 NE of 18, 17 London of 18
    assert ne.org_share == pytest.approx(1 / 18)
    assert cells["London"].org_share == pytest.approx(17 / 18)


def test_frequency_band_distribution_with_complementary_suppression(peers: Session) -> None:
    # everyone has one occasion → band '1' has 80 bookers, the rest are empty zeros
    d = benchmark_distribution(peers, "funder", FY24, "frequency_band")
    assert [(c.label, c.bookers) for c in d.cells] == [("1", 80), ("2", 0), ("3-5", 0), ("6+", 0)]
    ch = benchmark_distribution(peers, "funder", FY24, "channel")
    assert ch.measure == "tickets"
    assert {c.label: c.tickets for c in ch.cells}["online"] == 80


def test_labels_are_never_exposed(peers: Session) -> None:
    texts = []
    for dim in BENCHMARK_DIMENSIONS:
        texts.append(json.dumps(benchmark_distribution(peers, "funder", FY24, dim).to_dict()))
    texts.append(json.dumps(benchmark_kpis(peers, "funder", FY24).to_dict()))
    blob = " ".join(texts)
    assert "Secret" not in blob and "Narnia" not in blob
    for org in PEERS:  # the cohort's members are not listed either
        assert f'"{org}"' not in blob


def test_free_text_dimensions_are_refused(peers: Session) -> None:
    with pytest.raises(InputError) as err:
        benchmark_distribution(peers, "funder", FY24, "ticket_type")  # type: ignore[arg-type]
    assert "never benchmarked" in err.value.hint


def test_comparing_an_organisation_that_has_not_granted_is_refused(peers: Session) -> None:
    with pytest.raises(PermissionDeniedError):
        benchmark_kpis(peers, "funder", FY24, org_id="p6")
    # an organisation may always compare itself
    own: Any = benchmark_kpis(peers, "p6", FY24, org_id="p6")
    assert own.status == "not_enough_organisations"


def test_cached_aggregates_follow_new_data(peers: Session) -> None:
    before = benchmark_kpis(peers, "funder", FY24, org_id="p1")
    assert next(k for k in before.kpis if k.metric == "M10").org_value == pytest.approx(10.0)
    # p1 sells one more ticket at £100: its yield becomes (12 × 10 + 100) / 13
    load(
        peers,
        "orders",
        [
            {
                "org_id": "p1",
                "order_id": "O99",
                "customer_id": "C99",
                "created_at": ts("2024-05-01 10:00"),
                "channel": "online",
            }
        ],
    )
    load(
        peers,
        "order_lines",
        [
            {
                "org_id": "p1",
                "order_id": "O99",
                "line_no": 1,
                "kind": "ticket",
                "instance_id": "I1",
                "face_value": 100,
                "price_paid": 100,
                "is_concession": False,
                "is_comp": False,
                "status": "issued",
            }
        ],
    )
    after = benchmark_kpis(peers, "funder", FY24, org_id="p1")
    assert next(k for k in after.kpis if k.metric == "M10").org_value == pytest.approx(220 / 13)
    d = benchmark_distribution(peers, "funder", FY24, "channel")
    assert {c.label: c.tickets for c in d.cells}["online"] == 81
