"""The `panel` command group: wiring, error handling and the command groups."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from cli.actor import adopt_by_options
from cli.wiring import Wiring
from panel.actor import act_as

# Each top-level command and the module that registers it. Modules are imported only when their
# command runs (or for --help), so `panel consent history` does not pay for numpy or SQLAlchemy.
COMMANDS = {
    "init": "cli.admin",
    "admin": "cli.admin_roles",
    "audit": "cli.audit",
    "demo": "cli.admin",
    "engagement": "cli.engagement",
    "participant": "cli.participant",
    "consent": "cli.consent",
    "invite": "cli.participation",
    "accept": "cli.participation",
    "decline": "cli.participation",
    "attend": "cli.participation",
    "no-show": "cli.participation",
    "withdraw": "cli.participation",
    "draw": "cli.draw",
    "select": "cli.select",
    "projections": "cli.views",
    "reach": "cli.views",
    "fatigue": "cli.views",
    "pay": "cli.pay",
    "campaign": "cli.campaign",
    "serve": "cli.serve",
    "outbox": "cli.outbox",
    "invitations": "cli.invitations",
    "staff": "cli.staff",
    "partner": "cli.partner",
    "retention": "cli.retention",
}
ALSO = {"consent": ("cli.views",)}  # the views module adds `panel consent report`
ALSO["participant"] = ("cli.retention",)  # the retention module adds `panel participant hold|release-hold`


class PanelGroup(click.Group):
    """Loads command modules on demand and turns domain and selection errors into `Error: ...`, exit 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        for name in (module, *ALSO.get(cmd_name, ())):
            if name not in self._loaded:
                self._loaded.add(name)
                importlib.import_module(name).register(self)
                for command in self.commands.values():
                    adopt_by_options(command)  # `--by NAME` names who did it (cli.actor)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        from panel.domain.errors import PanelError

        try:
            return super().invoke(ctx)
        except Exception as exc:
            selection = sys.modules.get("selection")
            if isinstance(exc, PanelError) or (selection is not None and isinstance(exc, selection.SelectionError)):
                raise click.ClickException(str(exc)) from None
            from panel.store.conflicts import explain

            line = explain(exc)  # a write conflict, a busy store or a lost connection: one line, exit 1
            if line is not None:
                raise click.ClickException(line) from None
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted: nothing was recorded by the interrupted step.", err=True)
            sys.exit(130)


@click.group(cls=PanelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="participant-panel")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """participant-panel: fair, event-sourced recruitment for community engagement.

    The store is ./panel.db (SQLite) unless PANEL_DB names another file or
    PANEL_DATABASE_URL names a PostgreSQL database.
    """
    wiring = Wiring()
    ctx.obj = wiring
    act_as(wiring.actor)  # recorded with every event this command writes; a `--by NAME` given names NAME instead
    ctx.call_on_close(wiring.close)


def main() -> None:
    cli(prog_name="panel")


if __name__ == "__main__":
    main()
