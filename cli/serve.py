"""`panel serve`: the public application service (see docs/web.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from cli.wiring import Wiring

FACTORY = "cli.serve:web_from_env"  # what each worker process of `--workers N` imports and calls


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes; they share the abuse limits' counts through the store.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the public application pages (/apply/SLUG) over HTTP.

    Opens the same store as every other command (PANEL_DB or PANEL_DATABASE_URL) and refuses a
    missing one. Emails (confirmation links) are kept in PANEL_OUTBOX_DIR (default ./outbox) and,
    when PANEL_SMTP_URL names a mail server, sent through it (`panel outbox` lists them). With
    --workers N, N processes answer on the same port, each opening the store from the same
    environment; the abuse limits are counted in the store, so they hold across them. Put it
    behind a TLS-terminating proxy in production; see docs/web.md.

    Example:

        panel serve --host 127.0.0.1 --port 8000 --workers 2
    """
    import uvicorn

    wiring: Wiring = ctx.obj
    web = web_for(wiring)  # opens the store and checks the settings now: a problem is one line, before serving
    click.echo(
        f"Serving {wiring.location.describe()} at http://{host}:{port}/ "
        f"with {workers} worker process{'es' if workers > 1 else ''} (Ctrl+C to stop)",
        err=True,
    )
    options = {"host": host, "port": port, "log_level": "warning", "access_log": False, "server_header": False}
    if workers == 1:
        uvicorn.run(web, **options)  # type: ignore[arg-type]
        return
    wiring.close()  # each worker opens its own; the checked one is not needed here
    uvicorn.run(FACTORY, factory=True, workers=workers, **options)  # type: ignore[arg-type]


def web_for(wiring: Wiring) -> ASGIApp:
    """The web service over the store, settings and outbox ``wiring`` reads from the environment."""
    from cli.wiring import views_url
    from projections.connection import make_engine
    from web.app import create_app
    from web.settings import WebSettings

    app = wiring.app
    views = make_engine(wiring.location, views_url())  # connects at its first use
    return create_app(app, WebSettings.from_store(app), outbox=wiring.outbox, views=views)


def web_from_env() -> ASGIApp:
    """The factory each worker process calls (uvicorn's ``factory=True``): the same environment, its own store
    connections. Nothing connects when this module is imported."""
    from cli.wiring import Wiring
    from panel.actor import act_as

    wiring = Wiring()
    act_as(wiring.actor)
    return web_for(wiring)


def register(group: click.Group) -> None:
    group.add_command(serve)
