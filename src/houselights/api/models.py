"""Response models: what each route returns, for validation and the OpenAPI document.

Insight results are frozen dataclasses whose ``to_dict()`` is their fields made plain
(:func:`houselights.insights.results.plain`), so their models are derived from the
dataclasses themselves by :func:`model_of` — one definition, no drift: a field added to a
result appears in the API description, and a response that no longer matches its model
fails the tests (the models forbid unknown fields). The other shapes (paging, tokens,
runs, connections) are declared here.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from functools import cache
from typing import (
    Annotated,
    Any,
    Generic,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from houselights.insights.periods import Period

__all__ = [
    "CheckResultOut",
    "CohortOut",
    "ConnectionControlOut",
    "ConnectionOut",
    "ConnectionStatusOut",
    "CreatedTokenOut",
    "FilterOptionsOut",
    "HealthOut",
    "JobOut",
    "JobQueuedOut",
    "MeOut",
    "MetricDefinitionOut",
    "OrgTokenIn",
    "OrganisationOut",
    "PageOut",
    "PeriodOut",
    "QuarantinedRowOut",
    "RecipientsOut",
    "RowErrorOut",
    "RunOut",
    "SetupCheckOut",
    "Timestamp",
    "TokenIn",
    "TokenOut",
    "UploadErrorBody",
    "UploadOut",
    "model_of",
]

T = TypeVar("T")

Timestamp = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?"
            r"(Z|[+-]\d{2}:\d{2})?$",
            "description": "ISO 8601 date and time, normally without an offset: box office "
            "times are local wall-clock times (as the box office reports them), houselights' "
            "own bookkeeping times are UTC.",
        }
    ),
]
"""A timestamp as the warehouse keeps it: naive (no offset), hence not an RFC 3339
``date-time``, which needs one."""


class Strict(BaseModel):
    """A response shape that names every field it may hold."""

    model_config = ConfigDict(extra="forbid")


class PeriodOut(Strict):
    """A period: ``start`` and ``end`` (exclusive) as ISO dates, its last day and label."""

    start: date
    end: date
    last_day: date
    label: str


@cache
def model_of(cls: type[Any]) -> type[BaseModel]:
    """The response model of the result dataclass ``cls``, field for field."""
    hints = get_type_hints(cls)
    fields: dict[str, Any] = {
        f.name: (_json_type(hints[f.name]), ...) for f in dataclasses.fields(cls)
    }
    doc = (cls.__doc__ or "").strip()
    model: type[BaseModel] = create_model(
        cls.__name__, __base__=Strict, __doc__=doc or None, **fields
    )
    return model


def _json_type(tp: Any) -> Any:
    """The type ``tp`` has once :func:`~houselights.insights.results.plain` has run."""
    if tp is Period:
        return PeriodOut
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is tuple:
        return list[_json_type(args[0])]  # type: ignore[misc]
    if origin is list:
        return list[_json_type(args[0])]  # type: ignore[misc]
    if origin is dict:
        return dict[str, _json_type(args[1])]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        mapped = tuple(_json_type(a) for a in args)
        return Union[mapped]  # noqa: UP007 (built from a tuple of types)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return model_of(tp)
    if tp is datetime:
        return Timestamp
    if origin is Literal or tp in (str, int, float, bool, date, type(None)):
        return tp
    return Any


class PageOut(Strict, Generic[T]):
    """One page of a list, and the path of the next page (``null`` on the last)."""

    items: list[T]
    limit: int
    offset: int
    next: str | None


class HealthOut(Strict):
    """The service answers."""

    status: Literal["ok"]
    version: str


class MeOut(Strict):
    """The calling token and the organisations it may see."""

    kind: Literal["admin", "org", "recipient"]
    subject: str
    token_id: str
    orgs: list[str]


class OrganisationOut(Strict):
    """An organisation."""

    org_id: str
    name: str
    region: str | None
    artform: str | None
    created_at: Timestamp


class VenueOption(Strict):
    """A venue to filter by."""

    venue_id: str
    name: str


class FilterOptionsOut(Strict):
    """An organisation's venues, seasons and the financial years its data spans."""

    venues: list[VenueOption]
    seasons: list[str]
    financial_years: list[str]
    default_year: str | None = Field(
        description="The year to open on: the latest financial year with a performance "
        "that had taken place by the organisation's latest order (None without data)."
    )
    data_until: date | None = Field(description="The day of the organisation's latest order.")


class ConnectionOut(Strict):
    """A box office connection; secrets only by name, redacted."""

    org_id: str
    source: str
    settings: dict[str, Any]
    secrets: dict[str, str]
    status: str
    status_reason: str | None
    updated_at: Timestamp


class StreamLagOut(BaseModel):
    """One stream's committed position and how long ago it moved."""

    model_config = ConfigDict(extra="allow")

    stream: str
    cursor: str | None
    updated_at: Timestamp
    lag_seconds: float
    detail: str = ""


