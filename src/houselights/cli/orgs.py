"""``houselights org`` and ``houselights grant``: organisations and data sharing."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from houselights.cli.common import OutputFormat, console, emit_rows, get_app
from houselights.orgs import service

org_app = typer.Typer(
    help="Organisations whose box office data houselights holds.", no_args_is_help=True
)
grant_app = typer.Typer(
    help="Data-sharing grants: which recipient (funder, agency, peer) may see an "
    "organisation's data. Revoking takes effect at the next query.",
    no_args_is_help=True,
)

FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="Short id, e.g. riverside-arts.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    region: Annotated[str | None, typer.Option(help="UK region, e.g. 'North West'.")] = None,
    artform: Annotated[str | None, typer.Option(help="Main artform, e.g. theatre.")] = None,
) -> None:
    """Add an organisation.

    Example: houselights org add riverside-arts --name "Riverside Arts Centre"
    """
    with get_app(ctx).warehouse.connect() as s, s.transaction():
        org = service.add_org(s, slug, name, region=region, artform=artform)
    console.print(f"Added organisation [bold]{org.org_id}[/] ({org.name}).")
    console.print(
        f"Next: load data with `houselights upload {org.org_id} FILE` or connect a box office "
        f"with `houselights connect spektrix {org.org_id} …`."
    )


@org_app.command("list")
def org_list(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """List organisations."""
    with get_app(ctx).warehouse.connect() as s:
        orgs = service.list_orgs(s)
    emit_rows(
        [
            {
                "slug": o.org_id,
                "name": o.name,
                "region": o.region,
                "artform": o.artform,
                "created": o.created_at,
            }
            for o in orgs
        ],
        fmt,
        title="Organisations",
        empty="No organisations yet. Add one: houselights org add SLUG --name NAME",
    )


@org_app.command("show")
def org_show(ctx: typer.Context, slug: str, fmt: FormatOpt = OutputFormat.table) -> None:
    """Show an organisation, its connections (secrets redacted) and grants."""
    hl = get_app(ctx)
    with hl.warehouse.connect() as s:
        org = service.get_org(s, slug)
        conns = service.list_connections(s, slug, hl.vault)
        grants = service.list_grants(s, slug)
        counts = {
            t: int(s.scalar(f"SELECT COUNT(*) FROM {t} WHERE org_id = ?", [slug]) or 0)
            for t in ("events", "instances", "customers", "orders", "order_lines")
        }
    if fmt is not OutputFormat.table:
        emit_rows(
            [
                {
                    "slug": org.org_id,
                    "name": org.name,
                    "region": org.region,
                    "artform": org.artform,
                    "connections": [c.source for c in conns],
                    "active_grants": [g.recipient for g in grants if g.active],
                    **counts,
                }
            ],
            fmt,
        )
        return
    console.print(
        f"[bold]{org.name}[/] ({org.org_id})  region: {org.region or '-'}  "
        f"artform: {org.artform or '-'}"
    )
    console.print("Data: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()))
    if conns:
        for c in conns:
            secrets = ", ".join(f"{k}=••••••" for k in c.redacted()["secrets"]) or "none"
            console.print(
                f"Connection [bold]{c.source}[/]: {c.status}"
                f"{' (' + c.status_reason + ')' if c.status_reason else ''}; "
                f"settings {c.settings}; secrets {secrets}"
            )
    else:
        console.print("No box office connection (uploads only).")
    active = [g for g in grants if g.active]
    console.print(
        "Shares with: " + (", ".join(f"{g.recipient} ({g.scope})" for g in active) or "nobody")
    )


@grant_app.command("add")
def grant_add(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="The organisation that shares.")],
    recipient: Annotated[str, typer.Argument(help="Who may see it (a funder or another org).")],
    scope: Annotated[str, typer.Option(help="benchmarks, reports or all.")] = "benchmarks",
    by: Annotated[str | None, typer.Option(help="Who grants it (default: your user name).")] = None,
) -> None:
    """Let RECIPIENT see SLUG's data (aggregated, small numbers suppressed)."""
    with get_app(ctx).warehouse.connect() as s, s.transaction():
        g = service.grant_access(s, slug, recipient, scope=scope, by=by or getpass.getuser())
    console.print(f"{slug} now shares {g.scope} with {g.recipient} (grant {g.grant_id}).")


@grant_app.command("revoke")
def grant_revoke(
    ctx: typer.Context,
    slug: str,
    recipient: str,
    by: Annotated[str | None, typer.Option(help="Who revokes it.")] = None,
) -> None:
    """Stop sharing SLUG's data with RECIPIENT (the record of the grant is kept)."""
    with get_app(ctx).warehouse.connect() as s, s.transaction():
        n = service.revoke_access(s, slug, recipient, by=by or getpass.getuser())
    console.print(f"Revoked {n} grant(s) of {slug} to {recipient}.")


@grant_app.command("list")
def grant_list(ctx: typer.Context, slug: str, fmt: FormatOpt = OutputFormat.table) -> None:
    """List SLUG's grants, active and revoked."""
    with get_app(ctx).warehouse.connect() as s:
        grants = service.list_grants(s, slug)
    emit_rows(
        [
            {
                "grant": g.grant_id,
                "recipient": g.recipient,
                "scope": g.scope,
                "granted_at": g.granted_at,
                "granted_by": g.granted_by,
                "revoked_at": g.revoked_at,
                "revoked_by": g.revoked_by,
            }
            for g in grants
        ],
        fmt,
        title=f"Grants of {slug}",
        empty=f"{slug} shares with nobody.",
    )
