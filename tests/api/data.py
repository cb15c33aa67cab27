"""A small world for API and dashboard tests, published through real exchange runs.

* ``alpha`` — two venues, three events (one named like a spreadsheet formula, one like an
  HTML tag), performances in FY 2024/25 and FY 2025/26, 24 bookers, one order held back
  by a quality check (so runs, check results and quarantine are not empty), a Spektrix
  connection with secrets.
* ``beta`` and ``peer1`` … ``peer4`` — similar data of other sizes.
* grants: all six organisations grant ``arts-council`` benchmarks (a cohort of 6);
  ``alpha`` grants ``funder-r`` reports; nobody grants ``stranger``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from houselights.api.tokens import create_token
from houselights.context import Houselights
from houselights.exchange import Batch, ExchangeRun, RawRecord
from houselights.insights.facts import refresh_facts
from houselights.orgs.service import add_org, grant_access, set_connection

ORGS = ("alpha", "beta", "peer1", "peer2", "peer3", "peer4")
REGIONS = {
    "alpha": "North West",
    "beta": "London",
    "peer1": "North West",
    "peer2": "London",
    "peer3": "South West",
    "peer4": "North East",
}
FORMULA_EVENT = '=HYPERLINK("http://evil.example","x")'
HTML_EVENT = "<img src=x onerror=alert(1)>Gala"
POSTCODES = (
    ("M1 1AE", "M", "M1", "North West"),
    ("SW1A 1AA", "SW", "SW1A", "London"),
    ("NE1 4ST", "NE", "NE1", "North East"),
    ("LS1 4AP", "LS", "LS1", "Yorkshire and The Humber"),
)
CHANNELS = ("online", "box_office", "phone")


@dataclass
class World:
    """Tokens of every kind, by name."""

    tokens: dict[str, str]


def _batch(org: str, scale: int) -> Batch:
    """Catalogue, customers and orders of one organisation; ``scale`` sets its size."""
    batch = Batch(records_in=scale)
    batch.add(
        "venues",
        [
            {"venue_id": "v1", "name": "Main House", "postcode": "M1 1AE"},
            {"venue_id": "v2", "name": "Studio", "postcode": "M1 1AE"},
        ],
    )
    names = (
        ("Hamlet", FORMULA_EVENT, HTML_EVENT) if org == "alpha" else ("Play A", "Play B", "Play C")
    )
    batch.add(
        "events",
        [
            {"event_id": f"e{k}", "name": name, "season": "Spring" if k < 2 else "Autumn"}
            for k, name in enumerate(names)
        ],
    )
    starts = (
        datetime(2024, 6, 1, 19, 30),
        datetime(2024, 11, 2, 19, 30),
        datetime(2025, 2, 1, 14, 0),
        datetime(2025, 6, 7, 19, 30),
        datetime(2025, 10, 4, 19, 30),
        datetime(2026, 1, 10, 14, 0),
    )
    batch.add(
        "instances",
        [
            {
                "instance_id": f"i{k}",
                "event_id": f"e{k % 3}",
                "venue_id": "v1" if k % 2 else "v2",
                "starts_at": start,
                "capacity": 40,
                "cancelled": False,
                "is_supplementary": False,
            }
            for k, start in enumerate(starts)
        ],
    )
    customers = [f"c{k}" for k in range(scale)]
    batch.add(
        "customers",
        [
            {
                "customer_id": c,
                "postcode": POSTCODES[k % 4][0],
                "postcode_area": POSTCODES[k % 4][1],
                "postcode_district": POSTCODES[k % 4][2],
                "region": POSTCODES[k % 4][3],
            }
            for k, c in enumerate(customers)
        ],
    )
    orders, lines = [], []
    for k, customer in enumerate(customers):
        for visit in range(1 + k % 3):
            instance = (k + 2 * visit) % len(starts)
            order_id = f"o{k}-{visit}"
            orders.append(
                {
                    "order_id": order_id,
                    "customer_id": customer,
                    "created_at": starts[instance] - timedelta(days=3 + 7 * (k % 5)),
                    "channel": CHANNELS[(k + visit) % 3],
                    "lines_hash": "",
                }
            )
            for n in range(1 + k % 2):
                lines.append(
                    {
                        "order_id": order_id,
                        "line_no": n + 1,
                        "kind": "ticket",
                        "instance_id": f"i{instance}",
                        "event_id": f"e{instance % 3}",
                        "ticket_type": "Standard",
                        "face_value": Decimal("20.00"),
                        "price_paid": Decimal("20.00") if k % 4 else Decimal("15.00"),
                        "is_concession": k % 4 == 0,
                        "is_comp": False,
                        "status": "issued",
                    }
                )
    # One order whose line has an unknown status: the check quarantines the whole order.
    orders.append(
        {
            "order_id": "bad-1",
            "customer_id": customers[0],
            "created_at": datetime(2025, 5, 1, 10, 0),
            "channel": "online",
            "lines_hash": "",
        }
    )
    lines.append(
        {
            "order_id": "bad-1",
            "line_no": 1,
            "kind": "ticket",
            "instance_id": "i3",
            "event_id": "e0",
            "ticket_type": "Standard",
            "face_value": Decimal("20.00"),
            "price_paid": Decimal("20.00"),
            "is_concession": False,
            "is_comp": False,
            "status": "exploded",
        }
    )
    batch.add("orders", orders)
    batch.add("order_lines", lines)
    batch.raw.extend(RawRecord("orders", str(o["order_id"]), {"id": o["order_id"]}) for o in orders)
    return batch


def build_world(hl: Houselights) -> World:
    """Create the organisations, publish their data, grant access and make tokens."""
    sizes = {"alpha": 24, "beta": 30, "peer1": 14, "peer2": 18, "peer3": 22, "peer4": 26}
    with hl.warehouse.connect() as s, s.transaction():
        for org in ORGS:
            add_org(s, org, org.title(), region=REGIONS[org], artform="theatre")
        set_connection(
            s,
            hl.vault,
            "alpha",
            "spektrix",
            {"client": "alphatheatre", "api_login": "api-user"},
            {"api_key": "SUPERSECRETKEY==", "report_password": "hunter2"},
        )
    for org in ORGS:
        with ExchangeRun(hl.warehouse, org, source="upload", kind="upload") as run:
            run.publish(_batch(org, sizes[org]))
        # What the exchange may do after publishing: build the insight facts now, so the
        # first dashboard call does not (and concurrent first calls do not race).
        with hl.warehouse.connect() as s:
            refresh_facts(s, org)
    tokens: dict[str, str] = {}
    with hl.warehouse.connect() as s, s.transaction():
        for org in ORGS:
            grant_access(s, org, "arts-council", scope="benchmarks", by="test")
        grant_access(s, "alpha", "funder-r", scope="reports", by="test")
        tokens["admin"] = create_token(s, "admin").token
        for org in ORGS:
            tokens[org] = create_token(s, "org", org).token
        for recipient in ("arts-council", "funder-r", "stranger"):
            tokens[recipient] = create_token(s, "recipient", recipient).token
    return World(tokens)


def auth(token: str) -> dict[str, Any]:
    """Request headers carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}
