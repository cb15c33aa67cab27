"""A small hand-made data set whose every metric was worked out by hand (test_metrics.py).

Organisation ``alpha`` is the one measured. ``beta`` reuses the *same* natural keys
(venue V1, event E1, instance I1, customer C1, order O1 …) with different values, so any
query that forgets to scope by organisation changes alpha's answers.

alpha, FY 2024/25 = 2024-04-01 .. 2025-03-31 (previous FY 2023/24):

  instances  I1  E1 V1 2024-05-10 19:30 cap 100
             I2  E1 V1 2024-05-11 19:30 cap 100
             I3  E2 V2 2024-12-20 14:00 cap 50
             I4  E2 V2 2024-12-21 14:00 cap 50   CANCELLED
             I5  E3 V1 2023-06-01 19:30 cap 80   (FY 2023/24)
             I6  E4 V1 2024-05-10 18:00 cap 20   SUPPLEMENTARY (add-on)
             I7  E2 V2 2025-02-01 19:00 cap NULL (unknown capacity)
             I8  E2 V2 2025-04-10 19:00 cap 50   (FY 2025/26)
             I9  E5 V1 2025-10-01 19:00 cap 60   (FY 2025/26)

  orders (customer, created, channel) and lines (kind instance face paid flags status)
    O1  C1 2024-04-01 10:00 online      1 ticket I1 20 20 | 2 ticket I1 20 15 conc
                                        3 supplementary I6 5 | 4 fee 2
    O2  C2 2024-05-10 12:00 box_office  1 ticket I1 20 0 comp | 2 ticket I2 20 20
    O3  C3 2024-05-01 09:00 phone       1 ticket I2 25 25 | 2 ticket I2 25 25 RETURNED
    O4  C1 2024-11-20 10:00 online      1 ticket I3 15 12 conc | 2 ticket I4 15 15
                                        3 donation 10
    O5  —  2024-12-20 13:00 box_office  1 ticket I3 15 15           (anonymous)
    O6  C5 2023-05-01 10:00 online      1 ticket I5 18 18
    O7  C1 2023-05-02 10:00 online      1 ticket I5 18 18
    O8  C4 2025-01-05 10:00 agent       1 ticket I7 30 30 | 2 ticket I7 30 30
                                        3 membership 40 | 4 product 8
    O9  C6 2024-03-15 10:00 online      1 ticket I1 20 18
    O10 C5 2025-03-30 10:00 online      1 ticket I8 15 15
    O11 C6 2025-04-01 10:00 online      1 ticket I8 15 15
    O12 C3 2025-09-01 10:00 online      1 ticket I9 20 20

  customers  C1 NE1 4ST (North East) · C2 M1 1AE (North West) · C3 SW1A 1AA (London)
             C4 no postcode · C5 LS1 4AP (Yorkshire and The Humber) · C6 NE2 1AB (North East)
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from houselights.model.schema import CANONICAL_TABLES, META_TABLES, Table
from houselights.warehouse import Session

_TABLES: dict[str, Table] = {t.name: t for t in (*CANONICAL_TABLES, *META_TABLES)}
_ARROW = {
    "text": pa.string(),
    "json": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "money": pa.decimal128(14, 2),
    "timestamp": pa.timestamp("us"),
    "double": pa.float64(),
}
_DEFAULTS = {"source": "test", "row_hash": "h", "load_id": "load-1", "lines_hash": "lh"}


def load(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` to ``table`` through ``Session.load_arrow`` (canonical defaults
    filled in; missing nullable columns NULL)."""
    spec = _TABLES[table]
    columns: dict[str, list[Any]] = {c.name: [] for c in spec.columns}
    for row in rows:
        for col in spec.columns:
            value = row.get(col.name, _DEFAULTS.get(col.name))
            if col.type == "money" and value is not None:
                value = Decimal(str(value))
            columns[col.name].append(value)
    data = pa.table({c.name: pa.array(columns[c.name], type=_ARROW[c.type]) for c in spec.columns})
    session.load_arrow(table, data)


def ts(text: str) -> datetime:
    """'2024-05-10 19:30' → datetime."""
    return datetime.fromisoformat(text)


def _org(org_id: str, region: str | None = None, artform: str | None = None) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "name": org_id.title(),
        "region": region,
        "artform": artform,
        "created_at": ts("2020-01-01 00:00"),
    }


