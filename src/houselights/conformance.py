"""The conformance suite every source passes (like the Singer SDK's ``get_tap_test_class``).

A source takes part by naming a harness (:mod:`houselights.sources.kit.harness`) in its
class attribute ``conformance``. ``tests/sources/test_conformance.py`` runs every check
below for every registered source, on DuckDB and PostgreSQL (this module drives the
whole application — the services and the CLI — so it sits above them, at the top):

* :func:`check_keys_unique` — every batch a sync publishes has unique natural keys;
* :func:`check_second_sync_changes_nothing` — syncing again with no change at the box
  office inserts and updates nothing, and every row keeps its lineage;
* :func:`check_changes_are_picked_up` — a change at the box office is read by the next
  sync, and the result equals a clean sync of the changed box office;
* :func:`check_replay_equals_sync` — canonical rows rebuilt from the kept raw records
  equal the synced ones;
* :func:`check_faults_end_equal_to_clean` — with transient faults injected, every sync
  either succeeds or fails in plain words, and the end equals a clean run;
* :func:`check_no_secret_in_logs` — no secret in DEBUG logs, errors, status or summary;
* :func:`check_bad_input` — every bad input the source accepts fails with a message and
  a hint, publishing nothing;
* :func:`check_sigkill_resumes` — a ``houselights sync`` process killed with SIGKILL mid-way
  is resumed by the next sync, which ends equal to a clean run, losing and duplicating
  nothing (PostgreSQL, so the test can watch loads commit).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

from houselights.context import Houselights
from houselights.errors import HouselightsError
from houselights.exchange.batch import Batch
from houselights.exchange.run import ExchangeRun, LoadResult
from houselights.model.schema import CANONICAL_TABLES
from houselights.orgs import service as orgs
from houselights.sources.kit.harness import BoxOffice, Harness
from houselights.sources.kit.runner import SyncSummary
from houselights.sources.kit.source import SyncRequest

__all__ = [
    "check_bad_input",
    "check_changes_are_picked_up",
    "check_faults_end_equal_to_clean",
    "check_keys_unique",
    "check_no_secret_in_logs",
    "check_replay_equals_sync",
    "check_second_sync_changes_nothing",
    "check_sigkill_resumes",
    "snapshot",
    "spy_on_publish",
]

ORG = "conformance-org"
Snapshot = dict[str, list[tuple[Any, ...]]]


# --- helpers ------------------------------------------------------------------------------


def new_org(hl: Houselights, org_id: str = ORG) -> str:
    """Create ``org_id`` in ``hl``'s warehouse."""
    with hl.warehouse.connect() as s, s.transaction():
        orgs.add_org(s, org_id, "Conformance Test Organisation")
    return org_id


def sync(hl: Houselights, box: BoxOffice, source: str, org_id: str = ORG) -> SyncSummary:
    """One sync of ``org_id`` as the box office's request asks."""
    from houselights.services.connections import sync as run

    return run(hl, org_id, source=source, request=box.request())


def snapshot(hl: Houselights, org_id: str = ORG, *, lineage: bool = False) -> Snapshot:
    """Every canonical table of ``org_id``, sorted; ``lineage`` keeps the load ids."""
    out: Snapshot = {}
    with hl.warehouse.connect() as s:
        for table in CANONICAL_TABLES:
            cols = [c for c in table.column_names if c != "org_id" and (lineage or c != "load_id")]
            rows = s.fetchall(
                f"SELECT {', '.join(cols)} FROM {table.name} WHERE org_id = ?", [org_id]
            )
            out[table.name] = sorted(tuple(r) for r in rows)
    return out


def _changed(results: Iterable[LoadResult]) -> int:
    return sum(r.counts.inserted + r.counts.updated for r in results)


def _clean(make_hl: Callable[[str], Houselights], box: BoxOffice, source: str) -> Snapshot:
    clean = make_hl("clean")
    try:
        new_org(clean)
        box.connect(clean, ORG)
        sync(clean, box, source)
        return snapshot(clean)
    finally:
        clean.close()


# --- the checks ---------------------------------------------------------------------------


def check_keys_unique(hl: Houselights, box: BoxOffice, source: str, spy: list[Batch]) -> None:
    """Sync twice (with a change between); every published load's batches together carry
    each natural key once. ``spy`` is filled by :func:`spy_on_publish`."""
    new_org(hl)
    box.connect(hl, ORG)
    sync(hl, box, source)
    box.change()
    sync(hl, box, source)
    assert spy, "the sync published nothing"
    keys = {t.name: [c for c in t.key if c != "org_id"] for t in CANONICAL_TABLES}
    for batch in spy:
        for table, rows in batch.tables.items():
            items = rows if isinstance(rows, list) else rows.to_pylist()
            seen = [tuple(r[c] for c in keys[table]) for r in items]
            dupes = {k for k, n in _counts(seen).items() if n > 1}
            assert not dupes, f"{table}: keys published twice in one load: {sorted(dupes)[:5]}"


