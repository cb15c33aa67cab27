"""The ``/api/v1`` routers, one module per area; :data:`ROUTERS` lists them in order."""

from fastapi import APIRouter

from houselights.api.routes import (
    benchmarks,
    connections,
    exchange,
    exports,
    metrics,
    operations,
    orgs,
    reports,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    orgs.router,
    connections.router,
    operations.router,
    exchange.router,
    metrics.router,
    reports.router,
    exports.router,
    benchmarks.router,
)
