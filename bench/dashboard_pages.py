"""Benchmark: how long each dashboard page takes to become interactive on the demo data.

Builds the demo's warehouse (``houselights demo --no-serve``: five simulated Spektrix
organisations and one upload, in a temporary data directory), serves the real app under
uvicorn on 127.0.0.1, signs in headless Chromium (Debian's ``/usr/bin/chromium``, driven
as in ``tests/web/``) with an admin token, and loads every page ``--repeat`` times. A
page is *interactive* when its script has drawn every figure (``data-ready-ms``: ms from
navigation start, taken by the page itself). The reference in the same run is the
sign-in page, which loads the same scripts and asks the API nothing.

    .venv/bin/python bench/dashboard_pages.py                  # demo defaults
    .venv/bin/python bench/dashboard_pages.py --tickets 2000 --lines 5000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.server import running  # noqa: E402
from tests.web.browser import Browser  # noqa: E402

from houselights.api import create_app  # noqa: E402
from houselights.api.tokens import create_token  # noqa: E402
from houselights.cli.main import main as cli  # noqa: E402
from houselights.context import Houselights  # noqa: E402
from houselights.web.pages import PAGES  # noqa: E402

ORG = "northgate-theatre"


def page_urls(base: str) -> list[tuple[str, str]]:
    urls = []
    for page in PAGES:
        extra = ""
        if page.slug == "event":
            continue  # added below, with an event of the organisation
        if page.slug == "benchmarks":
            extra = "&viewer=demo-arts-council"
        urls.append((page.slug, f"{base}/dashboard/{page.slug}?org={ORG}{extra}"))
    return urls


def ready_ms(browser: Browser, url: str) -> float:
    browser.goto(url)
    state = browser.wait_for(
        "['true', 'error'].includes(document.body.dataset.ready) ? document.body.dataset.ready"
        " : ''",
        timeout=60,
    )
    if state != "true":
        status = browser.evaluate("document.getElementById('status').textContent")
        raise RuntimeError(f"{url}: {status}")
    return float(browser.evaluate("Number(document.body.dataset.readyMs)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=6_000, help="per Spektrix system")
    parser.add_argument("--lines", type=int, default=20_000, help="upload lines")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--screenshots", type=Path, help="also write a PNG of each page to this folder"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hl-bench-pages-") as tmp:
        data = Path(tmp)
        os.environ["HOUSELIGHTS_DATA_DIR"] = str(data)
        os.environ.pop("HOUSELIGHTS_DATABASE_URL", None)
        started = time.perf_counter()
        code = cli(
            ["demo", "--no-serve", "--tickets", str(args.tickets), "--lines", str(args.lines)]
        )
        if code != 0:
            raise SystemExit(f"demo failed ({code})")
        print(f"demo data built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        hl = Houselights()
        with hl.warehouse.connect() as s, s.transaction():
            token = create_token(s, "admin", label="bench").token
        browser = Browser()
        try:
            with running(create_app(hl)) as base:
                browser.goto(f"{base}/dashboard/sign-in")
                browser.evaluate(
                    f"sessionStorage.setItem('houselights.token', {json.dumps(token)})"
                )
                urls = page_urls(base)
                first_event = hl_first_event(hl)
                urls.insert(3, ("event", f"{base}/dashboard/event?org={ORG}&event={first_event}"))
                reference = []
                for _ in range(args.repeat):
                    browser.goto(f"{base}/dashboard/sign-in")
                    reference.append(
                        float(
                            browser.evaluate(
                                "performance.getEntriesByType('navigation')[0].loadEventEnd"
                            )
                        )
                    )
                print(
                    f"{'page':<14}{'median ms':>10}{'max ms':>10}   (interactive, "
                    f"{args.repeat} loads each)"
                )
                print(
                    f"{'(sign-in)':<14}{statistics.median(reference):>10.0f}"
                    f"{max(reference):>10.0f}   reference: scripts only, no API call"
                )
                worst = 0.0
                for slug, url in urls:
                    ready_ms(browser, url)  # first load warms the insight facts
                    times = [ready_ms(browser, url) for _ in range(args.repeat)]
                    if args.screenshots:
                        browser.screenshot(args.screenshots / f"dashboard-{slug}.png")
                    worst = max(worst, max(times))
                    print(f"{slug:<14}{statistics.median(times):>10.0f}{max(times):>10.0f}")
                print(f"slowest page load: {worst:.0f} ms (target: under 1,000 ms)")
        finally:
            browser.close()
            hl.close()
    return 0


def hl_first_event(hl: Houselights) -> str:
    """The organisation's event with the most ticket lines."""
    with hl.warehouse.connect() as s:
        row = s.fetchone(
            "SELECT l.event_id FROM order_lines l WHERE l.org_id = ? AND l.event_id IS NOT NULL"
            " GROUP BY l.event_id ORDER BY COUNT(*) DESC, l.event_id LIMIT 1",
            [ORG],
        )
    assert row is not None
    return str(row[0])


if __name__ == "__main__":
    raise SystemExit(main())
