"""Schemathesis over the API's own OpenAPI document, against the running app.

Every operation gets generated requests, valid ones and deliberately invalid ones, on
the published test world (tests/api/data.py), with an admin token and with an
organisation's token; for valid requests ``{slug}``, ``{source}`` and ``{metric_id}`` are
pinned to values with data behind them, so the queries run on real rows. Every response
must not be a 5xx, must have a documented status, content type and headers, and must
match its response schema; invalid requests must be refused with a 4xx. Examples are
bounded and derandomised (the same cases every run), so the sweep takes about a minute.

Pinned, because the document cannot say it: an admin must name the benchmark ``viewer``
(the parameter is optional for every other token; its description says so). Left out:
the setup check, which calls the box office by design (covered by the source's tests).

(Schemathesis's pytest plugin does not run under pytest 9, so each operation's strategy
is driven with Hypothesis directly; ``call_and_validate`` runs the same checks.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from houselights.api import create_app
from houselights.context import Houselights

from .world import Served

MAX_EXAMPLES = 10

# The document the app serves (built without I/O; the running app serves the same one).
DOCUMENT = create_app(Houselights(data_dir="/nonexistent-not-opened")).openapi()
SCHEMA = schemathesis.openapi.from_dict(
    DOCUMENT,
    # Unknown query parameters are ignored (as by most APIs), so sending them is no test.
    # A fixed seed: the same cases in every run, whatever ran before in the process.
    config=SchemathesisConfig.from_dict(
        {"seed": 14, "generation": {"allow-extra-parameters": False, "deterministic": True}}
    ),
).exclude(path_regex=r"/setup-check$")
# A schema-valid request may still be refused, with 422, for a rule the document cannot
# state: 'from' needs 'to', a financial year's halves must be consecutive years, a date
# must lie in the supported range. Refusing those is the edge validation this suite is
# about, so the check that every schema-valid request succeeds is not run.
EXCLUDED_CHECKS = [positive_data_acceptance]
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Path values with data behind them (free-form in the document, so rarely guessed).
PATH_PINS = {"slug": "alpha", "source": "spektrix", "metric_id": "M07"}
# Valid requests as an admin and as an organisation (their answers differ); invalid ones
# once (they are refused before a token's rights matter). An operation without
# parameters has no invalid request to make.
CASES = [
    (operation, mode, token)
    for operation in OPERATIONS
    for mode, token in (
        (GenerationMode.POSITIVE, "admin"),
        (GenerationMode.POSITIVE, "alpha"),
        (GenerationMode.NEGATIVE, "admin"),
    )
    if mode is GenerationMode.POSITIVE or operation.path_parameters or operation.query
]


def test_every_operation_is_swept() -> None:
    swept = {(op.method.upper(), op.path) for op in OPERATIONS}
    documented = {(m.upper(), p) for p, ops in DOCUMENT["paths"].items() for m in ops}
    assert documented - swept == {
        ("POST", "/api/v1/orgs/{slug}/connections/{source}/setup-check")
    }
    assert len(swept) >= 35


@pytest.mark.parametrize(
    ("operation", "mode", "token"),
    CASES,
    ids=[f"{op.method.upper()} {op.path} {mode.value} {token}" for op, mode, token in CASES],
)
def test_operation_conforms_to_the_document(
    served_duckdb: Served,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    token: str,
) -> None:
    base_url = str(served_duckdb.http.base_url)
    headers = {"Authorization": f"Bearer {served_duckdb.tokens[token]}"}
    pinned: dict[str, dict[str, str]] = {}
    if mode is GenerationMode.POSITIVE:
        in_path = {p.name for p in operation.path_parameters}
        pinned["path_parameters"] = {k: v for k, v in PATH_PINS.items() if k in in_path}
        if token == "admin" and "viewer" in [p.name for p in operation.query]:
            pinned["query"] = {"viewer": "arts-council"}

    @given(case=operation.as_strategy(generation_mode=mode, **pinned))  # type: ignore[arg-type]
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def sweep(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url, headers=headers, excluded_checks=EXCLUDED_CHECKS
        )

    sweep()
