"""The `panel` command group: wiring, error handling and the command groups."""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.wiring import Wiring


class PanelGroup(click.Group):
    """Turns domain and selection errors into `Error: ...` on stderr with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        from panel.domain.errors import PanelError

        handled: tuple[type[BaseException], ...] = (PanelError,)
        try:
            from selection import SelectionError

            handled += (SelectionError,)
        except ImportError:  # pragma: no cover - selection is part of the distribution
            pass
        try:
            return super().invoke(ctx)
        except handled as exc:
            raise click.ClickException(str(exc)) from None
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
    ctx.call_on_close(wiring.close)


def _register() -> None:
    from cli import admin, consent, engagement, participant, participation

    for module in (admin, engagement, participant, consent, participation):
        module.register(cli)
    # further command groups register here
    from cli import views; views.register(cli)
    from cli import pay; pay.register(cli)
    from cli import draw; draw.register(cli)


_register()


def main() -> None:
    cli(prog_name="panel")


if __name__ == "__main__":
    main()
