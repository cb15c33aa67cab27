"""Benchmarks across organisations (metrics.md §8: M50–M52).

A *viewer* (a funder, an agency, or a peer organisation, named as the grant's
``recipient``) sees a cohort made of the organisations that have an **active** grant to
it with scope ``benchmarks`` or ``all``. Grants are read at query time, so a revoked grant
leaves the very next answer. Nothing is published for a cohort below ``min_cohort``
organisations; distributions are suppressed cell by cell
(:mod:`houselights.insights.suppression`); no free-text label of any organisation (event
names, ticket types, seasons, venues) is ever used — only controlled vocabularies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from houselights.errors import InputError, PermissionDeniedError
from houselights.insights import _sql, facts
from houselights.insights.metrics.bookings import CHANNELS, LEAD_TIME_BUCKETS
from houselights.insights.metrics.loyalty import FREQUENCY_BANDS
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.insights.suppression import (
    PooledCell,
    SuppressionPolicy,
    SuppressionReason,
    cohort_is_large_enough,
    decide_cells,
)
from houselights.model.postcodes import REGIONS
from houselights.warehouse.base import Session

__all__ = [
    "BENCHMARK_DIMENSIONS",
    "BENCHMARK_KPIS",
    "BenchmarkCell",
    "BenchmarkDistribution",
    "BenchmarkKpi",
    "BenchmarkKpis",
    "BenchmarkStatus",
    "benchmark_cohort",
    "benchmark_distribution",
    "benchmark_kpis",
]

BenchmarkStatus = Literal["ok", "not_enough_organisations"]
Dimension = Literal["region", "frequency_band", "channel", "lead_time"]
BENCHMARK_DIMENSIONS: tuple[Dimension, ...] = ("region", "frequency_band", "channel", "lead_time")

BENCHMARK_KPIS: dict[str, str] = {
    "M07": "Capacity utilisation",
    "M08": "Average audience per performance",
    "M10": "Average ticket yield",
    "M13": "Discount rate",
    "M14": "Concession share",
    "M17": "Tickets per booking",
    "M25": "Average rate of attendance",
    "M32": "Share of new bookers",
}
"""The ratios benchmarked per organisation, by metric id."""

_SCOPES = ("benchmarks", "all")


def benchmark_cohort(
    session: Session,
    viewer: str,
    *,
    region: str | None = None,
    artform: str | None = None,
) -> list[str]:
    """Organisations with an active (unrevoked) grant to ``viewer`` whose scope allows
    benchmarks, optionally narrowed to one region or artform (M51); sorted ids."""
    where = [
        "g.recipient = ?",
        f"g.scope IN ({_sql.placeholders(_SCOPES)})",
        "g.revoked_at IS NULL",
    ]
    params: list[Any] = [viewer, *_SCOPES]
    if region is not None:
        where.append("o.region = ?")
        params.append(region)
    if artform is not None:
        where.append("o.artform = ?")
        params.append(artform)
    rows = session.fetchall(
        "SELECT DISTINCT g.org_id FROM grants g JOIN organisations o ON o.org_id = g.org_id "
        f"WHERE {' AND '.join(where)} ORDER BY g.org_id",
        params,
    )
    return [str(r[0]) for r in rows]


def _resolve(
    session: Session, viewer: str, org_id: str | None, region: str | None, artform: str | None
) -> tuple[list[str], list[str]]:
    """(cohort, organisations to query) — the latter adds the compared organisation."""
    if not viewer:
        raise InputError(
            "No viewer was given for the benchmark.",
            hint="Pass the recipient name the grants were made to.",
        )
    cohort = benchmark_cohort(session, viewer, region=region, artform=artform)
    if org_id is not None and org_id != viewer and org_id not in cohort:
        raise PermissionDeniedError(
            f"{viewer!r} may not compare organisation {org_id!r}: it has not granted "
            "benchmark access to this viewer.",
            hint="Compare your own organisation, or one that has granted you access.",
        )
    orgs = sorted({*cohort, *([org_id] if org_id else [])})
    return cohort, orgs


def _not_enough(cohort: int, policy: SuppressionPolicy) -> str:
    return (
        f"Not enough organisations to benchmark: {cohort} share data with this viewer and "
        f"at least {policy.min_cohort} are needed, so nothing can be shown without "
        "identifying them."
    )


# Per-organisation ratios ----------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkKpi(InsightResult):
    """The cohort's spread of one ratio, and the compared organisation's value."""

    metric: str
    name: str
    organisations: int  # cohort members with enough bookers to count
    p25: float | None
    median: float | None
    p75: float | None
    org_value: float | None
    index: float | None  # M50 = org_value / median × 100
    suppressed: bool
    reason: str | None


@dataclass(frozen=True)
class BenchmarkKpis(InsightResult):
    """Benchmark ratios for a viewer's cohort."""

    viewer: str
    period: Period
    basis: Basis
    status: BenchmarkStatus
    message: str
    cohort_size: int
    org_id: str | None
    kpis: tuple[BenchmarkKpi, ...]


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    # Linear interpolation between closest ranks: what percentile_cont does.
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def _per_org_values(
    session: Session, orgs: list[str], period: Period, basis: Basis
) -> dict[str, dict[str, Any]]:
    """Each organisation's benchmark ratios and its booker count (cached per build)."""
    key = f"kpis|{period.start}|{period.end}|{basis}"
    return facts.cached_per_org(
        session, orgs, key, lambda missing: _compute_org_values(session, missing, period, basis)
    )