def _inst(
    org: str,
    iid: str,
    eid: str,
    vid: str,
    start: str,
    cap: int | None,
    cancelled: bool = False,
    supp: bool = False,
) -> dict[str, Any]:
    return {
        "org_id": org,
        "instance_id": iid,
        "event_id": eid,
        "venue_id": vid,
        "starts_at": ts(start),
        "capacity": cap,
        "cancelled": cancelled,
        "is_supplementary": supp,
    }


def _line(
    org: str,
    order: str,
    no: int,
    kind: str,
    paid: float,
    *,
    inst: str | None = None,
    face: float | None = None,
    conc: bool = False,
    comp: bool = False,
    status: str = "issued",
    ticket_type: str | None = None,
) -> dict[str, Any]:
    return {
        "org_id": org,
        "order_id": order,
        "line_no": no,
        "kind": kind,
        "instance_id": inst,
        "face_value": face,
        "price_paid": paid,
        "is_concession": conc,
        "is_comp": comp,
        "status": status,
        "ticket_type": ticket_type,
    }


def load_alpha(session: Session) -> None:
    """The measured organisation (see the module docstring)."""
    a = "alpha"
    load(session, "organisations", [_org(a, "North East", "theatre")])
    load(
        session,
        "venues",
        [
            {
                "org_id": a,
                "venue_id": "V1",
                "name": "Main House",
                "postcode": "NE1 1AA",
                "region": "North East",
            },
            {
                "org_id": a,
                "venue_id": "V2",
                "name": "Studio",
                "postcode": "NE1 1AB",
                "region": "North East",
            },
        ],
    )
    load(
        session,
        "events",
        [
            {"org_id": a, "event_id": "E1", "name": "Macbeth", "season": "Spring 2024"},
            {"org_id": a, "event_id": "E2", "name": "Panto", "season": "Winter 2024"},
            {"org_id": a, "event_id": "E3", "name": "Old Show", "season": "2023"},
            {"org_id": a, "event_id": "E4", "name": "Pre-show Talk", "season": "Spring 2024"},
            {"org_id": a, "event_id": "E5", "name": "Autumn Gala", "season": "Autumn 2025"},
        ],
    )
    load(
        session,
        "instances",
        [
            _inst(a, "I1", "E1", "V1", "2024-05-10 19:30", 100),
            _inst(a, "I2", "E1", "V1", "2024-05-11 19:30", 100),
            _inst(a, "I3", "E2", "V2", "2024-12-20 14:00", 50),
            _inst(a, "I4", "E2", "V2", "2024-12-21 14:00", 50, cancelled=True),
            _inst(a, "I5", "E3", "V1", "2023-06-01 19:30", 80),
            _inst(a, "I6", "E4", "V1", "2024-05-10 18:00", 20, supp=True),
            _inst(a, "I7", "E2", "V2", "2025-02-01 19:00", None),
            _inst(a, "I8", "E2", "V2", "2025-04-10 19:00", 50),
            _inst(a, "I9", "E5", "V1", "2025-10-01 19:00", 60),
        ],
    )
    load(
        session,
        "customers",
        [
            {
                "org_id": a,
                "customer_id": "C1",
                "postcode": "NE1 4ST",
                "postcode_area": "NE",
                "postcode_district": "NE1",
                "region": "North East",
            },
            {
                "org_id": a,
                "customer_id": "C2",
                "postcode": "M1 1AE",
                "postcode_area": "M",
                "postcode_district": "M1",
                "region": "North West",
            },
            {
                "org_id": a,
                "customer_id": "C3",
                "postcode": "SW1A 1AA",
                "postcode_area": "SW",
                "postcode_district": "SW1A",
                "region": "London",
            },
            {"org_id": a, "customer_id": "C4"},
            {
                "org_id": a,
                "customer_id": "C5",
                "postcode": "LS1 4AP",
                "postcode_area": "LS",
                "postcode_district": "LS1",
                "region": "Yorkshire and The Humber",
            },
            {
                "org_id": a,
                "customer_id": "C6",
                "postcode": "NE2 1AB",
                "postcode_area": "NE",
                "postcode_district": "NE2",
                "region": "North East",
            },
        ],
    )
    orders = [
        ("O1", "C1", "2024-04-01 10:00", "online"),
        ("O2", "C2", "2024-05-10 12:00", "box_office"),
        ("O3", "C3", "2024-05-01 09:00", "phone"),
        ("O4", "C1", "2024-11-20 10:00", "online"),
        ("O5", None, "2024-12-20 13:00", "box_office"),
        ("O6", "C5", "2023-05-01 10:00", "online"),
        ("O7", "C1", "2023-05-02 10:00", "online"),
        ("O8", "C4", "2025-01-05 10:00", "agent"),
        ("O9", "C6", "2024-03-15 10:00", "online"),
        ("O10", "C5", "2025-03-30 10:00", "online"),
        ("O11", "C6", "2025-04-01 10:00", "online"),
        ("O12", "C3", "2025-09-01 10:00", "online"),
    ]
    load(
        session,
        "orders",
        [
            {"org_id": a, "order_id": o, "customer_id": c, "created_at": ts(t), "channel": ch}
            for o, c, t, ch in orders
        ],
    )
    load(
        session,
        "order_lines",
        [
            _line(a, "O1", 1, "ticket", 20, inst="I1", face=20, ticket_type="Standard"),
            _line(
                a, "O1", 2, "ticket", 15, inst="I1", face=20, conc=True, ticket_type="Concession"
            ),
            _line(a, "O1", 3, "supplementary", 5, inst="I6", face=5),
            _line(a, "O1", 4, "fee", 2),
            _line(a, "O2", 1, "ticket", 0, inst="I1", face=20, comp=True, ticket_type="Comp"),
            _line(a, "O2", 2, "ticket", 20, inst="I2", face=20),
            _line(a, "O3", 1, "ticket", 25, inst="I2", face=25),
            _line(a, "O3", 2, "ticket", 25, inst="I2", face=25, status="returned"),
            _line(a, "O4", 1, "ticket", 12, inst="I3", face=15, conc=True),
            _line(a, "O4", 2, "ticket", 15, inst="I4", face=15),
            _line(a, "O4", 3, "donation", 10),
            _line(a, "O5", 1, "ticket", 15, inst="I3", face=15),
            _line(a, "O6", 1, "ticket", 18, inst="I5", face=18),
            _line(a, "O7", 1, "ticket", 18, inst="I5", face=18),
            _line(a, "O8", 1, "ticket", 30, inst="I7", face=30),
            _line(a, "O8", 2, "ticket", 30, inst="I7", face=30),
            _line(a, "O8", 3, "membership", 40),
            _line(a, "O8", 4, "product", 8),
            _line(a, "O9", 1, "ticket", 18, inst="I1", face=20),
            _line(a, "O10", 1, "ticket", 15, inst="I8", face=15),
            _line(a, "O11", 1, "ticket", 15, inst="I8", face=15),
            _line(a, "O12", 1, "ticket", 20, inst="I9", face=20),
        ],
    )


