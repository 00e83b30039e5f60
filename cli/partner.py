"""`panel partner ...`: partners who refer applicants through the partner API (see docs/web.md)."""

from __future__ import annotations

from datetime import datetime

import click

from cli.options import at_option, echo_footer, json_option, paging_options, pass_app
from cli.render import echo_json, say, table, when
from panel.application import PanelApp
from panel.paging import Page
from panel.partners import Partners


@click.group()
def partner() -> None:
    """Partners who refer applicants through the API (POST /api/v1/applications)."""


@partner.command("add")
@click.argument("name")
@click.option("--by", "added_by", required=True, help="Who is adding the partner (recorded).")
@at_option
@pass_app
def add(app: PanelApp, name: str, added_by: str, at: datetime | None) -> None:
    """Add a partner (recorded as PartnerAdded) and print its API token, once: it is never shown again.

    Only the token's SHA-256 is recorded. Give the token to the partner over a safe channel; they
    send it as `Authorization: Bearer TOKEN`. Their referrals are registered with source
    partner.NAME and their own reference, so a retry never makes a second person.

    Example:

        panel partner add youth-link --by sam.lee
    """
    details, token = Partners(app).add(name, by=added_by, at=at)
    say(f"Added partner {details.name}. Its token (shown only now):")
    click.echo(token)


@partner.command("revoke")
@click.argument("name")
@click.option("--by", "revoked_by", required=True, help="Who is revoking the token (recorded).")
@at_option
@pass_app
def revoke(app: PanelApp, name: str, revoked_by: str, at: datetime | None) -> None:
    """Revoke a partner's token (recorded as PartnerTokenRevoked): its next request gets 401.

    Example:

        panel partner revoke youth-link --by sam.lee
    """
    details = Partners(app).revoke(name, by=revoked_by, at=at)
    say(f"Revoked the token of partner {details.name}")


@partner.command("list")
@paging_options(100, "partners")
@json_option
@pass_app
def list_(app: PanelApp, page: Page, as_json: bool) -> None:
    """List the partners (in the order they were added) and whether their tokens still work, a page at a time.

    Example:

        panel partner list
    """
    partners, more = Partners(app).page(page)
    if as_json:
        echo_json({"partners": [
                {"name": p.name, "added_by": p.added_by, "added_at": p.added_at.isoformat(),
                 "revoked_at": p.revoked_at.isoformat() if p.revoked_at else None}
                for p in partners
            ], **page.fields(more)},
        )  # fmt: skip
        return
    if not partners:
        say("No partners yet: add one with `panel partner add NAME --by YOU`")
        return
    table("Partners", ["name", "added by", "added", "revoked"],
          [(p.name, p.added_by, when(p.added_at), when(p.revoked_at)) for p in partners])  # fmt: skip
    echo_footer(page.footer(len(partners), more, "partners"))


def register(group: click.Group) -> None:
    group.add_command(partner)
