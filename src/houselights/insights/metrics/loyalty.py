"""Frequency, new vs returning, retention, first-timer return and lapsed bookers
(metrics.md §6: M24–M26, M30–M36, M40).

People are **bookers** (customer records that made a booking); tickets without a
customer are left out of every person-based count. An *occasion* is a distinct
performance a booker had a valid ticket for, so a party of four on one night is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period, add_months
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = [
    "FREQUENCY_BANDS",
    "FirstTimerReturn",
    "FrequencyBand",
    "Lapsed",
    "LapsedThreshold",
    "Loyalty",
    "Retention",
    "ReturnWindow",
    "first_timer_return",
    "lapsed",
    "loyalty",
    "retention",
]

FREQUENCY_BANDS: tuple[str, ...] = ("1", "2", "3-5", "6+")
"""M26 default bands of occasions per booker in the period."""

BAND_SQL = (
    "CASE WHEN occ.customer_id IS NULL THEN 'none' WHEN occ.f = 1 THEN '1' "
    "WHEN occ.f = 2 THEN '2' WHEN occ.f <= 5 THEN '3-5' ELSE '6+' END"
)


@dataclass(frozen=True)
class FrequencyBand(InsightResult):
    """Bookers, occasions, tickets and income in one frequency band (M26)."""

    band: str
    bookers: int
    occasions: int
    tickets: int
    income: float
    share_of_bookers: float | None


@dataclass(frozen=True)
class Loyalty(InsightResult):
    """Frequency and new/returning bookers in a period."""

    org_id: str
    period: Period
    basis: Basis
    bookers: int  # M20
    occasions: int  # Σ f(c, P)
    average_frequency: float | None  # M25
    bands: tuple[FrequencyBand, ...]  # M26
    new_bookers: int  # M30
    returning_bookers: int  # M31
    new_share: float | None  # M32
    reattending_bookers: int  # f ≥ 2
    reattendance_rate: float | None  # M34
    repeat_income_share: float | None  # M40 = income of bookers with f ≥ 2 / M09
    data_starts: date | None  # earliest date in the organisation's data, to judge "new"
    short_history: bool  # fewer than NEW_BOOKER_HISTORY_YEARS of data before the period


NEW_BOOKER_HISTORY_YEARS = 3
"""Years of history before a period that "new booker" needs to mean new (metrics.md, M30)."""


def _history_is_short(data_starts: date | None, period_start: date) -> bool:
    """Whether the data begins less than NEW_BOOKER_HISTORY_YEARS before the period."""
    if data_starts is None:
        return True
    years = NEW_BOOKER_HISTORY_YEARS
    try:
        needed = period_start.replace(year=period_start.year - years)
    except ValueError:  # 29 February
        needed = period_start.replace(year=period_start.year - years, day=28)
    return data_starts > needed


def _first_column(basis: Basis) -> tuple[str, str]:
    """Booker-facts columns holding the first and the next occasion under ``basis``."""
    if basis == "performance":
        return "b.first_performance_at", "b.next_performance_at"
    return "b.first_order_at", "b.next_order_at"


def _first_date(session: Session, filters: Filters, basis: Basis) -> date | None:
    sql = (
        "SELECT MIN(starts_at) FROM instances WHERE org_id = ?"
        if basis == "performance"
        else "SELECT MIN(created_at) FROM orders WHERE org_id = ?"
    )
    return _sql.as_date(session.scalar(sql, [filters.org_id]))


def loyalty(session: Session, filters: Filters) -> Loyalty:
    """Frequency (M24–M26), new and returning bookers (M30–M32), re-attendance (M34) and
    repeat-income share (M40).

    Basis: performance by default; transaction supported (then a booker's first date is
    their first order with a valid ticket).
    Choices: "new" means new to the **organisation**: no valid ticket dated before the
    period anywhere in its history, whatever venue/season slice is applied (the slice
    only chooses which bookers are counted). ``data_starts`` is reported so a reader can
    tell when history is too short for "new" to mean much (metrics.md asks for ≥ 3 years),
    and ``short_history`` says so: True when the data starts less than three years before
    the period (every booker then looks new, whatever the share says).
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    first, _ = _first_column(basis)
    if filters.has_slice:
        vt = _sql.valid_tickets(filters, basis)
        rows = session.fetchall(
            f"""
            WITH vt AS ({vt.text}),
            occ AS (SELECT vt.customer_id, COUNT(DISTINCT vt.instance_id) AS f,
                           COUNT(*) AS tickets, SUM(vt.price_paid) AS income
                    FROM vt GROUP BY vt.customer_id),
            prior AS (SELECT b.customer_id FROM {_sql.BOOKER_FACTS} b
                      WHERE b.org_id = ? AND {first} < ?)
            SELECT {BAND_SQL} AS band, COUNT(occ.customer_id), SUM(occ.f), SUM(occ.tickets),
                   SUM(occ.income),
                   COUNT(occ.customer_id) FILTER (WHERE prior.customer_id IS NULL)
            FROM occ LEFT JOIN prior ON prior.customer_id = occ.customer_id
            GROUP BY 1
            """,
            [*vt.params, filters.org_id, filters.period.start_at],
        )
    else:
        # Each occasion carries its booker's first date: "new" needs no second table.
        occ = _sql.occasions([filters.org_id], basis, period=filters.period)
        first_at = first.replace("b.", "vt.")
        rows = session.fetchall(
            f"""
            WITH occ AS (
                SELECT vt.customer_key AS customer_id, COUNT(DISTINCT vt.instance_key) AS f,
                       SUM(vt.tickets) AS tickets, SUM(vt.income_pence) AS income,
                       MIN({first_at}) AS first_at
                FROM ({occ.text}) vt GROUP BY vt.customer_key)
            SELECT {BAND_SQL} AS band, COUNT(occ.customer_id), SUM(occ.f), SUM(occ.tickets),
                   SUM(occ.income), COUNT(occ.customer_id) FILTER (WHERE occ.first_at >= ?)
            FROM occ GROUP BY 1
            """,
            [*occ.params, filters.period.start_at],
        )
        rows = [(*r[:4], _sql.pounds(r[4]), *r[5:]) for r in rows]  # pence in the rollup
    by_band: dict[str, tuple[int, int, int, Any, int]] = {
        str(r[0]): (
            _sql.as_int(r[1]),
            _sql.as_int(r[2]),
            _sql.as_int(r[3]),
            r[4] or 0,
            _sql.as_int(r[5]),
        )
        for r in rows
    }
    known = [by_band.get(b, (0, 0, 0, 0, 0)) for b in FREQUENCY_BANDS]
    bookers = sum(v[0] for v in known)
    occasions = sum(v[1] for v in known)
    new = sum(v[4] for v in known)
    repeat = [v for b, v in zip(FREQUENCY_BANDS, known, strict=True) if b != "1"]
    data_starts = _first_date(session, filters, basis)
    total_income = sum((v[3] for v in by_band.values()), start=0)
    return Loyalty(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        bookers=bookers,
        occasions=occasions,
        average_frequency=_sql.ratio(occasions, bookers),
        bands=tuple(
            FrequencyBand(b, v[0], v[1], v[2], _sql.money(v[3]), _sql.ratio(v[0], bookers))
            for b, v in zip(FREQUENCY_BANDS, known, strict=True)
        ),
        new_bookers=new,
        returning_bookers=bookers - new,
        new_share=_sql.ratio(new, bookers),
        reattending_bookers=sum(v[0] for v in repeat),
        reattendance_rate=_sql.ratio(sum(v[0] for v in repeat), bookers),
        repeat_income_share=_sql.ratio(sum((v[3] for v in repeat), start=0), total_income),
        data_starts=data_starts,
        short_history=_history_is_short(data_starts, filters.period.start),
    )