def _compute_org_values(
    session: Session, orgs: list[str], period: Period, basis: Basis
) -> dict[str, dict[str, Any]]:
    first = "vt.first_performance_at" if basis == "performance" else "vt.first_order_at"
    marks = _sql.placeholders(orgs)
    values: dict[str, dict[str, Any]] = {o: {"bookers": 0} for o in orgs}
    # One scan; bookers, occasions (distinct booker × performance, as one 64-bit number)
    # and new bookers (first date is the booker's, the same on each of their rows) are
    # distinct counts, which PostgreSQL sorts faster than it aggregates per booker.
    occ = _sql.occasions(orgs, basis, period=period)
    for row in session.fetch_dicts(
        f"""
        SELECT vt.org_id, SUM(vt.tickets) AS tickets, SUM(vt.paid) AS paid,
               SUM(vt.income_pence) AS income, SUM(vt.concessions) AS conc,
               SUM(vt.face_paid_pence) AS face, SUM(vt.discount_pence) AS discount,
               COUNT(DISTINCT vt.order_key) AS bookings,
               COUNT(DISTINCT vt.customer_key) AS bookers,
               COUNT(DISTINCT CAST(vt.customer_key AS BIGINT) * 4294967296 + vt.instance_key)
                   AS occasions,
               COUNT(DISTINCT vt.customer_key) FILTER (WHERE {first} >= ?) AS new
        FROM ({occ.text}) vt GROUP BY vt.org_id
        """,
        [period.start_at, *occ.params],
    ):
        for money in ("income", "face", "discount"):  # pence in the rollup
            row[money] = _sql.pounds(row[money])
        bookers = _sql.as_int(row["bookers"])
        values[row["org_id"]] = {
            "bookers": bookers,
            "M10": _sql.ratio(row["income"], _sql.as_int(row["paid"])),
            "M13": _sql.ratio(row["discount"] or 0, row["face"] or 0),
            "M14": _sql.ratio(_sql.as_int(row["conc"]), _sql.as_int(row["paid"])),
            "M17": _sql.ratio(_sql.as_int(row["tickets"]), _sql.as_int(row["bookings"])),
            "M25": _sql.ratio(_sql.as_int(row["occasions"]), bookers),
            "M32": _sql.ratio(_sql.as_int(row["new"]), bookers),
        }
    if basis == "performance":
        for org, perfs, capacity, tickets_cap, tickets in session.fetchall(
            f"""
            WITH perf AS (SELECT i.org_id, i.instance_id, i.capacity FROM instances i
                          WHERE i.org_id IN ({marks}) AND NOT i.cancelled
                            AND NOT i.is_supplementary AND i.starts_at >= ?
                            AND i.starts_at < ?),
            t AS (SELECT l.org_id, l.instance_id, l.tickets
                  FROM {_sql.INSTANCE_FACTS} l
                  WHERE l.org_id IN ({marks}) AND l.starts_at >= ? AND l.starts_at < ?)
            SELECT p.org_id, COUNT(*), SUM(p.capacity),
                   SUM(t.tickets) FILTER (WHERE p.capacity IS NOT NULL), SUM(t.tickets)
            FROM perf p LEFT JOIN t ON t.org_id = p.org_id AND t.instance_id = p.instance_id
            GROUP BY p.org_id
            """,
            [*orgs, period.start_at, period.end_at, *orgs, period.start_at, period.end_at],
        ):
            entry = values.setdefault(org, {"bookers": 0})
            entry["M07"] = _sql.ratio(_sql.as_int(tickets_cap), _sql.as_int(capacity))
            entry["M08"] = _sql.ratio(_sql.as_int(tickets), _sql.as_int(perfs))
    return values


