"""`panel admin ...`: the database's side of running the panel (PostgreSQL roles)."""

from __future__ import annotations

import click

from cli.options import pass_app
from panel.application import PanelApp


@click.group()
def admin() -> None:
    """Set up the database around the store (docs/store.md)."""


@admin.command("roles")
@click.option(
    "--prefix",
    default="panel",
    show_default=True,
    help="The roles are PREFIX_owner, PREFIX_app and PREFIX_auditor (roles are shared by the whole cluster).",
)
@pass_app
def roles(app: PanelApp, prefix: str) -> None:
    """Create the PostgreSQL owner, application and auditor roles of this store; safe to run again.

    The owner owns the tables (run `panel init` and `panel projections rebuild` as it); the
    application role may insert and read events but never update, delete or truncate them (run
    the service and every other command as it); the auditor may read the events, the chain and
    the settings (`panel audit verify`). Run it as a superuser, after `panel init`. The roles can
    log in but have no password: set one with ALTER ROLE ... PASSWORD.

    Example:

        PANEL_DATABASE_URL=postgresql://postgres@db:5432/panel panel admin roles --prefix panel
    """
    from panel.store.roles import create_roles

    made = create_roles(app, prefix)
    notes = (
        (made.owner, "owns the tables: `panel init`, `panel projections rebuild`, maintenance"),
        (made.app, "the service and every other command: no UPDATE, DELETE or TRUNCATE on the events"),
        (made.auditor, "reads the events, the chain and the settings: `panel audit verify`"),
    )
    for name, what in notes:
        state = "created" if name in made.created else "already there"
        click.echo(f"{name}: {what} ({state})")
    click.echo(
        f"Granted on {made.tables} tables. Set passwords with ALTER ROLE {made.app} PASSWORD '...', "
        f"then connect as {made.app} in PANEL_DATABASE_URL (docs/store.md)"
    )


def register(group: click.Group) -> None:
    group.add_command(admin)
