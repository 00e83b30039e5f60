"""A change of email address at /me: the new address gets a signed link (``new_email``), and only that link
makes the change (``panel.email_changes``); until then the old address is the one used for contact and pools.

GET /email/TOKEN shows a button (mail scanners open links); POST makes the change, once.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from panel.email_changes import EmailChanges
from panel.links import make_token
from panel.outbox import Message
from web.apply import mail_failed
from web.site import Site, site_of
from web.tokens import private, subject


async def start(site: Site, request: Request, pid: UUID, new_email: str) -> Response:
    """Keep the new address until it is confirmed, and send the link to it (the address is already checked)."""
    change = await run_in_threadpool(EmailChanges(site.app).request, pid, new_email)
    expires = site.clock() + timedelta(days=site.settings.confirm_days)
    link = f"{site.base_url(request)}/email/{make_token(site.settings.signing_key, 'new_email', change, expires)}"
    words = site.copy["email"]
    body = words["new_email_body"].format(link=link, confirm_days=site.settings.confirm_days)
    message = Message(to=new_email.strip(), subject=words["new_email_subject"], body=body, kind="new_email")
    if not await run_in_threadpool(site.mail, message):
        return mail_failed(site, request)
    return private(site.render(request, "new_email_sent.html", token=request.path_params["token"]))


async def page(request: Request) -> Response:
    site = site_of(request)
    if isinstance(change := subject(site, "new_email", request), Response):
        return change
    waiting = await run_in_threadpool(EmailChanges(site.app).pending, change) is not None
    token = request.path_params["token"]
    return private(site.render_form(request, "new_email.html", token=token, waiting=waiting))


async def confirm(request: Request) -> Response:
    site = site_of(request)
    if isinstance(change := subject(site, "new_email", request), Response):
        return change
    _, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    done = await run_in_threadpool(EmailChanges(site.app).confirm, change, site.clock())
    return private(site.render(request, "new_email_done.html", done=done))


ROUTES = [
    Route("/email/{token}", page, methods=["GET"]),
    Route("/email/{token}", confirm, methods=["POST"]),
]
