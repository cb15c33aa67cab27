"""``houselights simulate``: run local box-office simulators (a thin shell over the library).

``houselights simulate spektrix --scale small --clients demo`` and
``houselights simulate ticketsolve --scale small --clients demo --exports-dir exports``.
Bad flags raise :class:`~houselights.errors.ConfigError` (message + hint), which the main
CLI's one error handler prints without a traceback.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from houselights.errors import ConfigError
from houselights.sources.spektrix.simulator import (
    VARIATIONS,
    ClientConfig,
    FaultConfig,
    PayloadVariations,
    SetupVariations,
    SimulatorConfig,
    SpektrixSimulator,
    imported_programme,
    parse_scale,
    variations_from,
)
from houselights.sources.spektrix.simulator.faults import (
    FaultKind,
    FaultRule,
    parse_fault_probability,
    parse_fault_rule,
)

if TYPE_CHECKING:
    from houselights.sources.ticketsolve import simulator as ts

__all__ = ["app", "build_config", "build_ticketsolve_config"]

app = typer.Typer(
    help="Run local simulators of box-office systems (for tests, demos and integrators).",
    no_args_is_help=True,
)
console = Console(highlight=False)


@app.callback()
def simulate() -> None:
    """Run local simulators of box-office systems."""
    # A callback keeps each simulator a sub-command (``simulate spektrix``, …).


def _check_port(port: int) -> None:
    if not 0 <= port <= 65_535:
        raise ConfigError(f"--port {port} is not a TCP port", hint="use 1-65535, or 0 for any")


def _variations_for(names: list[str], client: str) -> tuple[SetupVariations, PayloadVariations]:
    # "client:variation" applies to that client only.
    mine = [name for target, sep, name in (raw.rpartition(":") for raw in names)
            if not sep or target == client]
    return variations_from(mine)


def _start(text: str | None, default: datetime) -> datetime:
    if not text:
        return default
    try:
        start_at = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start {text!r} is not an ISO date",
                          hint="e.g. --start 2025-03-03T09:00") from None
    return start_at if start_at.tzinfo is not None else start_at.replace(tzinfo=UTC)


def _client_names(clients: str) -> list[str]:
    names = [n.strip() for n in clients.split(",") if n.strip()]
    if not names:
        raise ConfigError("--clients is empty", hint="e.g. --clients demo,northgate")
    return names


def build_config(
    *, port: int, host: str, seed: int, scale: str | None, clients: str, latency_ms: float,
    rate_limit: float | None, variation: list[str], fault: list[str], fault_rate: list[str],
    fault_seed: int, slow_ms: float, hang_seconds: float, clock_offset: float,
    skew_window: float, repeat_pages_over_days: int | None, start: str | None,
    catalogue_from: Path | None = None, timezone: str = "Europe/London",
) -> SimulatorConfig:
    """Turn CLI flags into a :class:`SimulatorConfig`, raising ConfigError on bad values."""
    _check_port(port)
    names = _client_names(clients)
    known = set(names)
    for raw in variation:
        target, sep, name = raw.rpartition(":")
        if sep and target not in known:
            raise ConfigError(f"--variation {raw!r} names an unknown client {target!r}",
                              hint="clients are: " + ", ".join(names))
        if name not in VARIATIONS:
            raise ConfigError(f"unknown --variation {name!r}",
                              hint="choose from: " + ", ".join(VARIATIONS))
    start_at = _start(start, ClientConfig().start) if start else None
    catalogue = None
    if catalogue_from is not None:
        catalogue, start_at, scale_config = imported_programme(
            catalogue_from, timezone, start_at, scale
        )
    else:
        scale_config = parse_scale(scale or "small")
    start_at = start_at or ClientConfig().start
    client_configs = []
    for i, name in enumerate(names):
        setup, payload = _variations_for(variation, name)
        client_configs.append(ClientConfig(
            name=name, seed=seed + i, scale=scale_config, variations=setup, payload=payload,
            start=start_at, timezone=timezone, catalogue=catalogue,
        ))
    rules: list[FaultRule] = []
    probabilities: dict[FaultKind, float] = {}
    try:
        rules = [parse_fault_rule(text) for text in fault]
        for text in fault_rate:
            kind, probability = parse_fault_probability(text)
            probabilities[kind] = probability
    except ValueError as error:
        raise ConfigError(
            f"bad fault flag: {error}",
            hint="--fault KIND@ROUTE=N,N (e.g. 503@orders/{id}=3,7); "
                 "--fault-rate KIND=P (e.g. 5xx=0.05)",
        ) from None
    faults = FaultConfig(
        probabilities=probabilities, rules=tuple(rules), seed=fault_seed, slow_ms=slow_ms,
        timeout_seconds=hang_seconds, clock_offset_seconds=clock_offset,
    )
    if skew_window <= 0:
        raise ConfigError("--skew-window must be positive", hint="the default is 900 seconds")
    return SimulatorConfig(
        clients=tuple(client_configs), host=host, port=port, latency_ms=latency_ms,
        rate_limit=rate_limit, max_clock_skew_seconds=skew_window,
        repeat_pages_over_days=repeat_pages_over_days, faults=faults,
    )


@app.command("spektrix")
def spektrix(
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data (client i uses seed+i).")]
    = 1,
    scale: Annotated[str | None, typer.Option(
        help="Tickets per client: tiny, small (the default), medium, large (1M) or a number "
             "like 250k. With --catalogue-from: as much as the programme holds, at most small.",
        show_default=False)]
    = None,
    clients: Annotated[str, typer.Option(help="Comma-separated client names.")] = "demo",
    latency_ms: Annotated[float, typer.Option(help="Added latency on every API answer.")] = 0.0,
    rate_limit: Annotated[float | None, typer.Option(
        help="Requests per second per API login; over it answers 429 + Retry-After.")] = None,
    variation: Annotated[list[str] | None, typer.Option(
        help="Setup or payload variation, repeatable, optionally CLIENT:NAME. One of: "
             + ", ".join(VARIATIONS))] = None,
    fault: Annotated[list[str] | None, typer.Option(
        help="Scripted fault KIND@ROUTE=N,N, e.g. 503@orders/{id}=3,7 (repeatable).")] = None,
    fault_rate: Annotated[list[str] | None, typer.Option(
        help="Random fault KIND=P, kinds: 429, 5xx, slow, timeout, truncated, html403, skew.")]
    = None,
    fault_seed: Annotated[int, typer.Option(help="Seed of the random faults.")] = 0,
    slow_ms: Annotated[float, typer.Option(help="Delay of a 'slow' fault.")] = 1500.0,
    hang_seconds: Annotated[float, typer.Option(help="How long a 'timeout' fault hangs.")]
    = 120.0,
    clock_offset: Annotated[float, typer.Option(
        help="Shift the server clock by this many seconds (clock-skew rejection).")] = 0.0,
    skew_window: Annotated[float, typer.Option(
        help="Allowed Date-header skew in seconds (real value unknown; default inferred).")]
    = 900.0,
    repeat_pages_over_days: Annotated[int | None, typer.Option(
        help="Turn on the orders?DateFrom&DateTo repeated-page quirk for longer windows.")]
    = None,
    start: Annotated[str | None, typer.Option(
        help="Simulated 'now' (ISO date-time, UTC). With --catalogue-from: by default when "
             "60% of the programme has started.")]
    = None,
    catalogue_from: Annotated[Path | None, typer.Option(
        help="Serve a real programme: a folder with events.json, instances.json, "
             "venues.json and plans.json as unsigned GET events/instances/venues/plans "
             "return them (synthetic sales on top; see docs/simulator-spektrix.md).")]
    = None,
    timezone: Annotated[str, typer.Option(
        help="The simulated systems' local time zone (IANA name).")]
    = "Europe/London",
    credentials_out: Annotated[Path | None, typer.Option(
        help="Also write the credentials JSON to this file.")] = None,
    no_serve: Annotated[bool, typer.Option(
        "--no-serve", help="Generate, print the credentials and exit (checks a configuration).")]
    = False,
) -> None:
    """Serve simulated Spektrix systems at http://HOST:PORT/{client}/api/v3/…"""
    config = build_config(
        port=port, host=host, seed=seed, scale=scale, clients=clients, latency_ms=latency_ms,
        rate_limit=rate_limit, variation=variation or [], fault=fault or [],
        fault_rate=fault_rate or [], fault_seed=fault_seed, slow_ms=slow_ms,
        hang_seconds=hang_seconds, clock_offset=clock_offset, skew_window=skew_window,
        repeat_pages_over_days=repeat_pages_over_days, start=start,
        catalogue_from=catalogue_from, timezone=timezone,
    )
    catalogue = config.clients[0].catalogue
    if catalogue is not None:
        console.print(f"Programme from [bold]{catalogue.folder}[/]: {len(catalogue.events):,} "
                      f"events, {len(catalogue.instances):,} instances, "
                      f"{len(catalogue.venues):,} venues, {len(catalogue.plans):,} plans.",
                      soft_wrap=True)
        for note in catalogue.notes:
            console.print(f"  [yellow]⚠[/] {note}", soft_wrap=True)
    began = time.perf_counter()
    with console.status(f"Generating {len(config.clients)} client system(s) "
                        f"({config.clients[0].scale.tickets:,} tickets each)…"):
        simulator = SpektrixSimulator(config)
    console.print(f"[green]Generated[/] in {time.perf_counter() - began:.1f} s.")
    if no_serve:
        # Nothing listens: show what would be served, on the requested port.
        simulator.port = port
        _show(simulator, credentials_out)
        return
    simulator.start()
    try:
        _show(simulator, credentials_out)
        console.print(f"Simulator-only admin: {simulator.root_url}/_simulator/clients "
                      "(clock, partner access, faults: see docs/simulator-spektrix.md)")
        console.print("[dim]Press Ctrl-C to stop.[/]")
        simulator.serve_forever()
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        simulator.stop()


