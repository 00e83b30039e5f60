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


@admin.command("rotate-master-key")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File holding the new master key (base64 or hex, mode 0600); default: PANEL_NEW_MASTER_KEY.",
)
@click.pass_context
def rotate_master_key(ctx: click.Context, new_key_file: str | None) -> None:
    """Re-wrap every data key under a new master key, in one transaction; then switch the setting.

    The current master key (PANEL_MASTER_KEY or PANEL_MASTER_KEY_FILE) must open the keys; the
    new one comes from --new-key-file or PANEL_NEW_MASTER_KEY. When it is done, only the new key
    opens the store: set it where the service and the CLI read the master key, and restart the
    service (a process still holding the old key is refused). See docs/store.md.

    Example:

        PANEL_MASTER_KEY_FILE=/etc/panel/master.key panel admin rotate-master-key --new-key-file new.key
    """
    from cli.wiring import new_master_key

    new = new_master_key(new_key_file)
    app: PanelApp = ctx.obj.app  # refuses a wrong or missing current master key, in one line
    old = app.keys.master_key_id()
    count = app.keys.rotate_master_key(new)
    click.echo(
        f"Re-wrapped {count} data keys under the new master key (id {new.id.hex()}; was {old}). "
        f"Now set PANEL_MASTER_KEY or PANEL_MASTER_KEY_FILE to the new key: the old one no longer opens the store"
    )


def register(group: click.Group) -> None:
    group.add_command(admin)
