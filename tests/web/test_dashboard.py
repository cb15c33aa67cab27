"""End to end in headless Chromium: sign in, load every page, see its charts, filter.

The server is the real app under uvicorn on 127.0.0.1; the browser is Debian's
``chromium`` driven over the DevTools protocol (tests/web/browser.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from houselights.web.pages import PAGES
from tests.api.world import Served, serve_world

from .browser import Browser

pytestmark = pytest.mark.browser

# Pages and the chart containers each must render (pages without charts show tables).
CHARTS = {
    "overview": ["chart-quarters", "chart-income"],
    "events": ["chart-events"],
    "audience": ["chart-frequency", "chart-channels", "chart-lead"],
    "geography": ["chart-regions"],
    "quality": ["chart-runs"],
    "connections": [],
    "benchmarks": ["chart-kpis", "chart-distribution"],
}
TABLES = {
    "events": ["table-events"],
    "geography": ["table-areas"],
    "quality": ["table-runs", "table-checks", "table-quarantine"],
    "connections": ["table-connections"],
    "benchmarks": ["table-kpis", "table-distribution"],
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_world(tmp_path_factory.mktemp("web")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.close()


def base(site: Served) -> str:
    return str(site.http.base_url).rstrip("/")


def sign_in(browser: Browser, site: Served, token: str) -> None:
    browser.events.clear()  # console errors are counted per test
    browser.goto(f"{base(site)}/dashboard/sign-in")
    browser.evaluate(
        f"document.getElementById('token').value = {json.dumps(token)};"
        "document.getElementById('sign-in').requestSubmit(); true"
    )
    browser.wait_for(
        "location.pathname === '/dashboard/overview' "
        "&& ['true', 'error'].includes(document.body.dataset.ready)"
    )


def load(browser: Browser, url: str) -> None:
    browser.goto(url)
    state = browser.wait_for(
        "document.body.dataset.ready === 'true' || "
        "document.body.dataset.ready === 'error' ? "
        "document.body.dataset.ready : ''"
    )
    status = browser.evaluate("document.getElementById('status').textContent")
    assert state == "true", status


def rendered(browser: Browser, chart_id: str) -> bool:
    return bool(
        browser.evaluate(
            f"(() => {{ const c = document.getElementById({json.dumps(chart_id)});"
            " return c.dataset.rendered === 'true' && !!c.querySelector('svg .mark-rect, "
            "svg .mark-symbol, svg .mark-rule, svg path'); })()"
        )
    )


def test_every_page_loads_with_its_charts(browser: Browser, site: Served) -> None:
    assert set(CHARTS) == {p.slug for p in PAGES}
    sign_in(browser, site, site.tokens["alpha"])
    for page in PAGES:
        load(browser, f"{base(site)}/dashboard/{page.slug}?org=alpha&viewer=arts-council")
        for chart_id in CHARTS[page.slug]:
            assert rendered(browser, chart_id), (page.slug, chart_id)
        for table_id in TABLES.get(page.slug, []):
            rows = browser.evaluate(f"document.querySelectorAll('#{table_id} tbody tr').length")
            assert rows > 0, (page.slug, table_id)
        assert browser.errors() == [], page.slug
    # Nothing was fetched from anywhere but this server (no CDN).
    assert browser.requested_hosts() <= {site.http.base_url.netloc.decode()}


def test_text_from_the_data_is_never_html(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["alpha"])
    load(browser, f"{base(site)}/dashboard/events?org=alpha&period=2025/26")
    cells = browser.evaluate(
        "[...document.querySelectorAll('#table-events td')].map(td => td.textContent)"
    )
    assert "<img src=x onerror=alert(1)>Gala" in cells
    assert browser.evaluate("document.querySelectorAll('main img').length") == 0


def tile(browser: Browser, label: str) -> str:
    return str(
        browser.evaluate(
            "[...document.querySelectorAll('.tile')].find(t => t.querySelector('.label')"
            f".textContent === {json.dumps(label)}).querySelector('.value').textContent"
        )
    )


def test_filters_change_what_the_page_shows(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["alpha"])
    load(browser, f"{base(site)}/dashboard/overview?org=alpha")
    # The default period is the latest financial year with performances.
    assert browser.evaluate("document.getElementById('f-period').value") == "2025/26"
    everything = tile(browser, "Tickets issued")
    whole = site.get(
        "/api/v1/orgs/alpha/insights/ticket-sales", site.tokens["alpha"], period="2025/26"
    ).json()["tickets_issued"]
    assert everything == f"{whole:,}"

    # Choose one venue in the form and apply it.
    browser.evaluate(
        "document.getElementById('f-venue').value = 'v1';"
        "document.getElementById('filters').requestSubmit(); true"
    )
    browser.wait_for(
        "location.search.includes('venue=v1') && document.body.dataset.ready === 'true'"
    )
    assert rendered(browser, "chart-quarters") and rendered(browser, "chart-income")
    venue_only = tile(browser, "Tickets issued")
    expected = site.get(
        "/api/v1/orgs/alpha/insights/ticket-sales",
        site.tokens["alpha"],
        period="2025/26",
        venue="v1",
    ).json()["tickets_issued"]
    assert venue_only == f"{expected:,}" and venue_only != everything

    # Then another financial year, by date range.
    browser.evaluate(
        "document.getElementById('f-venue').value = '';"
        "document.getElementById('f-period').value = '';"
        "document.getElementById('f-from').value = '2024-04-01';"
        "document.getElementById('f-to').value = '2025-03-31';"
        "document.getElementById('filters').requestSubmit(); true"
    )
    browser.wait_for(
        "location.search.includes('from=2024-04-01') && document.body.dataset.ready === 'true'"
    )
    earlier = site.get(
        "/api/v1/orgs/alpha/insights/ticket-sales", site.tokens["alpha"], period="2024/25"
    ).json()["tickets_issued"]
    assert tile(browser, "Tickets issued") == f"{earlier:,}"
    assert browser.errors() == []


def test_a_recipient_sees_benchmarks_but_not_operations(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["arts-council"])
    load(browser, f"{base(site)}/dashboard/benchmarks?org=peer2&period=2025/26")
    assert browser.evaluate("document.getElementById('viewer').value") == "arts-council"
    assert rendered(browser, "chart-kpis") and rendered(browser, "chart-distribution")
    browser.goto(f"{base(site)}/dashboard/quality?org=peer2")
    browser.wait_for("document.body.dataset.ready === 'error'")
    assert "may not see" in browser.evaluate("document.getElementById('status').textContent")


def test_without_a_token_the_dashboard_asks_to_sign_in(browser: Browser, site: Served) -> None:
    browser.goto(f"{base(site)}/dashboard/sign-in")
    browser.evaluate("sessionStorage.clear(); true")
    browser.send("Page.navigate", url=f"{base(site)}/dashboard/events?org=alpha")
    browser.wait_for(
        "location.pathname === '/dashboard/sign-in' && location.search.includes('next=')"
    )
    browser.evaluate(
        "document.getElementById('token').value = 'hl_wrong';"
        "document.getElementById('sign-in').requestSubmit(); true"
    )
    message = browser.wait_for("document.getElementById('status').textContent")
    assert "Sign-in failed" in message and "unknown or has been revoked" in message