def load_beta(session: Session) -> None:
    """A second organisation reusing alpha's natural keys with different values."""
    b = "beta"
    load(session, "organisations", [_org(b, "London", "music")])
    load(session, "venues", [{"org_id": b, "venue_id": "V1", "name": "Beta Hall"}])
    load(
        session,
        "events",
        [
            {"org_id": b, "event_id": "E1", "name": "Beta Concert", "season": "Spring 2024"},
            {"org_id": b, "event_id": "E2", "name": "Beta Jazz", "season": "Winter 2024"},
        ],
    )
    load(
        session,
        "instances",
        [
            _inst(b, "I1", "E1", "V1", "2024-05-10 19:30", 500),
            _inst(b, "I2", "E2", "V1", "2023-01-10 19:30", 500),
            _inst(b, "I4", "E2", "V1", "2024-12-21 14:00", 50),  # alpha's I4 is cancelled
            _inst(b, "I9", "E1", "V1", "2024-06-01 19:30", 300),
        ],
    )
    load(
        session,
        "customers",
        [
            {
                "org_id": b,
                "customer_id": "C1",
                "postcode": "E1 6AN",
                "postcode_area": "E",
                "postcode_district": "E1",
                "region": "London",
            },
            {
                "org_id": b,
                "customer_id": "C7",
                "postcode": "CF10 1AA",
                "postcode_area": "CF",
                "postcode_district": "CF10",
                "region": "Wales",
            },
        ],
    )
    load(
        session,
        "orders",
        [
            {
                "org_id": b,
                "order_id": "O1",
                "customer_id": "C1",
                "created_at": ts("2024-04-02 10:00"),
                "channel": "phone",
            },
            {
                "org_id": b,
                "order_id": "O2",
                "customer_id": "C7",
                "created_at": ts("2022-12-01 10:00"),
                "channel": "online",
            },
            {
                "org_id": b,
                "order_id": "O4",
                "customer_id": "C2",
                "created_at": ts("2024-12-01 10:00"),
                "channel": "online",
            },
            {
                "org_id": b,
                "order_id": "O13",
                "customer_id": "C3",
                "created_at": ts("2024-05-01 10:00"),
                "channel": "agent",
            },
        ],
    )
    load(
        session,
        "order_lines",
        [
            _line(b, "O1", 1, "ticket", 99, inst="I1", face=99),
            _line(b, "O1", 2, "ticket", 99, inst="I1", face=120, conc=True),
            _line(b, "O1", 3, "donation", 500),
            _line(b, "O2", 1, "ticket", 40, inst="I2", face=40),
            _line(b, "O4", 2, "ticket", 15, inst="I4", face=15),
            _line(b, "O13", 1, "ticket", 70, inst="I9", face=70),
            _line(b, "O13", 2, "membership", 70),
        ],
    )
    load(
        session,
        "runs",
        [
            {
                "run_id": "beta-run",
                "org_id": b,
                "kind": "backfill",
                "source": "spektrix",
                "status": "published",
                "started_at": ts("2025-01-03 09:00"),
            },
        ],
    )
    load(
        session,
        "quarantine",
        [
            {
                "run_id": "beta-run",
                "org_id": b,
                "table_name": "orders",
                "record_key": "X",
                "check_name": "not_null",
                "reason": "beta",
                "record": "{}",
            },
        ],
    )


