"""`panel serve`: the public application service (see docs/web.md)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the public application pages (/apply/SLUG) over HTTP.

    Opens the same store as every other command (PANEL_DB or PANEL_DATABASE_URL) and refuses a
    missing one. Emails (confirmation links) are kept in PANEL_OUTBOX_DIR (default ./outbox) and,
    when PANEL_SMTP_URL names a mail server, sent through it (`panel outbox` lists them). Put it
    behind a TLS-terminating proxy in production; see docs/web.md.

    Example:

        panel serve --host 127.0.0.1 --port 8000
    """
    import uvicorn

    from web.app import create_app
    from web.settings import WebSettings

    app = ctx.obj.app  # opens the store now: a missing store is one line, before the server starts
    web = create_app(app, WebSettings.from_store(app), outbox=ctx.obj.outbox)
    click.echo(f"Serving {ctx.obj.location.describe()} at http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False, server_header=False)


def register(group: click.Group) -> None:
    group.add_command(serve)
