"""/links: "Get a new link". Someone enters their email address; if an applicant holds it, a fresh link goes to
that address (a confirmation link while it is unconfirmed, a personal /me link once it is confirmed). The
page says the same whatever the address, so it tells a stranger nothing; the abuse limits of /apply (per
client address, per email address) apply, and nothing is written to the store.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from panel.confirmations import Confirmations
from panel.email_index import EmailIndex
from panel.links import make_token
from panel.outbox import Message
from panel.validation import InvalidSignUpError
from web.site import Site, site_of


def form(site: Site, request: Request, status: int = 200, **context: object) -> Response:
    context.setdefault("errors", [])
    context.setdefault("value", "")
    return site.render_form(request, "links.html", status, **context)


async def page(request: Request) -> Response:
    return form(site_of(request), request)


async def send(request: Request) -> Response:
    site = site_of(request)
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    given = fields.get("email", [""])
    if len(given) != 1 or fields.get("website", [""]) != [""]:  # a repeated field, or the honeypot filled in
        return site.render(request, "problem.html", 400, reason="unreadable")
    email, index = given[0], EmailIndex(site.app)
    words = site.copy["links"]
    try:
        if not email.strip():
            raise InvalidSignUpError([])
        await run_in_threadpool(index.digest, email)  # the shared validation of an email address
    except InvalidSignUpError:
        message = words["empty"] if not email.strip() else site.copy["field_errors"]["email"]
        return form(site, request, 400, value=email, errors=[{"id": "email", "message": message}])
    moment, address = site.clock(), request.client.host if request.client else "-"
    key = site.limits.email_key(email)
    wait = await run_in_threadpool(site.limits.addresses.take, address, moment)
    if wait is None:
        wait = await run_in_threadpool(site.limits.emails.take, key, moment)
        if wait is not None:  # refused by the email's limit: the address's request does not count either
            await run_in_threadpool(site.limits.addresses.release, address, moment)
    if wait is not None:
        refused = site.render(request, "problem.html", 429, reason="too_many_links")
        refused.headers["Retry-After"] = str(max(1, int(wait.total_seconds()) + 1))
        return refused
    pid = await run_in_threadpool(index.owner, email)
    if pid is not None:
        await run_in_threadpool(send_link, site, request, email.strip(), pid)
    return site.render(request, "links_sent.html")


def send_link(site: Site, request: Request, email: str, pid: UUID) -> None:
    """A fresh /me link to a confirmed address; a fresh confirmation link (and /me link) to one not yet confirmed.
    A message the outbox cannot keep is logged, and the page is the same: a different one would tell a stranger
    that the address is known."""
    now, key, words, base = site.clock(), site.settings.signing_key, site.copy["email"], site.base_url(request)
    me = f"{base}/me/{make_token(key, 'me', pid, now + timedelta(days=site.settings.me_days))}"
    if Confirmations(site.app).confirmed_at(pid) is not None:
        body = words["resend_me_body"].format(me=me, me_days=site.settings.me_days)
        site.mail(Message(to=email, subject=words["resend_me_subject"], body=body, kind="me_link"))
        return
    confirm = f"{base}/confirm/{make_token(key, 'confirm', pid, now + timedelta(days=site.settings.confirm_days))}"
    body = words["resend_confirm_body"].format(
        confirm=confirm, me=me, confirm_days=site.settings.confirm_days, me_days=site.settings.me_days
    )
    site.mail(Message(to=email, subject=words["confirm_subject"], body=body, kind="confirm"))


ROUTES = [
    Route("/links", page, methods=["GET"]),
    Route("/links", send, methods=["POST"]),
]
