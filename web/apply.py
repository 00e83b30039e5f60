"""The application pages: /apply/SLUG (the form, or the closed page) and /apply/SLUG/done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from panel.campaigns import Answers, AssistedEntry, CampaignDetails, CampaignNotFoundError, Campaigns
from panel.domain.errors import AlreadyRegisteredError
from panel.email_index import DuplicateEmailError
from panel.links import make_token
from panel.outbox import Message
from panel.queries import Queries
from panel.store.rate_counts import RateLimitedError
from panel.validation import FieldError, InvalidSignUpError
from web.forms import DESCRIBE, PREFER_NOT, BadFormError, Posted, errors_in_page_order, read_form
from web.notice import notice_blocks
from web.site import Site, site_of

OnErrors = Callable[[Posted, list[FieldError], str], Response] | None  # shows a form again with its errors


async def campaign_or_404(site: Site, slug: str) -> CampaignDetails:
    return await run_in_threadpool(campaign_now, site, slug)


def campaign_now(site: Site, slug: str) -> CampaignDetails:
    """The campaign (``site.campaigns``: checked, not replayed), or 404; blocks on the store."""
    try:
        return site.campaigns.get(slug)
    except CampaignNotFoundError:
        raise HTTPException(404) from None


def form(site: Site, request: Request, campaign: CampaignDetails, status: int = 200, **context: object) -> Response:
    context.setdefault("values", {})
    context.setdefault("errors", [])
    context.setdefault("started", site.limits.started_field(site.clock()))
    return site.render_form(
        request, "apply.html", status, campaign=campaign, prefer_not=PREFER_NOT, describe=DESCRIBE,
        notice=notice_blocks(campaign.notice_lines), **context,
    )  # fmt: skip


def closed_or_preview(site: Site, request: Request, campaign: CampaignDetails, token: str) -> Response | bool:
    """The closed page, unless the campaign is open or ``token`` is a staff preview token (True: a preview)."""
    state = campaign.state_on(site.clock().date())
    preview = state != "open" and bool(token) and Campaigns(site.app).is_preview(campaign.slug, token, site.clock())
    if state != "open" and not preview:
        return site.render(request, "closed.html", campaign=campaign, state=state)
    return preview


def page(site: Site, request: Request, campaign: CampaignDetails) -> Response:
    """The single page (or the closed page) of ``campaign``, which the caller has just read (``campaign_or_404``)."""
    preview = closed_or_preview(site, request, campaign, request.query_params.get("preview", ""))
    if isinstance(preview, Response):
        return preview
    if preview:
        return form(site, request, campaign, preview=preview)
    started = site.limits.started_field(site.clock())
    return site.render_blank_form(request, "apply.html", campaign, started, partial(blank_context, campaign))


def blank_context(campaign: CampaignDetails) -> dict[str, object]:
    """What ``form`` shows on a form nobody has filled in, less the per-request CSRF and ``started`` fields."""
    return {"values": {}, "errors": [], "prefer_not": PREFER_NOT, "describe": DESCRIBE, "preview": False,
            "notice": notice_blocks(campaign.notice_lines)}  # fmt: skip


async def send(request: Request) -> Response:
    """POST /apply/SLUG: the body is read here, then everything else in one worker thread (``send_now``)."""
    site = site_of(request)
    try:
        fields, problem = await site.posted(request)
    except HTTPException as exc:  # too large: answered after the campaign's 404, as it always was
        if exc.status_code != 413:
            raise
        fields, problem = {}, "too_large"
    return await run_in_threadpool(send_now, site, request, request.path_params["slug"], fields, problem)


def send_now(site: Site, request: Request, slug: str, fields: dict[str, list[str]], problem: str | None) -> Response:
    """The campaign (404 first), a body too large (413), a refused post (CSRF, unreadable), then ``accept_now``."""
    campaign = campaign_now(site, slug)
    if problem == "too_large":
        raise HTTPException(413)
    if problem:
        return site.refused(request, problem, campaign=campaign)
    return accept_now(site, request, campaign, fields)


async def accept(
    site: Site, request: Request, campaign: CampaignDetails, fields: dict[str, list[str]], on_errors: OnErrors = None
) -> Response:
    """An application's fields, as the single page or "Check your answers" sends them: ``accept_now`` in one worker
    thread (the checks, the write and the email all block on the store or the outbox)."""
    return await run_in_threadpool(accept_now, site, request, campaign, fields, on_errors)


def accept_now(
    site: Site, request: Request, campaign: CampaignDetails, fields: dict[str, list[str]], on_errors: OnErrors = None
) -> Response:
    """The window, the limit per client address, the honeypot and the minimum fill time, then ``register_now``.
    ``on_errors`` shows a form with errors (default: the single page)."""
    state = campaign.state_on(site.clock().date())
    if state != "open":
        return site.render(request, "closed.html", 409, campaign=campaign, state=state)
    moment, address = site.clock(), request.client.host if request.client else "-"
    wait = site.limits.addresses.take(address, moment)
    if wait is not None:
        return too_many(site, request, campaign, wait)
    started = fields.get("started", [""])
    quick = site.limits.too_fast(started[0], moment) if len(started) == 1 else None
    try:
        if fields.get("website", [""]) != [""]:  # the honeypot: people never see this field
            raise BadFormError("the hidden field was filled in")
        if quick is None:
            raise BadFormError("the form's start time is missing or was changed")
        posted = read_form(campaign, fields)
    except BadFormError:
        return site.render(request, "problem.html", 400, reason="unreadable", campaign=campaign)
    answer = register_now(site, request, campaign, posted, started[0], too_fast=quick, on_errors=on_errors)
    assert not isinstance(answer, UUID)  # noqa: S101 - only ``on_duplicate`` callers get a holder back
    return answer


def too_many(site: Site, request: Request, campaign: CampaignDetails, wait: timedelta) -> Response:
    """429 with Retry-After, and the campaign's phone number or address for anyone who is stuck."""
    page = site.render(request, "problem.html", 429, reason="too_many", campaign=campaign)
    page.headers["Retry-After"] = str(max(1, int(wait.total_seconds()) + 1))
    return page