def load_quality(session: Session) -> None:
    """Two exchange runs of alpha, their check results and quarantined rows."""
    a = "alpha"
    load(
        session,
        "runs",
        [
            {
                "run_id": "r1",
                "org_id": a,
                "kind": "backfill",
                "source": "spektrix",
                "status": "published",
                "started_at": ts("2025-01-01 09:00"),
                "finished_at": ts("2025-01-01 09:05"),
                "records_in": 100,
                "rows_staged": 100,
                "rows_published": 97,
                "rows_unchanged": 0,
                "rows_quarantined": 3,
            },
            {
                "run_id": "r2",
                "org_id": a,
                "kind": "incremental",
                "source": "spektrix",
                "status": "failed",
                "started_at": ts("2025-01-02 09:00"),
                "finished_at": ts("2025-01-02 09:01"),
                "records_in": 5,
                "rows_staged": 5,
                "rows_published": 0,
                "rows_unchanged": 0,
                "rows_quarantined": 0,
                "message": "check unique_order_id failed",
            },
        ],
    )
    load(
        session,
        "check_results",
        [
            {
                "run_id": "r1",
                "load_id": "r1-1",
                "org_id": a,
                "check_name": "postcode_format",
                "table_name": "customers",
                "policy": "quarantine_row",
                "outcome": "quarantined",
                "failing_rows": 2,
                "description": "postcode is a valid UK postcode",
            },
            {
                "run_id": "r1",
                "load_id": "r1-1",
                "org_id": a,
                "check_name": "not_null_price",
                "table_name": "order_lines",
                "policy": "quarantine_row",
                "outcome": "quarantined",
                "failing_rows": 1,
                "description": "price_paid is not null",
            },
            {
                "run_id": "r1",
                "load_id": "r1-1",
                "org_id": a,
                "check_name": "volume",
                "table_name": "orders",
                "policy": "warn",
                "outcome": "pass",
                "failing_rows": 0,
                "description": "volume within range",
            },
            {
                "run_id": "r2",
                "load_id": "r2-1",
                "org_id": a,
                "check_name": "unique_order_id",
                "table_name": "orders",
                "policy": "fail_run",
                "outcome": "fail",
                "failing_rows": 2,
                "description": "order_id is unique",
            },
        ],
    )
    load(
        session,
        "quarantine",
        [
            {
                "run_id": "r1",
                "org_id": a,
                "table_name": "customers",
                "record_key": "C98",
                "check_name": "postcode_format",
                "reason": "postcode 'XX' is not valid",
                "record": '{"customer_id": "C98"}',
            },
            {
                "run_id": "r1",
                "org_id": a,
                "table_name": "customers",
                "record_key": "C99",
                "check_name": "postcode_format",
                "reason": "postcode 'YY' is not valid",
                "record": '{"customer_id": "C99"}',
            },
            {
                "run_id": "r1",
                "org_id": a,
                "table_name": "order_lines",
                "record_key": "O50/1",
                "check_name": "not_null_price",
                "reason": "price_paid is NULL",
                "record": '{"order_id": "O50"}',
            },
        ],
    )