@dataclass(frozen=True)
class Retention(InsightResult):
    """M33 year-on-year (period-on-period) retention."""

    org_id: str
    period: Period
    previous_period: Period
    basis: Basis
    previous_bookers: int
    bookers: int
    retained: int
    retention_rate: float | None


def retention(session: Session, filters: Filters) -> Retention:
    """Retention (M33): bookers of the previous period who booked again in this one.

    Basis: performance by default; transaction supported.
    Choices: the previous period has the same shape (the previous financial year for a
    financial year, the previous N months for whole months, else the previous N days);
    both periods use the same slice.
    """
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    previous = filters.period.previous()
    if filters.has_slice or session.dialect == "duckdb":
        # Two sets of bookers and their intersection; DuckDB runs this form twice as fast
        # as the distinct counts below, PostgreSQL half as fast (same run, design notes).
        if filters.has_slice:
            cur = _sql.valid_tickets(filters, basis)
            prev = _sql.valid_tickets(filters, basis, period=previous)
            who = "customer_id"
        else:
            cur = _sql.occasions([filters.org_id], basis, period=filters.period)
            prev = _sql.occasions([filters.org_id], basis, period=previous)
            who = "customer_key"
        row = session.fetchone(
            f"""
            WITH cur AS (SELECT DISTINCT c.{who} AS who FROM ({cur.text}) c
                         WHERE c.{who} IS NOT NULL),
            prev AS (SELECT DISTINCT p.{who} AS who FROM ({prev.text}) p
                     WHERE p.{who} IS NOT NULL)
            SELECT (SELECT COUNT(*) FROM prev), (SELECT COUNT(*) FROM cur),
                   (SELECT COUNT(*) FROM prev JOIN cur ON cur.who = prev.who)
            """,
            [*cur.params, *prev.params],
        )
    else:
        # The previous period ends where this one starts: one scan of both and three
        # distinct counts (retained = previous + current − either); sorting integer keys
        # costs PostgreSQL about half of aggregating per booker (design notes).
        both = _sql.occasions(
            [filters.org_id], basis, period=Period(previous.start, filters.period.end)
        )
        counts = session.fetchone(
            f"""
            SELECT COUNT(DISTINCT vt.customer_key) FILTER (WHERE vt.at < ?),
                   COUNT(DISTINCT vt.customer_key) FILTER (WHERE vt.at >= ?),
                   COUNT(DISTINCT vt.customer_key)
            FROM ({both.text}) vt
            """,
            [filters.period.start_at, filters.period.start_at, *both.params],
        )
        assert counts is not None
        before, now, either = (_sql.as_int(v) for v in counts)
        row = (before, now, before + now - either)
    assert row is not None
    previous_bookers, bookers, retained = (_sql.as_int(v) for v in row)
    return Retention(
        org_id=filters.org_id,
        period=filters.period,
        previous_period=previous,
        basis=basis,
        previous_bookers=previous_bookers,
        bookers=bookers,
        retained=retained,
        retention_rate=_sql.ratio(retained, previous_bookers),
    )


