"""A change of email address at /me: the new address gets a signed link (``new_email``), and only that link
makes the change (``panel.email_changes``); until then the old address is the one used for contact and pools.

The old address is told at the same time (a change to ``n***@example.org`` was asked for on this day), with
the campaign's phone number or address and a second signed link (``keep_email``) that stops the change; it
carries no /me link, so whoever reads the old mailbox gets no way into the person's details. Each message
counts against the per-email limit of the address it goes to, like every other message; over it, nothing is
changed or sent (429).

GET /email/TOKEN and /keep-email/TOKEN show a button (mail scanners open links); POST acts, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from panel.campaigns import CampaignNotFoundError, Campaigns
from panel.domain.confirmation import campaign_source
from panel.email_changes import EmailChanges
from panel.links import make_token
from panel.outbox import Message, mask_address
from web.apply import mail_failed
from web.site import Site, site_of
from web.tokens import private, subject

Endpoint = Callable[[Request], Awaitable[Response]]


async def over_limit(site: Site, request: Request, addresses: list[str]) -> Response | None:
    """Count a change against the per-email limit of each address it mails; or, when one is over its limit, count
    nothing and return the 429 page (with Retry-After)."""
    moment, taken = site.clock(), list[str]()
    for address in addresses:
        key = site.limits.email_key(address)
        wait = await run_in_threadpool(site.limits.emails.take, key, moment)
        if wait is not None:
            for done in taken:
                await run_in_threadpool(site.limits.emails.release, done, moment)
            page = site.render(request, "problem.html", 429, reason="too_many_changes")
            page.headers["Retry-After"] = str(max(1, int(wait.total_seconds()) + 1))
            return page
        taken.append(key)
    return None


async def start(site: Site, request: Request, pid: UUID, new_email: str, old_email: str, source: str) -> Response:
    """Keep the new address until it is confirmed; tell the old address (if any) first, then send the link to the
    new one. A change whose old address cannot be told is dropped: it never goes ahead unannounced."""
    changes = EmailChanges(site.app)
    change = await run_in_threadpool(changes.request, pid, new_email)
    now, key = site.clock(), site.settings.signing_key
    expires = now + timedelta(days=site.settings.confirm_days)
    base, words = site.base_url(request), site.copy["email"]
    if old_email:
        keep = f"{base}/keep-email/{make_token(key, 'keep_email', change, expires)}"
        contact = await run_in_threadpool(team_contact, site, source)
        body = words["change_asked_body"].format(
            new=mask_address(new_email.strip()), day=f"{now.day} {now:%B %Y}", keep=keep, contact=contact,
            confirm_days=site.settings.confirm_days,
        )  # fmt: skip
        told = Message(to=old_email, subject=words["change_asked_subject"], body=body, kind="email_change_asked")
        if not await run_in_threadpool(site.mail, told):
            await run_in_threadpool(changes.cancel, change)
            return site.render(request, "problem.html", 200, reason="change_mail_failed")
    link = f"{base}/email/{make_token(key, 'new_email', change, expires)}"
    body = words["new_email_body"].format(link=link, confirm_days=site.settings.confirm_days)
    message = Message(to=new_email.strip(), subject=words["new_email_subject"], body=body, kind="new_email")
    if not await run_in_threadpool(site.mail, message):
        return mail_failed(site, request)
    return private(site.render(request, "new_email_sent.html", token=request.path_params["token"]))


def team_contact(site: Site, source: str) -> str:
    """How to reach the team, for the email to the old address: the phone number or postal address of the campaign
    the person applied through, or the general words when there is none."""
    words, slug = site.copy["email"], source.removeprefix(campaign_source(""))
    campaign = None
    if slug and slug != source:
        try:
            campaign = Campaigns(site.app).get(slug)
        except CampaignNotFoundError:
            campaign = None
    if campaign is not None and campaign.phone:
        return str(words["team_phone"].format(phone=campaign.phone))
    if campaign is not None and campaign.address_lines:
        return str(words["team_address"].format(address=", ".join(campaign.address_lines)))
    return str(words["team_any"])


def button_page(kind: str, template: str) -> Endpoint:
    """GET of a change's link of ``kind``: its page, with the button while the change still waits. Writes nothing
    (mail scanners open links)."""

    async def show(request: Request) -> Response:
        site = site_of(request)
        if isinstance(change := subject(site, kind, request), Response):
            return change
        waiting = await run_in_threadpool(EmailChanges(site.app).pending, change) is not None
        return private(site.render_form(request, template, token=request.path_params["token"], waiting=waiting))

    return show


def button_press(kind: str, template: str, act: Callable[[EmailChanges, UUID, datetime], bool]) -> Endpoint:
    """POST of a change's link of ``kind`` (CSRF checked): ``act`` on the change, once; ``template`` says whether it
    was done (False: already made, stopped or erased)."""

    async def press(request: Request) -> Response:
        site = site_of(request)
        if isinstance(change := subject(site, kind, request), Response):
            return change
        _, problem = await site.posted(request)
        if problem:
            return site.refused(request, problem)
        done = await run_in_threadpool(act, EmailChanges(site.app), change, site.clock())
        return private(site.render(request, template, done=done))

    return press


ROUTES = [  # the new address makes the change; the old address can stop it
    Route("/email/{token}", button_page("new_email", "new_email.html"), methods=["GET"]),
    Route("/email/{token}", button_press("new_email", "new_email_done.html", EmailChanges.confirm), methods=["POST"]),
    Route("/keep-email/{token}", button_page("keep_email", "keep_email.html"), methods=["GET"]),
    Route(
        "/keep-email/{token}",
        button_press("keep_email", "keep_email_done.html", lambda changes, change, _: changes.cancel(change)),
        methods=["POST"],
    ),
]
