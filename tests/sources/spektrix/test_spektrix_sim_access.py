"""Over real HTTP: signature checks, visibility by mode, permissions, partner toggle."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from houselights.sources.spektrix.auth import authorization_header, http_date
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SetupVariations,
    SimulatorConfig,
    SpektrixSimulator,
)


def _signed_headers(creds: dict[str, Any], method: str, url: str, date: str,
                    body: bytes | None, signer: Any) -> dict[str, str]:
    sig = signer(creds["api_key"], method, url, date, body)
    return {"Date": date, "Authorization": f"SpektrixAPI3 {creds['api_login']}:{sig}"}


def _target(url: str) -> str:
    return url.split("//", 1)[1].partition("/")[2].join(["/", ""])


class TestSignedRequestsOverHttp:
    def test_correct_signature_is_accepted(self, partner: Any) -> None:
        assert partner.get("events").status_code == 200

    def test_library_signer_is_accepted_too(self, shared_sim: SpektrixSimulator) -> None:
        creds = shared_sim.credentials()["clients"][0]
        url = f"{creds['base_url']}/orders/sync?since=2020-01-01T00:00:00"
        date = http_date()
        response = httpx.get(url, headers={
            "Date": date,
            "Authorization": authorization_header(creds["api_login"], creds["api_key"],
                                                  "GET", url, date),
        })
        assert response.status_code == 200

    def test_every_pitfall_is_401_with_a_json_message(
        self, shared_sim: SpektrixSimulator, signer: Any, raw: Any, now_gmt: Any
    ) -> None:
        creds = shared_sim.credentials()["clients"][0]
        root = shared_sim.root_url
        url = f"{creds['base_url']}/customers?email=a+b@example.com"
        path = _target(url)
        date = now_gmt()
        key = base64.b64decode(creds["api_key"])

        def hmac_b64(text: str, k: bytes = key) -> str:
            return base64.b64encode(hmac.new(k, text.encode(), hashlib.sha1).digest()).decode()

        auth = f"SpektrixAPI3 {creds['api_login']}:"
        stale = http_date(datetime.now(UTC) - timedelta(minutes=20))
        cases = {
            "path only": (path, {"Date": date, "Authorization":
                                 auth + signer(creds["api_key"], "GET", path, date)}),
            "hex hmac": (path, {"Date": date, "Authorization": auth + hmac.new(
                key, f"GET\n{url}\n{date}".encode(), hashlib.sha1).hexdigest()}),
            "undecoded key": (path, {"Date": date, "Authorization": auth + hmac_b64(
                f"GET\n{url}\n{date}", creds["api_key"].encode())}),
            "+0000 date": (path, {
                "Date": date.replace("GMT", "+0000"),
                "Authorization": auth + signer(creds["api_key"], "GET", url,
                                               date.replace("GMT", "+0000"))}),
            "re-encoded query": (path.replace("a+b@", "a%2Bb%40"), {
                "Date": date, "Authorization": auth + signer(creds["api_key"], "GET", url, date)}),
            "trailing slash": (path.replace("customers?", "customers/?"), {
                "Date": date, "Authorization": auth + signer(creds["api_key"], "GET", url, date)}),
            "stale date": (path, {"Date": stale, "Authorization":
                                  auth + signer(creds["api_key"], "GET", url, stale)}),
            "unknown login": (path, {"Date": date, "Authorization": "SpektrixAPI3 nobody:"
                                     + signer(creds["api_key"], "GET", url, date)}),
            "wrong host": (path, {"Date": date, "Host": "system.spektrix.com",
                                  "Authorization": auth + signer(creds["api_key"], "GET",
                                                                 url, date)}),
        }
        for name, (target, headers) in cases.items():
            status, body, _ = raw(root, "GET", target, headers)
            assert status == 401, name
            assert "message" in json.loads(body), name
        # The same request signed correctly passes auth (404: no customer with that email).
        good = _signed_headers(creds, "GET", url, date, None, signer)
        assert raw(root, "GET", path, good)[0] == 404

    def test_non_get_signs_the_body_line(
        self, shared_sim: SpektrixSimulator, signer: Any, raw: Any, now_gmt: Any
    ) -> None:
        creds = shared_sim.credentials()["clients"][0]
        url = f"{creds['base_url']}/customers/I-AK11-1ATK/tags"
        body = b'{"id":"11001ATRSBGDJMQQMCVKRJSQJPSBBHRPT"}'
        date = now_gmt()
        root = shared_sim.root_url
        good = _signed_headers(creds, "POST", url, date, body, signer)
        # Signature accepted; the simulator is read-only, so the route answers 404/405.
        assert raw(root, "POST", _target(url), good, body)[0] in (404, 405)
        twice = body.replace(b":", b": ")  # serialised again with different spacing
        assert raw(root, "POST", _target(url), good, twice)[0] == 401
        empty = _signed_headers(creds, "DELETE", url, date, b"", signer)
        assert raw(root, "DELETE", _target(url), empty)[0] in (404, 405)
        three_lines = {"Date": date, "Authorization": f"SpektrixAPI3 {creds['api_login']}:"
                       + signer(creds["api_key"], "GET", url, date)}
        assert raw(root, "DELETE", _target(url), three_lines)[0] == 401


class TestVisibilityByMode:
    def test_unsigned_sees_only_the_web_catalogue(
        self, partner: Any, shared_truth: Any
    ) -> None:
        web = partner.get("events", signed=False).json()
        owner = partner.get_json("events")
        assert owner == shared_truth.events
        assert 0 < len(web) < len(owner)
        owner_by_id = {e["id"]: e for e in owner}
        for event in web:
            full = owner_by_id[event["id"]]
            assert full["attribute_Website"] is True
            assert "attribute_InternalBudgetCode" not in event
            assert "attribute_InternalBudgetCode" in full
            assert full["lastInstanceDateTime"] >= "2024-03-03"  # archived events hidden
        archived = [e for e in owner if e["lastInstanceDateTime"] and
                    e["lastInstanceDateTime"] < "2024-03-03"]
        assert archived and not {e["id"] for e in archived} & {e["id"] for e in web}
        assert len(partner.get("instances", signed=False).json()) < len(
            partner.get_json("instances"))

    def test_unsigned_tag_groups_are_web_visible_only(self, partner: Any) -> None:
        web = partner.get("tag-groups", signed=False).json()
        owner = partner.get_json("tag-groups")
        assert {g["name"] for g in web} == {"Interests", "Access"}
        assert {"RFV", "Dotdigital"} <= {g["name"] for g in owner}
        assert len(partner.get("tags", signed=False).json()) < len(partner.get_json("tags"))
        assert len(partner.get("stock-items", signed=False).json()) < len(
            partner.get_json("stock-items"))

    def test_customers_and_orders_need_a_signature(
        self, partner: Any, shared_truth: Any
    ) -> None:
        order = shared_truth.orders[0]
        customer = shared_truth.customers[0]
        for path in (f"orders/{order['id']}", f"customers/{customer['id']}",
                     "orders/sync?since=2020-01-01",
                     "orders?DateFrom=2024-01-01&DateTo=2024-01-02"):
            response = partner.get(path, signed=False)
            assert response.status_code == 401, path
            assert "message" in response.json()
        assert partner.get_json(f"orders/{order['id']}") == order

    def test_api_user_without_system_owner_rights_gets_403(
        self, http_client: httpx.Client, make_partner: Any
    ) -> None:
        config = SimulatorConfig(clients=(ClientConfig(
            scale=ScaleConfig(tickets=500),
            variations=SetupVariations(api_user_is_system_owner=False)),))
        with SpektrixSimulator(config).running() as sim:
            p = make_partner(sim.credentials()["clients"][0])
            truth = sim.truth()
            assert p.get(f"orders/{truth.orders[0]['id']}").status_code == 403
            response = p.get(f"customers/{truth.customers[0]['id']}")
            assert response.status_code == 403 and "System Owner" in response.json()["message"]
            assert p.get("events").status_code == 200

    def test_unknown_client_and_route_are_404(self, partner: Any, http_client: httpx.Client,
                                              shared_sim: SpektrixSimulator) -> None:
        assert http_client.get(f"{shared_sim.root_url}/nosuch/api/v3/events").status_code == 404
        assert partner.get("no-such-thing").status_code == 404
        assert partner.get("events/123ABC").status_code == 404


class TestPartnerAccessToggle:
    def test_toggle_refuses_signed_calls_until_switched_back(
        self, sim: SpektrixSimulator, own_partner: Any, http_client: httpx.Client
    ) -> None:
        assert own_partner.get("events").status_code == 200
        sim.set_partner_access("demo", False)
        refused = own_partner.get("orders/sync", {"since": "2020-01-01"})
        assert refused.status_code == 403
        assert "withdrawn" in refused.json()["message"]
        assert own_partner.get("events").status_code == 403
        # The public (unsigned) web catalogue is not the partner's access.
        assert own_partner.get("events", signed=False).status_code == 200
        sim.set_partner_access("demo", True)
        assert own_partner.get("events").status_code == 200
        # The same through the simulator-only admin endpoint.
        admin = f"{sim.root_url}/_simulator/demo/partner-access"
        assert http_client.post(admin, params={"on": "false"}).json()["partner_access"] is False
        assert own_partner.get("events").status_code == 403
        assert http_client.post(admin, params={"on": "maybe"}).status_code == 400
        http_client.post(admin, params={"on": "true"})
        assert own_partner.get("events").status_code == 200

    def test_variation_starts_with_access_off(self, make_partner: Any) -> None:
        config = SimulatorConfig(clients=(ClientConfig(
            scale=ScaleConfig(tickets=500), variations=SetupVariations(partner_access=False)),))
        with SpektrixSimulator(config).running() as sim:
            assert make_partner(sim.credentials()["clients"][0]).get("events").status_code == 403
