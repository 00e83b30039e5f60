"""Signed links from the confirmation email: /confirm/TOKEN (double opt-in) and /me/TOKEN (self-service).

GET never changes anything (mail scanners open links): confirming and withdrawing are buttons that
POST, with the CSRF check. A tampered or malformed link is 400, an expired one 410; neither writes.
"""

from __future__ import annotations

from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from panel.confirmations import Confirmations
from panel.domain.errors import ConsentStateError, ErasedParticipantError, ParticipantNotFoundError
from panel.domain.values import PURPOSES
from panel.links import BadLinkError, ExpiredLinkError, read_token
from panel.participation import Participation
from panel.queries import Queries
from web.site import Site, site_of

NO_STORE = {"cache-control": "no-store"}


def subject(site: Site, kind: str, request: Request) -> UUID | Response:
    """The participant a link's token names, or the page that says why the link does not work."""
    try:
        return read_token(site.settings.signing_key, kind, request.path_params["token"], site.clock())
    except ExpiredLinkError:
        return site.render(request, "problem.html", 410, reason="expired_link")
    except BadLinkError:
        return site.render(request, "problem.html", 400, reason="bad_link")


def private(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


async def confirm_page(request: Request) -> Response:
    site = site_of(request)
    pid = subject(site, "confirm", request)
    if isinstance(pid, Response):
        return pid
    done = await run_in_threadpool(Confirmations(site.app).confirmed_at, pid)
    return private(site.render_form(request, "confirm.html", token=request.path_params["token"], done=done))


async def confirm(request: Request) -> Response:
    site = site_of(request)
    pid = subject(site, "confirm", request)
    if isinstance(pid, Response):
        return pid
    _, problem = await site.posted(request)
    if problem:
        return site.render(request, "problem.html", 403 if problem == "csrf" else 400, reason=problem)
    try:
        fresh = await run_in_threadpool(Confirmations(site.app).confirm, pid, site.clock())
    except ParticipantNotFoundError:
        return site.render(request, "problem.html", 400, reason="bad_link")
    return private(site.render(request, "confirmed.html", fresh=fresh))


async def me_page(request: Request) -> Response:
    site = site_of(request)
    pid = subject(site, "me", request)
    if isinstance(pid, Response):
        return pid
    try:
        details = await run_in_threadpool(Queries(site.app).participant, pid)
    except ParticipantNotFoundError:
        return site.render(request, "problem.html", 400, reason="bad_link")
    active = details.active_consents(site.clock())
    token = request.path_params["token"]
    return private(site.render_form(request, "me.html", token=token, person=details, active=active))


async def withdraw(request: Request) -> Response:
    site = site_of(request)
    pid = subject(site, "me", request)
    if isinstance(pid, Response):
        return pid
    fields, problem = await site.posted(request)
    if problem:
        return site.render(request, "problem.html", 403 if problem == "csrf" else 400, reason=problem)
    purpose = fields.get("purpose", [])
    if len(purpose) != 1 or purpose[0] not in PURPOSES:
        return site.render(request, "problem.html", 400, reason="unreadable")
    withdraw_consent = Participation(site.app).withdraw_consent
    try:
        await run_in_threadpool(withdraw_consent, pid, purpose[0], "self_service", site.clock())
    except (ConsentStateError, ErasedParticipantError):
        return site.render(request, "problem.html", 409, reason="not_active")
    except ParticipantNotFoundError:
        return site.render(request, "problem.html", 400, reason="bad_link")
    return RedirectResponse(f"/me/{request.path_params['token']}", status_code=303)


ROUTES = [
    Route("/confirm/{token}", confirm_page, methods=["GET"]),
    Route("/confirm/{token}", confirm, methods=["POST"]),
    Route("/me/{token}", me_page, methods=["GET"]),
    Route("/me/{token}/withdraw", withdraw, methods=["POST"]),
]
