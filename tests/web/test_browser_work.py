"""Work done from the browser, through the API with the signed-in token's permissions:
drop a box office export on the upload area and see it published with its row errors in
a table; sync a connection now and see the job it started.

Real app under uvicorn, real headless Chromium (tests/web/browser.py); the file is made
by the upload generator and one of its dates broken here.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from houselights.jobs.embedded import EmbeddedScheduler, RetryPolicy
from houselights.jobs.store import get_job
from houselights.orgs.service import add_org, set_connection
from houselights.sources.upload.generate import generate_upload
from tests.api.world import Served, serve_world

from .browser import Browser
from .test_dashboard import base, load, sign_in

pytestmark = pytest.mark.browser

ORG = "upload-org"
DOWN_ORG = "closed-office"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_world(tmp_path_factory.mktemp("work")) as served:
        with served.hl.warehouse.connect() as s, s.transaction():
            add_org(s, ORG, "Upload Org")
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.close()


def broken_file(folder: Path) -> tuple[str, str]:
    """A generated export with one impossible order date; the date as written."""
    path = folder / "sales.csv"
    generate_upload(path, lines=300, seed=5)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("Order Date")] = "31/02/2025"
    lines[5] = ",".join(cells)
    return "\n".join(lines) + "\n", "31/02/2025"


def drop(browser: Browser, text: str, name: str) -> None:
    """Drop a file holding ``text`` on the upload area, as a drag from the desktop."""
    browser.evaluate(
        f"(() => {{ const file = new File([{json.dumps(text)}], {json.dumps(name)},"
        " { type: 'text/csv' }); const data = new DataTransfer(); data.items.add(file);"
        " document.getElementById('dropzone').dispatchEvent(new DragEvent('drop',"
        " { dataTransfer: data, bubbles: true, cancelable: true })); return true; })()"
    )


def test_a_dropped_file_is_published_with_its_row_errors(
    browser: Browser, site: Served, tmp_path: Path
) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/connections?org={ORG}")
    text, bad = broken_file(tmp_path)
    drop(browser, text, "sales.csv")
    outcome = browser.wait_for("document.getElementById('upload-result').dataset.outcome", 120)
    assert outcome == "published", browser.evaluate(
        "document.getElementById('upload-result').textContent"
    )
    errors = browser.evaluate(
        "[...document.querySelectorAll('#table-row-errors tbody tr')]"
        ".map(r => [...r.cells].map(c => c.textContent))"
    )
    assert any(row[0] == "6" and bad in row[2] for row in errors), errors
    runs = site.get(f"/api/v1/orgs/{ORG}/runs", site.tokens["admin"]).json()["items"]
    assert runs and runs[0]["rows_published"] > 0
    assert browser.errors() == []


def test_a_refused_file_says_why_and_publishes_nothing(browser: Browser, site: Served) -> None:
    sign_in(browser, site, site.tokens["admin"])
    load(browser, f"{base(site)}/dashboard/connections?org={ORG}")
    before = len(site.get(f"/api/v1/orgs/{ORG}/runs", site.tokens["admin"]).json()["items"])
    drop(browser, "Order ID,Order Date\n1,2024-01-01\n", "columns.csv")
    outcome = browser.wait_for("document.getElementById('upload-result').dataset.outcome", 60)
    assert outcome == "refused"
    message = browser.evaluate("document.getElementById('upload-result').textContent")
    assert message.startswith("Not published:") and "Traceback" not in message
    after = site.get(f"/api/v1/orgs/{ORG}/runs", site.tokens["admin"]).json()["items"]
    assert len([r for r in after if r["status"] == "published"]) <= before


def test_sync_now_queues_a_job_and_pause_resume_switch(browser: Browser, site: Served) -> None:
    admin = site.tokens["admin"]
    sign_in(browser, site, admin)
    load(browser, f"{base(site)}/dashboard/connections?org=alpha")
    browser.evaluate("document.querySelector('[data-sync=\"spektrix\"]').click(); true")
    job = browser.wait_for("document.getElementById('action-spektrix').dataset.job", 30)
    jobs = site.get("/api/v1/orgs/alpha/jobs", admin).json()["items"]
    assert job in {j["id"] for j in jobs}
    browser.wait_for(
        "[...document.querySelectorAll('#table-jobs tbody tr')]"
        f".some(r => r.cells[0].textContent === {json.dumps(job)})"
    )
    # Pause: the button becomes Resume and the connection is paused through the API.
    browser.evaluate("document.querySelector('[data-pause=\"spektrix\"]').click(); true")
    browser.wait_for("document.querySelector('[data-pause=\"spektrix\"]').textContent === 'Resume'")
    status = site.get("/api/v1/orgs/alpha/connections/spektrix", admin).json()["status"]
    assert status == "paused"
    # Sync now is refused while paused, and the page says why.
    browser.evaluate(
        "document.getElementById('action-spektrix').textContent = '';"
        "document.querySelector('[data-sync=\"spektrix\"]').click(); true"
    )
    message = browser.wait_for("document.getElementById('action-spektrix').textContent", 30)
    assert "paused" in message.lower()
    browser.evaluate("document.querySelector('[data-pause=\"spektrix\"]').click(); true")
    browser.wait_for("document.querySelector('[data-pause=\"spektrix\"]').textContent === 'Pause'")
    assert site.get("/api/v1/orgs/alpha/connections/spektrix", admin).json()["status"] != "paused"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_sync_now_runs_and_a_failing_box_office_shows_as_failed(
    browser: Browser, site: Served
) -> None:
    """Sync now queues a job; the server's scheduler runs it (here one tick, in process);
    a box office that does not answer leaves the job failed, with its error, on the page."""
    admin = site.tokens["admin"]
    with site.hl.warehouse.connect() as s, s.transaction():
        add_org(s, DOWN_ORG, "Closed Office")
        set_connection(
            s,
            site.hl.vault,
            DOWN_ORG,
            "spektrix",
            {
                "client": "closedoffice",
                "api_login": "api-user",
                "base_url": f"http://127.0.0.1:{_closed_port()}",
                "retries": 0,
            },
            {"api_key": "U0VDUkVUS0VZ", "report_password": "pw"},
        )
    sign_in(browser, site, admin)
    load(browser, f"{base(site)}/dashboard/connections?org={DOWN_ORG}")
    browser.evaluate("document.querySelector('[data-sync=\"spektrix\"]').click(); true")
    job = browser.wait_for("document.getElementById('action-spektrix').dataset.job", 30)

    # Run this job only (another test's queued job names a box office off this machine).
    with site.hl.warehouse.connect() as s:
        queued = get_job(s, job)
    outcome = EmbeddedScheduler(site.hl, retry=RetryPolicy(max_attempts=1)).run_job(queued)
    assert outcome.result == "failed" and outcome.error

    jobs = site.get(f"/api/v1/orgs/{DOWN_ORG}/jobs", admin).json()["items"]
    record = next(j for j in jobs if j["id"] == job)
    assert record["status"] == "failed" and record["attempts"] == 1 and record["last_error"]
    load(browser, f"{base(site)}/dashboard/connections?org={DOWN_ORG}")
    row = browser.wait_for(
        "(() => { const r = [...document.querySelectorAll('#table-jobs tbody tr')]"
        f".find(r => r.cells[0].textContent === {json.dumps(job)});"
        " return r ? [...r.cells].map(c => c.textContent) : null; })()"
    )
    assert "failed" in row and record["last_error"] in row, row
    assert browser.errors() == []