def benchmark_kpis(
    session: Session,
    viewer: str,
    period: Period,
    *,
    basis: Basis = "performance",
    org_id: str | None = None,
    region: str | None = None,
    artform: str | None = None,
    policy: SuppressionPolicy | None = None,
) -> BenchmarkKpis:
    """The cohort's 25th percentile, median and 75th percentile of each ratio in
    :data:`BENCHMARK_KPIS`, with ``org_id``'s own value and index (M50) when given.

    ``org_id`` must be the viewer itself or a cohort member (else
    :class:`PermissionDeniedError`). A cohort below ``policy.min_cohort`` gives
    ``status = "not_enough_organisations"`` and no figures — not an error. An
    organisation with fewer than ``policy.threshold`` bookers in the period is left out
    of the spread (its ratios rest on too few people); a ratio with fewer than
    ``min_cohort`` organisations left is suppressed. Utilisation and average audience
    need the performance basis and are suppressed under the transaction basis.
    """
    policy = policy or SuppressionPolicy()
    cohort, orgs = _resolve(session, viewer, org_id, region, artform)
    if not cohort_is_large_enough(len(cohort), policy):
        return BenchmarkKpis(
            viewer,
            period,
            basis,
            "not_enough_organisations",
            _not_enough(len(cohort), policy),
            len(cohort),
            org_id,
            (),
        )
    values = _per_org_values(session, orgs, period, basis)
    eligible = [o for o in cohort if values.get(o, {}).get("bookers", 0) >= policy.threshold]
    kpis = []
    for metric, name in BENCHMARK_KPIS.items():
        spread = sorted(float(v) for o in eligible if (v := values[o].get(metric)) is not None)
        own = values.get(org_id, {}).get(metric) if org_id else None
        reason = None
        if metric in ("M07", "M08") and basis != "performance":
            reason = "needs_performance_basis"
        elif len(spread) < policy.min_cohort:
            reason = "not_enough_organisations"
        if reason:
            kpis.append(
                BenchmarkKpi(metric, name, len(spread), None, None, None, own, None, True, reason)
            )
            continue
        median = _quantile(spread, 0.5)
        kpis.append(
            BenchmarkKpi(
                metric,
                name,
                len(spread),
                _quantile(spread, 0.25),
                median,
                _quantile(spread, 0.75),
                own,
                None if own is None or median == 0 else own / median * 100.0,
                False,
                None,
            )
        )
    return BenchmarkKpis(
        viewer,
        period,
        basis,
        "ok",
        f"Benchmarked against {len(cohort)} organisations.",
        len(cohort),
        org_id,
        tuple(kpis),
    )


