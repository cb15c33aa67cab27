"""Quality rules: date plausibility, ``unique`` with ``where``, ranges that must have bounds.

The rules run through real exchange runs on both backends (the ``warehouse`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from houselights.errors import ChecksFailedError, ConfigError
from houselights.exchange import Batch, ExchangeRun
from houselights.exchange.checks.rules import (
    DatePlausibility,
    Rule,
    apply_overrides,
    default_rules,
)
from houselights.exchange.run import LoadResult
from houselights.warehouse import Warehouse

from .factory import BASE, line, orders_batch


def publish(wh: Warehouse, batch: Batch, **kw: object) -> LoadResult:
    with ExchangeRun(wh, "acme", source="test", kind="incremental", **kw) as run:  # type: ignore[arg-type]
        return run.publish(batch)


def _order(order_id: str, created_at: datetime) -> dict[str, object]:
    return {
        "order_id": order_id,
        "customer_id": "c0",
        "created_at": created_at,
        "channel": "online",
        "lines_hash": "",
    }


def _implausible_batch() -> Batch:
    """Three good orders, one dated 9999-12-31, one on a spreadsheet's day −1 (1899-12-29),
    and a performance six years from now that nobody has booked yet."""
    batch = orders_batch()
    batch.add(
        "orders",
        [
            _order("far-future", datetime(9999, 12, 31, 23, 59)),
            _order("day-minus-one", datetime(1899, 12, 29)),
        ],
    )
    batch.add("order_lines", [line("far-future", 1), line("day-minus-one", 1)])
    six_years = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=6 * 366)
    batch.add(
        "instances",
        [
            {
                "instance_id": "i-far",
                "event_id": "e1",
                "venue_id": "v1",
                "starts_at": six_years,
                "capacity": 100,
                "cancelled": False,
                "is_supplementary": False,
            }
        ],
    )
    return batch


def _published(wh: Warehouse, table: str, key: str) -> set[str]:
    with wh.connect() as s:
        return {str(r[0]) for r in s.fetchall(f"SELECT {key} FROM {table} WHERE org_id = 'acme'")}


def test_implausible_dates_are_held_back(warehouse: Warehouse) -> None:
    result = publish(warehouse, _implausible_batch())
    assert _published(warehouse, "orders", "order_id") == {"o0", "o1", "o2"}
    assert _published(warehouse, "instances", "instance_id") == {"i1", "i2"}
    outcomes = {o.rule.name: o for o in result.outcomes}
    orders = outcomes["orders.created_at_plausible"]
    assert (orders.outcome, orders.failing_rows) == ("quarantined", 2)
    assert any("9999-12-31" in s for s in orders.sample)
    assert any("1899-12-29" in s for s in orders.sample)
    starts = outcomes["instances.starts_at_plausible"]
    assert (starts.outcome, starts.failing_rows) == ("quarantined", 1)
    with warehouse.connect() as s:
        held = s.fetchall(
            "SELECT table_name, record_key, check_name, reason FROM quarantine"
            " WHERE org_id = 'acme' AND check_name LIKE '%plausible' ORDER BY record_key"
        )
    keys = {(r[0], r[1]) for r in held}
    assert {("orders", "far-future"), ("orders", "day-minus-one"), ("instances", "i-far")} <= keys
    # The lines go with their orders, with the reason.
    assert ("order_lines", "far-future/1") in keys
    assert all("1 January 1900" in r[3] and "5 years" in r[3] for r in held)


def test_plausible_dates_pass(warehouse: Warehouse) -> None:
    batch = orders_batch()
    batch.tables["orders"][0]["created_at"] = datetime(1900, 1, 1)  # type: ignore[index]
    result = publish(warehouse, batch)
    outcomes = {o.rule.name: o.outcome for o in result.outcomes}
    assert outcomes["orders.created_at_plausible"] == "pass"
    assert outcomes["instances.starts_at_plausible"] == "pass"
    assert _published(warehouse, "orders", "order_id") == {"o0", "o1", "o2"}


def test_date_bounds_and_policy_are_configurable(warehouse: Warehouse) -> None:
    result = publish(
        warehouse,
        _implausible_batch(),
        policy_overrides={
            "dates.years_ahead": "10",
            "dates.earliest_year": 1800,
            "orders.created_at_plausible": "warn",
        },
    )
    outcomes = {o.rule.name: o for o in result.outcomes}
    assert outcomes["instances.starts_at_plausible"].outcome == "pass"  # six years < ten
    warned = outcomes["orders.created_at_plausible"]
    assert (warned.outcome, warned.failing_rows) == ("warn", 1)  # 9999 still; 1899 fine now
    assert {"far-future", "day-minus-one", "i-far"} <= (
        _published(warehouse, "orders", "order_id")
        | _published(warehouse, "instances", "instance_id")
    )


def test_fail_run_policy_on_a_date_publishes_nothing(warehouse: Warehouse) -> None:
    with pytest.raises(ChecksFailedError) as info:
        publish(
            warehouse,
            _implausible_batch(),
            policy_overrides={"orders.created_at_plausible": "fail_run"},
        )
    assert "orders.created_at_plausible" in info.value.message
    assert _published(warehouse, "orders", "order_id") == set()


@pytest.mark.parametrize(
    "overrides",
    [
        {"dates.years_ahead": "soon"},
        {"dates.years_ahead": -1},
        {"dates.earliest_year": "0"},
    ],
)
def test_bad_date_settings_are_refused(overrides: dict[str, str | int]) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(default_rules(), overrides)
    assert info.value.hint


def test_default_rules_take_date_bounds() -> None:
    rules = {r.name: r for r in default_rules(DatePlausibility(earliest_year=1950, years_ahead=2))}
    rule = rules["orders.created_at_plausible"]
    assert rule.params == {"earliest_year": 1950, "years_ahead": 2}
    assert "1 January 1950" in rule.description and "2 years" in rule.description
    assert "TIMESTAMP '1950-01-01 00:00:00'" in rule.failing_sql("duckdb")
    assert {
        "instances.starts_at_plausible",
        "contact_preferences.changed_at_plausible",
        "contact_preference_changes.changed_at_plausible",
    } <= set(rules)


def test_unique_rule_honours_where(warehouse: Warehouse) -> None:
    """Two lines of one order may share its id; two *fee* lines of one order may not."""
    one_fee_per_order = Rule(
        "order_lines.one_fee",
        "order_lines",
        "unique",
        "warn",
        "an order has at most one fee line",
        columns=("order_id",),
        where="s.kind = 'fee'",
    )
    batch = orders_batch(n_orders=2, lines_per_order=2)  # o0, o1: two ticket lines each
    batch.tables["order_lines"].extend(  # type: ignore[union-attr]
        [
            line("o0", 3, kind="fee", instance_id=None),
            line("o0", 4, kind="fee", instance_id=None),
            line("o1", 3, kind="fee", instance_id=None),
        ]
    )
    result = publish(warehouse, batch, rules=[*default_rules(), one_fee_per_order])
    outcome = next(o for o in result.outcomes if o.rule.name == "order_lines.one_fee")
    # Without the where clause all seven lines of o0 and o1 would share an order id.
    assert (outcome.outcome, outcome.failing_rows) == ("warn", 2)
    assert sorted(outcome.sample) == ["o0/3", "o0/4"]


def test_range_rule_needs_a_bound() -> None:
    with pytest.raises(ConfigError) as info:
        Rule("x.range", "instances", "range", "warn", "nothing", columns=("capacity",))
    assert "neither a minimum nor a maximum" in info.value.message


def test_range_rule_with_one_bound_runs(warehouse: Warehouse) -> None:
    rule = Rule(
        "instances.capacity_positive",
        "instances",
        "range",
        "warn",
        "capacity is positive",
        columns=("capacity",),
        minimum=1,
    )
    assert "AND ()" not in rule.failing_sql(warehouse.dialect)
    result = publish(warehouse, orders_batch(capacity=0), rules=[*default_rules(), rule])
    outcome = next(o for o in result.outcomes if o.rule.name == rule.name)
    assert (outcome.outcome, outcome.failing_rows) == ("warn", 2)


def test_checks_failed_error_has_outcomes_by_default() -> None:
    error = ChecksFailedError("A check failed.")
    assert error.outcomes == []
    assert error.with_outcomes(["x"]).outcomes == ["x"]
    assert BASE.year == 2025  # the factory's dates sit well inside the plausible range


def test_every_rule_is_in_the_docs() -> None:
    from pathlib import Path

    from houselights.exchange.checks.rules import volume_rule

    text = (Path(__file__).parents[2] / "docs" / "quality-checks.md").read_text(encoding="utf-8")
    missing = [
        r.name
        for r in [*default_rules(), volume_rule()]
        if f"| `{r.name}` | {r.table} | {r.kind} | `{r.policy}` | {r.description}" not in text
    ]
    assert missing == []
