"""What the CLI does, through the API: upload, sync now, pause/resume, jobs, tokens."""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from houselights.api import create_app
from houselights.api.tokens import create_token
from houselights.context import Houselights
from houselights.jobs.embedded import EmbeddedScheduler, RetryPolicy

from .server import running

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources" / "spektrix"))
from source_kit import connect, sim_config
from source_kit import running as running_sim

HEADER = [
    "Order ID", "Order Date", "Customer ID", "Customer Postcode", "Event ID", "Event Name",
    "Instance ID", "Instance Start", "Venue", "Line Type", "Ticket Type", "Face Value",
    "Price Paid",
]


def line(order: str, **changes: str) -> list[str]:
    row = {
        "Order ID": order, "Order Date": "2024-03-01 10:00", "Customer ID": f"C{order}",
        "Customer Postcode": "NE1 4ST", "Event ID": "E1", "Event Name": "Hamlet",
        "Instance ID": "I1", "Instance Start": "2024-04-02 19:30", "Venue": "Main House",
        "Line Type": "ticket", "Ticket Type": "Full", "Face Value": "20.00",
        "Price Paid": "20.00", **changes,
    }
    return [row[h] for h in HEADER]


def csv_file(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


class Api:
    def __init__(self, hl: Houselights, http: httpx.Client, token: str) -> None:
        self.hl, self.http, self.token = hl, http, token

    def __call__(self, method: str, path: str, token: str | None = None,
                 **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.http.request(method, f"/api/v1{path}", headers=headers, **kw)


@pytest.fixture
def api(tmp_path: Path, warehouse_url: str) -> Iterator[Api]:
    hl = Houselights(data_dir=tmp_path / "data", database_url=warehouse_url, secret_key="")
    from houselights.orgs.service import add_org

    with hl.warehouse.connect() as s, s.transaction():
        add_org(s, "riverside", "Riverside Arts")
        add_org(s, "other", "Other Arts")
        token = create_token(s, "org", "riverside").token
    app = create_app(hl)
    try:
        with running(app) as base, httpx.Client(base_url=base, timeout=60) as http:
            yield Api(hl, http, token)
    finally:
        hl.close()


def test_upload_publishes_and_lists_row_errors(api: Api) -> None:
    rows = [line("O1"), line("O2", **{"Price Paid": "abc"}), line("O3"),
            line("O4", **{"Order Date": "31/02/2024", "Face Value": "x"})]
    answer = api("POST", "/orgs/riverside/uploads",
                 files={"file": ("sales.csv", csv_file(rows), "text/csv")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "published" and body["lines_read"] == 4
    assert body["rows_held_back"] == 2
    errors = body["row_errors"]
    # line numbers count the header as line 1
    by_row = {(e["row"], e["column"]): e for e in errors}
    assert by_row[(3, "Price Paid")]["value"] == "abc"
    assert "abc" in by_row[(3, "Price Paid")]["problem"]
    assert {(5, "Order Date"), (5, "Face Value")} <= set(by_row)
    assert by_row[(5, "Face Value")]["value"] == "x"
    with api.hl.warehouse.connect() as s:
        orders = s.fetchall("SELECT order_id FROM orders WHERE org_id = 'riverside' ORDER BY 1")
    assert [r[0] for r in orders] == ["O1", "O3"]
    # the run is the organisation's latest
    runs = api("GET", "/orgs/riverside/runs").json()["items"]
    assert runs[0]["run_id"] == body["run_id"]


def test_refused_upload_answers_422_with_its_row_errors(api: Api) -> None:
    rows = [line(f"B{i}", **{"Price Paid": "abc"}) for i in range(1_100)]
    answer = api("POST", "/orgs/riverside/uploads",
                 files={"file": ("bad.csv", csv_file(rows), "text/csv")})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_upload" and "\n" not in error["message"]
    assert "refused" in error["message"]
    assert len(error["row_errors"]) == 50  # capped as the CLI caps them
    assert error["row_errors"][0] == {
        "row": 2, "column": "Price Paid", "value": "abc",
        "problem": error["row_errors"][0]["problem"],
    }
    with api.hl.warehouse.connect() as s:
        assert s.scalar("SELECT COUNT(*) FROM orders WHERE org_id = 'riverside'") == 0
    empty = api("POST", "/orgs/riverside/uploads",
                files={"file": ("empty.csv", b"", "text/csv")})
    assert empty.status_code == 422 and empty.json()["error"]["row_errors"] == []


def test_upload_needs_manage_access(api: Api) -> None:
    answer = api("POST", "/orgs/other/uploads",
                 files={"file": ("sales.csv", csv_file([line("O1")]), "text/csv")})
    assert answer.status_code == 403
    assert set(answer.json()) == {"error"}


def test_sync_now_pause_resume_and_jobs(api: Api, tmp_path: Path) -> None:
    with running_sim(sim_config(tickets=300)) as sim:
        connect(api.hl, sim, org="riverside")
        queued = api("POST", "/orgs/riverside/connections/spektrix/sync")
        assert queued.status_code == 202, queued.text
        job = queued.json()
        assert job["status"] == "queued" and set(job) == {"job_id", "status"}
        again = api("POST", "/orgs/riverside/connections/spektrix/sync").json()
        assert again["job_id"] == job["job_id"]  # collapsed into the waiting one
        listed = api("GET", "/orgs/riverside/jobs").json()["items"]
        assert [j["id"] for j in listed] == [job["job_id"]]
        assert listed[0]["status"] == "queued" and listed[0]["attempts"] == 0
        if api.hl.warehouse.dialect == "duckdb":
            # the embedded scheduler takes it (serve runs one); a tick runs what is waiting
            ran = EmbeddedScheduler(api.hl, retry=RetryPolicy(max_attempts=2)).tick()
            assert ran.ran[job["job_id"]].result == "succeeded"
            done = api("GET", "/orgs/riverside/jobs").json()["items"][0]
            assert done["status"] == "succeeded" and done["attempts"] == 1
            assert done["started_at"] and done["finished_at"]
        paused = api("POST", "/orgs/riverside/connections/spektrix/pause")
        assert paused.status_code == 200
        assert paused.json()["paused"] is True and paused.json()["status"] == "paused"
        assert "api_key" in paused.json()["secrets"]
        assert paused.json()["secrets"]["api_key"] != sim.credentials()["clients"][0]["api_key"]
        statuses = {j["status"] for j in api("GET", "/orgs/riverside/jobs").json()["items"]}
        assert "queued" not in statuses  # a waiting sync is cancelled by the pause
        refused = api("POST", "/orgs/riverside/connections/spektrix/sync")
        assert refused.status_code == 409 and "paused" in refused.json()["error"]["message"]
        resumed = api("POST", "/orgs/riverside/connections/spektrix/resume").json()
        assert resumed["paused"] is False and resumed["status"] == "active"
    filtered = api("GET", "/orgs/riverside/jobs", params={"status": "running"}).json()
    assert filtered["items"] == []
    bad = api("GET", "/orgs/riverside/jobs", params={"status": "sleeping"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    assert api("GET", "/orgs/other/jobs").status_code == 403


def test_tokens_through_the_api(api: Api) -> None:
    created = api("POST", "/orgs/riverside/tokens", json={"label": "box office"})
    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "org" and body["subject"] == "riverside" and body["token"]
    new = body["token"]
    assert api("GET", "/me", token=new).json()["subject"] == "riverside"
    ids = [t["token_id"] for t in api("GET", "/orgs/riverside/tokens").json()["items"]]
    assert body["token_id"] in ids
    assert api("POST", "/tokens", json={"kind": "admin"}).status_code == 403
    revoked = api("DELETE", f"/orgs/riverside/tokens/{body['token_id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    deadline = time.monotonic() + 10
    while api("GET", "/me", token=new).status_code != 401:
        assert time.monotonic() < deadline
    with api.hl.warehouse.connect() as s, s.transaction():
        admin = create_token(s, "admin").token
    other = api("POST", "/tokens", token=admin, json={"kind": "org", "subject": "other"})
    assert other.status_code == 201 and other.json()["subject"] == "other"
    # an organisation cannot revoke another's token
    gone = api("DELETE", f"/orgs/riverside/tokens/{other.json()['token_id']}")
    assert gone.status_code == 404
    assert api("DELETE", f"/tokens/{other.json()['token_id']}", token=admin).status_code == 200


def test_health_and_metrics(api: Api) -> None:
    health = api.http.get("/health")
    assert health.status_code == 200 and health.json()["database"] == "ok"
    assert api.http.get("/metrics").status_code == 401
    refused = api.http.get("/metrics", headers={"Authorization": f"Bearer {api.token}"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    with api.hl.warehouse.connect() as s, s.transaction():
        admin = create_token(s, "admin").token
        from houselights.jobs import store

        store.enqueue(s, "riverside", "spektrix", "manual")
    text = api.http.get("/metrics", headers={"Authorization": f"Bearer {admin}"}).text
    # parsed with the Prometheus text parser, not by the code that wrote it
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(text)}
    queued = [s for s in families["houselights_jobs"].samples if s.labels["status"] == "queued"]
    assert queued[0].value == 1.0
    assert "houselights_sync_duration_seconds" in families
