"""What the CLI does, through the API: upload a file, sync now, pause and resume, jobs,
tokens — so that nothing needs a second process while ``houselights serve`` holds the
embedded database."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from houselights.api import tokens
from houselights.api.deps import Ctx, Name, PageQuery, RequestContext, Slug, paged
from houselights.api.errors import ErrorBody
from houselights.api.models import (
    ConnectionControlOut,
    CreatedTokenOut,
    JobOut,
    JobQueuedOut,
    OrgTokenIn,
    PageOut,
    TokenIn,
    TokenOut,
    UploadErrorBody,
    UploadOut,
)
from houselights.errors import NotFoundError, PermissionDeniedError, UploadError
from houselights.jobs import queue, store
from houselights.orgs.service import Connection
from houselights.services import exchange as svc

__all__ = ["router"]

router = APIRouter()

_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx"}
_BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body cannot be parsed"}
}


def _saved(upload: UploadFile, folder: Path) -> Path:
    """The uploaded file on disk, under a safe name keeping its suffix (the reader
    detects the format from it)."""
    name = PurePath(upload.filename or "upload.csv").name or "upload.csv"
    suffix = PurePath(name).suffix.lower()
    if suffix not in _SUFFIXES:
        suffix = ".csv"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in PurePath(name).stem)[:80]
    target = folder / f"{safe or 'upload'}{suffix}"
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1 << 20)
    return target


@router.post(
    "/orgs/{slug}/uploads",
    tags=["uploads"],
    summary="Upload a file",
    response_model=UploadOut,
    responses={
        400: {"model": ErrorBody, "description": "The multipart body cannot be parsed"},
        422: {"model": UploadErrorBody, "description": "The file is refused"},
    },
)
def upload(
    ctx: Ctx, slug: Slug,
    file: Annotated[UploadFile | None, File(description="CSV or XLSX (required)")] = None,
) -> dict[str, Any]:
    """Load a file in the upload template for the organisation, as `houselights upload`:
    published atomically, every unusable line held back with its line, column and reason.
    A file refused as a whole answers 422 with the lines that made it refuse."""
    org_id = ctx.org(slug, "manage")  # permission before anything about the request
    if file is None:
        raise UploadError(
            "The request has no file.",
            hint="Send the file as the multipart form field 'file' "
            "(curl -F file=@sales.csv …).",
        )
    folder = ctx.hl.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = _saved(file, Path(tmp))
        summary = svc.upload_file(ctx.hl, org_id, path)
    counts = summary.load.counts
    return {
        "run_id": summary.run_id,
        "status": "published",
        "file": summary.file,
        "lines_read": summary.lines_read,
        "rows_published": counts.inserted + counts.updated,
        "rows_unchanged": counts.unchanged,
        "rows_held_back": summary.problems_total,
        "problems_by_check": summary.problems_by_check,
        "row_errors": svc.row_errors(summary.problems),
    }


def _wake(request: Request) -> None:
    scheduler = getattr(request.app.state, "scheduler", None)
    if scheduler is not None:
        scheduler.wake()


@router.post(
    "/orgs/{slug}/connections/{source}/sync",
    tags=["connections"],
    summary="Sync now",
    status_code=202,
    response_model=JobQueuedOut,
)
def sync_now(ctx: Ctx, request: Request, slug: Slug, source: Name) -> JSONResponse:
    """Queue a sync of the connection now; answers at once with the job (follow it on
    `GET /orgs/{slug}/jobs`). A sync already waiting is returned, not doubled."""
    org_id = ctx.org(slug, "manage")
    job = queue.request_sync(ctx.hl, org_id, source)
    _wake(request)
    return JSONResponse({"job_id": job.job_id, "status": job.status}, status_code=202)


def _control(conn: Connection) -> dict[str, Any]:
    return {**conn.redacted(), "paused": conn.status == "paused"}


@router.post(
    "/orgs/{slug}/connections/{source}/pause",
    tags=["connections"],
    summary="Pause scheduled syncs",
    response_model=ConnectionControlOut,
)
def pause(ctx: Ctx, slug: Slug, source: Name) -> dict[str, Any]:
    """Stop scheduled syncs of the connection (waiting jobs are cancelled; a running sync
    finishes). Nothing loaded is lost."""
    org_id = ctx.org(slug, "manage")
    return _control(queue.pause(ctx.hl, org_id, source)[0])


@router.post(
    "/orgs/{slug}/connections/{source}/resume",
    tags=["connections"],
    summary="Resume scheduled syncs",
    response_model=ConnectionControlOut,
)
def resume(ctx: Ctx, request: Request, slug: Slug, source: Name) -> dict[str, Any]:
    """Resume the connection's scheduled syncs; the next one is due at once."""
    org_id = ctx.org(slug, "manage")
    out = _control(queue.resume(ctx.hl, org_id, source)[0])
    _wake(request)
    return out


