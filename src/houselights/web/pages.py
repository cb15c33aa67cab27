"""The dashboard's pages: HTML shells whose scripts read the same ``/api/v1`` endpoints.

A page holds no data of its own and needs no token to load; the script in
``static/dashboard.js`` asks the API with the token the user signed in with (kept in the
browser's sessionStorage, sent as a bearer header), so the API's access rules are the
dashboard's. Charts are Vega-Lite specs rendered by vega-embed, served from
``static/vendor`` — nothing is loaded from a CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from houselights import __version__

__all__ = ["DASHBOARD_PREFIX", "PAGES", "Page", "mount_dashboard"]

DASHBOARD_PREFIX = "/dashboard"
_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Page:
    """One dashboard page."""

    slug: str
    title: str
    filters: bool  # whether the period / venue / season filters apply
    in_nav: bool = True  # False for pages reached from another (one event's page)


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", True),
    Page("trends", "Trends", True),
    Page("events", "Events", True),
    Page("event", "Event", False, in_nav=False),
    Page("audience", "Audience", True),
    Page("geography", "Map", True),
    Page("quality", "Data quality & runs", False),
    Page("connections", "Connections & uploads", False),
    Page("benchmarks", "Benchmarks", True),
    Page("definitions", "Definitions", False),
)
_BY_SLUG = {p.slug: p for p in PAGES}

templates = Jinja2Templates(directory=str(_HERE / "templates"))


def _render(request: Request, template: str, page: Page | None) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {"page": page, "pages": PAGES, "prefix": DASHBOARD_PREFIX, "version": __version__},
    )


router = APIRouter(include_in_schema=False)


@router.get("/")
def root() -> RedirectResponse:
    """The dashboard is the front page."""
    return RedirectResponse(f"{DASHBOARD_PREFIX}/overview")


@router.get(DASHBOARD_PREFIX)
@router.get(f"{DASHBOARD_PREFIX}/")
def dashboard_root() -> RedirectResponse:
    """The dashboard opens on its overview."""
    return RedirectResponse(f"{DASHBOARD_PREFIX}/overview")


@router.get(f"{DASHBOARD_PREFIX}/sign-in", response_class=HTMLResponse)
def sign_in(request: Request) -> HTMLResponse:
    """The sign-in form: paste an API token."""
    return _render(request, "sign_in.html", None)


@router.get(f"{DASHBOARD_PREFIX}/{{slug}}", response_class=HTMLResponse)
def page(request: Request, slug: str) -> HTMLResponse:
    """One dashboard page."""
    found = _BY_SLUG.get(slug)
    if found is None:
        raise HTTPException(404, f"There is no dashboard page '{slug}'.")
    return _render(request, f"{slug}.html", found)


def mount_dashboard(app: FastAPI) -> None:
    """Add the dashboard pages and their static assets to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
