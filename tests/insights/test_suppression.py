"""The suppression rules as pure functions."""

from __future__ import annotations

from houselights.insights.suppression import (
    PooledCell,
    SuppressionPolicy,
    cohort_is_large_enough,
    decide_cells,
)

POLICY = SuppressionPolicy()


def test_cohort_minimum() -> None:
    assert not cohort_is_large_enough(4, POLICY)
    assert cohort_is_large_enough(5, POLICY)
    assert cohort_is_large_enough(3, SuppressionPolicy(min_cohort=3))


def test_threshold_and_dominance() -> None:
    cells = [
        PooledCell("a", 9, {"x": 3, "y": 3, "z": 3}),  # 9 < 10
        PooledCell("b", 10, {"x": 4, "y": 3, "z": 3}),  # exactly 10, 40% max → shown
        PooledCell("c", 20, {"x": 11, "y": 9}),  # 55% from x
        PooledCell("d", 20, {"x": 10, "y": 10}),  # exactly 50% → shown
        PooledCell("e", 0, {}),  # empty → shown
    ]
    got = [(d.label, d.shown, d.reason) for d in decide_cells(cells, POLICY)]
    assert got == [
        ("a", False, "too_few_bookers"),
        ("b", True, None),
        ("c", False, "dominated_by_one_organisation"),
        ("d", True, None),
        ("e", True, None),
    ]


def test_single_suppressed_cell_gets_a_complementary_partner() -> None:
    cells = [
        PooledCell("a", 5, {"x": 2, "y": 3}),
        PooledCell("b", 30, {"x": 15, "y": 15}),
        PooledCell("c", 12, {"x": 6, "y": 6}),
        PooledCell("d", 0, {}),
    ]
    got = {d.label: d.reason for d in decide_cells(cells, POLICY)}
    # a alone could be recovered from the total: c (smallest non-empty shown) goes too
    assert got == {"a": "too_few_bookers", "b": None, "c": "complementary", "d": None}
    without_total = decide_cells(cells, POLICY, total_published=False)
    assert [d.reason for d in without_total] == ["too_few_bookers", None, None, None]
