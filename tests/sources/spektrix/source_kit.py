"""Helpers for the Spektrix *source* tests (the simulator's own tests use conftest.py).

Imported by the ``test_source_*`` modules: build an in-process houselights on a test
warehouse, connect an organisation to a running simulator, snapshot the canonical tables,
and compute what the warehouse must hold from the simulator's truth — independently of
the connector's mapping code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.model.postcodes import normalise_postcode
from houselights.model.schema import CANONICAL_TABLES
from houselights.orgs import service as orgs
from houselights.services.connections import sync
from houselights.sources.kit.connections import save_connection
from houselights.sources.kit.runner import SyncSummary
from houselights.sources.kit.source import SyncRequest
from houselights.sources.spektrix.simulator import (
    ClientConfig,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)

ORG = "test-org"
TABLES = [t.name for t in CANONICAL_TABLES]


def realdata_dir() -> Path:
    """``shared/realdata`` used in place: beside the repository (as in CI), else the
    machine's copy. Missing is a failure, never a skip."""
    repo = Path(__file__).resolve().parents[3]
    for candidate in (repo.parent / "shared" / "realdata", Path("/work/shared/realdata")):
        if (candidate / "spektrix").is_dir():
            return candidate
    raise AssertionError(f"shared/realdata not found beside {repo} nor in /work/shared")


def sim_config(
    tickets: int = 2_500, name: str = "demo", seed: int = 3, **kw: Any
) -> SimulatorConfig:
    """One simulated client of ``tickets`` tickets."""
    variations = kw.pop("variations", None)
    client = ClientConfig(
        name=name,
        seed=seed,
        scale=ScaleConfig(tickets=tickets),
        **({"variations": variations} if variations else {}),
    )
    return SimulatorConfig(clients=(client,), **kw)


@contextmanager
def running(config: SimulatorConfig) -> Iterator[SpektrixSimulator]:
    with SpektrixSimulator(config).running() as sim:
        yield sim


def make_hl(tmp_path: Path, url: str) -> Houselights:
    """An in-process houselights on ``url`` with its data directory under ``tmp_path``."""
    return Houselights(data_dir=tmp_path / "data", database_url=url, secret_key="")


def settings_for(creds: dict[str, Any], client: str = "demo", **extra: Any) -> dict[str, Any]:
    """Connection settings (with secrets) for a simulated client's credentials entry."""
    return {
        "client": client,
        "base_url": creds["base_url"],
        "api_login": creds["api_login"],
        "api_key": creds["api_key"],
        "report_user": creds["report_user"],
        "report_password": creds["report_password"],
        "audit_report_url": creds["audit_report_url"],
        "request_budget": None,
        "backfill_chunk": 400,
        "backoff_seconds": 0.05,
        **extra,
    }


def store(hl: Houselights, values: dict[str, Any], org: str = ORG) -> None:
    """Create ``org`` (if needed) and store its Spektrix connection as given."""
    with hl.warehouse.connect() as s, s.transaction():
        if not s.fetchone("SELECT 1 FROM organisations WHERE org_id = ?", [org]):
            orgs.add_org(s, org, "Test Organisation")
    save_connection(hl, org, "spektrix", values)


def connect(
    hl: Houselights, sim: SpektrixSimulator, client: str = "demo", org: str = ORG, **extra: Any
) -> dict[str, Any]:
    """Create ``org`` (if needed) and connect it to the simulated ``client``."""
    creds = next(c for c in sim.credentials()["clients"] if c["client"] == client)
    store(hl, settings_for(creds, client, **extra), org)
    return creds


def sync_org(hl: Houselights, org: str = ORG, *, backfill_file: Path | None = None) -> SyncSummary:
    """``houselights sync`` in-process: backfill from ``backfill_file`` if given, then catch up."""
    return sync(hl, org, request=SyncRequest(backfill_file=backfill_file))


