"""The Spektrix source's conformance harness: a simulated Spektrix system.

Used by the kit's conformance suite (:mod:`houselights.conformance`): a sync is a
backfill from the simulator's historical order-ID export followed by catching up; a change
is two simulated days of new and changed orders; faults are the simulator's 429s, 5xx,
timeouts and truncated bodies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.sources.kit.connections import save_connection
from houselights.sources.kit.connections import sync_connection as sync
from houselights.sources.kit.harness import BadInput, BoxOffice, Harness
from houselights.sources.kit.source import SyncRequest

from .simulator import (
    ClientConfig,
    FaultConfig,
    FaultKind,
    ScaleConfig,
    SimulatorConfig,
    SpektrixSimulator,
)

__all__ = ["HARNESS", "SpektrixHarness"]

CLIENT = "conform"


class _Box(BoxOffice):
    def __init__(self, sim: SpektrixSimulator, folder: Path, *, chunk: int) -> None:
        self.sim = sim
        self.chunk = chunk
        self.creds: dict[str, Any] = sim.credentials()["clients"][0]
        self.secrets = (self.creds["api_key"], self.creds["report_password"])
        self.ids = folder / "order-ids.csv"
        self.ids.write_text(
            "Order ID\n" + "\n".join(o["id"] for o in sim.truth(CLIENT).orders) + "\n",
            encoding="utf-8",
        )

    def settings(self, **changes: Any) -> dict[str, Any]:
        c = self.creds
        return {
            "client": CLIENT,
            "base_url": self.sim.root_url,
            "api_login": c["api_login"],
            "api_key": c["api_key"],
            "report_user": c["report_user"],
            "report_password": c["report_password"],
            "audit_report_url": c["audit_report_url"],
            "request_budget": None,
            "backfill_chunk": self.chunk,
            "timeout_seconds": 2.0,
            "retries": 8,
            "backoff_seconds": 0.02,
            **changes,
        }

    def connect(self, hl: Houselights, org_id: str) -> None:
        save_connection(hl, org_id, "spektrix", self.settings())

    def request(self) -> SyncRequest:
        return SyncRequest(backfill_file=self.ids)

    def change(self) -> None:
        self.sim.advance(CLIENT, days=2)

    def set_faults(self, on: bool) -> None:
        for kind, p in (
            (FaultKind.RATE_LIMIT, 0.03),
            (FaultKind.SERVER_ERROR, 0.06),
            (FaultKind.TRUNCATED, 0.06),
            (FaultKind.TIMEOUT, 0.01),
        ):
            self.sim.faults.set_probability(kind, p if on else 0.0)

    def bad_inputs(self) -> list[BadInput]:
        def reconnect(**changes: Any) -> Any:
            return lambda hl, org: save_connection(hl, org, "spektrix", self.settings(**changes))

        def sync_with(request: SyncRequest) -> Any:
            return lambda hl, org: sync(hl, org, source="spektrix", request=request)

        def unknown_client(hl: Houselights, org: str) -> None:
            save_connection(hl, org, "spektrix", self.settings(client="nosuchclient"))
            sync(hl, org, source="spektrix")

        missing = self.ids.with_name("no-such-file.csv")
        return [
            BadInput("an API key that is not base64", reconnect(api_key="not base64 !")),
            BadInput("a client name with a slash", reconnect(client="a/b")),
            BadInput("a base URL that is not a web address", reconnect(base_url="ftp:/x")),
            BadInput("an unknown time zone", reconnect(timezone="Mars/Olympus")),
            BadInput("a client that does not exist", unknown_client),
            BadInput("a missing order-ID file", sync_with(SyncRequest(backfill_file=missing))),
            BadInput("a data file given to a sync", sync_with(SyncRequest(files=(self.ids,)))),
        ]


class SpektrixHarness(Harness):
    """A small simulated Spektrix system (a larger, slower one for the SIGKILL check)."""

    source = "spektrix"

    @contextmanager
    def box_office(self, folder: Path, *, slow: bool = False) -> Iterator[BoxOffice]:
        config = SimulatorConfig(
            clients=(
                ClientConfig(
                    name=CLIENT, seed=11, scale=ScaleConfig(tickets=2_000 if slow else 800)
                ),
            ),
            latency_ms=10.0 if slow else 0.0,
            faults=FaultConfig(seed=3, timeout_seconds=3.0, retry_after_seconds=1),
        )
        folder.mkdir(parents=True, exist_ok=True)
        with SpektrixSimulator(config).running() as sim:
            yield _Box(sim, folder, chunk=100 if slow else 300)


HARNESS = SpektrixHarness()