def _show(simulator: SpektrixSimulator, credentials_out: Path | None) -> None:
    creds = simulator.credentials()
    table = Table(title="Simulated Spektrix systems", show_lines=True)
    for column in ("client", "organisation", "base_url", "api_login", "api_key",
                   "report_user", "report_password"):
        table.add_column(column, overflow="fold")
    for c in creds["clients"]:
        table.add_row(c["client"], c["organisation"], c["base_url"], c["api_login"],
                      c["api_key"], c["report_user"], c["report_password"])
    console.print(table)
    if credentials_out is not None:
        try:
            credentials_out.write_text(json.dumps(creds, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {credentials_out}: {error.strerror}",
                              hint="choose a writable --credentials-out path") from None
        console.print(f"Credentials written to [bold]{credentials_out}[/].")




# --- Ticketsolve -------------------------------------------------------------------------


def _per_client(values: list[str], names: list[str], flag: str) -> dict[str, str]:
    """Read repeatable ``CLIENT=VALUE`` flags (``VALUE`` alone applies to every client)."""
    out: dict[str, str] = {}
    for raw in values:
        client, sep, value = raw.partition("=")
        if not sep:
            out.update(dict.fromkeys(names, raw.strip()))
            continue
        if client.strip() not in names:
            raise ConfigError(f"{flag} {raw!r} names an unknown client {client.strip()!r}",
                              hint="clients are: " + ", ".join(names))
        out[client.strip()] = value.strip()
    return out


def build_ticketsolve_config(
    *, port: int, host: str, seed: int, scale: str, shows: str | None,
    performances: str | None, tickets: str | None, clients: str, organisation: list[str],
    postcodeless_venues: int, feed_host: list[str], latency_ms: float,
    rate_limit: float | None, rate_limit_status: int, fault: list[str],
    fault_rate: list[str], fault_seed: int, slow_ms: float, hang_seconds: float,
    start: str | None, zone_label: str | None, event_time_format: str, cdata: bool,
    venue_addresses: bool, past_performances: bool, exports_dir: Path | None,
    exports_format: str, export_period: str,
) -> ts.SimulatorConfig:
    """Turn ``simulate ticketsolve`` flags into a config, raising ConfigError on bad values."""
    # Imported here: every CLI start would otherwise pay for the simulator's modules.
    from houselights.sources.ticketsolve import simulator as ts
    from houselights.sources.ticketsolve.simulator import faults as ts_faults

    _check_port(port)
    names = _client_names(clients)
    scale_config = ts.parse_scale(scale, shows=shows, performances=performances,
                                  tickets=tickets)
    orgs = _per_client(organisation, names, "--organisation")
    known_orgs = {o.key for o in ts.ORGANISATIONS}
    for key in orgs.values():
        if key not in known_orgs:
            raise ConfigError(f"unknown --organisation {key!r}",
                              hint="choose from: " + ", ".join(sorted(known_orgs)))
    hosts = _per_client(feed_host, names, "--feed-host")
    start_at = _start(start, ts.DEFAULT_START)
    client_configs = tuple(
        ts.ClientConfig(name=name, seed=seed + i, scale=scale_config,
                        organisation=orgs.get(name), postcodeless_venues=postcodeless_venues,
                        feed_host=hosts.get(name), start=start_at)
        for i, name in enumerate(names)
    )
    try:
        rules = tuple(ts_faults.parse_fault_rule(text) for text in fault)
        probabilities = dict(ts_faults.parse_fault_probability(text) for text in fault_rate)
    except ValueError as error:
        raise ConfigError(
            f"bad fault flag: {error}",
            hint="--fault KIND@ROUTE=N,N or KIND@ROUTE=P% (e.g. 503@shows.xml=2, "
                 "xxe@shows/*/events/*.xml=1); --fault-rate KIND=P (e.g. 429=0.05)",
        ) from None
    formats = {"csv": ("csv",), "xlsx": ("xlsx",), "both": ("csv", "xlsx")}.get(exports_format)
    if formats is None:
        raise ConfigError(f"unknown --exports-format {exports_format!r}",
                          hint="choose csv, xlsx or both")
    return ts.SimulatorConfig(
        clients=client_configs, host=host, port=port, latency_ms=latency_ms,
        rate_limit=rate_limit, rate_limit_status=rate_limit_status,
        feed=ts.FeedStyle(zone_label=zone_label, event_time_format=event_time_format,
                          cdata=cdata, venue_addresses=venue_addresses,
                          past_performances=past_performances),
        faults=ts.FaultConfig(probabilities=probabilities, rules=rules, seed=fault_seed,
                              slow_ms=slow_ms, timeout_seconds=hang_seconds),
        exports_dir=exports_dir, export_formats=formats, export_period=export_period,
    )


@app.command("ticketsolve")
def ticketsolve(
    port: Annotated[int, typer.Option(help="TCP port; 0 picks a free one.")] = 8766,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data (client i uses seed+i).")]
    = 1,
    scale: Annotated[str, typer.Option(
        help="Preset: tiny, small, medium (2,000 shows / 20,000 performances) or large.")]
    = "small",
    shows: Annotated[str | None, typer.Option(help="Exact number of shows (e.g. 2000).")]
    = None,
    performances: Annotated[str | None, typer.Option(
        help="Exact number of performances (e.g. 20k).")] = None,
    tickets: Annotated[str | None, typer.Option(
        help="Tickets sold before the simulated start (approximate, e.g. 50k).")] = None,
    clients: Annotated[str, typer.Option(
        help="Comma-separated client names (Ticketsolve subdomains).")] = "demo",
    organisation: Annotated[list[str] | None, typer.Option(
        help="[CLIENT=]KEY: galway, dublin, cork, sligo, derry or lancaster (repeatable).")]
    = None,
    postcodeless_venues: Annotated[int, typer.Option(
        help="How many venues of each client have no postcode.")] = 1,
    feed_host: Annotated[list[str] | None, typer.Option(
        help="[CLIENT=]HOST: a custom domain the feed links use (repeatable).")] = None,
    latency_ms: Annotated[float, typer.Option(help="Added latency on every feed answer.")]
    = 0.0,
    rate_limit: Annotated[float | None, typer.Option(
        help="Requests per second per client; over it answers --rate-limit-status.")] = None,
    rate_limit_status: Annotated[int, typer.Option(
        help="429 (with Retry-After) or 403 when over the rate limit.")] = 429,
    fault: Annotated[list[str] | None, typer.Option(
        help="Fault KIND@ROUTE=N,N or KIND@ROUTE=P%, e.g. 503@shows.xml=2 (repeatable).")]
    = None,
    fault_rate: Annotated[list[str] | None, typer.Option(
        help="Random fault KIND=P; kinds: 429, 403, 5xx, slow, timeout, truncated, "
             "malformed, billion-laughs, xxe.")] = None,
    fault_seed: Annotated[int, typer.Option(help="Seed of the random faults.")] = 0,
    slow_ms: Annotated[float, typer.Option(help="Delay of a 'slow' fault.")] = 1500.0,
    hang_seconds: Annotated[float, typer.Option(help="How long a 'timeout' fault hangs.")]
    = 120.0,
    start: Annotated[str | None, typer.Option(help="Simulated 'now' (ISO date-time, UTC).")]
    = None,
    zone_label: Annotated[str | None, typer.Option(
        help="Write this in every @zone (e.g. GMT; '' omits it); default: the venue's zone.")]
    = None,
    event_time_format: Annotated[str, typer.Option(
        help="Per-event date-times: rails (2025-09-12 19:30:00 +0100), iso or local.")]
    = "rails",
    cdata: Annotated[bool, typer.Option(help="Names and tags in CDATA (or escaped text).")]
    = True,
    venue_addresses: Annotated[bool, typer.Option(
        help="Add an invented <address> to each <venue>.")] = False,
    past_performances: Annotated[bool, typer.Option(
        help="Keep performances that have started in shows.xml.")] = False,
    exports_dir: Annotated[Path | None, typer.Option(
        help="Write the sales and customer report exports here (and each new period "
             "after an advance).")] = None,
    exports_format: Annotated[str, typer.Option(help="csv, xlsx or both.")] = "csv",
    export_period: Annotated[str, typer.Option(help="week or month per export file.")]
    = "week",
    urls_out: Annotated[Path | None, typer.Option(
        help="Also write each client's base URL and shows.xml URL as JSON.")] = None,
    no_serve: Annotated[bool, typer.Option(
        "--no-serve", help="Generate, write exports, print the URLs and exit.")] = False,
) -> None:
    """Serve simulated Ticketsolve accounts at http://HOST:PORT/{client}/shows.xml"""
    from houselights.sources.ticketsolve import simulator as ts

    config = build_ticketsolve_config(
        port=port, host=host, seed=seed, scale=scale, shows=shows, performances=performances,
        tickets=tickets, clients=clients, organisation=organisation or [],
        postcodeless_venues=postcodeless_venues, feed_host=feed_host or [],
        latency_ms=latency_ms, rate_limit=rate_limit, rate_limit_status=rate_limit_status,
        fault=fault or [], fault_rate=fault_rate or [], fault_seed=fault_seed, slow_ms=slow_ms,
        hang_seconds=hang_seconds, start=start, zone_label=zone_label,
        event_time_format=event_time_format, cdata=cdata, venue_addresses=venue_addresses,
        past_performances=past_performances, exports_dir=exports_dir,
        exports_format=exports_format, export_period=export_period,
    )
    first = config.clients[0].scale
    began = time.perf_counter()
    with console.status(f"Generating {len(config.clients)} account(s) ({first.shows:,} shows, "
                        f"{first.performances:,} performances each)…"):
        simulator = ts.TicketsolveSimulator(config)
    console.print(f"[green]Generated[/] in {time.perf_counter() - began:.1f} s.")
    if exports_dir is not None:
        written = [p for c in config.clients for p in _write_exports(simulator, c.name)]
        console.print(f"Wrote {len(written)} report export file(s) to [bold]{exports_dir}[/].")
    if no_serve:
        simulator.port = port  # nothing listens: show what would be served
        _show_ticketsolve(simulator, urls_out)
        return
    simulator.start()
    try:
        _show_ticketsolve(simulator, urls_out)
        console.print(f"Simulator-only admin: {simulator.root_url}/_simulator/clients "
                      "(advance, request counts, faults: see docs/simulator-ticketsolve.md)")
        console.print("[dim]Press Ctrl-C to stop.[/]")
        simulator.serve_forever()
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        simulator.stop()


def _write_exports(simulator: ts.TicketsolveSimulator, client: str) -> list[Path]:
    try:
        return simulator.write_exports(client)
    except OSError as error:
        raise ConfigError(f"cannot write the exports: {error.strerror} ({error.filename})",
                          hint="choose a writable --exports-dir") from None


def _show_ticketsolve(simulator: ts.TicketsolveSimulator, urls_out: Path | None) -> None:
    urls = simulator.urls()
    table = Table(title="Simulated Ticketsolve accounts", show_lines=True)
    for column in ("client", "organisation", "currency", "base_url", "shows_url"):
        table.add_column(column, overflow="fold")
    for c in urls["clients"]:
        table.add_row(c["client"], c["organisation"], c["currency"], c["base_url"],
                      c["shows_url"])
    console.print(table)
    if urls_out is not None:
        try:
            urls_out.write_text(json.dumps(urls, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot write {urls_out}: {error.strerror}",
                              hint="choose a writable --urls-out path") from None
        console.print(f"URLs written to [bold]{urls_out}[/].")
