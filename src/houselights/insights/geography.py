"""Where bookers live (metrics.md §7: M43), and optional ONS Postcode Directory enrichment.

Region, postcode area and postcode district come from the customer record (the exchange
derives them from the postcode with :mod:`houselights.model.postcodes`). Local authority
and LSOA need the ONS Postcode Directory (ONSPD), which is large and licensed separately,
so it is never shipped: a user loads their own copy with :func:`load_onspd` and the
``local_authority`` / ``lsoa`` levels then become available.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from houselights.errors import InputError
from houselights.insights import _sql, facts
from houselights.insights.filters import Filters
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.warehouse.base import Session

__all__ = [
    "GEOGRAPHY_LEVELS",
    "ONSPD_TABLE",
    "GeoCell",
    "GeographicDistribution",
    "GeographyLevel",
    "ensure_onspd_table",
    "geographic_distribution",
    "load_onspd",
    "onspd_loaded",
]

GeographyLevel = Literal["region", "area", "district", "local_authority", "lsoa"]
GEOGRAPHY_LEVELS: tuple[GeographyLevel, ...] = (
    "region",
    "area",
    "district",
    "local_authority",
    "lsoa",
)
ONSPD_TABLE = "onspd_postcodes"

# Created by migration 3; `load_onspd` also creates it for a warehouse opened unmigrated.
_ONSPD_DDL = (
    f"CREATE TABLE IF NOT EXISTS {ONSPD_TABLE} ("
    "postcode TEXT NOT NULL, lat DOUBLE PRECISION, lon DOUBLE PRECISION, "
    "local_authority TEXT, region_code TEXT, lsoa TEXT)"
)
_ONSPD_INDEX = f"CREATE INDEX IF NOT EXISTS ix_{ONSPD_TABLE}_postcode ON {ONSPD_TABLE} (postcode)"

_LABEL_SQL: dict[GeographyLevel, str] = {
    "region": "c.region",
    "area": "c.postcode_area",
    "district": "c.postcode_district",
    "local_authority": "op.local_authority",
    "lsoa": "op.lsoa",
}

_OCCASION_LABEL: dict[GeographyLevel, str] = {
    "region": "region",
    "area": "postcode_area",
    "district": "postcode_district",
}


@dataclass(frozen=True)
class GeoCell(InsightResult):
    """Bookers, tickets and income from one place."""

    label: str  # 'unknown' for bookers without (matched) geography
    bookers: int
    tickets: int
    income: float
    share_of_bookers: float | None


@dataclass(frozen=True)
class GeographicDistribution(InsightResult):
    """M43 bookers, tickets and income by place, largest first, ``unknown`` last."""

    org_id: str
    period: Period
    basis: Basis
    level: GeographyLevel
    bookers: int
    cells: tuple[GeoCell, ...]


def onspd_loaded(session: Session) -> bool:
    """Whether an ONS Postcode Directory has been loaded into this warehouse.

    The table exists from migration 3 on; it counts as loaded once it has rows.
    """
    schema_test = "table_schema = current_schema()"
    exists = session.scalar(
        f"SELECT COUNT(*) FROM information_schema.tables WHERE {schema_test} AND table_name = ?",
        [ONSPD_TABLE],
    )
    return bool(exists) and session.fetchone(f"SELECT 1 FROM {ONSPD_TABLE} LIMIT 1") is not None


def geographic_distribution(
    session: Session, filters: Filters, level: GeographyLevel = "region"
) -> GeographicDistribution:
    """Bookers, tickets and income by region, postcode area or district — or, with an
    ONSPD loaded, by local authority or LSOA (M43).

    Basis: performance by default; transaction supported.
    Choices: a booker is placed by the postcode on their customer record today (box
    offices keep one address). Tickets without a customer and customers without a valid
    postcode are reported as ``unknown`` (anonymous tickets add tickets and income there
    but no bookers). Shares are of all bookers, unknown included.
    """
    if level not in GEOGRAPHY_LEVELS:
        raise InputError(
            f"Unknown geography level {level!r}.",
            hint=f"Use one of: {', '.join(GEOGRAPHY_LEVELS)}.",
        )
    join_onspd = ""
    if level in ("local_authority", "lsoa"):
        if not onspd_loaded(session):
            raise InputError(
                f"The {level.replace('_', ' ')} view needs the ONS Postcode Directory, "
                "which has not been loaded.",
                hint="Download the ONSPD CSV from the ONS Open Geography Portal and load it "
                "with houselights.insights.load_onspd(session, path).",
            )
        join_onspd = f"LEFT JOIN {ONSPD_TABLE} op ON op.postcode = c.postcode"
    basis = filters.basis_or("performance")
    facts.ensure_fresh(session, [filters.org_id])
    if filters.has_slice or level not in _OCCASION_LABEL:
        vt = _sql.valid_tickets(filters, basis)
        rows = session.fetchall(
            f"""
            WITH vt AS ({vt.text}),
            per AS (SELECT vt.customer_id, COUNT(*) AS tickets, SUM(vt.price_paid) AS income
                    FROM vt GROUP BY vt.customer_id)
            SELECT COALESCE({_LABEL_SQL[level]}, 'unknown') AS label,
                   COUNT(per.customer_id), SUM(per.tickets), SUM(per.income)
            FROM per
            LEFT JOIN customers c ON c.org_id = ? AND c.customer_id = per.customer_id
            {join_onspd}
            GROUP BY 1
            """,
            [*vt.params, filters.org_id],
        )
    else:
        # Each occasion carries its booker's place (from the customer record).
        occ = _sql.occasions([filters.org_id], basis, period=filters.period)
        rows = session.fetchall(
            f"""
            SELECT COALESCE(vt.{_OCCASION_LABEL[level]}, 'unknown') AS label,
                   COUNT(DISTINCT vt.customer_key), SUM(vt.tickets), SUM(vt.income_pence)
            FROM ({occ.text}) vt GROUP BY 1
            """,
            occ.params,
        )
        rows = [(label, b, t, _sql.pounds(pence)) for label, b, t, pence in rows]
    bookers = sum(_sql.as_int(r[1]) for r in rows)
    cells = sorted(
        (
            GeoCell(
                str(label),
                _sql.as_int(b),
                _sql.as_int(t),
                _sql.money(inc),
                _sql.ratio(_sql.as_int(b), bookers),
            )
            for label, b, t, inc in rows
        ),
        key=lambda c: (c.label == "unknown", -c.bookers, -c.tickets, c.label),
    )
    return GeographicDistribution(
        org_id=filters.org_id,
        period=filters.period,
        basis=basis,
        level=level,
        bookers=bookers,
        cells=tuple(cells),
    )


def ensure_onspd_table(session: Session) -> None:
    """Create the ONSPD lookup table if it does not exist."""
    session.execute(_ONSPD_DDL)
    if session.dialect == "postgres":
        # DuckDB: a zone-mapped scan is as fast and bulk loads stay quick without an index.
        session.execute(_ONSPD_INDEX)


_ONSPD_REQUIRED = ("pcds", "lat", "long", "oslaua", "rgn")


def load_onspd(session: Session, path: str | Path) -> int:
    """Load (replace) the ONS Postcode Directory from the ONSPD CSV at ``path``.

    Reads the columns ``pcds`` (postcode), ``lat``, ``long``, ``oslaua`` (local
    authority), ``rgn`` (region code) and ``lsoa21`` (else ``lsoa11``). ONSPD marks
    postcodes without a grid reference with latitude 99.999999; those get NULL
    coordinates. Returns the number of postcodes loaded.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(
            f"The ONS Postcode Directory file {file} does not exist.",
            hint="Give the path of the ONSPD CSV (the large file in the Data folder of the "
            "ONSPD download).",
        )
    try:
        names = _csv_header(file)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"Cannot read {file} as a CSV file: {exc}", hint="Give the ONSPD CSV file."
        ) from exc
    missing = [c for c in _ONSPD_REQUIRED if c not in names]
    lsoa = next((c for c in ("lsoa21", "lsoa11") if c in names), None)
    if missing or lsoa is None:
        need = [*missing, *([] if lsoa else ["lsoa21 or lsoa11"])]
        raise InputError(
            f"{file} is not an ONS Postcode Directory CSV: missing column(s) {', '.join(need)}.",
            hint="Use the ONSPD CSV (columns pcds, lat, long, oslaua, rgn, lsoa21 …).",
        )
    try:
        table = pacsv.read_csv(
            file,
            convert_options=pacsv.ConvertOptions(
                include_columns=["pcds", "lat", "long", "oslaua", "rgn", lsoa],
                column_types={
                    "pcds": pa.string(),
                    "lat": pa.float64(),
                    "long": pa.float64(),
                    "oslaua": pa.string(),
                    "rgn": pa.string(),
                    lsoa: pa.string(),
                },
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(
            f"{file} has a malformed row: {exc}", hint="Use the ONSPD CSV exactly as downloaded."
        ) from exc
    postcode = pc.utf8_upper(pc.utf8_trim_whitespace(table["pcds"]))
    no_grid = pc.greater(table["lat"], 90.0)
    data = pa.table(
        {
            "postcode": postcode,
            "lat": pc.if_else(no_grid, pa.scalar(None, pa.float64()), table["lat"]),
            "lon": pc.if_else(no_grid, pa.scalar(None, pa.float64()), table["long"]),
            "local_authority": table["oslaua"],
            "region_code": table["rgn"],
            "lsoa": table[lsoa],
        }
    ).filter(pc.is_valid(postcode))
    ensure_onspd_table(session)
    with session.transaction():
        session.execute(f"DELETE FROM {ONSPD_TABLE}")
        session.load_arrow(ONSPD_TABLE, data)
    return int(data.num_rows)


def _csv_header(file: Path) -> list[str]:
    with file.open(encoding="utf-8-sig") as fh:
        first = fh.readline()
    return [name.strip().strip('"') for name in first.rstrip("\r\n").split(",")]
