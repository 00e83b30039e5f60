"""/invitation/TOKEN: the page behind the accept and decline links of an invitation email.

GET shows the invitation with two buttons and never writes (mail scanners open links); a POST with
the CSRF check records InvitationAccepted or InvitationDeclined with channel ``self_service`` (the
same call as `panel accept` and `panel decline`). A tampered link is 400, an expired one 410, a
second answer 409: none writes.
"""

from __future__ import annotations

from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from panel.domain.errors import ErasedParticipantError, ParticipationStateError, ValidationError
from panel.invitations import InvitationPage, Invitations
from panel.links import BadLinkError, ExpiredLinkError, read_token
from panel.participation import Participation
from web.site import Site, site_of
from web.tokens import private

ANSWERS = ("accept", "decline")


def invitation_of(site: Site, request: Request) -> tuple[str, UUID] | Response:
    """The link's kind (accept or decline) and the invitation it names, or the page that says why it does not work."""
    token = request.path_params["token"]
    kind = token.split(".", 1)[0]
    try:
        if kind not in ANSWERS:
            raise BadLinkError("not an invitation link")
        return kind, read_token(site.settings.signing_key, kind, token, site.clock())
    except ExpiredLinkError:
        return site.render(request, "problem.html", 410, reason="expired_link")
    except BadLinkError:
        return site.render(request, "problem.html", 400, reason="bad_link")


async def load(site: Site, request: Request) -> tuple[str, InvitationPage] | Response:
    found = invitation_of(site, request)
    if isinstance(found, Response):
        return found
    kind, iid = found
    try:
        return kind, await run_in_threadpool(Invitations(site.app).page, iid)
    except ValidationError:  # a genuine token for an invitation this store never emailed
        return site.render(request, "problem.html", 400, reason="bad_link")


async def invitation_page(request: Request) -> Response:
    site = site_of(request)
    found = await load(site, request)
    if isinstance(found, Response):
        return found
    kind, invitation = found
    token = request.path_params["token"]
    return private(site.render_form(request, "invitation.html", token=token, kind=kind, invitation=invitation))


async def answer(request: Request) -> Response:
    site = site_of(request)
    found = await load(site, request)
    if isinstance(found, Response):
        return found
    _, invitation = found
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    given = fields.get("answer", [])
    if len(given) != 1 or given[0] not in ANSWERS:
        return site.render(request, "problem.html", 400, reason="unreadable")
    if invitation.status != "invited":
        return site.render(request, "problem.html", 409, reason="answered")
    respond = Participation(site.app).respond
    try:
        await run_in_threadpool(
            lambda: respond(
                invitation.engagement_id,
                invitation.participant_id,
                accept=given[0] == "accept",
                at=site.clock(),
                channel="self_service",
            )  # fmt: skip
        )
    except (ParticipationStateError, ErasedParticipantError):  # answered in another window meanwhile
        return site.render(request, "problem.html", 409, reason="answered")
    return RedirectResponse(f"/invitation/{request.path_params['token']}", status_code=303)


ROUTES = [
    Route("/invitation/{token}", invitation_page, methods=["GET"]),
    Route("/invitation/{token}", answer, methods=["POST"]),
]