async def register(
    site: Site,
    request: Request,
    campaign: CampaignDetails,
    posted: Posted,
    started: str = "",
    too_fast: bool = False,
    *,
    entry: AssistedEntry | None = None,
    form_extra: dict[str, object] | None = None,
    done: str = "",
    add_duplicate: bool = False,
    on_duplicate: Callable[[UUID], Awaitable[Response]] | None = None,
    on_errors: OnErrors = None,
) -> Response:
    """``register_now`` in one worker thread; ``on_duplicate``'s answer (staff) for an address a confirmed
    applicant holds."""
    answer = await run_in_threadpool(
        partial(
            register_now, site, request, campaign, posted, started, too_fast, entry=entry, form_extra=form_extra,
            done=done, add_duplicate=add_duplicate, holder_wanted=on_duplicate is not None, on_errors=on_errors,
        )
    )  # fmt: skip
    if isinstance(answer, UUID):
        assert on_duplicate is not None  # noqa: S101 - register_now returns a holder only when asked to
        return await on_duplicate(answer)
    return answer


def register_now(
    site: Site,
    request: Request,
    campaign: CampaignDetails,
    posted: Posted,
    started: str = "",
    too_fast: bool = False,
    *,
    entry: AssistedEntry | None = None,
    form_extra: dict[str, object] | None = None,
    done: str = "",
    add_duplicate: bool = False,
    holder_wanted: bool = False,
    on_errors: OnErrors = None,
) -> Response | UUID:
    """Check the whole application, then register it and send the email; or show the form with its errors.

    A form with errors is shown again whatever the time; a complete one sent back sooner than a person
    could fill it in is refused (a script's, most likely), with nothing written. Online, the email's limit is
    checked and counted in the transaction that registers the person (``RateCounts.taking``): over it, the
    sign-up rolls back and nothing is written, neither events nor a count. An email address a confirmed
    applicant holds (``panel.email_index.duplicate_holder``) writes no events: online, it counts against the
    address's limit, the applicant sees the page a new applicant sees and the address gets an email; with
    ``holder_wanted`` (staff) the holder's id is returned for the caller's answer."""
    campaigns, moment = Campaigns(site.app), site.clock()
    prepared = campaigns.prepare(campaign, posted.answers, at=moment, entry=entry)
    errors = posted.errors + (prepared if isinstance(prepared, list) else [])
    given = posted.answers.personal.get("email", "")
    email = site.limits.email_key(given) if given else ""
    if not errors and too_fast:
        return site.render(request, "problem.html", 400, reason="too_fast", campaign=campaign)
    online = bool(email) and entry is None  # the email's limit applies, and the address enters the email index
    if not errors and not isinstance(prepared, list):
        try:
            counting = site.limits.emails.taking(email, moment) if online else None
            pid = campaigns.register(prepared, add_duplicate=add_duplicate, note_email=online, counting=counting)
        except RateLimitedError as exc:  # rolled back with the sign-up: nothing written, nothing counted
            return too_many(site, request, campaign, exc.wait)
        except InvalidSignUpError as exc:  # the store changed between the check and the write
            errors = exc.errors
        except AlreadyRegisteredError:  # a fresh random reference collided: vanishingly rare
            return site.render(request, "problem.html", 409, reason="retry", campaign=campaign)
        except DuplicateEmailError as exc:
            if holder_wanted:  # staff: a warning on the form, and "add anyway" to go on
                return exc.holder
            # online: the same page as a new application; the email tells the owner of the address (and counts)
            wait = site.limits.emails.take(email, moment) if online else None
            if wait is not None:
                return too_many(site, request, campaign, wait)
            if not send_already_applied(site, request, campaign, posted.answers, exc.holder):
                return mail_failed(site, request)
            return RedirectResponse(f"/apply/{campaign.slug}/done", status_code=303)
        else:
            if online:
                site.limits.emails.tidy(moment)
            if not send_confirmation(site, request, campaign, posted.answers, pid):
                return mail_failed(site, request)
            if done:
                return RedirectResponse(done.format(ref=Queries(site.app).participant_ref(pid)), status_code=303)
            return RedirectResponse(f"/apply/{campaign.slug}/done", status_code=303)
    if on_errors is not None:
        return on_errors(posted, errors, started)
    return show_errors(site, request, campaign, posted, errors, started, form_extra)