@dataclass(frozen=True)
class ReturnWindow(InsightResult):
    """Return rate of a first-timer cohort within ``months`` of each first occasion."""

    months: int
    returned: int
    return_rate: float | None
    churn_rate: float | None
    incomplete: int  # cohort members whose window had not closed by ``as_of``


@dataclass(frozen=True)
class FirstTimerReturn(InsightResult):
    """M35 first-timer return rate (and its complement, new-audience churn)."""

    org_id: str
    period: Period
    basis: Basis
    as_of: date
    cohort: int  # #N(P)
    windows: tuple[ReturnWindow, ...]


def first_timer_return(
    session: Session,
    filters: Filters,
    *,
    windows_months: tuple[int, ...] = (12, 18),
    as_of: date | None = None,
) -> FirstTimerReturn:
    """First-timer return rate (M35): of the period's new bookers (M30), the share with
    another occasion within W months after their first (default W = 12, also 18).

    Basis: performance by default; transaction supported.
    Choices: the return may be to anything the organisation runs (the slice only picks
    the cohort). A window still open at ``as_of`` (default today) is counted in
    ``incomplete`` — its rate can still go up.
    """
    basis = filters.basis_or("performance")
    as_of = as_of or date.today()
    facts.ensure_fresh(session, [filters.org_id])
    first, following = _first_column(basis)
    params: list[Any] = []
    sliced_join = ""
    if filters.has_slice:
        vt = _sql.valid_tickets(filters, basis)
        sliced_join = (
            f"JOIN (SELECT DISTINCT s.customer_id FROM ({vt.text}) s) sb "
            "ON sb.customer_id = b.customer_id"
        )
        params.extend(vt.params)
    params.extend([filters.org_id, filters.period.start_at, filters.period.end_at])
    window_sql: list[str] = []
    as_of_at = datetime(as_of.year, as_of.month, as_of.day)
    for months in windows_months:
        end = _sql.plus_months("n.first_at", months)
        window_sql.append(f"COUNT(*) FILTER (WHERE n.next_at <= {end})")
        window_sql.append(f"COUNT(*) FILTER (WHERE {end} > ?)")
        params.append(as_of_at)
    # The booker facts hold each booker's first occasion and the next one after it.
    row = session.fetchone(
        f"""
        WITH n AS (SELECT b.customer_id, {first} AS first_at, {following} AS next_at
                   FROM {_sql.BOOKER_FACTS} b {sliced_join}
                   WHERE b.org_id = ? AND {first} >= ? AND {first} < ?)
        SELECT COUNT(*), {", ".join(window_sql)} FROM n
        """,
        params,
    )
    assert row is not None
    cohort = _sql.as_int(row[0])
    windows = []
    for k, months in enumerate(windows_months):
        returned = _sql.as_int(row[1 + 2 * k])
        rate = _sql.ratio(returned, cohort)
        windows.append(
            ReturnWindow(
                months=months,
                returned=returned,
                return_rate=rate,
                churn_rate=None if rate is None else 1.0 - rate,
                incomplete=_sql.as_int(row[2 + 2 * k]),
            )
        )
    return FirstTimerReturn(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        as_of=as_of,
        cohort=cohort,
        windows=tuple(windows),
    )


