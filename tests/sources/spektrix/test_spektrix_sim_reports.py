"""Reports: the Customer Audit "Raw (XML)" link and the historical order-ID CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from defusedxml import ElementTree

from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SetupVariations,
    SimulatorConfig,
    SpektrixSimulator,
)


def _rows(xml: bytes) -> list[dict[str, str]]:
    root = ElementTree.fromstring(xml)
    assert root.tag == "Report"
    return [{child.tag: child.text or "" for child in row} for row in root.findall("Row")]


def test_audit_report_needs_a_collect_report_user(
    shared_sim: SpektrixSimulator, http_client: httpx.Client
) -> None:
    creds = shared_sim.credentials()["clients"][0]
    url = creds["audit_report_url"]
    anonymous = http_client.get(url)
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["WWW-Authenticate"]
    wrong = http_client.get(url, auth=(creds["report_user"], "not-the-password"))
    assert wrong.status_code == 401
    staff = http_client.get(url, auth=shared_sim.staff_login("demo"))
    assert staff.status_code == 403  # a real user, but without the Collect Report role
    api_key = http_client.get(url, auth=(creds["api_login"], creds["api_key"]))
    assert api_key.status_code == 401
    ok = http_client.get(url, auth=(creds["report_user"], creds["report_password"]))
    assert ok.status_code == 200
    assert ok.headers["Content-Type"].startswith("application/xml")


def test_audit_report_default_window_is_the_last_three_days(
    shared_sim: SpektrixSimulator, shared_truth: Any, http_client: httpx.Client
) -> None:
    creds = shared_sim.credentials()["clients"][0]
    response = http_client.get(creds["audit_report_url"],
                               auth=(creds["report_user"], creds["report_password"]))
    rows = _rows(response.content)
    # Simulated now is 2025-03-03 09:00 UTC: "3 days ago" starts at local midnight 28 Feb.
    expected = [a for a in shared_truth.audit if a["date"] >= "2025-02-28T00:00:00"]
    assert rows and len(rows) == len(expected)
    assert [
        {"CustomerId": a["customer_id"], "User": a["user"], "UpdateMethod": a["update_method"],
         "Narrative": a["narrative"], "Date": a["date"]} for a in expected
    ] == rows
    customers = {c["id"] for c in shared_truth.customers}
    assert all(r["CustomerId"] in customers for r in rows)


def test_audit_report_window_and_contact_preference_rows(
    shared_sim: SpektrixSimulator, shared_truth: Any, http_client: httpx.Client
) -> None:
    creds = shared_sim.credentials()["clients"][0]
    response = http_client.get(
        creds["audit_report_url"], params={"from": "2024-01-01", "to": "2024-06-30"},
        auth=(creds["report_user"], creds["report_password"]))
    rows = _rows(response.content)
    expected = [a for a in shared_truth.audit if "2024-01-01" <= a["date"][:10] <= "2024-06-30"]
    assert len(rows) == len(expected) > 50
    narratives = {r["Narrative"] for r in rows}
    statements = [s["name"] for s in shared_truth.statements]
    assert any("Contact preference" in n for n in narratives)
    assert any(n.startswith("Agreed to statement") for n in narratives)
    assert any(any(s in n for s in statements) and ("No" in n or "Withdrew" in n)
               for n in narratives)
    assert {r["UpdateMethod"] for r in rows} >= {"User", "AutoTag", "Bulk"}
    assert "spektrix\\autotagging" in {r["User"] for r in rows}
    bad = http_client.get(creds["audit_report_url"], params={"from": "soon"},
                          auth=(creds["report_user"], creds["report_password"]))
    assert bad.status_code == 400


def test_contact_preferences_follow_the_audit_trail(shared_truth: Any) -> None:
    names = {s["name"]: s["id"] for s in shared_truth.statements}
    state: dict[tuple[str, str], bool] = {}
    for row in shared_truth.audit:
        if "Contact preference" not in row["narrative"] and "statement" not in row["narrative"]:
            continue
        for name, sid in names.items():
            if name in row["narrative"]:
                agreed = "to Yes" in row["narrative"] or "Agreed" in row["narrative"]
                state[(row["customer_id"], sid)] = agreed
    for (customer, sid), agreed in state.items():
        assert shared_truth.contact_preferences[customer][sid] is agreed


def test_report_user_without_collect_role_is_refused() -> None:
    config = SimulatorConfig(clients=(ClientConfig(
        scale=ScaleConfig(tickets=500),
        variations=SetupVariations(report_user_has_collect_role=False)),))
    with SpektrixSimulator(config).running() as sim, httpx.Client() as client:
        creds = sim.credentials()["clients"][0]
        response = client.get(creds["audit_report_url"],
                              auth=(creds["report_user"], creds["report_password"]))
        assert response.status_code == 403
        assert "Collect Report" in response.text
        assert client.get(creds["order_ids_url"],
                          auth=(creds["report_user"], creds["report_password"])).status_code == 403


def test_historical_order_ids_csv(
    shared_sim: SpektrixSimulator, shared_truth: Any, http_client: httpx.Client
) -> None:
    creds = shared_sim.credentials()["clients"][0]
    assert http_client.get(creds["order_ids_url"]).status_code == 401
    response = http_client.get(creds["order_ids_url"],
                               auth=(creds["report_user"], creds["report_password"]))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["Order ID"] for r in rows] == shared_truth.order_ids
    assert rows[0]["Order Date"] == shared_truth.orders[0]["firstTransactionDate"]
