"""End to end in headless Chromium: sign in, load every page, see its charts, filter.

The server is the real app under uvicorn on 127.0.0.1; the browser is Debian's
``chromium`` driven over the DevTools protocol (tests/web/browser.py). Every page is also
checked with the vendored axe-core (no serious or critical violation) and photographed:
the screenshots are written to ``test-artifacts/dashboard/`` (or
``$HOUSELIGHTS_TEST_ARTIFACTS``) as artefacts of the run, never compared.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from houselights.exchange import Batch, ExchangeRun
from houselights.insights.facts import refresh_facts
from houselights.orgs.service import add_org
from houselights.web.pages import PAGES
from tests.api.world import Served, serve_world

from .browser import Browser

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("HOUSELIGHTS_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)

# Pages and the chart containers each must render with data.
CHARTS = {
    "overview": ["chart-quarters", "chart-income", "chart-top"],
    "trends": ["chart-trend-tickets", "chart-trend-income"],
    "events": ["chart-events", "chart-curves"],
    "event": ["chart-curve", "chart-types"],
    "audience": ["chart-frequency", "chart-channels", "chart-lead"],
    "geography": ["chart-map", "chart-regions"],
    "quality": ["chart-runs"],
    "connections": [],
    "benchmarks": ["chart-kpis", "chart-distribution"],
    "definitions": [],
}
TABLES = {
    "trends": ["table-years"],
    "events": ["table-events"],
    "event": ["table-instances"],
    "geography": ["table-areas"],
    "quality": ["table-latest", "table-checks", "table-quarantine", "table-runs"],
    "connections": ["table-connections"],
    "benchmarks": ["table-kpis", "table-distribution"],
}
EXTRA = {"event": "&event=e0", "benchmarks": "&viewer=arts-council"}


def _gamma_batch() -> Batch:
    """An organisation whose data stops in February 2025 with one performance on sale
    for September 2025: the year to open on is 2024/25, not the newest one."""
    batch = Batch(records_in=12)
    batch.add("venues", [{"venue_id": "v1", "name": "Hall", "postcode": "LS1 4AP"}])
    batch.add("events", [{"event_id": "g0", "name": "Recital", "season": "Main"}])
    starts = [datetime(2024, 5, 1, 19), datetime(2025, 2, 1, 19), datetime(2025, 9, 1, 19)]
    batch.add(
        "instances",
        [
            {
                "instance_id": f"g{k}",
                "event_id": "g0",
                "venue_id": "v1",
                "starts_at": s,
                "capacity": 50,
                "cancelled": False,
                "is_supplementary": False,
            }
            for k, s in enumerate(starts)
        ],
    )
    batch.add("customers", [{"customer_id": f"c{k}"} for k in range(12)])
    orders, lines = [], []
    for k in range(12):
        instance = k % 3
        created = (
            datetime(2025, 2, 20, 10) if instance == 2 else starts[instance] - timedelta(days=9)
        )
        orders.append(
            {
                "order_id": f"o{k}",
                "customer_id": f"c{k}",
                "created_at": created,
                "channel": "online",
                "lines_hash": "",
            }
        )
        lines.append(
            {
                "order_id": f"o{k}",
                "line_no": 1,
                "kind": "ticket",
                "instance_id": f"g{instance}",
                "event_id": "g0",
                "ticket_type": "Full",
                "face_value": Decimal("12.00"),
                "price_paid": Decimal("12.00"),
                "is_concession": False,
                "is_comp": False,
                "status": "issued",
            }
        )
    batch.add("orders", orders)
    batch.add("order_lines", lines)
    return batch


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # A threshold of 5 bookers lets the small test world show some places on the map.
    with serve_world(tmp_path_factory.mktemp("web"), suppression_threshold=5) as served:
        hl = served.hl
        with hl.warehouse.connect() as s, s.transaction():
            add_org(s, "gamma", "Gamma Hall", region="Yorkshire and The Humber")
        with ExchangeRun(hl.warehouse, "gamma", source="upload", kind="upload") as run:
            run.publish(_gamma_batch())
        with hl.warehouse.connect() as s:
            refresh_facts(s, "gamma")
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
    """The chart drew marks from at least one row of data."""
    return bool(
        browser.evaluate(
            f"(() => {{ const c = document.getElementById({json.dumps(chart_id)});"
            " return c.dataset.rendered === 'true' && Number(c.dataset.rows) > 0"
            " && !!c.querySelector('svg .mark-rect path, svg .mark-symbol path, "
            "svg .mark-line path, svg .mark-rule line'); })()"
        )
    )


def downloaded(browser: Browser, selector: str) -> str:
    """Click the button at ``selector`` and return the text of the file it offers (the
    page's blob is caught and the link's click that would save it is swallowed)."""
    return str(
        browser.evaluate(
            "new Promise((ok) => { const original = URL.createObjectURL;"
            " const click = HTMLAnchorElement.prototype.click;"
            " HTMLAnchorElement.prototype.click = function () {"
            " HTMLAnchorElement.prototype.click = click; };"
            " URL.createObjectURL = (blob) => { URL.createObjectURL = original;"
            " blob.text().then(ok); return 'data:,'; };"
            f" document.querySelector({json.dumps(selector)}).click(); }})"
        )
    )


def tile_value(browser: Browser, key: str) -> float:
    return float(
        browser.evaluate(
            f"document.querySelector('.tile[data-key={json.dumps(key)}]').dataset.value"
        )
    )


def tile_text(browser: Browser, key: str, part: str = "value") -> str:
    return str(
        browser.evaluate(
            f"document.querySelector('.tile[data-key={json.dumps(key)}] .{part}').textContent"
        )
    )


def chart_total(browser: Browser, chart_id: str) -> float:
    return float(browser.evaluate(f"document.getElementById('{chart_id}').dataset.total"))


def test_every_page_draws_its_data_passes_axe_and_is_photographed(
    browser: Browser, site: Served
) -> None:
    assert set(CHARTS) == {p.slug for p in PAGES}
    sign_in(browser, site, site.tokens["admin"])
    for page in PAGES:
        url = f"{base(site)}/dashboard/{page.slug}?org=alpha{EXTRA.get(page.slug, '')}"
        load(browser, url)
        for chart_id in CHARTS[page.slug]:
            assert rendered(browser, chart_id), (page.slug, chart_id)
            # Every chart offers its data as CSV and links to its definition.
            tools = browser.evaluate(
                f"[...document.getElementById('{chart_id}').nextElementSibling.children]"
                ".map(e => e.tagName + ':' + (e.getAttribute('href') || e.dataset.csv))"
            )
            assert tools[0] == f"BUTTON:{chart_id}", (page.slug, tools)
            assert tools[1].startswith("A:/dashboard/definitions#"), (page.slug, tools)
            csv = downloaded(browser, f"[data-csv='{chart_id}']")
            rows = int(browser.evaluate(f"document.getElementById('{chart_id}').dataset.rows"))
            assert len(csv.splitlines()) == rows + 1, (page.slug, chart_id)  # a header line
        for table_id in TABLES.get(page.slug, []):
            rows = browser.evaluate(f"document.querySelectorAll('#{table_id} tbody tr').length")
            assert rows > 0, (page.slug, table_id)
        # Every KPI tile compares (where it can) and links to its definition.
        for link in browser.evaluate(
            "[...document.querySelectorAll('.tile a.definition')].map(a => a.href)"
        ):
            assert "/dashboard/definitions#" in link
        # No exponents and no ISO dates in what people read.
        text = browser.evaluate("document.querySelector('main').innerText")
        assert not re.search(r"\d[eE][+-]\d", text), page.slug
        if page.slug != "definitions":  # quotes docs/metrics.md, whose examples are ISO
            assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", text), page.slug
        assert browser.axe_violations() == [], page.slug
        browser.screenshot(ARTIFACTS / "dashboard" / f"{page.slug}.png")
        assert browser.errors() == [], page.slug
    # Nothing was fetched from anywhere but this server (no CDN).
    assert browser.requested_hosts() <= {site.http.base_url.netloc.decode()}


def test_the_default_year_is_the_latest_with_performances(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    # gamma's sales stop in February 2025; 2025/26 only has one performance on sale.
    load(browser, f"{base(site)}/dashboard/overview?org=gamma")
    assert browser.evaluate("document.getElementById('f-period').value") == "2024/25"
    context = browser.evaluate("document.getElementById('context').textContent")
    assert "2024/25, the latest financial year with performances" in context
    assert "20/02/2025" in context and "by performance date" in context
    assert tile_value(browser, "M01") == 2.0  # May 2024 and February 2025
    load(browser, f"{base(site)}/dashboard/overview?org=alpha")
    assert browser.evaluate("document.getElementById('f-period').value") == "2025/26"


@pytest.mark.parametrize("basis", ["performance", "transaction"])
def test_chart_totals_reconcile_with_the_kpis(browser: Browser, site: Served, basis: str) -> None:
    sign_in(browser, site, site.tokens["admin"])
    for period in ("2024/25", "2025/26"):
        load(browser, f"{base(site)}/dashboard/overview?org=alpha&period={period}&basis={basis}")
        assert browser.evaluate("document.getElementById('context').dataset.basis") == basis
        income = browser.evaluate(
            "[...document.querySelectorAll('#chart-income ~ .chart-tools')].length"
        )
        assert income == 1
        # The ticket bar of "Income by kind" is the gross ticket income beside it.
        api = site.get(
            "/api/v1/orgs/alpha/insights/income", site.tokens["admin"], period=period, basis=basis
        ).json()
        ticket_bar = next(k["income"] for k in api["kinds"] if k["kind"] == "ticket")
        assert ticket_bar == tile_value(browser, "M09") > 0
        assert chart_total(browser, "chart-income") == pytest.approx(api["total_income"])
        if basis == "performance":  # the quarterly chart is by performance date
            assert chart_total(browser, "chart-quarters") == tile_value(browser, "M02")
        else:
            assert "always by performance date" in browser.evaluate(
                "document.getElementById('context').textContent"
            )
    # The comparison with the year before: 2025/26 against 2024/25, +/- and %.
    load(browser, f"{base(site)}/dashboard/overview?org=alpha&period=2025/26")
    before = site.get(
        "/api/v1/orgs/alpha/insights/ticket-sales", site.tokens["admin"], period="2024/25"
    ).json()["tickets_issued"]
    delta = tile_text(browser, "M02", "delta")
    assert delta.endswith(f"on 2024/25 ({before:,})") and "%" in delta
    assert tile_text(browser, "M09").startswith("£")


def test_the_map_draws_places_and_hides_small_numbers(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/geography?org=alpha&period=2024/25")
    placed = site.get(
        "/api/v1/orgs/alpha/insights/geography-map", site.tokens["admin"], period="2024/25"
    ).json()
    everywhere = len(site.get("/api/v1/geography/places", site.tokens["admin"]).json()["places"])
    circles = browser.evaluate(
        "[...document.querySelectorAll('#chart-map .mark-symbol path')]"
        ".filter(p => !p.closest('.role-legend')).length"
    )
    assert circles == everywhere + len(placed["cells"])
    shown = [c for c in placed["cells"] if not c["suppressed"]]
    assert shown and chart_total(browser, "chart-map") == sum(c["bookers"] for c in shown)
    cells = browser.evaluate(
        "[...document.querySelectorAll('#table-areas tbody tr')].map(r => r.cells[2].textContent)"
    )
    hidden = sum(1 for c in placed["cells"] if c["suppressed"])
    assert cells.count("fewer than 5") == hidden


def test_quarantined_rows_download_with_their_reasons(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/quality?org=alpha")
    listed = site.get("/api/v1/orgs/alpha/quarantine", site.tokens["admin"], limit=500).json()
    csv = downloaded(browser, "#quarantine-csv")
    lines = csv.splitlines()
    assert lines[0].split(",")[:6] == [
        "run_id",
        "load_id",
        "table_name",
        "record_key",
        "check_name",
        "reason",
    ]
    assert len(lines) == len(listed["items"]) + 1 > 1
    shown = browser.evaluate(
        "[...document.querySelectorAll('#table-quarantine tbody tr')].map(r => r.cells[3]"
        ".textContent)"
    )
    assert set(shown) == {q["reason"] for q in listed["items"]}


def test_new_bookers_are_flagged_when_history_is_short(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/audience?org=alpha&period=2025/26")
    assert browser.evaluate("document.querySelector('.tile[data-key=\"M32\"]').dataset.flag") == (
        "short-history"
    )
    assert "under 3 years" in tile_text(browser, "M32", "note")


def test_event_page_and_order_date_basis(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/events?org=alpha&period=2025/26&basis=transaction")
    link = browser.evaluate("document.querySelector('#table-events a').getAttribute('href')")
    load(browser, f"{base(site)}{link}")
    detail: Any = site.get(
        "/api/v1/orgs/alpha/events/" + link.split("event=")[1], site.tokens["admin"]
    ).json()
    assert tile_value(browser, "M02") == detail["tickets"] == chart_total(browser, "chart-curve")
    assert browser.evaluate("document.querySelector('h1').textContent").startswith(
        detail["event_name"]
    )
    assert browser.errors() == []


def test_the_keyboard_reaches_the_content_first(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/overview?org=alpha")
    browser.press("Tab", "Tab", 9)
    assert browser.evaluate("document.activeElement.textContent") == "Skip to the content"
    browser.press("Enter", "Enter", 13)
    browser.wait_for("location.hash === '#content'")
    assert browser.evaluate("document.activeElement.id") == "content"
    # Then on through the page: the first tile's definition link is a tab stop.
    for _ in range(3):
        browser.press("Tab", "Tab", 9)
        if browser.evaluate("document.activeElement.classList.contains('definition')"):
            break
    assert browser.evaluate("document.activeElement.closest('.tile') !== null")


def test_text_from_the_data_is_never_html(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["alpha"])
    load(browser, f"{base(site)}/dashboard/events?org=alpha&period=2025/26")
    cells = browser.evaluate(
        "[...document.querySelectorAll('#table-events td')].map(td => td.textContent)"
    )
    assert "<img src=x onerror=alert(1)>Gala" in cells
    assert browser.evaluate("document.querySelectorAll('main img').length") == 0


def test_filters_change_what_the_page_shows(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["alpha"])
    load(browser, f"{base(site)}/dashboard/overview?org=alpha")
    assert browser.evaluate("document.getElementById('f-period').value") == "2025/26"
    everything = tile_text(browser, "M02")
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
    venue_only = tile_text(browser, "M02")
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
    assert tile_text(browser, "M02") == f"{earlier:,}"
    assert browser.errors() == []


def test_a_recipient_sees_benchmarks_but_not_operations(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["arts-council"])
    load(browser, f"{base(site)}/dashboard/benchmarks?org=peer2&period=2025/26")
    assert browser.evaluate("document.getElementById('viewer').value") == "arts-council"
    assert rendered(browser, "chart-kpis") and rendered(browser, "chart-distribution")
    help_text = browser.evaluate("document.getElementById('suppression-help').textContent")
    assert "fewer than 10 bookers" in help_text and "more than half" in help_text
    browser.goto(f"{base(site)}/dashboard/quality?org=peer2")
    browser.wait_for("document.body.dataset.ready === 'error'")
    assert "may not see" in browser.evaluate("document.getElementById('status').textContent")


def test_an_organisation_picks_the_recipient_from_a_list(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["alpha"])
    load(browser, f"{base(site)}/dashboard/benchmarks?org=alpha&period=2025/26")
    options = browser.evaluate("[...document.getElementById('viewer').options].map(o => o.value)")
    assert options == ["arts-council"]
    assert rendered(browser, "chart-kpis")


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