@dataclass(frozen=True)
class LapsedThreshold(InsightResult):
    """Bookers whose last occasion is more than ``months`` before ``as_of``."""

    months: int
    lapsed: int
    share: float | None


@dataclass(frozen=True)
class Lapsed(InsightResult):
    """M36 lapsed bookers at a date."""

    org_id: str
    basis: Basis
    as_of: date
    bookers_with_history: int
    thresholds: tuple[LapsedThreshold, ...]  # the default (18 months) first


def lapsed(
    session: Session,
    filters: Filters,
    *,
    as_of: date | None = None,
    thresholds_months: tuple[int, ...] = (18, 12, 24),
) -> Lapsed:
    """Lapsed bookers (M36): bookers with history whose most recent occasion before
    ``as_of`` is more than L months earlier (default L = 18; also 12 and 24).

    Basis: performance by default; transaction supported.
    Choices: ``as_of`` defaults to the end of ``filters.period`` (the status on its last
    day); only occasions before ``as_of`` count — a booking for a future performance does
    not make anyone current. The venue/season slice applies (lapsed *from that slice*).
    """
    basis = filters.basis_or("performance")
    as_of = as_of or filters.period.end
    as_of_at = datetime(as_of.year, as_of.month, as_of.day)
    facts.ensure_fresh(session, [filters.org_id])
    cutoffs = [
        datetime(c.year, c.month, c.day) for c in (add_months(as_of, -m) for m in thresholds_months)
    ]
    if filters.has_slice:
        history = _sql.valid_tickets(filters, basis, whole_period=False, before=as_of_at)
        counts = ", ".join("COUNT(*) FILTER (WHERE last.last_at < ?)" for _ in cutoffs)
        row = session.fetchone(
            f"""
            WITH last AS (SELECT h.customer_id, MAX(h.at) AS last_at FROM ({history.text}) h
                          WHERE h.customer_id IS NOT NULL GROUP BY h.customer_id)
            SELECT COUNT(*), {counts} FROM last
            """,
            [*history.params, *cutoffs],
        )
    else:
        # Without a slice: bookers with history come from the booker facts, and only the
        # last max(L) months need scanning (lapsed = with history − active since cutoff).
        first, _ = _first_column(basis)
        recent = _sql.occasions([filters.org_id], basis, period=Period(min(cutoffs).date(), as_of))
        # Active since each cutoff = distinct bookers from it on (sorted integer keys).
        counts = ", ".join(
            "COUNT(DISTINCT x.customer_key) FILTER (WHERE x.at >= ?)" for _ in cutoffs
        )
        row = session.fetchone(
            f"""
            SELECT (SELECT COUNT(*) FROM {_sql.BOOKER_FACTS} b
                    WHERE b.org_id = ? AND {first} < ?), {counts}
            FROM ({recent.text}) x
            """,
            [filters.org_id, as_of_at, *cutoffs, *recent.params],
        )
        assert row is not None
        row = (row[0], *(_sql.as_int(row[0]) - _sql.as_int(n) for n in row[1:]))
    assert row is not None
    with_history = _sql.as_int(row[0])
    return Lapsed(
        org_id=filters.org_id,
        basis=basis,
        as_of=as_of,
        bookers_with_history=with_history,
        thresholds=tuple(
            LapsedThreshold(m, _sql.as_int(n), _sql.ratio(_sql.as_int(n), with_history))
            for m, n in zip(thresholds_months, row[1:], strict=True)
        ),
    )
