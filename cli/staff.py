"""`panel staff ...`: the accounts staff sign in to the web service with (see docs/web.md)."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from cli.options import at_option, echo_footer, json_option, paging_options, pass_app
from cli.render import echo_json, say, table, when
from panel.application import PanelApp
from panel.domain.staff import ROLES
from panel.paging import Page
from panel.staff import Staff

STDIN_HELP = "Read the password from the first line of standard input instead of asking for it."


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


@click.group()
def staff() -> None:
    """Staff accounts for the web service: recruiters, finance, auditors and admins."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What they may do in the web service.")
@click.option("--by", "added_by", required=True, help="Who is adding the account (recorded).")
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
@at_option
@pass_app
def add(app: PanelApp, name: str, role: str, added_by: str, password_stdin: bool, at: datetime | None) -> None:
    """Add a staff account (recorded as StaffAdded); the password is asked for twice, or read from stdin.

    Passwords have at least 12 characters and are kept as argon2id hashes, never in an event.
    Recruiters and admins may enter applications for people who apply by phone, on paper or in
    person (/staff); finance and auditors may sign in but not enter applications.

    Example:

        panel staff add amy.khan --role recruiter --by sam.lee
    """
    account = Staff(app).add(name, role, _password(password_stdin), by=added_by, at=at)
    say(f"Added {account.name} ({account.role}); they sign in at /staff/sign-in")


@staff.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help=STDIN_HELP)
@pass_app
def password(app: PanelApp, name: str, password_stdin: bool) -> None:
    """Set a new password for a staff account.

    Example:

        panel staff password amy.khan
    """
    Staff(app).set_password(name, _password(password_stdin))
    say(f"Set a new password for {name.strip().lower()}")


@staff.command("remove")
@click.argument("name")
@click.option("--by", "removed_by", required=True, help="Who is removing the account (recorded).")
@at_option
@pass_app
def remove(app: PanelApp, name: str, removed_by: str, at: datetime | None) -> None:
    """Remove a staff account (recorded as StaffRemoved); their sessions end at their next request.

    Example:

        panel staff remove amy.khan --by sam.lee
    """
    account = Staff(app).remove(name, by=removed_by, at=at)
    say(f"Removed {account.name}")


@staff.command("list")
@paging_options(100, "accounts")
@json_option
@pass_app
def list_(app: PanelApp, page: Page, as_json: bool) -> None:
    """List the staff accounts with their roles, in the order they were added, a page at a time.

    Example:

        panel staff list
    """
    members, more = Staff(app).member_page(page)
    if as_json:
        echo_json({"staff": [
                {
                    "name": m.name, "role": m.role, "added_by": m.added_by, "added_at": m.added_at.isoformat(),
                    "removed_at": m.removed_at.isoformat() if m.removed_at else None,
                }
                for m in members
            ], **page.fields(more)},
        )  # fmt: skip
        return
    if not members:
        say("No staff accounts yet: add one with `panel staff add NAME --role recruiter --by YOU`")
        return
    table(
        "Staff",
        ["name", "role", "added by", "added", "removed"],
        [(m.name, m.role, m.added_by, when(m.added_at), when(m.removed_at)) for m in members],
    )
    echo_footer(page.footer(len(members), more, "accounts"))


def register(group: click.Group) -> None:
    group.add_command(staff)
