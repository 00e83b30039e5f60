"""``/me/TOKEN/answers``: a person changes their answers to the questions they were asked.

Someone who applied through a campaign sees that campaign's questions (read from the campaign, as
on /apply), with their answers chosen; anyone else sees the answers we hold as "describe yourself"
questions. Every answer is optional, with "Prefer not to say". The posted form is read by the
form reader /apply uses (``web.forms.read_form``) and checked by ``panel.validation``; the answers
that changed are recorded as AttributesUpdated, captured by ``self_service``. Nothing changed,
nothing written; any error, nothing written.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from panel.application import PanelApp
from panel.campaigns import CampaignDetails, CampaignNotFoundError, Campaigns, Question
from panel.domain.confirmation import campaign_source
from panel.engagements import Engagements
from panel.records import ParticipantDetails
from panel.registration import Registration
from panel.validation import PREFER_NOT_TO_SAY, InvalidSignUpError, validate_attributes
from web.apply import plain_errors
from web.forms import DESCRIBE, PREFER_NOT, BadFormError, read_form
from web.me import living, shown
from web.site import Site, site_of
from web.tokens import private, subject


def asked(person: ParticipantDetails, app: PanelApp) -> CampaignDetails:
    """The questions to show: the campaign's the person applied through, else one per answer we hold."""
    slug = person.source.removeprefix(campaign_source(""))
    if slug != person.source and slug:
        try:
            return Campaigns(app).get(slug)
        except CampaignNotFoundError:
            pass
    questions = tuple(
        Question(attribute=key, question=key.replace("_", " ").capitalize(), hint="", options=(), describe=True)
        for key in sorted(person.personal.attributes)
    )
    return CampaignDetails(
        slug="", engagement_ref="", engagement_name="", opens=date.min, closes=date.min, questions=questions,
        purposes=(), notice_version="", notice_sha256="", notice_lines=(), language="en", phone=None,
        address_lines=(),
    )  # fmt: skip


def current_values(campaign: CampaignDetails, attributes: dict[str, str]) -> dict[str, str]:
    """The form's values for the answers held: the option chosen, or "describe" with the words."""
    values: dict[str, str] = {}
    for q in campaign.questions:
        key, held = f"attr.{q.attribute}", attributes.get(q.attribute)
        if held is None:
            continue
        if held == PREFER_NOT_TO_SAY:
            values[key] = PREFER_NOT
        elif held in {o.value for o in q.options}:
            values[key] = held
        elif q.describe:
            values[key], values[f"{key}.describe"] = DESCRIBE, held
    return values


def show(site: Site, request: Request, campaign: CampaignDetails, status: int = 200, **context: object) -> Response:
    context.setdefault("errors", [])
    page = site.render_form(request, "me_answers.html", status, token=request.path_params["token"],
                            campaign=campaign, prefer_not=PREFER_NOT, describe=DESCRIBE, **context)  # fmt: skip
    return private(page)


async def answers_page(request: Request) -> Response:
    site = site_of(request)
    found = await living(site, request)
    if isinstance(found, Response):
        return found
    pid, person = found
    await shown(site, pid, "self-service answers")
    campaign = await run_in_threadpool(asked, person, site.app)
    return show(site, request, campaign, values=current_values(campaign, person.personal.attributes))


def changes(site: Site, pid: UUID, held: dict[str, str], answers: dict[str, str]) -> dict[str, str]:
    """The answers that differ from those held (checked; InvalidSignUpError names each field to fix)."""
    clean = validate_attributes(answers, numeric=Engagements(site.app).numeric_attributes())
    changed = {k: answers[k] for k, v in clean.items() if held.get(k) != v}
    if changed:
        update = Registration(site.app).update_personal
        update(pid, personal={}, attributes=changed, captured_by="self_service", at=site.clock())
    return changed


async def change_answers(request: Request) -> Response:
    site = site_of(request)
    if isinstance(pid := subject(site, "me", request), Response):
        return pid
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    found = await living(site, request)
    if isinstance(found, Response):
        return found
    pid, person = found
    campaign = await run_in_threadpool(asked, person, site.app)
    try:
        posted = read_form(campaign, fields)
    except BadFormError:
        return site.render(request, "problem.html", 400, reason="unreadable")
    errors = list(posted.errors)
    if not errors:
        try:
            held = person.personal.attributes
            await run_in_threadpool(changes, site, pid, held, posted.answers.attributes)
        except InvalidSignUpError as exc:
            errors = list(exc.errors)
    if errors:
        shown, by_id = plain_errors(site, campaign, errors)
        return show(site, request, campaign, 400, values=posted.values, errors=shown, error_for=by_id)
    return RedirectResponse(f"/me/{request.path_params['token']}", status_code=303)


ROUTES = [
    Route("/me/{token}/answers", answers_page, methods=["GET"]),
    Route("/me/{token}/answers", change_answers, methods=["POST"]),
]
