"""The composition root of the web service: the pages, the application they call, and the outbox.

Handlers parse, call one application method (in a worker thread: the store's calls block) and
render a template. See docs/web.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from panel.application import PanelApp
from panel.outbox import MemoryOutbox, Outbox
from web import api, apply, apply_pages, invitation, links, me, me_answers, me_email, staff
from web.actor import Actors
from web.security import SecurityHeaders
from web.settings import WebSettings
from web.site import HERE, Site


def create_app(
    app: PanelApp,
    settings: WebSettings,
    clock: Callable[[], datetime] | None = None,
    outbox: Outbox | None = None,
    views: Engine | None = None,
) -> Starlette:
    """The ASGI application over ``app``; ``clock`` gives the time (UTC; tests set it); emails go to ``outbox``;
    ``views`` is the read models' engine (payment lines come from the ledger view; without it, from the events)."""
    site = Site(
        app, settings, clock or (lambda: datetime.now(UTC)), outbox if outbox is not None else MemoryOutbox(), views
    )

    async def home(request: Request) -> Response:
        return site.render(request, "home.html")

    async def accessibility(request: Request) -> Response:
        return site.render(request, "accessibility.html")

    def problem(status: int, reason: str) -> Callable[[Request, Exception], object]:
        async def handler(request: Request, exc: Exception) -> Response:
            return site.render(request, "problem.html", status, reason=reason)

        return handler

    routes = [
        Route("/", home),
        Route("/accessibility", accessibility),
        *apply_pages.ROUTES,
        *apply.ROUTES,
        *me.ROUTES,
        *me_answers.ROUTES,
        *links.ROUTES,
        *me_email.ROUTES,
        *invitation.ROUTES,
        *staff.ROUTES,
        *api.ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers = {
        404: problem(404, "not_found"),
        405: problem(405, "not_found"),
        413: problem(413, "too_large"),
        500: problem(500, "server"),
    }
    web = Starlette(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]
    web.state.site = site
    return SecurityHeaders(Actors(web), hsts=settings.secure_cookies)  # type: ignore[return-value]
