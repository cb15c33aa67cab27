"""The Ticketsolve part of ``houselights demo``: an organisation on a simulated account.

Foyle Quay Theatre (Derry~Londonderry: UK postcodes and, from over the border, Eircodes)
runs on a simulated Ticketsolve account: connect, check the setup, sync the catalogue
from the XML feed and load a season of sales and customer exports dropped into the
connection's sales folder, then a simulated week later sync again — only the shows that
changed are fetched, and the new week's exports are loaded.
"""

from __future__ import annotations

import contextlib
from datetime import date

from houselights.cli.common import console
from houselights.cli.sources import print_setup_check, print_sync_summary, sync_with_progress
from houselights.context import Houselights
from houselights.errors import ConflictError
from houselights.orgs import service as orgs

__all__ = ["TICKETSOLVE_ORG", "run_ticketsolve_demo"]

TICKETSOLVE_ORG = "foyle-quay-theatre"
_NAME = "Foyle Quay Theatre"
_CLIENT = "foylequay"


def run_ticketsolve_demo(hl: Houselights, *, days: float = 7) -> tuple[str, date]:
    """Connect → check → sync (catalogue and a season of exports) → a week later, sync.
    Returns the organisation's slug and the simulated date (for the reports)."""
    from houselights.services.connections import check_setup, connect
    from houselights.sources.ticketsolve.simulator import (
        ClientConfig,
        ScaleConfig,
        SimulatorConfig,
        TicketsolveSimulator,
    )

    scale = ScaleConfig(shows=40, performances=240, tickets=6_000)
    config = SimulatorConfig(
        clients=(ClientConfig(name=_CLIENT, seed=21, scale=scale, organisation="derry"),)
    )
    folder = hl.settings.data_dir / "demo" / f"{TICKETSOLVE_ORG}-exports"
    console.rule(f"[bold]{_NAME}[/] — simulated Ticketsolve account '{_CLIENT}'")
    with contextlib.suppress(ConflictError), hl.warehouse.connect() as s, s.transaction():
        orgs.add_org(s, TICKETSOLVE_ORG, _NAME, region="Northern Ireland", artform="theatre")
    with TicketsolveSimulator(config).running() as sim:
        truth = sim.truth(_CLIENT)
        # The feed has no venue addresses: the organisation gives its venues' postcodes.
        postcodes = ";".join(f"{v.venue_id}={v.postcode}" for v in truth.venues if v.postcode)
        connect(hl, TICKETSOLVE_ORG, "ticketsolve", {
            "client": _CLIENT, "base_url": sim.base_url(_CLIENT), "sales_folder": str(folder),
            "venue_postcodes": postcodes,
            # No budget against the local simulator; a real account defaults to a polite 2/s.
            "request_budget": None,
        })
        console.print(f"[bold]1.[/] Connected {TICKETSOLVE_ORG} to Ticketsolve client "
                      f"'{_CLIENT}' (public XML feed; sales folder {folder}).")
        written = sim.write_exports(_CLIENT, folder)
        console.print(f"[bold]2.[/] The box office exported its season so far: "
                      f"{len(written)} sales and customer report files dropped into the folder.")
        console.print("[bold]3.[/] Checking the setup")
        print_setup_check(check_setup(hl, TICKETSOLVE_ORG))
        console.print("[bold]4.[/] Syncing: the catalogue from shows.xml and one document per "
                      "performance, then each export once")
        print_sync_summary(sync_with_progress(hl, TICKETSOLVE_ORG))
        result = sim.advance(_CLIENT, days=days, show_changes=0.05)
        new = sim.write_exports(_CLIENT, folder, periods=[result.period.index])
        console.print(
            f"[bold]5.[/] {days:g} simulated days later: {len(result.changed_show_ids)} shows "
            f"changed, {len(result.new_show_ids)} announced, {len(new)} new export files. "
            "Syncing again (only new and changed shows are fetched)"
        )
        print_sync_summary(sync_with_progress(hl, TICKETSOLVE_ORG))
        today = sim.now(_CLIENT).date()
    return TICKETSOLVE_ORG, today
