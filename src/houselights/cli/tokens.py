"""``houselights token``: API tokens for the REST API and the dashboard."""

from __future__ import annotations

from typing import Annotated

import typer

from houselights.api import tokens
from houselights.cli.common import OutputFormat, console, emit_rows, get_app

__all__ = ["token_app"]

token_app = typer.Typer(
    help="API tokens. Only a token's SHA-256 is stored: the token itself is shown once, "
    "when it is created.",
    no_args_is_help=True,
)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help="admin (everything), org (one organisation) or recipient (a funder or peer: "
            "only what organisations granted it)."
        ),
    ],
    subject: Annotated[
        str | None,
        typer.Argument(
            help="The organisation slug (org) or the recipient name grants were made to "
            "(recipient); none for admin.",
            show_default=False,
        ),
    ] = None,
    label: Annotated[str | None, typer.Option(help="A note saying who holds it.")] = None,
) -> None:
    """Create an API token and show it (once).

    Examples: houselights token create org riverside-arts --label "box office laptop";
    houselights token create recipient arts-council; houselights token create admin
    """
    with get_app(ctx).warehouse.connect() as s, s.transaction():
        created = tokens.create_token(s, kind, subject, label=label)
    info = created.info
    console.print(f"Created a {info.kind} token for [bold]{info.subject}[/] (id {info.token_id}).")
    console.print("Token (shown only now; keep it secret):")
    console.print(created.token, soft_wrap=True, markup=False)
    console.print(
        "Use it as the header 'Authorization: Bearer <token>', or paste it into the "
        "dashboard's sign-in page."
    )


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
) -> None:
    """List API tokens (ids, never the tokens themselves)."""
    with get_app(ctx).warehouse.connect() as s:
        rows = tokens.list_tokens(s, include_revoked=all_)
    emit_rows(
        [
            {
                "id": t.token_id,
                "kind": t.kind,
                "subject": t.subject,
                "label": t.label,
                "created": t.created_at,
                "revoked": t.revoked_at,
            }
            for t in rows
        ],
        fmt,
        title="API tokens",
        empty="No API tokens. Create one: houselights token create admin",
    )


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The id shown by `houselights token list`.")],
) -> None:
    """Revoke an API token; it stops working at once."""
    with get_app(ctx).warehouse.connect() as s, s.transaction():
        info = tokens.revoke_token(s, token_id)
    console.print(f"Revoked the {info.kind} token {info.token_id} ({info.subject}).")