def write_order_ids(sim: SpektrixSimulator, path: Path, client: str = "demo") -> Path:
    """The historical order-ID export of ``client`` as a CSV file."""
    truth = sim.truth(client)
    lines = [
        "Order ID,Order Date",
        *(f"{o['id']},{o['firstTransactionDate']}" for o in truth.orders),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def snapshot(hl: Houselights, org: str = ORG) -> dict[str, list[tuple[Any, ...]]]:
    """Every canonical table of ``org`` without lineage columns, sorted."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with hl.warehouse.connect() as s:
        for table in CANONICAL_TABLES:
            cols = [c for c in table.column_names if c not in ("org_id", "load_id")]
            rows = s.fetchall(f"SELECT {', '.join(cols)} FROM {table.name} WHERE org_id = ?", [org])
            out[table.name] = sorted(tuple(r) for r in rows)
    return out


def _cents(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(Decimal("0.01"))


def kept_postcode(raw: str | None) -> str | None:
    """A postcode as the warehouse keeps it: normalised when a valid UK one, else as given
    (upper case, spaces tidied) — independently of the connector's code."""
    if not raw:
        return None
    info = normalise_postcode(raw)
    return info.postcode if info.valid else " ".join(raw.split()).upper()


def _ref(value: Any) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


MAPPED = {"ticket", "merchandise", "donation", "membership"}


def expected(truth: Any) -> dict[str, Any]:
    """What the warehouse must hold, computed from the simulator's truth directly (what
    each line is worth comes from the simulator's records, not from its payloads)."""
    supplementary = {i["id"] for i in truth.instances if i.get("attribute_ASSupplementaryEvent")}
    fees = {s["id"] for s in truth.stock_items if s.get("attribute_ASProductType") == "Fee"}
    orders, lines = {}, {}
    for o in truth.orders:
        orders[o["id"]] = (_ref(o["customer"]), o["firstTransactionDate"])
        rows = []
        for x in truth.lines[o["id"]]:
            if x.kind not in MAPPED:
                continue  # gift vouchers, ticket subscriptions: counted as findings
            kind = x.kind
            if kind == "ticket" and x.ref in supplementary:
                kind = "supplementary"
            elif kind == "merchandise":
                kind = "fee" if x.ref in fees else "product"
            rows.append((kind, x.ref, x.status, _cents(x.paid), _cents(x.face)))
        lines[o["id"]] = rows
    customers = {cid: kept_postcode(raw) for cid, raw in truth.postcodes.items()}
    names = {s["id"]: s["name"] for s in truth.statements}
    opted = {
        (cid, names[sid])
        for cid, prefs in truth.contact_preferences.items()
        for sid, on in prefs.items()
        if on
    }
    return {
        "orders": orders,
        "lines": lines,
        "customers": customers,
        "opted_in": opted,
        "audit_rows": len({tuple(sorted(r.items())) for r in truth.audit}),
    }


def actual(hl: Houselights, org: str = ORG) -> dict[str, Any]:
    """The same shape as :func:`expected`, read from the warehouse."""
    with hl.warehouse.connect() as s:
        orders = {
            r[0]: (r[1], r[2].isoformat(timespec="seconds"))
            for r in s.fetchall(
                "SELECT order_id, customer_id, created_at FROM orders WHERE org_id = ?", [org]
            )
        }
        lines: dict[str, list[tuple[Any, ...]]] = {o: [] for o in orders}
        for r in s.fetchall(
            "SELECT order_id, kind, instance_id, item_id, status, price_paid, face_value"
            " FROM order_lines WHERE org_id = ? ORDER BY order_id, line_no",
            [org],
        ):
            ref = r[2] if r[2] is not None else r[3].split(":", 1)[1]
            lines.setdefault(r[0], []).append((r[1], ref, r[4], Decimal(r[5]), Decimal(r[6])))
        customers = dict(
            s.fetchall("SELECT customer_id, postcode FROM customers WHERE org_id = ?", [org])
        )
        opted = {
            (r[0], r[1])
            for r in s.fetchall(
                "SELECT customer_id, statement FROM contact_preferences WHERE org_id = ?"
                " AND opted_in",
                [org],
            )
        }
        audit_rows = s.scalar(
            "SELECT COUNT(*) FROM contact_preference_changes WHERE org_id = ?", [org]
        )
    return {
        "orders": orders,
        "lines": lines,
        "customers": customers,
        "opted_in": opted,
        "audit_rows": audit_rows,
    }