StatusFilter = Annotated[
    list[store.JobStatus],
    Query(max_length=len(store.JOB_STATUSES), description="Only jobs in these statuses."),
]


@router.get(
    "/orgs/{slug}/jobs", tags=["jobs"], summary="Sync jobs", response_model=PageOut[JobOut]
)
def jobs(
    ctx: Ctx, request: Request, slug: Slug, page: PageQuery,
    status: StatusFilter = [],  # noqa: B006
) -> dict[str, Any]:
    """The organisation's sync jobs, newest first: queued, running, retrying, and how
    each finished, with its attempts and last error."""
    org_id = ctx.org(slug, "manage")
    rows = store.list_jobs(ctx.session, org_id, statuses=tuple(status), limit=page.stop)
    return paged(request, page, rows)


# ------------------------------------------------------------------------------ tokens
def _admin(ctx: RequestContext) -> None:
    if ctx.principal.kind != "admin":
        raise PermissionDeniedError(
            f"Only an admin token may manage every token; this is a {ctx.principal.kind} "
            "token.",
            hint="Use the organisation's own token routes (/orgs/{slug}/tokens), or an admin "
            "token.",
        )


@router.get("/tokens", tags=["tokens"], summary="Tokens", response_model=PageOut[TokenOut])
def list_all_tokens(ctx: Ctx, request: Request, page: PageQuery) -> dict[str, Any]:
    """Active tokens (ids, never the tokens): admin only."""
    _admin(ctx)
    return paged(request, page, tokens.list_tokens(ctx.session))


@router.post(
    "/tokens", tags=["tokens"], summary="Create a token", status_code=201,
    response_model=CreatedTokenOut, responses=_BAD_BODY,
)
def create_any_token(ctx: Ctx, body: TokenIn) -> JSONResponse:
    """Create a token of any kind (admin only); the token is in this answer only."""
    _admin(ctx)
    with ctx.session.transaction():
        created = tokens.create_token(ctx.session, body.kind, body.subject, label=body.label)
    return _created(created)


@router.delete("/tokens/{token_id}", tags=["tokens"], summary="Revoke a token",
               response_model=TokenOut)
def revoke_any_token(ctx: Ctx, token_id: Name) -> dict[str, Any]:
    """Revoke any token by id (admin only); it stops working at once."""
    _admin(ctx)
    with ctx.session.transaction():
        return _token(tokens.revoke_token(ctx.session, token_id))


def _token(info: tokens.TokenInfo) -> dict[str, Any]:
    return {
        "token_id": info.token_id, "kind": info.kind, "subject": info.subject,
        "label": info.label, "created_at": info.created_at, "revoked_at": info.revoked_at,
    }


def _created(created: tokens.CreatedToken) -> JSONResponse:
    body = CreatedTokenOut(token=created.token, **_token(created.info))
    return JSONResponse(body.model_dump(mode="json"), status_code=201)


def _org_tokens(ctx: RequestContext, org_id: str) -> list[tokens.TokenInfo]:
    return [t for t in tokens.list_tokens(ctx.session) if t.kind == "org" and t.subject == org_id]


@router.get("/orgs/{slug}/tokens", tags=["tokens"], summary="The organisation's tokens",
            response_model=PageOut[TokenOut])
def list_org_tokens(ctx: Ctx, request: Request, slug: Slug, page: PageQuery) -> dict[str, Any]:
    """The organisation's active tokens (ids, never the tokens)."""
    org_id = ctx.org(slug, "manage")
    return paged(request, page, [_token(t) for t in _org_tokens(ctx, org_id)])


@router.post("/orgs/{slug}/tokens", tags=["tokens"], summary="Create an organisation token",
             status_code=201, response_model=CreatedTokenOut, responses=_BAD_BODY)
def create_org_token(ctx: Ctx, slug: Slug, body: OrgTokenIn | None = None) -> JSONResponse:
    """Create a token for the organisation (as `houselights token create org SLUG`);
    the token is in this answer only."""
    org_id = ctx.org(slug, "manage")
    label = body.label if body is not None else None
    with ctx.session.transaction():
        created = tokens.create_token(ctx.session, "org", org_id, label=label)
    return _created(created)


@router.delete("/orgs/{slug}/tokens/{token_id}", tags=["tokens"],
               summary="Revoke an organisation token", response_model=TokenOut)
def revoke_org_token(ctx: Ctx, slug: Slug, token_id: Name) -> dict[str, Any]:
    """Revoke one of the organisation's tokens; it stops working at once."""
    org_id = ctx.org(slug, "manage")
    wanted = token_id.strip().lower()
    if len(wanted) < 6 or not any(t.token_id.startswith(wanted) for t in _org_tokens(ctx, org_id)):
        raise NotFoundError(
            f"'{token_id}' names no active token of organisation '{org_id}'.",
            hint=f"GET /api/v1/orgs/{org_id}/tokens lists its tokens' ids.",
        )
    with ctx.session.transaction():
        return _token(tokens.revoke_token(ctx.session, token_id))
