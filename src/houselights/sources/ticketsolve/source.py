"""The Ticketsolve source: what a sync does, in the kit's terms.

* **Catalogue** (every sync): ``shows.xml``, then the per-performance documents of new
  and changed shows only, within the per-run cap and the request budget (``streams.py``).
* **Exports**: every sales or customer report export given (``houselights upload`` or
  ``sync --file``) or found in the connection's ``sales_folder`` that was not loaded
  before (by content), each one atomic load, customers before the sales of a period.
  Files are read and checked when the sync is planned: a bad one given on the command
  line stops the sync before anything is published; a bad one in the watched folder is
  reported in the summary and left where it is, and the others load.
* Replay maps the kept catalogue first, then the kept customers and orders.

Ticketsolve has no public sales API (``specs/ticketsolve.md`` §4): sales and customers
reach houselights only as report exports, whose layout is not public (``exports.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from houselights.errors import InputError, UploadError
from houselights.exchange.state import StreamState
from houselights.sources.kit.files import sha256_of
from houselights.sources.kit.limits import FileLimits
from houselights.sources.kit.setup import SetupCheckResult
from houselights.sources.kit.source import RunPlan, Source, Stream, SyncRequest

from .client import make_client
from .exports import looks_like_export, recognise
from .mapping import SALES_STREAM, Known
from .settings import TicketsolveSettings
from .streams import CatalogueStream, ExportFile, ExportStream, decode_lines, read_export

if TYPE_CHECKING:
    from houselights.context import Houselights
    from houselights.sources.kit.http import HttpClient

__all__ = ["TicketsolveSource"]

_EXPORT_SUFFIXES = (".csv", ".xlsx")
_KIND_RANK = {"customers": 0, "sales": 1}


class TicketsolveSource(Source[TicketsolveSettings]):
    """Ticketsolve: the public XML catalogue feed, and report exports for sales."""

    name = "ticketsolve"
    title = "Ticketsolve"
    settings_model = TicketsolveSettings
    summary = "the public XML catalogue feed, and sales/customer report exports"
    conformance = "houselights.sources.ticketsolve.testing:HARNESS"

    def __init__(self, hl: Houselights, org_id: str, settings: TicketsolveSettings) -> None:
        super().__init__(hl, org_id, settings)
        self.known = Known()
        """Catalogue keys mapped so far by this instance (the catalogue fills it)."""
        self._http: HttpClient | None = None

    # --- the client ------------------------------------------------------------------------

    @property
    def http(self) -> HttpClient:
        """The open HTTP client (inside ``async with source``)."""
        if self._http is None:
            raise RuntimeError("the Ticketsolve source is not open")
        return self._http

    async def open(self) -> None:
        self._http = make_client(self.settings)
        await self._http.__aenter__()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.__aexit__(None, None, None)

    def client_stats(self) -> dict[str, int]:
        if self._http is None:
            return {}
        stats = self._http.stats
        return {"requests": stats.requests, "retries": stats.retries,
                "rate_limited": stats.rate_limited}

    @property
    def venue_postcodes(self) -> dict[str, str]:
        """Venue id → postcode, from the connection (the feed carries no address)."""
        return dict(self.settings.venue_postcodes or {})

    # --- what a sync does --------------------------------------------------------------------

    def plan(self, request: SyncRequest) -> list[RunPlan]:
        if request.backfill_file is not None:
            raise InputError(
                "A Ticketsolve sync takes no backfill file.",
                hint="Give report exports with --file (or `houselights upload SLUG FILE`), or "
                "drop them into the connection's sales folder.",
            )
        plans: list[RunPlan] = []
        if request.incremental:
            plans.append(RunPlan("catalogue", [CatalogueStream(self)],
                                 {"feed": self.settings.shows_url}))
        exports = self._exports([Path(p) for p in request.files], given=True)
        if request.incremental and self.settings.sales_folder is not None:
            exports += self._exports(self._watched(), given=False)
        for export in exports:
            params = {"file": export.path.name, "kind": export.kind, "sha256": export.sha256,
                      "bytes": export.path.stat().st_size, "lines": len(export.lines),
                      "detected": dict(export.detected)}
            plans.append(RunPlan("upload", [ExportStream(self, export)], params))
        return plans

    def _watched(self) -> list[Path]:
        folder = self.settings.sales_folder
        assert folder is not None
        if not folder.is_dir():
            # The catalogue still syncs; the summary (and check-setup) say what to fix.
            self.warn(f"The sales folder {folder} does not exist (or is not a folder), so no "
                      "export was loaded. Create it, or connect again with the right "
                      "--sales-folder.")
            return []
        return [p for p in folder.iterdir()
                if p.suffix.lower() in _EXPORT_SUFFIXES and not p.name.startswith((".", "~$"))
                and p.is_file() and not p.is_symlink()]

    def _exports(self, paths: list[Path], *, given: bool) -> list[ExportFile]:
        """Read and check the files not loaded before (by content), in load order."""
        state = self.state("exports")
        loaded = dict(((state.checkpoint if state else None) or {}).get("loaded") or {})
        limits = FileLimits.from_settings(self.hl.settings)
        found: list[ExportFile] = []
        skipped: list[str] = []
        for path in paths:
            if given and not path.exists():
                raise InputError(f"The file {path} does not exist.",
                                 hint="Check the path and try again.")
            try:
                sha = sha256_of(path)
                if sha in loaded or any(f.sha256 == sha for f in found):
                    skipped.append(path.name)
                    continue
                kind, table = recognise(path, limits)
                found.append(read_export(path, kind, table, sha))
            except UploadError as error:
                if given:
                    raise
                self.warn(f"{error.message} — left in the sales folder, not loaded. "
                          f"{error.hint}")
        if skipped:
            self.notes.setdefault("already_loaded", []).extend(skipped)
        return sorted(found, key=lambda f: (_period(f.path.name), _KIND_RANK[f.kind],
                                            f.path.name)) if not given else found

    def replay_streams(self) -> list[Stream[Any]]:
        return [CatalogueStream(self), ExportStream(self)]

    # --- what streams ask of the warehouse -------------------------------------------------------

    def known_catalogue(self) -> Known:
        """Venues, shows and performances published for this organisation, or mapped by
        this sync's catalogue."""
        known = Known(set(self.known.venues), set(self.known.events),
                      set(self.known.instances))
        with self.hl.warehouse.connect() as s:
            for table, key, into in (("venues", "venue_id", known.venues),
                                     ("events", "event_id", known.events),
                                     ("instances", "instance_id", known.instances)):
                rows = s.fetchall(f"SELECT {key} FROM {table} WHERE org_id = ?", [self.org_id])
                into.update(str(r[0]) for r in rows)
        return known

    def kept_order_lines(self, order_ids: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """The lines of these orders kept from earlier exports (the latest run of each)."""
        rows: list[tuple[str, str]] = []
        with self.hl.warehouse.connect() as s:
            for start in range(0, len(order_ids), 500):
                chunk = order_ids[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                found = s.fetchall(
                    "WITH latest AS (SELECT w.record_key, MAX(w.run_id) AS run_id"
                    "  FROM raw_records w JOIN runs r ON r.run_id = w.run_id"
                    "  WHERE w.org_id = ? AND r.source = ? AND r.kind <> 'replay'"
                    f"  AND w.stream = ? AND w.record_key IN ({marks}) GROUP BY w.record_key)"
                    " SELECT w.record_key, w.payload FROM raw_records w"
                    " JOIN latest l ON l.record_key = w.record_key AND l.run_id = w.run_id"
                    " WHERE w.org_id = ? AND w.stream = ? ORDER BY w.run_id, w.seq",
                    [self.org_id, self.name, SALES_STREAM, *chunk, self.org_id, SALES_STREAM],
                )
                rows.extend((str(r[0]), str(r[1])) for r in found)
        return decode_lines(rows)

    # --- status and setup ----------------------------------------------------------------------

    def describe_state(self, state: StreamState) -> str:
        return state.cursor or ""

    async def check_setup(self) -> SetupCheckResult:
        from .setup_check import run_setup_check

        steps = await run_setup_check(self)
        return SetupCheckResult(self.org_id, self.name,
                                f"Ticketsolve account {self.settings.client}", steps)

    @classmethod
    def recognises(cls, path: Path) -> bool:
        """Whether ``path`` is a Ticketsolve sales or customer export (by its header)."""
        if not looks_like_export(path):
            return False
        try:
            recognise(path)
        except (UploadError, OSError):
            return False
        return True


_PERIOD = re.compile(r"(\d{4}-\d{2}-\d{2})")


def _period(name: str) -> str:
    """The first date in an export's name (its period), else the name."""
    found = _PERIOD.search(name)
    return found.group(1) if found else name


def loaded_files(state: StreamState | None) -> dict[str, str]:
    """The export files loaded so far: content hash → file name."""
    return dict(((state.checkpoint if state else None) or {}).get("loaded") or {})
