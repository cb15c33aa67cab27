"""The Spektrix source: what a sync does, in the kit's terms.

* **Backfill** (``houselights sync SLUG --backfill ORDER_ID_FILE``): the catalogue, then
  the file's orders with their new customers, a checkpoint every ``backfill_chunk``
  orders (a killed process resumes at the last one), then the whole Customer Audit trail,
  which also sets where the change feeds start. A file already loaded is not read again.
* **Incremental** (every sync): catalogue lists that changed, orders changed since the
  stored position (``orders/sync`` or date windows), the audit rows since the last seen
  and the customers they name — one load, so a failure anywhere publishes nothing (a very
  long feed is checkpointed every few thousand orders).
* Replay maps the kept catalogue lists first, then orders and customers, then the audit.

Contact preferences: the customer record's ``agreedStatements`` is the current state
(spec §14.3); the Customer Audit is its history. Only on a system whose customer records
do not show agreed statements are current preferences derived from the audit narratives.
That a system shows them is learnt from the first such record and kept as the
``customer_records`` stream state, committed with the data (so a resumed backfill knows).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from pathlib import Path
from typing import Any

from houselights.errors import InputError
from houselights.exchange.batch import Batch, RawRecord
from houselights.exchange.state import StreamState
from houselights.sources.kit.runner import merge_batches
from houselights.sources.kit.setup import SetupCheckResult
from houselights.sources.kit.source import RunPlan, Source, Stream, SyncRequest

from .batches import RECORDS_STATE, audit_batch, orders_batch
from .client import SpektrixClient
from .mapping import CatalogueIndex
from .payloads import order_customer
from .reports import read_order_ids
from .settings import SpektrixSettings
from .streams import AuditStream, BackfillStream, CatalogueStream, FeedStream, fetch_by_id

__all__ = ["SpektrixSource"]


class SpektrixSource(Source[SpektrixSettings]):
    """Spektrix API v3 in System Owner mode, the Customer Audit report and the one-off
    historical order-ID export (the Activity Stream integration guide)."""

    name = "spektrix"
    title = "Spektrix"
    conformance = "houselights.sources.spektrix.testing:HARNESS"
    settings_model = SpektrixSettings
    summary = "Spektrix API v3 (signed), Customer Audit report, historical order-ID backfill"

    def __init__(self, hl: Any, org_id: str, settings: SpektrixSettings) -> None:
        super().__init__(hl, org_id, settings)
        self.index = CatalogueIndex()
        self._api: SpektrixClient | None = None
        self._fetched: set[str] = set()
        self._all_customers: set[str] | None = None
        self.shows_statements = False
        """Whether this system's customer records show ``agreedStatements``."""

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def api(self) -> SpektrixClient:
        """The open client (between :meth:`open` and :meth:`close`)."""
        if self._api is None:
            raise RuntimeError("the Spektrix source is not open")  # programming error
        return self._api

    async def open(self) -> None:
        self.shows_statements = self.state(RECORDS_STATE) is not None
        self._api = SpektrixClient(self.settings)
        await self._api.__aenter__()

    async def close(self) -> None:
        if self._api is not None:
            await self._api.__aexit__(None, None, None)

    def client_stats(self) -> dict[str, int]:
        if self._api is None:
            return {}
        stats = self._api.stats
        return {
            "requests": stats.requests,
            "retries": stats.retries,
            "rate_limited": stats.rate_limited,
        }

    # --- the plan --------------------------------------------------------------------------

    def plan(self, request: SyncRequest) -> list[RunPlan]:
        if request.files:
            raise InputError(
                "A Spektrix sync reads from the Spektrix API, not from data files.",
                hint="Load a file in the upload template with `houselights upload SLUG FILE`; "
                "the one-off order-ID export goes to `houselights sync SLUG --backfill FILE`.",
            )
        plans: list[RunPlan] = []
        if request.backfill_file is not None:
            plan = self._backfill_plan(request.backfill_file)
            if plan is not None:
                plans.append(plan)
        if request.incremental:
            plans.append(
                RunPlan(
                    "incremental",
                    [CatalogueStream(self), FeedStream(self), AuditStream(self)],
                    {"feed": self.settings.orders_feed},
                )
            )
        return plans

    def _backfill_plan(self, path: Path) -> RunPlan | None:
        ids_file = read_order_ids(path)
        state = self.state("orders_backfill")
        cp = (state.checkpoint if state else None) or {}
        same = cp.get("sha256") == ids_file.sha256
        start = int(cp.get("position", 0)) if same else 0
        self.notes["backfill_total"] = len(ids_file.ids)
        self.notes["backfill_resumed_at"] = start or None
        if same and cp.get("complete"):
            self.warn(
                f"The backfill from {path.name} was completed before; only the incremental "
                "sync ran."
            )
            return None
        backfill = BackfillStream(self, ids_file, start)
        return RunPlan(
            "backfill",
            [
                CatalogueStream(self, everything=True),
                backfill,
                AuditStream(self, backfill=backfill),
            ],
            {
                "file": path.name,
                "sha256": ids_file.sha256,
                "orders": len(ids_file.ids),
                "resumed_at": start,
            },
        )

    def replay_streams(self) -> list[Stream[Any]]:
        return [CatalogueStream(self, everything=True), FeedStream(self), AuditStream(self)]

    def describe_state(self, state: StreamState) -> str:
        cp = state.checkpoint
        if state.stream == "orders_backfill" and cp:
            done = "complete" if cp.get("complete") else "in progress"
            return (
                f"{cp.get('position', 0):,} of {cp.get('total', 0):,} "
                f"orders from {cp.get('file', '?')} ({done})"
            )
        if state.stream == "catalogue":
            return "digests of the catalogue lists"
        if state.stream == RECORDS_STATE:
            return "customer records show agreed statements (contact preferences read there)"
        if state.stream == "orders_sync" and state.cursor and "since=" in state.cursor:
            since = urllib.parse.parse_qs(urllib.parse.urlsplit(state.cursor).query)
            return f"orders changed since {since.get('since', ['?'])[0]} (UTC)"
        return state.cursor or ""

    # --- mapping (every stream maps through here) --------------------------------------------

    def map_records(self, records: list[RawRecord]) -> Batch:
        """Orders, customers and audit rows of a page as canonical rows."""
        by_stream: dict[str, list[Any]] = {}
        for record in records:
            by_stream.setdefault(record.stream, []).append(record.payload)
        customers = by_stream.get("customers", [])
        if any(isinstance(c.get("agreedStatements"), list) for c in customers):
            self.shows_statements = True
        parts = [
            orders_batch(
                by_stream.get("orders", []),
                customers,
                self.index,
                privacy=self.hl.settings.privacy,
                zone=self.settings.zone,
            )
        ]
        if "audit" in by_stream:
            rows = sorted(by_stream["audit"], key=lambda r: str(r.get("date")))
            parts.append(audit_batch(rows, current=not self.shows_statements))
        return merge_batches(parts)

    # --- customers -------------------------------------------------------------------------

    def all_customers(self) -> set[str]:
        """Every customer id the warehouse holds for this organisation (read once)."""
        if self._all_customers is None:
            with self.hl.warehouse.connect() as s:
                rows = s.fetchall(
                    "SELECT customer_id FROM customers WHERE org_id = ?", [self.org_id]
                )
            self._all_customers = {str(r[0]) for r in rows} | self._fetched
        return self._all_customers

    def _held(self, ids: set[str]) -> set[str]:
        found: set[str] = set()
        wanted = sorted(ids)
        with self.hl.warehouse.connect() as s:
            for i in range(0, len(wanted), 500):
                part = wanted[i : i + 500]
                rows = s.fetchall(
                    "SELECT customer_id FROM customers WHERE org_id = ? AND customer_id IN ("
                    + ", ".join("?" * len(part))
                    + ")",
                    [self.org_id, *part],
                )
                found.update(str(r[0]) for r in rows)
        return found

    async def new_customers(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The customers of ``orders`` the warehouse does not hold yet."""
        ids = {cid for o in orders if (cid := order_customer(o))}
        ids -= self._fetched
        if not ids:
            return []
        return await self.fetch_customers(ids - await asyncio.to_thread(self._held, ids))

    async def fetch_customers(self, ids: set[str]) -> list[dict[str, Any]]:
        """Customers by id, held or not (each at most once per sync)."""
        wanted = ids - self._fetched
        if not wanted:
            return []
        total = len(wanted)
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            self.progress("Customers", done[0], total)

        self._fetched |= wanted
        if self._all_customers is not None:
            self._all_customers |= wanted
        customers, missing = await fetch_by_id(self.api, "customers/{}", sorted(wanted), tick)
        if missing:
            self.warn(
                f"{len(missing)} customer(s) named by orders or the audit are unknown to "
                f"Spektrix (e.g. {', '.join(missing[:3])})."
            )
        return customers

    # --- setup check and reports -------------------------------------------------------------

    async def check_setup(self) -> SetupCheckResult:
        from .setup_check import run_setup_check

        state = self.state("orders_backfill")
        backfilled = bool(state and state.checkpoint and state.checkpoint.get("complete"))
        steps = await run_setup_check(self.settings, backfill_done=backfilled)
        return SetupCheckResult(
            self.org_id, self.name, f"Spektrix client {self.settings.client}", steps
        )

    async def download(self, url: str) -> bytes:
        """A report file (the order-ID export, say) as the reporting user, within budget."""
        async with SpektrixClient(self.settings) as client:
            return await client.get_report(url)