class ConnectionStatusOut(BaseModel):
    """The state of a connection: last success, last error, next run and stream lag.
    ``problem`` says why stored settings cannot be used, and what to do."""

    model_config = ConfigDict(extra="allow")

    org_id: str
    source: str
    problem: str | None = None
    status: str
    status_reason: str | None
    settings: dict[str, Any]
    last_success: Timestamp | None
    last_success_run: str | None
    last_error: str | None
    last_error_at: Timestamp | None
    running: bool
    next_run: Timestamp | None
    streams: list[StreamLagOut]


class SetupStepOut(BaseModel):
    """One verified step of a setup check and, when it failed, the fix."""

    model_config = ConfigDict(extra="allow")

    key: str
    title: str
    guide: str
    status: str
    detail: str
    fix: str = ""
    mark: str = ""


class SetupCheckOut(BaseModel):
    """Every step of a connection's setup check; ``target`` names what was checked in the
    box office's words ("Spektrix client riverside")."""

    model_config = ConfigDict(extra="allow")

    org_id: str
    source: str
    target: str
    ok: bool
    steps: list[SetupStepOut]


class RunOut(Strict):
    """An exchange run with its row counts and outcome."""

    run_id: str
    kind: str
    source: str
    status: str
    started_at: Timestamp
    finished_at: Timestamp | None
    records_in: int | None
    rows_staged: int | None
    rows_published: int | None
    rows_unchanged: int | None
    rows_quarantined: int | None
    message: str | None


class CheckResultOut(Strict):
    """What one quality check found in one load."""

    run_id: str
    load_id: str
    check_name: str
    table_name: str
    policy: str
    outcome: str
    failing_rows: int
    description: str
    sample: str | None = Field(description="Up to five examples, as JSON text.")


class QuarantinedRowOut(Strict):
    """A row held back by a quality check, with the reason and the row as JSON text."""

    run_id: str
    load_id: str
    table_name: str
    record_key: str
    check_name: str
    reason: str
    record: str


class MetricDefinitionOut(Strict):
    """A catalogued metric."""

    metric_id: str
    name: str
    unit: str
    default_basis: str
    bases: list[str]
    family: str
    field: str


class RecipientsOut(Strict):
    """The recipients an organisation has granted benchmarks (the cohorts it is in)."""

    org_id: str
    recipients: list[str]


class CohortOut(Strict):
    """The size of a viewer's benchmark cohort and whether it is large enough."""

    viewer: str
    size: int
    min_cohort: int
    enough: bool
    organisations: list[str] | None = Field(
        description="The members: only for an admin or the viewer itself."
    )


class RowErrorOut(Strict):
    """One problem of one line of an uploaded file."""

    row: int | None = Field(description="The file's line number (the header is line 1).")
    column: str | None = Field(description="The column as headed in the file.")
    value: str | None = Field(description="What the line holds there (null when blank).")
    problem: str


class UploadOut(Strict):
    """What an upload did: the run, rows published, and the rows held back with why.

    ``row_errors`` lists the first held-back lines (as many as the CLI prints);
    ``rows_held_back`` counts them all (the quarantine route pages through every one)."""

    run_id: str
    status: str
    file: str
    lines_read: int
    rows_published: int
    rows_unchanged: int
    rows_held_back: int
    problems_by_check: dict[str, int]
    row_errors: list[RowErrorOut]


class UploadErrorDetail(Strict):
    """A refused file: the one-line reason, the fix, and the lines that made it refuse."""

    code: str
    message: str
    hint: str
    row_errors: list[RowErrorOut] = Field(
        default_factory=list,
        description="With code invalid_upload: the first lines that made the file refused "
        "(empty when the file itself is unusable).",
    )


class UploadErrorBody(Strict):
    """The error shape of a refused upload (the one shape, with ``row_errors``)."""

    error: UploadErrorDetail


class JobOut(Strict):
    """A sync job."""

    id: str
    org_id: str
    source: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed", "retrying", "cancelled"]
    attempts: int
    last_error: str | None
    queued_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    run_after: Timestamp | None = Field(description="A retrying job's next attempt.")


class JobQueuedOut(Strict):
    """The job that will run the sync (an already waiting one when there was)."""

    job_id: str
    status: str


class ConnectionControlOut(ConnectionOut):
    """A connection after pausing or resuming it."""

    paused: bool


class TokenOut(Strict):
    """An API token, without its secret."""

    token_id: str
    kind: Literal["admin", "org", "recipient"]
    subject: str
    label: str | None
    created_at: Timestamp
    revoked_at: Timestamp | None


class CreatedTokenOut(TokenOut):
    """A new token: ``token`` is shown this once (only its hash is stored)."""

    token: str


class TokenIn(BaseModel):
    """A token to create (admin route): its kind, subject and label."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["admin", "org", "recipient"]
    subject: str | None = Field(None, max_length=200)
    label: str | None = Field(None, max_length=200)


class OrgTokenIn(BaseModel):
    """An organisation token to create: a note saying who holds it."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(None, max_length=200)
