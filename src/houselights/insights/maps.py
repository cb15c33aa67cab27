"""Where bookers live, ready to draw: M43 cells placed at points on a map of the UK.

Boundaries are large and licensed; this draws a **proportional-symbol map** instead: one
circle per postcode area at a point shipped with the package
(``data/postcode_area_centroids.csv``, approximate centres of each area's populated
part, to about 0.1°; *invented* for this purpose, good for a map at UK scale, not for
distances). A region is placed at the mean of its areas' points.

Small numbers are suppressed as in every shared view (``SuppressionPolicy.threshold``,
10 bookers by default): such a cell is kept on the map as a place with ``suppressed``
set and no figures, so a reader sees that there were a few bookers there but not how
many. Bookers with no usable postcode are reported apart (``unknown_bookers``).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from houselights.insights.filters import Filters
from houselights.insights.geography import geographic_distribution
from houselights.insights.periods import Basis, Period
from houselights.insights.results import InsightResult
from houselights.insights.suppression import SuppressionPolicy
from houselights.model.postcodes import postcode_area, postcode_areas
from houselights.warehouse.base import Session

__all__ = [
    "MAP_LEVELS",
    "MapCell",
    "MapLevel",
    "MapPlace",
    "MapPlaces",
    "PlacedDistribution",
    "area_points",
    "map_cells",
    "map_places",
]

MapLevel = Literal["area", "region"]
MAP_LEVELS: tuple[MapLevel, ...] = ("area", "region")


@functools.cache
def area_points() -> dict[str, tuple[float, float]]:
    """Postcode area → (latitude, longitude) of the point it is drawn at."""
    text = (
        resources.files("houselights.insights")
        .joinpath("data", "postcode_area_centroids.csv")
        .read_text(encoding="utf-8")
    )
    return {
        row["area"]: (float(row["lat"]), float(row["lon"]))
        for row in csv.DictReader(io.StringIO(text))
    }


@functools.cache
def _region_points() -> dict[str, tuple[float, float]]:
    points = area_points()
    members: dict[str, list[tuple[float, float]]] = {}
    for area in postcode_areas():
        if area.region and area.area in points:
            members.setdefault(area.region, []).append(points[area.area])
    return {
        region: (
            round(sum(p[0] for p in pts) / len(pts), 3),
            round(sum(p[1] for p in pts) / len(pts), 3),
        )
        for region, pts in members.items()
    }


@dataclass(frozen=True)
class MapPlace(InsightResult):
    """A postcode area and the point it is drawn at."""

    code: str
    name: str
    region: str | None
    lat: float
    lon: float


@dataclass(frozen=True)
class MapPlaces(InsightResult):
    """Every postcode area with a point: the backdrop a map draws its figures on."""

    places: tuple[MapPlace, ...]


def map_places() -> MapPlaces:
    """Every postcode area that has a point, sorted by its letters (no data involved)."""
    points = area_points()
    return MapPlaces(
        tuple(
            MapPlace(a.area, a.name, a.region, *points[a.area])
            for a in postcode_areas()
            if a.area in points
        )
    )


@dataclass(frozen=True)
class MapCell(InsightResult):
    """One place on the map; figures are ``None`` when suppressed."""

    code: str  # postcode area letters, or the region's name
    name: str
    region: str | None
    lat: float
    lon: float
    suppressed: bool
    bookers: int | None
    tickets: int | None
    income: float | None
    share_of_bookers: float | None


@dataclass(frozen=True)
class PlacedDistribution(InsightResult):
    """M43 at one level, placed on the map, with suppression applied."""

    org_id: str
    period: Period
    basis: Basis
    level: MapLevel
    threshold: int
    bookers: int
    unknown_bookers: int  # no valid postcode, or a place with no point (GIR, abroad)
    suppressed_cells: int
    cells: tuple[MapCell, ...]


def map_cells(
    session: Session,
    filters: Filters,
    level: MapLevel = "area",
    policy: SuppressionPolicy | None = None,
) -> PlacedDistribution:
    """Bookers, tickets and income by postcode area or region, each at its point.

    Basis: performance by default; transaction supported (as M43).
    Choices: a cell with fewer than ``policy.threshold`` bookers is suppressed (kept, no
    figures); places are only those with bookers; shares are of all bookers.
    """
    policy = policy or SuppressionPolicy()
    found = geographic_distribution(session, filters, level)
    points = area_points() if level == "area" else _region_points()
    cells: list[MapCell] = []
    unknown = 0
    for cell in found.cells:
        point = points.get(cell.label)
        if point is None:
            unknown += cell.bookers
            continue
        hidden = cell.bookers < policy.threshold
        area = postcode_area(cell.label) if level == "area" else None
        cells.append(
            MapCell(
                code=cell.label,
                name=area.name if area else cell.label,
                region=area.region if area else cell.label,
                lat=point[0],
                lon=point[1],
                suppressed=hidden,
                bookers=None if hidden else cell.bookers,
                tickets=None if hidden else cell.tickets,
                income=None if hidden else cell.income,
                share_of_bookers=None if hidden else cell.share_of_bookers,
            )
        )
    return PlacedDistribution(
        org_id=filters.org_id,
        period=filters.period,
        basis=found.basis,
        level=level,
        threshold=policy.threshold,
        bookers=found.bookers,
        unknown_bookers=unknown,
        suppressed_cells=sum(1 for c in cells if c.suppressed),
        cells=tuple(cells),
    )
