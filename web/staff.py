"""Staff pages: sign in and out (/staff/sign-in), the staff home (/staff), and assisted entry
(/staff/apply/SLUG): the same application form, filled in for someone who applied by phone, on paper
or in person, recorded with that channel, the staff member as ``captured_by`` and consent given
verbally or in writing. An email address a confirmed applicant holds is refused with a warning naming
them (their page linked; the showing recorded) until the staff member ticks "add anyway". See docs/web.md."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from panel.access import AccessLog
from panel.campaigns import ASSISTED_CHANNELS, ASSISTED_METHODS, AssistedEntry, Campaigns
from panel.links import make_token
from panel.queries import Queries
from panel.staff import Staff, StaffDetails
from panel.staff_roles import ENTER_APPLICATIONS, VIEW_PARTICIPANTS
from panel.validation import FieldError
from web import staff_pages
from web.apply import campaign_or_404, form, register, show_errors
from web.forms import BadFormError, read_form
from web.site import Site, site_of
from web.staff_auth import SIGNED_IN, cookie_name, staff_may

SESSION = timedelta(hours=8)
DUPLICATE_SHOWN = "assisted entry: email address already held"  # the ``what`` of the access record


async def sign_in_page(request: Request) -> Response:
    site = site_of(request)
    return site.render_form(request, "staff_sign_in.html", values={}, errors=[], next=_next(request))


async def sign_in(request: Request) -> Response:
    site = site_of(request)
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    moment, address = site.clock(), request.client.host if request.client else "-"
    if await run_in_threadpool(site.limits.sign_ins.take, address, moment) is not None:
        return site.render(request, "problem.html", 429, reason="too_many_sign_ins")
    name, password = (fields.get(k, [""])[0] for k in ("name", "password"))
    account = await run_in_threadpool(Staff(site.app).authenticate, name, password)
    if account is None:
        errors = [{"id": "name", "message": site.copy["staff"]["wrong"]}]
        return site.render_form(request, "staff_sign_in.html", 400, values={"name": name}, errors=errors,
                                next=_next(request))  # fmt: skip
    response = RedirectResponse(_next(request) or "/staff", status_code=303)
    token = make_token(site.settings.session_key, "staff", account.id, moment + SESSION)
    response.set_cookie(cookie_name(site), token, max_age=int(SESSION.total_seconds()), httponly=True,
                        secure=site.settings.secure_cookies, samesite="strict", path="/")  # fmt: skip
    return response


async def sign_out(request: Request) -> Response:
    site = site_of(request)
    _, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    response = RedirectResponse("/staff/sign-in", status_code=303)
    response.delete_cookie(cookie_name(site), path="/", secure=site.settings.secure_cookies, httponly=True)
    return response


async def home(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, SIGNED_IN)
    if isinstance(account, Response):
        return account
    today = site.clock().date()
    campaigns = [c for c in await run_in_threadpool(Campaigns(site.app).all) if c.state_on(today) == "open"]
    return site.render_form(request, "staff_home.html", account=account, campaigns=campaigns, words=staff_pages.WORDS,
                            entered=request.query_params.get("entered", "")[:20])  # fmt: skip


async def entry_page(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, ENTER_APPLICATIONS)
    if isinstance(account, Response):
        return account
    campaign = await campaign_or_404(site, request.path_params["slug"])
    if campaign.state_on(site.clock().date()) != "open":
        return site.render(request, "closed.html", campaign=campaign, state=campaign.state_on(site.clock().date()))
    return form(site, request, campaign, 200, **assisted(campaign.slug, {}))


async def enter(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, ENTER_APPLICATIONS)
    if isinstance(account, Response):
        return account
    campaign = await campaign_or_404(site, request.path_params["slug"])
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem)
    if campaign.state_on(site.clock().date()) != "open":
        return site.render(request, "closed.html", 409, campaign=campaign, state=campaign.state_on(site.clock().date()))
    try:
        posted = read_form(campaign, fields)
        channel, method, anyway = (_one(fields, k) for k in ("channel", "method", "add_anyway"))
    except BadFormError:
        return site.render(request, "problem.html", 400, reason="unreadable", campaign=campaign)
    if channel not in ASSISTED_CHANNELS:
        posted.errors.append(FieldError("channel", site.copy["staff"]["choose_channel"]))
    if method not in ASSISTED_METHODS:
        posted.errors.append(FieldError("method", site.copy["staff"]["choose_method"]))
    entry = AssistedEntry(channel or "phone", account.name, method or "verbal")
    extra = assisted(campaign.slug, {"channel": channel, "method": method})

    async def duplicate(holder: UUID) -> Response:
        """The form again, naming the participant who holds the address, with "add anyway" to tick."""
        ref = await run_in_threadpool(_holder_ref, site, account, holder)
        warned = {**extra, "duplicate": {"ref": ref}, "words": staff_pages.WORDS}
        errors = [FieldError("add_anyway", staff_pages.WORDS["duplicate_error"])]
        return show_errors(site, request, campaign, posted, errors, form_extra=warned, status=409)

    return await register(site, request, campaign, posted, entry=entry, form_extra=extra, done="/staff?entered={ref}",
                          add_duplicate=anyway == "yes", on_duplicate=duplicate)  # fmt: skip


def _holder_ref(site: Site, account: StaffDetails, holder: UUID) -> str | None:
    """The reference of the participant who holds the address, for staff who may see participants (the showing
    is recorded first, as on their page); None for a role that may not."""
    if not account.may(VIEW_PARTICIPANTS):
        return None
    AccessLog(site.app).record(account.name, DUPLICATE_SHOWN, [holder], channel="web", at=site.clock())
    return Queries(site.app).participant_ref(holder)


def assisted(slug: str, chosen: dict[str, str]) -> dict[str, object]:
    """What the application form needs to be the staff's version of itself."""
    return {"assisted": True, "action": f"/staff/apply/{slug}", "channels": ASSISTED_CHANNELS,
            "methods": ASSISTED_METHODS, "entry_values": chosen}  # fmt: skip


def _one(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name, [])
    if len(values) > 1:
        raise BadFormError(f"the field {name} was sent more than once")
    return values[0] if values else ""


def _next(request: Request) -> str:
    """Where to go after signing in: only a staff path of ours, never another site."""
    target = request.query_params.get("next", "")
    return target if target.startswith("/staff/") and "//" not in target and len(target) < 200 else ""


ROUTES = [
    Route("/staff/sign-in", sign_in_page, methods=["GET"]),
    Route("/staff/sign-in", sign_in, methods=["POST"]),
    Route("/staff/sign-out", sign_out, methods=["POST"]),
    Route("/staff", home, methods=["GET"]),
    Route("/staff/apply/{slug}", entry_page, methods=["GET"]),
    Route("/staff/apply/{slug}", enter, methods=["POST"]),
    *staff_pages.ROUTES,
]
