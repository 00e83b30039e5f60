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

from panel.access import AccessLog
from panel.actor import current
from panel.confirmations import Confirmations
from panel.domain.errors import ConsentStateError, ErasedParticipantError, ParticipantNotFoundError
from panel.domain.values import PURPOSES
from panel.draws.member_commitments import pool_commitments
from panel.erasure_requests import ErasureRequests
from panel.participation import Participation
from panel.queries import Queries
from panel.records import ParticipantDetails
from panel.registration import Registration
from panel.validation import InvalidSignUpError, validate_personal
from web import me_email
from web.site import Site, site_of
from web.tokens import private, subject


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
        return site.refused(request, problem)
    try:
        fresh = await run_in_threadpool(Confirmations(site.app).confirm, pid, site.clock())
    except ParticipantNotFoundError:
        return site.render(request, "problem.html", 400, reason="bad_link")
    return private(site.render(request, "confirmed.html", fresh=fresh))


async def shown(site: Site, pid: UUID, page: str) -> None:
    """Record that a /me page is about to show this person's data to the holder of their link (issue 13)."""
    record = AccessLog(site.app).record
    await run_in_threadpool(record, current() or "self", page, [pid], channel="web", at=site.clock())


async def me_page(request: Request) -> Response:
    site = site_of(request)
    pid = subject(site, "me", request)
    if isinstance(pid, Response):
        return pid
    try:
        details = await run_in_threadpool(Queries(site.app).participant, pid)
    except ParticipantNotFoundError:
        return site.render(request, "problem.html", 400, reason="bad_link")
    draws = []
    if not details.personal.erased:
        await shown(site, pid, "self-service page")
        draws = await run_in_threadpool(pool_commitments, site.app, pid)  # issue 14: their salted commitments
    active = details.active_consents(site.clock())
    token = request.path_params["token"]
    return private(site.render_form(request, "me.html", token=token, person=details, active=active, draws=draws))


async def withdraw(request: Request) -> Response:
    site = site_of(request)
    pid = subject(site, "me", request)
    if isinstance(pid, Response):
        return pid
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
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


CONTACT = ("name", "email", "phone", "postcode")


async def living(site: Site, request: Request) -> tuple[UUID, ParticipantDetails] | Response:
    """The participant a /me link names and what we hold, or the page saying why not (a bad link, or erased)."""
    pid = subject(site, "me", request)
    if isinstance(pid, Response):
        return pid
    person = await run_in_threadpool(Queries(site.app).participant, pid)
    if person.personal.erased:
        return site.render(request, "problem.html", 409, reason="not_active")
    return pid, person


async def details_page(request: Request) -> Response:
    site = site_of(request)
    found = await living(site, request)
    if isinstance(found, Response):
        return found
    pid, person = found
    await shown(site, pid, "self-service details")
    values = {k: getattr(person.personal, k) or "" for k in CONTACT}
    return private(site.render_form(request, "me_details.html", token=request.path_params["token"], values=values,
                                    errors=[]))  # fmt: skip


async def change_details(request: Request) -> Response:
    """Record the contact details that changed (AttributesUpdated, captured by ``self_service``); a new email
    address only once it is confirmed through the link sent to it, and the old address is told (``web.me_email``)."""
    site = site_of(request)
    if isinstance(pid := subject(site, "me", request), Response):
        return pid
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    if any(len(fields.get(k, [])) > 1 for k in CONTACT):
        return site.render(request, "problem.html", 400, reason="unreadable")
    posted = {k: fields.get(k, [""])[0] for k in CONTACT}
    found = await living(site, request)
    if isinstance(found, Response):
        return found
    _, person = found
    changed = {k: v for k, v in posted.items() if v.strip() and v.strip() != (getattr(person.personal, k) or "")}
    token = request.path_params["token"]
    new_email = None
    if changed:
        update = Registration(site.app).update_personal
        try:
            checked = await run_in_threadpool(validate_personal, changed)  # every field, before anything is written
            new_email = changed.pop("email", None) and checked.get("email")  # waits for its own confirmation
            mailed = [a for a in (person.personal.email, new_email) if a]  # the old address is told, the new asked
            if new_email and (refused := await me_email.over_limit(site, request, mailed)):
                return refused  # over a per-email limit: nothing changed, nothing sent
            if changed:
                await run_in_threadpool(
                    lambda: update(pid, personal=changed, attributes={}, captured_by="self_service", at=site.clock())
                )
        except InvalidSignUpError as exc:
            plain = site.copy.get("field_errors", {})
            errors = [{"id": e.field, "message": plain.get(e.field, e.message)} for e in exc.errors]
            error_for = {e["id"]: e["message"] for e in errors}
            page = site.render_form(request, "me_details.html", 400, token=token, values=posted, errors=errors,
                                    error_for=error_for)  # fmt: skip
            return private(page)
    if new_email:
        return await me_email.start(site, request, pid, new_email, person.personal.email or "", person.source)
    return RedirectResponse(f"/me/{token}", status_code=303)


async def erase_page(request: Request) -> Response:
    site = site_of(request)
    found = await living(site, request)
    if isinstance(found, Response):
        return found
    pid, _ = found
    blocked = await run_in_threadpool(ErasureRequests(site.app, site.ledger.person).blockers, pid)
    return private(site.render_form(request, "me_erase.html", token=request.path_params["token"], blocked=blocked,
                                    errors=[]))  # fmt: skip


async def erase(request: Request) -> Response:
    """Record the request and erase at once, unless a payment still open holds it back."""
    site = site_of(request)
    pid = subject(site, "me", request)
    if isinstance(pid, Response):
        return pid
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    token = request.path_params["token"]
    if fields.get("confirm", []) != ["yes"]:
        blocked = await run_in_threadpool(ErasureRequests(site.app, site.ledger.person).blockers, pid)
        errors = [{"id": "confirm", "message": site.copy["erase"]["tick"]}]
        return private(site.render_form(request, "me_erase.html", 400, token=token, blocked=blocked, errors=errors))
    try:
        requests = ErasureRequests(site.app, site.ledger.person)
        outcome = await run_in_threadpool(lambda: requests.request(pid, at=site.clock()))
    except ErasedParticipantError:
        return site.render(request, "problem.html", 409, reason="not_active")
    return private(site.render(request, "me_erased.html", outcome=outcome))


ROUTES = [
    Route("/confirm/{token}", confirm_page, methods=["GET"]),
    Route("/confirm/{token}", confirm, methods=["POST"]),
    Route("/me/{token}", me_page, methods=["GET"]),
    Route("/me/{token}/withdraw", withdraw, methods=["POST"]),
    Route("/me/{token}/details", details_page, methods=["GET"]),
    Route("/me/{token}/details", change_details, methods=["POST"]),
    Route("/me/{token}/erase", erase_page, methods=["GET"]),
    Route("/me/{token}/erase", erase, methods=["POST"]),
]