# Pooled distributions --------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkCell(InsightResult):
    """One cell of a cohort distribution; figures are ``None`` when suppressed."""

    label: str
    bookers: int | None
    tickets: int | None
    share: float | None  # of the cohort total of the dimension's measure
    org_share: float | None  # the compared organisation's own share
    suppressed: bool
    reason: SuppressionReason | None


@dataclass(frozen=True)
class BenchmarkDistribution(InsightResult):
    """A cohort's bookers or tickets by a controlled-vocabulary dimension."""

    viewer: str
    period: Period
    basis: Basis
    dimension: Dimension
    measure: Literal["bookers", "tickets"]
    status: BenchmarkStatus
    message: str
    cohort_size: int
    org_id: str | None
    total: int | None
    cells: tuple[BenchmarkCell, ...]


_DIMENSION_LABELS: dict[Dimension, tuple[str, ...]] = {
    "region": (*REGIONS, "unknown"),
    "frequency_band": FREQUENCY_BANDS,
    "channel": CHANNELS,
    "lead_time": tuple(b[0] for b in LEAD_TIME_BUCKETS),
}


def _label_sql(dimension: Dimension) -> str:
    if dimension == "channel":
        known = ", ".join(f"'{c}'" for c in CHANNELS if c != "unknown")
        return (
            f"CASE WHEN vt.channel IS NULL THEN 'unknown' WHEN vt.channel IN ({known}) "
            "THEN vt.channel ELSE 'other' END"
        )
    if dimension == "lead_time":
        days = "(CAST(vt.starts_at AS DATE) - CAST(vt.created_at AS DATE))"
        parts = []
        for label, lo, hi in LEAD_TIME_BUCKETS:
            cond = " AND ".join(
                c
                for c in (
                    f"{days} >= {lo}" if lo is not None else "",
                    f"{days} <= {hi}" if hi is not None else "",
                )
                if c
            )
            parts.append(f"WHEN {cond} THEN '{label}'")
        return f"CASE {' '.join(parts)} END"
    # Region comes from the shipped postcode-area table; anything else is 'unknown'.
    regions = ", ".join("'" + r.replace("'", "''") + "'" for r in REGIONS)
    return f"CASE WHEN vt.region IN ({regions}) THEN vt.region ELSE 'unknown' END"


def _distribution_rows(
    session: Session, orgs: list[str], period: Period, basis: Basis, dimension: Dimension
) -> list[tuple[str, str, int, int]]:
    """(org, label, bookers, tickets) for every organisation and label present."""
    key = f"dist|{dimension}|{period.start}|{period.end}|{basis}"

    def compute(missing: list[str]) -> dict[str, list[list[Any]]]:
        out: dict[str, list[list[Any]]] = {o: [] for o in missing}
        for org, label, b, t in _compute_distribution_rows(
            session, missing, period, basis, dimension
        ):
            out[org].append([label, b, t])
        return out

    cached = facts.cached_per_org(session, orgs, key, compute)
    return [(org, str(lbl), int(b), int(t)) for org in orgs for lbl, b, t in cached[org] or []]


def _compute_distribution_rows(
    session: Session, orgs: list[str], period: Period, basis: Basis, dimension: Dimension
) -> list[tuple[str, str, int, int]]:
    vt = _sql.occasions(orgs, basis, period=period)
    params = vt.params
    if dimension == "frequency_band":
        sql = f"""
            WITH f AS (SELECT vt.org_id, vt.customer_key, COUNT(DISTINCT vt.instance_key) AS f,
                              SUM(vt.tickets) AS tickets
                       FROM ({vt.text}) vt WHERE vt.customer_key IS NOT NULL
                       GROUP BY vt.org_id, vt.customer_key)
            SELECT f.org_id, CASE WHEN f.f = 1 THEN '1' WHEN f.f = 2 THEN '2'
                                  WHEN f.f <= 5 THEN '3-5' ELSE '6+' END AS label,
                   COUNT(*), SUM(f.tickets)
            FROM f GROUP BY 1, 2
        """
    else:
        # A home region needs a person; channel and lead time count anonymous tickets.
        where = "WHERE vt.customer_key IS NOT NULL" if dimension == "region" else ""
        sql = f"""
            SELECT vt.org_id, {_label_sql(dimension)} AS label,
                   COUNT(DISTINCT vt.customer_key), SUM(vt.tickets)
            FROM ({vt.text}) vt {where}
            GROUP BY 1, 2
        """
    return [
        (str(o), str(lbl), _sql.as_int(b), _sql.as_int(t))
        for o, lbl, b, t in session.fetchall(sql, params)
    ]