def show_errors(
    site: Site,
    request: Request,
    campaign: CampaignDetails,
    posted: Posted,
    errors: list[FieldError],
    started: str = "",
    form_extra: dict[str, object] | None = None,
    status: int = 400,
) -> Response:
    """The form again with what was typed, the error summary and each message beside its field."""
    shown, by_id = plain_errors(site, campaign, errors)
    return form(site, request, campaign, status, values=posted.values, consents=posted.consents, errors=shown,
                error_for=by_id, **({"started": started} if started else {}), **(form_extra or {}))  # fmt: skip


def plain_errors(
    site: Site, campaign: CampaignDetails, errors: list[FieldError]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The errors in plain words and page order (for the summary), and the first message for each field's id."""
    plain = site.copy_for(campaign).get("field_errors", {})
    shown = errors_in_page_order(
        campaign, [e if e.plain else FieldError(e.field, plain.get(e.field, e.message)) for e in errors]
    )
    by_id: dict[str, str] = {}
    for e in shown:
        by_id.setdefault(e["id"], e["message"])
    return shown, by_id


async def done(request: Request) -> Response:
    site = site_of(request)
    campaign = await campaign_or_404(site, request.path_params["slug"])
    return site.render(request, "done.html", campaign=campaign)


def mail_failed(site: Site, request: Request) -> Response:
    """The application is kept but its email could not be: say so, and how to get the links later."""
    return site.render(request, "problem.html", 200, reason="mail_failed")


def send_confirmation(site: Site, request: Request, campaign: CampaignDetails, answers: Answers, pid: UUID) -> bool:
    """Email the confirmation link and the personal /me link, when the applicant gave an email address; False
    when the email could not be kept in the outbox."""
    email = answers.personal.get("email", "").strip()
    if not email:
        return True
    now, key, words = site.clock(), site.settings.signing_key, site.copy_for(campaign)["email"]
    base = site.base_url(request)
    confirm = make_token(key, "confirm", pid, now + timedelta(days=site.settings.confirm_days))
    me = make_token(key, "me", pid, now + timedelta(days=site.settings.me_days))
    body = words["confirm_body"].format(
        engagement=campaign.engagement_name, confirm=f"{base}/confirm/{confirm}", me=f"{base}/me/{me}",
        confirm_days=site.settings.confirm_days, me_days=site.settings.me_days,
    )  # fmt: skip
    return site.mail(Message(to=email, subject=words["confirm_subject"], body=body, kind="confirm"))


def send_already_applied(site: Site, request: Request, campaign: CampaignDetails, answers: Answers, pid: UUID) -> bool:
    """Email the confirmed holder of an address that applied again: a fresh /me link, and no second person."""
    now, words = site.clock(), site.copy_for(campaign)["email"]
    me = make_token(site.settings.signing_key, "me", pid, now + timedelta(days=site.settings.me_days))
    body = words["already_body"].format(
        engagement=campaign.engagement_name, me=f"{site.base_url(request)}/me/{me}", me_days=site.settings.me_days
    )
    to = answers.personal["email"].strip()
    return site.mail(Message(to=to, subject=words["already_subject"], body=body, kind="already_applied"))


ROUTES = [  # GET /apply/{slug} is web.apply_pages.first (the single page, or the first of one thing per page)
    Route("/apply/{slug}", send, methods=["POST"]),
    Route("/apply/{slug}/done", done, methods=["GET"]),
]
