"""The Ticketsolve source's conformance harness: a simulated Ticketsolve account.

Used by the kit's conformance suite (:mod:`houselights.conformance`): a sync reads the
simulated feed and loads the report exports dropped into the connection's sales folder;
a change is half a simulated day (shows edited, new sales in a new export period); faults
are the simulator's 429s, 403s, 5xx, timeouts and truncated documents. Bad inputs include
malformed and hostile XML and broken exports.
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
    TicketsolveSimulator,
)

__all__ = ["CLIENT", "HARNESS", "TicketsolveHarness", "box_settings"]

CLIENT = "conform"
SMALL = ScaleConfig(shows=12, performances=60, tickets=1_200, history_days=28)
SLOW = ScaleConfig(shows=60, performances=600, tickets=3_000, history_days=28)


def box_settings(sim: TicketsolveSimulator, folder: Path, **changes: Any) -> dict[str, Any]:
    """Connection settings for the simulated account (fast retries, no budget)."""
    return {
        "client": CLIENT,
        "base_url": sim.base_url(CLIENT),
        "sales_folder": str(folder),
        "request_budget": 0,
        "performance_documents_per_run": 100_000,
        "timeout_seconds": 2.0,
        "retries": 8,
        "backoff_seconds": 0.02,
        **changes,
    }


class _Box(BoxOffice):
    def __init__(self, sim: TicketsolveSimulator, folder: Path) -> None:
        self.sim = sim
        self.folder = folder
        self.exports = folder / "exports"
        sim.write_exports(CLIENT, self.exports)

    def settings(self, **changes: Any) -> dict[str, Any]:
        return box_settings(self.sim, self.exports, **changes)

    def connect(self, hl: Houselights, org_id: str) -> None:
        save_connection(hl, org_id, "ticketsolve", self.settings())

    def change(self) -> None:
        # Half a day: no performance starts (the first is a day away), so a clean sync of
        # the changed account sees every performance the first sync saw.
        self.sim.advance(CLIENT, hours=12, show_changes=0.25)
        self.sim.write_exports(CLIENT, self.exports)

    def set_faults(self, on: bool) -> None:
        for kind, p in (
            (FaultKind.RATE_LIMIT, 0.04),
            (FaultKind.FORBIDDEN, 0.02),
            (FaultKind.SERVER_ERROR, 0.05),
            (FaultKind.TRUNCATED, 0.05),
            (FaultKind.TIMEOUT, 0.01),
        ):
            self.sim.faults.set_probability(kind, p if on else 0.0)

    def bad_inputs(self) -> list[BadInput]:
        def reconnect(**changes: Any) -> Any:
            return lambda hl, org: save_connection(hl, org, "ticketsolve",
                                                   self.settings(**changes))

        def with_file(name: str, content: bytes) -> Any:
            path = self.folder / "bad" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            return lambda hl, org: sync(hl, org, source="ticketsolve",
                                        request=SyncRequest(files=(path,), incremental=False))

        def feed_fault(kind: FaultKind) -> Any:
            def attempt(hl: Houselights, org: str) -> None:
                self.sim.faults.script(kind, "shows.xml", probability=1.0)
                try:
                    sync(hl, org, source="ticketsolve")
                finally:
                    self.sim.faults.clear()

            return attempt

        def unknown_client(hl: Houselights, org: str) -> None:
            base = self.sim.base_url(CLIENT).rsplit("/", 1)[0] + "/nosuchclient"
            save_connection(hl, org, "ticketsolve", self.settings(base_url=base))
            sync(hl, org, source="ticketsolve")

        header = (self.exports / sorted(p.name for p in self.exports.glob("*sales*.csv"))[0]
                  ).read_text(encoding="utf-8-sig").splitlines()
        bad_date = "\n".join([header[0], header[1].replace("/20", "/x", 1)]) + "\n"
        cut = ",".join(c for c in header[0].split(",") if c != "Price Paid") + "\n"
        missing = self.folder / "no-such-export.csv"
        return [
            BadInput("a client name with a slash", reconnect(client="a/b")),
            BadInput("a base URL that is not a web address", reconnect(base_url="ftp:/x")),
            BadInput("an unknown time zone", reconnect(timezone="Mars/Olympus")),
            BadInput("a venue postcode list that is not ID=POSTCODE",
                     reconnect(venue_postcodes="just text")),
            BadInput("a client that does not exist", unknown_client),
            BadInput("a malformed shows.xml", feed_fault(FaultKind.MALFORMED)),
            BadInput("a shows.xml with entity expansion", feed_fault(FaultKind.ENTITY_EXPANSION)),
            BadInput("a shows.xml with an external entity", feed_fault(FaultKind.EXTERNAL_ENTITY)),
            BadInput("an empty export", with_file("empty.csv", b"")),
            BadInput("a PDF as an export", with_file("report.csv", b"%PDF-1.7 not a table")),
            BadInput("an export without its Price Paid column",
                     with_file("cut.csv", cut.encode())),
            BadInput("an export with a date that is not a date",
                     with_file("date.csv", bad_date.encode())),
            BadInput("an export that does not exist",
                     lambda hl, org: sync(hl, org, source="ticketsolve",
                                          request=SyncRequest(files=(missing,)))),
            BadInput("a backfill file",
                     lambda hl, org: sync(hl, org, source="ticketsolve",
                                          request=SyncRequest(backfill_file=missing))),
        ]


class TicketsolveHarness(Harness):
    """A small simulated Ticketsolve account (a larger, slower one for the SIGKILL check)."""

    source = "ticketsolve"
    kill_after_loads = 0  # one load per run: kill as soon as a run is under way

    @contextmanager
    def box_office(self, folder: Path, *, slow: bool = False) -> Iterator[BoxOffice]:
        config = SimulatorConfig(
            clients=(ClientConfig(name=CLIENT, seed=5, scale=SLOW if slow else SMALL,
                                  organisation="galway"),),
            latency_ms=15.0 if slow else 0.0,
            faults=FaultConfig(seed=3, timeout_seconds=3.0, retry_after_seconds=1),
        )
        folder.mkdir(parents=True, exist_ok=True)
        with TicketsolveSimulator(config).running() as sim:
            yield _Box(sim, folder)


HARNESS = TicketsolveHarness()