def _counts(items: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    out: dict[tuple[Any, ...], int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


@contextlib.contextmanager
def spy_on_publish() -> Iterator[list[Batch]]:
    """Collect every batch published in the block, grouped per load (for key checks)."""
    loads: list[Batch] = []
    original = ExchangeRun.publish

    def publish(self: ExchangeRun, batches: Any, **kw: Any) -> LoadResult:
        parts: Iterable[Batch] = [batches] if isinstance(batches, Batch) else batches
        merged = Batch()

        def seen() -> Iterator[Batch]:
            for b in parts:
                for table, rows in b.tables.items():
                    merged.add(table, rows if isinstance(rows, list) else rows.to_pylist())
                yield b

        result = original(self, seen(), **kw)
        loads.append(merged)
        return result

    ExchangeRun.publish = publish  # type: ignore[method-assign]
    try:
        yield loads
    finally:
        ExchangeRun.publish = original  # type: ignore[method-assign]


def check_second_sync_changes_nothing(hl: Houselights, box: BoxOffice, source: str) -> None:
    """A second sync with nothing changed publishes no row, and lineage stays."""
    new_org(hl)
    box.connect(hl, ORG)
    first = sync(hl, box, source)
    assert _changed(first.loads) > 0, "the first sync published nothing"
    before = snapshot(hl, lineage=True)
    again = sync(hl, box, source)
    assert _changed(again.loads) == 0, f"a sync without changes changed rows: {again.loads}"
    assert snapshot(hl, lineage=True) == before


def check_changes_are_picked_up(
    hl: Houselights, box: BoxOffice, source: str, make_hl: Callable[[str], Houselights]
) -> None:
    """After a change at the box office, the next sync equals a clean sync of it."""
    new_org(hl)
    box.connect(hl, ORG)
    sync(hl, box, source)
    before = snapshot(hl)
    box.change()
    after = sync(hl, box, source)
    assert _changed(after.loads) > 0, "the change was not picked up"
    assert snapshot(hl) != before
    assert snapshot(hl) == _clean(make_hl, box, source)


def check_replay_equals_sync(hl: Houselights, box: BoxOffice, source: str) -> None:
    """Canonical rows rebuilt from the kept raw records equal the synced rows."""
    from houselights.services.exchange import replay

    new_org(hl)
    box.connect(hl, ORG)
    sync(hl, box, source)
    box.change()
    sync(hl, box, source)
    synced = snapshot(hl)
    with hl.warehouse.connect() as s, s.transaction():
        for table in CANONICAL_TABLES:
            s.execute(f"DELETE FROM {table.name} WHERE org_id = ?", [ORG])
    replay(hl, ORG, source=source)
    assert snapshot(hl) == synced


def check_faults_end_equal_to_clean(
    hl: Houselights, box: BoxOffice, source: str, make_hl: Callable[[str], Houselights]
) -> None:
    """With transient faults, syncs succeed or fail plainly; the end equals a clean run."""
    new_org(hl)
    box.connect(hl, ORG)
    box.set_faults(True)
    failures: list[HouselightsError] = []
    for _ in range(6):
        try:
            sync(hl, box, source)
        except HouselightsError as error:
            assert error.message and error.hint, f"an unhelpful error: {error!r}"
            failures.append(error)
        else:
            break
    else:
        raise AssertionError(f"six syncs failed under transient faults: {failures[-1]}")
    box.set_faults(False)
    sync(hl, box, source)  # whatever a failed attempt left behind is caught up now
    assert snapshot(hl) == _clean(make_hl, box, source)


def check_no_secret_in_logs(
    hl: Houselights, box: BoxOffice, source: str, records: Callable[[], str]
) -> None:
    """No secret in DEBUG logs, error messages, status or the summary. ``records()``
    returns everything logged so far (pytest's ``caplog.text``)."""
    logger = logging.getLogger("houselights")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        _no_secret_in_logs(hl, box, source, records)
    finally:
        logger.setLevel(level)  # later code in the same process logs as it did before


def _no_secret_in_logs(
    hl: Houselights, box: BoxOffice, source: str, records: Callable[[], str]
) -> None:
    from houselights.services.connections import connection_status

    new_org(hl)
    box.connect(hl, ORG)
    box.set_faults(True)  # retries get logged too
    texts: list[str] = []
    for _ in range(3):
        try:
            texts.append(repr(sync(hl, box, source).to_dict()))
        except HouselightsError as error:
            texts.append(f"{error.message} {error.hint} {error.detail}")
    box.set_faults(False)
    with contextlib.suppress(LookupError):
        texts.append(repr(connection_status(hl, ORG, source).to_dict()))
    for bad in box.bad_inputs():
        try:
            bad.attempt(hl, ORG)
        except HouselightsError as error:
            texts.append(f"{error.message} {error.hint} {error.detail}")
    everything = records() + "\n".join(texts)
    for secret in box.secrets:
        assert secret and secret not in everything, "a secret was shown"


def check_bad_input(hl: Houselights, box: BoxOffice, source: str) -> None:
    """Every bad input fails with a message and a hint, and publishes nothing."""
    new_org(hl)
    box.connect(hl, ORG)
    sync(hl, box, source)
    before = snapshot(hl, lineage=True)
    bad_inputs = box.bad_inputs()
    assert bad_inputs, "the harness lists no bad inputs to try"
    for bad in bad_inputs:
        try:
            bad.attempt(hl, ORG)
        except HouselightsError as error:
            assert error.message, f"{bad.name}: no message"
            assert error.hint, f"{bad.name}: no hint ({error.message})"
        else:
            raise AssertionError(f"{bad.name}: accepted without an error")
        box.connect(hl, ORG)  # a bad connection setting is put right again
        assert snapshot(hl, lineage=True) == before, f"{bad.name}: published something"


def sync_command(source: str, request: SyncRequest, org_id: str = ORG) -> list[str]:
    """``houselights sync …`` arguments for ``request``."""
    args = ["sync", org_id, "--source", source]
    if request.backfill_file is not None:
        args += ["--backfill", str(request.backfill_file)]
    for path in request.files:
        args += ["--file", str(path)]
    return args


def _running_loads(hl: Houselights) -> tuple[bool, int]:
    with hl.warehouse.connect() as s:
        running = s.scalar(
            "SELECT COUNT(*) FROM runs WHERE org_id = ? AND status = 'running'", [ORG]
        )
        loads = s.scalar(
            "SELECT COUNT(*) FROM loads l JOIN runs r ON r.run_id = l.run_id"
            " WHERE r.org_id = ? AND r.status = 'running'",
            [ORG],
        )
    return bool(running), int(loads or 0)


def check_sigkill_resumes(
    hl: Houselights,
    box: BoxOffice,
    harness: Harness,
    make_hl: Callable[[str], Houselights],
    env: dict[str, str],
    *,
    min_loads: int = 0,
    deadline_seconds: float = 120.0,
) -> None:
    """Kill ``houselights sync`` with SIGKILL once a run is under way (and ``min_loads``
    of its loads committed), sync again: the end equals a clean run's."""
    source = harness.source
    new_org(hl)
    box.connect(hl, ORG)
    launcher = [sys.executable, "-m", "houselights.conformance"]
    plugin = ["--plugin", harness.plugin] if harness.plugin else []
    command = [*launcher, *plugin, "--", *sync_command(source, box.request())]
    with (Path(env["HOUSELIGHTS_DATA_DIR"]).parent / "killed-sync.log").open("wb") as log:
        # Our own interpreter and arguments: nothing from outside the test.
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + deadline_seconds
        while True:
            running, loads = _running_loads(hl)
            if running and loads >= min_loads:
                break
            assert proc.poll() is None, "the sync ended before it could be killed"
            assert time.monotonic() < deadline, "the sync did not get under way in time"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert rerun.returncode == 0, rerun.stderr
    with hl.warehouse.connect() as s:
        failed = s.fetchall(
            "SELECT message FROM runs WHERE org_id = ? AND status = 'failed'", [ORG]
        )
    assert len(failed) == 1 and "Interrupted" in str(failed[0][0])
    assert snapshot(hl) == _clean(make_hl, box, source)


def _main(argv: list[str]) -> int:
    """``python -m houselights.conformance [--plugin MODULE:CLASS] -- CLI ARGS``: run
    the CLI with a source registered first (the SIGKILL check's subprocess)."""
    from houselights.sources.kit.registry import register

    if "--" in argv:
        split = argv.index("--")
        options, cli = argv[:split], argv[split + 1 :]
    else:
        options, cli = [], argv
    for i, arg in enumerate(options):
        if arg == "--plugin":
            module, _, attr = options[i + 1].partition(":")
            register(getattr(import_module(module), attr))
    from houselights.cli.main import main

    return main(cli)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
