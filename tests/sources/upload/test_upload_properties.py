"""Hypothesis properties: the reader round-trips any file; mapping keeps its invariants."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from upload_helpers import MINIMAL_HEADER, csv_bytes, read_all, table_rows

from houselights.sources.upload.mapping import UploadMapper

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]
DELIMITERS = [",", ";", "\t"]
DATE_STYLES: dict[str, Callable[[datetime], str]] = {
    "iso": lambda d: f"{d:%Y-%m-%d %H:%M}",
    "iso_t": lambda d: f"{d:%Y-%m-%dT%H:%M:%S}",
    "uk": lambda d: f"{d:%d/%m/%Y %H:%M}",
    "uk_short": lambda d: f"{d.day}/{d.month}/{d.year} {d.hour}:{d.minute:02d}",
    "uk_dash": lambda d: f"{d:%d-%m-%Y %H:%M}",
}
MONEY_STYLES: dict[str, Callable[[int], str]] = {
    "plain": lambda p: f"{'-' if p < 0 else ''}{abs(p) // 100}.{abs(p) % 100:02d}",
    "pound": lambda p: f"{'-' if p < 0 else ''}£{abs(p) // 100}.{abs(p) % 100:02d}",
    "thousands": lambda p: f"{'-' if p < 0 else ''}£{abs(p) // 100:,}.{abs(p) % 100:02d}",
    "spaced": lambda p: f"  {'-' if p < 0 else ''}{abs(p) / 100:.2f} ",
}
# Text that exercises quoting: delimiters, quotes, line breaks, £, accents, € (all in
# Windows-1252 so every encoding can carry them).
TEXT_ALPHABET = "abcXYZ 019,;\t\"'\n£é€’–-&()/"
texts = st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=12).map(str.strip).filter(bool)
ids = st.text(alphabet="ABC123-", min_size=1, max_size=6)
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))


@st.composite
def upload_files(draw: st.DrawFn) -> dict[str, Any]:
    """A consistent set of orders over a few events and instances."""
    event_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    events = {e: draw(texts) for e in event_ids}
    instance_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    instances = {
        i: (draw(st.sampled_from(event_ids)), draw(moments), draw(texts))
        for i in instance_ids
    }
    order_ids = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    orders = {o: (draw(moments), draw(st.one_of(st.just(""), ids))) for o in order_ids}
    lines = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        order_id = draw(st.sampled_from(order_ids))
        instance_id = draw(st.sampled_from(instance_ids))
        lines.append({
            "order_id": order_id,
            "instance_id": instance_id,
            "ticket_type": draw(texts),
            "face": draw(st.integers(min_value=0, max_value=2_000_000)),
            "paid": draw(st.integers(min_value=-100_000, max_value=2_000_000)),
        })
    return {"events": events, "instances": instances, "orders": orders, "lines": lines}


def _rows(data: dict[str, Any], date_style: str, money_style: str) -> list[list[str]]:
    date, money = DATE_STYLES[date_style], MONEY_STYLES[money_style]
    rows = []
    for line in data["lines"]:
        created, customer = data["orders"][line["order_id"]]
        event_id, start, venue = data["instances"][line["instance_id"]]
        rows.append([
            line["order_id"], date(created), customer, "", event_id,
            data["events"][event_id], line["instance_id"], date(start), venue, "ticket",
            line["ticket_type"], money(line["face"]), money(line["paid"]),
        ])
    return rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=upload_files(),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from(DELIMITERS),
    date_style=st.sampled_from(sorted(DATE_STYLES)),
    money_style=st.sampled_from(sorted(MONEY_STYLES)),
)
def test_reader_round_trips_every_encoding_delimiter_and_date_format(
    data: dict[str, Any], encoding: str, delimiter: str, date_style: str, money_style: str
) -> None:
    body = csv_bytes(MINIMAL_HEADER, _rows(data, date_style, money_style),
                     delimiter=delimiter, encoding=encoding)
    if encoding == "cp1252":
        # Windows-1252 bytes that also happen to be valid UTF-8 are read as UTF-8, as
        # documented; such a file is ambiguous, not a reader bug.
        try:
            body.decode("utf-8")
            assume(body.isascii())
        except UnicodeDecodeError:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_bytes(body)
        result = read_all(path, chunk_rows=3)
    assert result.rejected == []
    assert result.reader.detected.delimiter == delimiter
    expected_encoding = "utf-8" if encoding == "cp1252" and body.isascii() else encoding
    assert result.reader.detected.encoding == expected_encoding
    seen: Counter[str] = Counter()
    expected_lines = []
    for line in data["lines"]:
        seen[line["order_id"]] += 1
        expected_lines.append((
            line["order_id"], seen[line["order_id"]], line["instance_id"],
            data["instances"][line["instance_id"]][0], line["ticket_type"],
            Decimal(line["face"]).scaleb(-2), Decimal(line["paid"]).scaleb(-2),
        ))
    assert [
        (x["order_id"], x["line_no"], x["instance_id"], x["event_id"], x["ticket_type"],
         x["face_value"], x["price_paid"])
        for x in result.tables["order_lines"]
    ] == expected_lines
    assert {e["event_id"]: e["name"] for e in result.tables["events"]} == {
        e: n for e, n in data["events"].items()
        if any(data["instances"][x["instance_id"]][0] == e for x in data["lines"])}
    for instance in result.tables["instances"]:
        _, start, _venue = data["instances"][instance["instance_id"]]
        assert instance["starts_at"] == start
    for order in result.tables["orders"]:
        created, customer = data["orders"][order["order_id"]]
        assert order["created_at"] == created and order["customer_id"] == (customer or None)
    assert {v["name"] for v in result.tables["venues"]} <= {
        venue for _, _, venue in data["instances"].values()}


# ---------------------------------------------------------------- mapping invariants
def _pick(options: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


messy_lines = st.fixed_dictionaries({
    "order_id": _pick(["O1", "O2", "O3", "O4", "", " O1 "]),
    "order_date": _pick(["2024-01-01 10:00", "01/01/2024 10:00", "02/01/2024", "31/02/2024",
                         "", "soon"]),
    "customer_id": _pick(["C1", "C2", ""]),
    "customer_postcode": _pick(["NE1 4ST", "ne14st", "bad", ""]),
    "channel": _pick(["online", "phone", ""]),
    "event_id": _pick(["E1", "E2", ""]),
    "event_name": _pick(["Hamlet", "Macbeth", ""]),
    "season": _pick(["Spring", ""]),
    "instance_id": _pick(["I1", "I2", "I3", ""]),
    "instance_start": _pick(["2024-02-01 19:30", "01/02/2024 19:30", "2024-02-02 14:30",
                             "2024-13-01", ""]),
    "capacity": _pick(["100", "200", "many", ""]),
    "venue": _pick(["Main House", "Studio", ""]),
    "line_type": _pick(["ticket", "supplementary", "fee", "donation", "product",
                        "membership", "voucher", ""]),
    "ticket_type": _pick(["Full", "Student", "Comp", ""]),
    "item_id": _pick(["X1", "X2", ""]),
    "face_value": _pick(["20", "0", "£5.50", "abc", ""]),
    "price_paid": _pick(["20", "0", "-£1.50", "12,50", ""]),
    "status": _pick(["", "issued", "Refunded", "lost"]),
    "comp": _pick(["", "yes", "no", "maybe"]),
})


def _map(lines: list[dict[str, str]], chunk: int) -> dict[str, Any]:
    mapper = UploadMapper("f.csv")
    out: dict[str, Any] = {"rejected": [], "raw": [], "batches": 0}
    for number, cells in enumerate(lines, start=2):
        mapper.add(number, {k: v for k, v in cells.items() if v})
        if mapper.pending >= chunk:
            _take(out, mapper)
    _take(out, mapper)
    return out


def _take(out: dict[str, Any], mapper: UploadMapper) -> None:
    batch = mapper.flush()
    out["batches"] += 1
    for name in batch.tables:
        out.setdefault(name, []).extend(table_rows(batch, name))
    out["rejected"].extend(batch.rejected)
    out["raw"].extend(batch.raw)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(messy_lines, min_size=1, max_size=30),
       chunk=st.integers(min_value=1, max_value=8))
def test_mapping_invariants(lines: list[dict[str, str]], chunk: int) -> None:
    out = _map(lines, chunk)
    n = len(lines)
    order_lines = out.get("order_lines", [])
    rejected = out["rejected"]
    # Every line is mapped or rejected, exactly once, and kept raw exactly once.
    assert len(order_lines) + len(rejected) == n
    assert sorted(r.payload["line"] for r in out["raw"]) == list(range(2, n + 2))
    rejected_lines = [r.record["line"] for r in rejected]
    assert len(set(rejected_lines)) == len(rejected_lines)
    assert all(r.reason.startswith(f"line {r.record['line']}") for r in rejected)
    # line_no is 1..k per order, in file order, over the mapped lines.
    mapped_per_order = Counter(x["order_id"] for x in order_lines)
    for order_id, count in mapped_per_order.items():
        numbers = [x["line_no"] for x in order_lines if x["order_id"] == order_id]
        assert numbers == list(range(1, count + 1))
    # Rejections name their order (when the line has one) so the order is held back.
    for r in rejected:
        given_id = (r.record["values"].get("order_id") or "").strip()
        assert r.order_id == (given_id or None)
    # Entities once; references resolve within the upload.
    for table, key in [("orders", "order_id"), ("events", "event_id"),
                       ("instances", "instance_id"), ("venues", "venue_id"),
                       ("customers", "customer_id"), ("items", "item_id")]:
        keys = [row[key] for row in out.get(table, [])]
        assert len(keys) == len(set(keys)), table
    orders = {o["order_id"] for o in out.get("orders", [])}
    assert set(mapped_per_order) <= orders
    instances = {i["instance_id"] for i in out.get("instances", [])}
    for x in order_lines:
        if x["kind"] in ("ticket", "supplementary"):
            assert x["instance_id"] in instances
            assert x["face_value"] is not None and x["ticket_type"]
        assert x["status"] in ("issued", "returned", "cancelled")
    # Deterministic, and independent of the chunk size.
    again = _map(lines, n + 1)
    for table in ("order_lines", "orders", "events", "instances", "venues", "customers",
                  "items"):
        assert again.get(table, []) == out.get(table, [])
    assert [r.reason for r in again["rejected"]] == [r.reason for r in rejected]
    assert [r.payload for r in again["raw"]] == [r.payload for r in out["raw"]]


@settings(max_examples=60, deadline=None)
@given(start=moments, style=st.sampled_from(sorted(DATE_STYLES)),
       minutes=st.integers(min_value=0, max_value=10_000))
def test_same_moment_in_any_style_is_the_same_order_date(start: datetime, style: str,
                                                         minutes: int) -> None:
    other = start + timedelta(minutes=minutes)
    lines = [
        {"order_id": "O", "order_date": DATE_STYLES["iso"](start), "line_type": "fee",
         "price_paid": "1"},
        {"order_id": "O", "order_date": DATE_STYLES[style](start), "line_type": "fee",
         "price_paid": "1"},
        {"order_id": "O", "order_date": DATE_STYLES[style](other), "line_type": "fee",
         "price_paid": "1"},
    ]
    out = _map(lines, 10)
    assert [x["line_no"] for x in out["order_lines"]] == ([1, 2, 3] if minutes == 0 else
                                                          [1, 2])
    assert len(out["rejected"]) == (0 if minutes == 0 else 1)