def benchmark_distribution(
    session: Session,
    viewer: str,
    period: Period,
    dimension: Dimension,
    *,
    basis: Basis = "performance",
    org_id: str | None = None,
    region: str | None = None,
    artform: str | None = None,
    policy: SuppressionPolicy | None = None,
) -> BenchmarkDistribution:
    """The cohort's bookers by home region or frequency band, or tickets by channel or
    booking lead time, pooled over the cohort, with every small or dominated cell
    suppressed, and ``org_id``'s own shares beside them.

    Choices: a person booking with two organisations counts once for each (box office
    records cannot be matched across organisations). Region labels are only the 12 UK
    regions (else ``unknown``); channels outside the controlled list become ``other``.
    """
    if dimension not in BENCHMARK_DIMENSIONS:
        raise InputError(
            f"Unknown benchmark dimension {dimension!r}.",
            hint=f"Use one of: {', '.join(BENCHMARK_DIMENSIONS)} (free-text fields such as "
            "event or ticket-type names are never benchmarked).",
        )
    policy = policy or SuppressionPolicy()
    measure: Literal["bookers", "tickets"] = (
        "bookers" if dimension in ("region", "frequency_band") else "tickets"
    )
    cohort, orgs = _resolve(session, viewer, org_id, region, artform)
    if not cohort_is_large_enough(len(cohort), policy):
        return BenchmarkDistribution(
            viewer,
            period,
            basis,
            dimension,
            measure,
            "not_enough_organisations",
            _not_enough(len(cohort), policy),
            len(cohort),
            org_id,
            None,
            (),
        )
    rows = _distribution_rows(session, orgs, period, basis, dimension)
    members = set(cohort)
    bookers: dict[str, int] = defaultdict(int)
    tickets: dict[str, int] = defaultdict(int)
    contributions: dict[str, dict[str, float]] = defaultdict(dict)
    own: dict[str, int] = defaultdict(int)
    for org, label, b, t in rows:
        amount = b if measure == "bookers" else t
        if org == org_id:
            own[label] += amount
        if org not in members:
            continue
        bookers[label] += b
        tickets[label] += t
        contributions[label][org] = contributions[label].get(org, 0) + amount
    labels = _DIMENSION_LABELS[dimension]
    pooled = [PooledCell(lbl, bookers[lbl], contributions[lbl]) for lbl in labels]
    decisions = decide_cells(pooled, policy)
    total = sum(bookers.values()) if measure == "bookers" else sum(tickets.values())
    own_total = sum(own.values())
    cells = []
    for cell, decision in zip(pooled, decisions, strict=True):
        shown = decision.shown
        amount = bookers[cell.label] if measure == "bookers" else tickets[cell.label]
        cells.append(
            BenchmarkCell(
                label=cell.label,
                bookers=bookers[cell.label] if shown else None,
                tickets=tickets[cell.label] if shown else None,
                share=_sql.ratio(amount, total) if shown else None,
                org_share=_sql.ratio(own[cell.label], own_total) if org_id else None,
                suppressed=not shown,
                reason=decision.reason,
            )
        )
    return BenchmarkDistribution(
        viewer,
        period,
        basis,
        dimension,
        measure,
        "ok",
        f"Pooled over {len(cohort)} organisations; cells under {policy.threshold} bookers "
        "or mostly from one organisation are suppressed.",
        len(cohort),
        org_id,
        total,
        tuple(cells),
    )
