"""The kit's conformance suite, run for every registered source and the toy source.

A source takes part by registering (and naming its harness): nothing here names Spektrix
or uploads. The toy source (``toy_source.py``) is registered for these tests only, and
passes the same checks — the proof that the kit is enough to write a box office.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import PgSchemas, make_url
from toy_source import HARNESS as TOY
from toy_source import ToySource

from houselights import conformance
from houselights.context import Houselights
from houselights.sources.kit.harness import Harness, harness_for
from houselights.sources.kit.registry import register, source_names, unregister

BUILT_IN = source_names()
SOURCES = [*BUILT_IN, TOY.source]
FAULTY = [n for n in BUILT_IN if harness_for(n).injects_faults] + [TOY.source]


@pytest.fixture(autouse=True)
def toy_registered() -> Iterator[None]:
    register(ToySource)
    yield
    unregister(ToySource.name)


@pytest.fixture
def make_hl(
    tmp_path: Path, backend: str, pg_schemas: PgSchemas
) -> Iterator[Callable[[str], Houselights]]:
    made: list[Houselights] = []

    def make(name: str) -> Houselights:
        url = make_url(backend, tmp_path / name, pg_schemas)
        (tmp_path / name).mkdir(exist_ok=True)
        hl = Houselights(data_dir=tmp_path / name / "data", database_url=url, secret_key="")
        made.append(hl)
        return hl

    yield make
    for hl in made:
        hl.close()


def _harness(name: str) -> Harness:
    return TOY if name == TOY.source else harness_for(name)


def test_every_source_names_a_harness() -> None:
    for name in source_names():
        assert _harness(name).source == name


@pytest.mark.parametrize("source", SOURCES)
def test_keys_unique_per_load(
    source: str, make_hl: Callable[[str], Houselights], tmp_path: Path
) -> None:
    with _harness(source).box_office(tmp_path / "box") as box, conformance.spy_on_publish() as spy:
        conformance.check_keys_unique(make_hl("main"), box, source, spy)


@pytest.mark.parametrize("source", SOURCES)
def test_second_sync_without_changes_publishes_nothing(
    source: str, make_hl: Callable[[str], Houselights], tmp_path: Path
) -> None:
    with _harness(source).box_office(tmp_path / "box") as box:
        conformance.check_second_sync_changes_nothing(make_hl("main"), box, source)


@pytest.mark.parametrize("source", SOURCES)
def test_changes_are_picked_up(
    source: str, make_hl: Callable[[str], Houselights], tmp_path: Path
) -> None:
    with _harness(source).box_office(tmp_path / "box") as box:
        conformance.check_changes_are_picked_up(make_hl("main"), box, source, make_hl)


@pytest.mark.parametrize("source", SOURCES)
def test_replay_equals_sync(
    source: str, make_hl: Callable[[str], Houselights], tmp_path: Path
) -> None:
    with _harness(source).box_office(tmp_path / "box") as box:
        conformance.check_replay_equals_sync(make_hl("main"), box, source)


@pytest.mark.parametrize("source", FAULTY)
def test_injected_faults_end_equal_to_a_clean_run(
    source: str, make_hl: Callable[[str], Houselights], tmp_path: Path
) -> None:
    with _harness(source).box_office(tmp_path / "box") as box:
        conformance.check_faults_end_equal_to_clean(make_hl("main"), box, source, make_hl)


@pytest.mark.parametrize("source", SOURCES)
def test_no_secret_in_debug_logs(
    source: str,
    make_hl: Callable[[str], Houselights],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    with _harness(source).box_office(tmp_path / "box") as box:
        conformance.check_no_secret_in_logs(make_hl("main"), box, source, lambda: caplog.text)


@pytest.mark.parametrize("source", SOURCES)
def test_bad_input_is_refused_clearly(
    source: str, make_hl: Callable[[str], Houselights], tmp_path: Path
) -> None:
    with _harness(source).box_office(tmp_path / "box") as box:
        conformance.check_bad_input(make_hl("main"), box, source)


@pytest.mark.parametrize("source", SOURCES)
def test_sigkill_mid_sync_then_rerun_equals_clean(
    source: str, tmp_path: Path, pg_schemas: PgSchemas
) -> None:
    harness = _harness(source)
    url = pg_schemas.new_url()
    data = tmp_path / "killed" / "data"
    hl = Houselights(data_dir=data, database_url=url, secret_key="")
    env = {
        **os.environ,
        "HOUSELIGHTS_DATA_DIR": str(data),
        "HOUSELIGHTS_DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    env.pop("HOUSELIGHTS_SECRET_KEY", None)
    made: list[Houselights] = []

    def make_clean(name: str) -> Houselights:
        clean = Houselights(
            data_dir=tmp_path / name / "data", database_url=pg_schemas.new_url(), secret_key=""
        )
        made.append(clean)
        return clean

    try:
        with harness.box_office(tmp_path / "box", slow=True) as box:
            conformance.check_sigkill_resumes(
                hl, box, harness, make_clean, env, min_loads=harness.kill_after_loads
            )
    finally:
        hl.close()
        for clean in made:
            clean.close()
