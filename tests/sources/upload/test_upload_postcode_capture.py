"""M22 on the upload path: an invalid postcode is not a captured postcode.

Uploaded end to end (read → map → stage → checks → publish) on both backends, then the
postcode capture rate is compared with a count made here from the file itself.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from houselights.context import Houselights
from houselights.insights import Filters, parse_period, reach
from houselights.orgs.service import add_org
from houselights.services import exchange as svc

HEADER = [
    "Order ID", "Order Date", "Customer ID", "Customer Postcode", "Event ID", "Event Name",
    "Instance ID", "Instance Start", "Venue", "Line Type", "Ticket Type", "Face Value",
    "Price Paid",
]
# Postcode as written → whether it is a valid UK postcode (decided by hand, not by the
# module under test).
WRITTEN = {
    "ne14st": True,
    "SW1A-1AA": True,  # a hyphen in place of the space
    "d02x285": True,  # an Irish Eircode
    "N/A": False,
    "UNKNOWN": False,
    "12345": False,
    "NE1 4S": False,
}


@pytest.fixture
def hl(tmp_path: Path, warehouse_url: str) -> Iterator[Houselights]:
    app = Houselights(data_dir=tmp_path / "data", database_url=warehouse_url)
    yield app
    app.close()


def test_invalid_postcodes_are_not_captured(hl: Houselights, tmp_path: Path) -> None:
    path = tmp_path / "sales.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for n, written in enumerate(WRITTEN, start=1):
            out.writerow([
                f"O{n}", "2024-05-01 10:00", f"C{n}", written, "E1", "Hamlet", "I1",
                "2024-06-02 19:30", "Main House", "ticket", "Full", "20.00", "20.00",
            ])
    with hl.warehouse.connect() as s, s.transaction(), contextlib.suppress(Exception):
        add_org(s, "riverside", "Riverside")
    svc.upload_file(hl, "riverside", path)
    with hl.warehouse.connect() as s:
        stored = dict(
            s.fetchall("SELECT customer_id, postcode FROM customers WHERE org_id = 'riverside'")
        )
        result = reach(s, Filters("riverside", parse_period("2024/25")))
    assert stored == {
        "C1": "NE1 4ST", "C2": "SW1A 1AA", "C3": "D02 X285",
        "C4": None, "C5": None, "C6": None, "C7": None,
    }
    valid = sum(WRITTEN.values())
    assert result.bookers == len(WRITTEN)
    assert result.bookers_with_postcode == valid
    assert result.postcode_capture_rate == pytest.approx(valid / len(WRITTEN))
