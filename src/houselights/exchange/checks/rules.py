"""Quality checks: declared rules rendered to SQL over a staged batch.

A rule names a staged table and a condition; :meth:`Rule.failing_sql` renders the query
that returns the ``_row_id`` of every row that breaks it. Each rule has a policy:

* ``warn`` — recorded, the rows publish;
* ``quarantine_row`` — the rows (and, for orders, the whole order with all its lines) are
  held back in the ``quarantine`` table with the reason; the rest publishes;
* ``fail_run`` — nothing publishes; the run fails with the check's message.

Policies can be overridden per organisation (connection settings ``checks``) or per run;
the same mapping can move the bounds of the date plausibility checks
(``dates.earliest_year``, ``dates.years_ahead``, see :class:`DatePlausibility`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from houselights.common import Dialect
from houselights.errors import ConfigError
from houselights.model.schema import CANONICAL_TABLES

__all__ = [
    "DATE_SETTINGS",
    "POLICIES",
    "DatePlausibility",
    "Policy",
    "Rule",
    "RuleKind",
    "apply_overrides",
    "default_rules",
    "volume_rule",
]

Policy = Literal["warn", "quarantine_row", "fail_run"]
POLICIES: tuple[Policy, ...] = ("warn", "quarantine_row", "fail_run")
RuleKind = Literal[
    "not_null",
    "unique",
    "relationship",
    "accepted_values",
    "range",
    "date_range",
    "oversell",
    "postcode_format",
    "volume_anomaly",
]

# Full UK postcode (incl. the GIR 0AA special case), already normalised to "OUT IN".
# No "?" quantifier: "?" is the SQL placeholder in houselights queries.
UK_POSTCODE_PATTERN = r"^([A-Z]{1,2}[0-9][A-Z0-9]{0,1} [0-9][ABD-HJLNP-UW-Z]{2}|GIR 0AA)$"
# An Irish Eircode, normalised to "KEY UNIQ" (Ticketsolve customers; kept as such).
EIRCODE_PATTERN = r"^([AC-FHKNPRTV-Y][0-9]{2}|D6W) [0-9AC-FHKNPRTV-Y]{4}$"

DATE_SETTINGS = ("dates.earliest_year", "dates.years_ahead")
"""Override keys that move the bounds of every date plausibility check."""


@dataclass(frozen=True)
class DatePlausibility:
    """When a date in box office data is believable: from 1 January of ``earliest_year``
    up to ``years_ahead`` years after today. Anything outside is a typing or export slip
    (an order dated 9999-12-31, a spreadsheet's day zero) that would distort every
    period-based figure, so the date checks hold such rows back."""

    earliest_year: int = 1900
    years_ahead: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.earliest_year <= 9000:
            raise ConfigError(
                f"The earliest plausible year {self.earliest_year} is out of range.",
                hint="Set dates.earliest_year to a year such as 1900.",
            )
        if not 0 <= self.years_ahead <= 900:
            raise ConfigError(
                f"{self.years_ahead} years ahead is not a plausible horizon.",
                hint="Set dates.years_ahead to a number of years between 0 and 900.",
            )

    def params(self) -> dict[str, float]:
        """The rule parameters carrying these bounds."""
        return {"earliest_year": self.earliest_year, "years_ahead": self.years_ahead}


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _timestamp(moment: datetime) -> str:
    return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S}'"


@dataclass(frozen=True)
class Rule:
    """One declared quality rule over a staged canonical table."""

    name: str
    table: str
    kind: RuleKind
    policy: Policy
    description: str
    columns: tuple[str, ...] = ()
    # relationship: the parent table/column; accepted_values: the values; range: bounds
    ref_table: str = ""
    ref_column: str = ""
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    where: str = ""
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A rule that cannot say what fails would check nothing: refuse it when declared.
        if self.kind == "range" and self.minimum is None and self.maximum is None:
            raise ConfigError(
                f"The range rule {self.name!r} has neither a minimum nor a maximum.",
                hint="Give the rule a minimum, a maximum or both.",
            )
        if self.kind == "date_range" and not {"earliest_year", "years_ahead"} <= set(self.params):
            raise ConfigError(
                f"The date rule {self.name!r} needs earliest_year and years_ahead.",
                hint="Build date rules with DatePlausibility().params().",
            )

    def failing_sql(self, dialect: Dialect) -> str:
        """SQL returning ``_row_id`` of failing rows of ``stage_<table>`` (org as ``?``).

        Every ``?`` in the rendered query stands for the organisation id (rules that look
        at live tables scope them to the organisation), so the runner binds them alike.
        """
        st = f"stage_{self.table}"
        extra = f" AND ({self.where})" if self.where else ""
        if self.kind == "not_null":
            cond = " OR ".join(f"s.{c} IS NULL" for c in self.columns)
            return f"SELECT s._row_id FROM {st} s WHERE ({cond}){extra}"
        if self.kind == "unique":
            # Only rows the rule is about take part: two rows outside ``where`` may share
            # a key without either failing.
            keys = ", ".join(f"s.{c}" for c in self.columns)
            scope = f" WHERE ({self.where})" if self.where else ""
            return (
                "SELECT _row_id FROM (SELECT s._row_id, COUNT(*) OVER "
                f"(PARTITION BY {keys}) AS n FROM {st} s{scope}) d WHERE n > 1"
            )
        if self.kind == "relationship":
            col = self.columns[0]
            rt = self.ref_table
            rc = self.ref_column or col
            return (
                f"SELECT s._row_id FROM {st} s WHERE s.{col} IS NOT NULL{extra}"
                f" AND NOT EXISTS (SELECT 1 FROM stage_{rt} p WHERE p.{rc} = s.{col})"
                f" AND NOT EXISTS (SELECT 1 FROM {rt} l WHERE l.org_id = ? AND l.{rc} = s.{col})"
            )
        if self.kind == "accepted_values":
            col = self.columns[0]
            allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in self.values)
            return (
                f"SELECT s._row_id FROM {st} s WHERE s.{col} IS NOT NULL"
                f" AND s.{col} NOT IN ({allowed}){extra}"
            )
        if self.kind == "range":
            col = self.columns[0]
            bounds = []
            if self.minimum is not None:
                bounds.append(f"s.{col} < {self.minimum}")
            if self.maximum is not None:
                bounds.append(f"s.{col} > {self.maximum}")
            return (
                f"SELECT s._row_id FROM {st} s WHERE s.{col} IS NOT NULL"
                f" AND ({' OR '.join(bounds)}){extra}"
            )
        if self.kind == "date_range":
            col = self.columns[0]
            earliest = datetime(int(self.params["earliest_year"]), 1, 1)
            today = datetime.now(UTC).date()
            # The whole last allowed day counts, whatever the time of day.
            latest = _years_later(today, int(self.params["years_ahead"])) + timedelta(days=1)
            return (
                f"SELECT s._row_id FROM {st} s WHERE s.{col} IS NOT NULL"
                f" AND (s.{col} < {_timestamp(earliest)}"
                f" OR s.{col} >= {_timestamp(datetime(latest.year, latest.month, latest.day))})"
                f"{extra}"
            )
        if self.kind == "postcode_format":
            col = self.columns[0]
            match = " OR ".join(
                f"regexp_matches(s.{col}, '{pattern}')"
                if dialect == "duckdb"
                else f"s.{col} ~ '{pattern}'"
                for pattern in (UK_POSTCODE_PATTERN, EIRCODE_PATTERN)
            )
            return (
                f"SELECT s._row_id FROM {st} s WHERE s.{col} IS NOT NULL AND NOT ({match}){extra}"
            )
        if self.kind == "oversell":
            # Issued tickets per instance once this batch publishes: live tickets of orders
            # the batch does not replace, plus the batch's own; capacity from the batch if
            # it restates the instance, else from the live table.
            return (
                "WITH touched AS (SELECT DISTINCT instance_id FROM stage_order_lines"
                "  WHERE kind = 'ticket' AND status = 'issued' AND instance_id IS NOT NULL),"
                " sold AS (SELECT instance_id, COUNT(*) AS n FROM ("
                "  SELECT l.instance_id FROM order_lines l"
                "   JOIN touched t ON t.instance_id = l.instance_id"
                "   WHERE l.org_id = ? AND l.status = 'issued' AND l.kind = 'ticket'"
                "   AND NOT EXISTS (SELECT 1 FROM stage_orders o WHERE o.order_id = l.order_id)"
                "  UNION ALL SELECT instance_id FROM stage_order_lines"
                "   WHERE status = 'issued' AND kind = 'ticket' AND instance_id IS NOT NULL"
                " ) x GROUP BY instance_id),"
                " cap AS (SELECT t.instance_id, COALESCE(si.capacity, li.capacity) AS capacity"
                "  FROM touched t"
                "  LEFT JOIN stage_instances si ON si.instance_id = t.instance_id"
                "  LEFT JOIN instances li ON li.org_id = ? AND li.instance_id = t.instance_id)"
                " SELECT s._row_id FROM stage_order_lines s"
                " JOIN sold ON sold.instance_id = s.instance_id"
                " JOIN cap ON cap.instance_id = s.instance_id"
                " WHERE s.status = 'issued' AND s.kind = 'ticket'"
                " AND cap.capacity IS NOT NULL AND sold.n > cap.capacity"
            )
        raise ConfigError(
            f"The rule {self.name!r} has kind {self.kind!r}, which cannot be rendered."
        )


def default_rules(dates: DatePlausibility | None = None) -> list[Rule]:
    """The rules every run checks, in the order they run (parents before children).

    ``dates`` sets the bounds of the date plausibility checks (default: from 1900 to five
    years ahead).
    """
    plausible = (dates or DatePlausibility()).params()
    rules: list[Rule] = []
    for table in CANONICAL_TABLES:
        key = tuple(c for c in table.key if c != "org_id")
        required = tuple(
            c.name
            for c in table.columns
            if not c.nullable
            and c.name not in ("org_id", "source", "row_hash", "load_id", "lines_hash")
            and c.name not in key
        )
        rules.append(
            Rule(
                f"{table.name}.key_not_null",
                table.name,
                "not_null",
                "quarantine_row",
                f"every {table.name} row has its identifier ({', '.join(key)})",
                columns=key,
            )
        )
        rules.append(
            Rule(
                f"{table.name}.key_unique",
                table.name,
                "unique",
                "fail_run",
                f"no two {table.name} rows in one batch share an identifier",
                columns=key,
            )
        )
        if required:
            rules.append(
                Rule(
                    f"{table.name}.required",
                    table.name,
                    "not_null",
                    "quarantine_row",
                    f"{table.name} rows have {', '.join(required)}",
                    columns=required,
                )
            )
        rules.extend(_TABLE_RULES.get(table.name, []))
        dated = _DATE_COLUMNS.get(table.name, {})
        rules.extend(_date_rule(table.name, column, plausible) for column in dated)
    return rules


# The dates of the canonical model a typing or export slip can make absurd. Order lines
# carry no date of their own: they take their order's.
_DATE_COLUMNS: dict[str, dict[str, str]] = {
    "instances": {"starts_at": "performance start times"},
    "orders": {"created_at": "order dates"},
    "contact_preferences": {"changed_at": "contact preference dates"},
    "contact_preference_changes": {"changed_at": "audit change dates"},
}


def _date_rule(table: str, column: str, bounds: dict[str, float]) -> Rule:
    what = _DATE_COLUMNS.get(table, {}).get(column, f"{table}.{column} values")
    return Rule(
        f"{table}.{column}_plausible",
        table,
        "date_range",
        "quarantine_row",
        f"{what} lie between 1 January {int(bounds['earliest_year'])} and "
        f"{int(bounds['years_ahead'])} years from today",
        columns=(column,),
        params=dict(bounds),
    )


_TABLE_RULES: dict[str, list[Rule]] = {
    "instances": [
        Rule(
            "instances.event_exists",
            "instances",
            "relationship",
            "quarantine_row",
            "every instance belongs to a known event",
            columns=("event_id",),
            ref_table="events",
        ),
        Rule(
            "instances.venue_exists",
            "instances",
            "relationship",
            "warn",
            "every instance's venue is known",
            columns=("venue_id",),
            ref_table="venues",
        ),
        Rule(
            "instances.capacity_range",
            "instances",
            "range",
            "quarantine_row",
            "capacity is between 0 and 100,000",
            columns=("capacity",),
            minimum=0,
            maximum=100_000,
        ),
    ],
    "customers": [
        Rule(
            "customers.postcode_format",
            "customers",
            "postcode_format",
            "warn",
            "customer postcodes are valid UK postcodes or Irish Eircodes",
            columns=("postcode",),
        ),
    ],
    "items": [
        Rule(
            "items.kind_accepted",
            "items",
            "accepted_values",
            "quarantine_row",
            "item kinds are product, fee, fund or membership",
            columns=("kind",),
            values=("product", "fee", "fund", "membership"),
        ),
    ],
    "orders": [
        Rule(
            "orders.channel_accepted",
            "orders",
            "accepted_values",
            "warn",
            "order channels are online, box_office, phone, agent or other",
            columns=("channel",),
            values=("online", "box_office", "phone", "agent", "other"),
        ),
        Rule(
            "orders.customer_exists",
            "orders",
            "relationship",
            "warn",
            "every order's customer is known",
            columns=("customer_id",),
            ref_table="customers",
        ),
    ],
    "order_lines": [
        Rule(
            "order_lines.order_exists",
            "order_lines",
            "relationship",
            "quarantine_row",
            "every line belongs to an order in the same batch",
            columns=("order_id",),
            ref_table="orders",
        ),
        Rule(
            "order_lines.kind_accepted",
            "order_lines",
            "accepted_values",
            "quarantine_row",
            "line kinds are ticket, supplementary, product, fee, donation or membership",
            columns=("kind",),
            values=("ticket", "supplementary", "product", "fee", "donation", "membership"),
        ),
        Rule(
            "order_lines.status_accepted",
            "order_lines",
            "accepted_values",
            "quarantine_row",
            "line statuses are issued, returned or cancelled",
            columns=("status",),
            values=("issued", "returned", "cancelled"),
        ),
        Rule(
            "order_lines.ticket_has_instance",
            "order_lines",
            "not_null",
            "quarantine_row",
            "ticket lines name their instance",
            columns=("instance_id",),
            where="s.kind IN ('ticket', 'supplementary')",
        ),
        Rule(
            "order_lines.instance_exists",
            "order_lines",
            "relationship",
            "quarantine_row",
            "every ticket's instance is known",
            columns=("instance_id",),
            ref_table="instances",
        ),
        Rule(
            "order_lines.price_paid_range",
            "order_lines",
            "range",
            "quarantine_row",
            "price paid is between £0 and £100,000 (a refund is a line with status "
            "'returned' and the price that was paid, not a negative price)",
            columns=("price_paid",),
            minimum=0,
            maximum=100_000,
        ),
        Rule(
            "order_lines.face_value_range",
            "order_lines",
            "range",
            "quarantine_row",
            "face value is between £0 and £100,000",
            columns=("face_value",),
            minimum=0,
            maximum=100_000,
        ),
        Rule(
            "order_lines.oversell",
            "order_lines",
            "oversell",
            "warn",
            "no instance has more issued tickets than its capacity",
        ),
    ],
}


def volume_rule() -> Rule:
    """The batch-level volume anomaly rule (evaluated by the runner, not per row)."""
    return Rule(
        "batch.volume_anomaly",
        "orders",
        "volume_anomaly",
        "warn",
        "the number of orders is within 10%–1000% of the median of recent loads",
        params={"low": 0.1, "high": 10.0, "history": 5, "min_history": 3},
    )


def _date_overrides(overrides: Mapping[str, str | int]) -> dict[str, float]:
    given = {k.removeprefix("dates."): v for k, v in overrides.items() if k in DATE_SETTINGS}
    values: dict[str, int] = {}
    for key, value in given.items():
        try:
            values[key] = int(str(value).strip())
        except ValueError:
            raise ConfigError(
                f"The check setting dates.{key} is {value!r}, not a whole number.",
                hint="e.g. dates.earliest_year = 1900, dates.years_ahead = 5.",
            ) from None
    return DatePlausibility(**values).params()


def apply_overrides(
    rules: list[Rule], overrides: Mapping[str, str | int] | None
) -> list[Rule]:
    """Return ``rules`` with policies replaced by ``{rule name: policy}``.

    The keys in :data:`DATE_SETTINGS` move the bounds of every date plausibility rule
    instead (``{"dates.years_ahead": 10}``).
    """
    if not overrides:
        return rules
    if any(k in DATE_SETTINGS for k in overrides):
        bounds = _date_overrides(overrides)
        rules = [
            replace(_date_rule(r.table, r.columns[0], bounds), policy=r.policy)
            if r.kind == "date_range"
            else r
            for r in rules
        ]
    names = {r.name for r in rules}
    policies = {k: str(v) for k, v in overrides.items() if k not in DATE_SETTINGS}
    for name, policy in policies.items():
        if name not in names:
            raise ConfigError(
                f"There is no quality check called {name!r}.",
                hint="`houselights checks list` shows every check and its policy.",
            )
        if policy not in POLICIES:
            raise ConfigError(
                f"The policy {policy!r} for check {name!r} is not one of {', '.join(POLICIES)}.",
            )
    return [
        replace(r, policy=policies[r.name]) if r.name in policies else r  # type: ignore[arg-type]
        for r in rules
    ]
