"""Warehouse backends behind one small interface (:mod:`houselights.warehouse.base`)."""

from houselights.warehouse.base import Session, Warehouse
from houselights.warehouse.factory import open_warehouse

__all__ = ["Session", "Warehouse", "open_warehouse"]
