"""One thing per page (GOV.UK): a campaign opened with ``--layout one-per-page`` asks its questions a page at a time.

The pages are the name, the contact details (email and phone, grouped as GOV.UK groups them), the postcode,
one page per question, the consents, then "Check your answers", whose "Change" buttons go back to a page
and return. The answers travel between pages sealed in a hidden field (``web.carry``): no event is written
and nothing personal is kept on the server until the applicant sends the application from "Check your
answers", which goes through ``web.apply.accept`` exactly as the single page does (window, limits, honeypot,
minimum fill time from the first page, ``Campaigns.prepare`` and the one application call).

A page's answers are checked by the same rules, on everything answered so far, showing only the errors
that belong to that page; what belongs to later pages is checked there, and all of it again at the end.
"""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from panel.campaigns import CampaignDetails, Campaigns, Question
from panel.validation import FieldError
from web import apply
from web.carry import BadCarryError, carry_key, seal, unseal
from web.forms import DESCRIBE, PREFER_NOT, BadFormError, Posted, field_id, read_form
from web.notice import notice_blocks
from web.site import Site, site_of
from web.tokens import private

FIRST = "name"
CHECK = "check"
KEPT = ("started", "preview")  # carried with the answers: when the first page was shown; a staff preview's token


def steps(campaign: CampaignDetails) -> dict[str, tuple[str, ...]]:
    """Each page, in order, with the form fields it asks for."""
    pages: dict[str, tuple[str, ...]] = {"name": ("name",), "contact": ("email", "phone"), "postcode": ("postcode",)}
    for q in campaign.questions:
        pages[f"q-{q.attribute}"] = (f"attr.{q.attribute}", f"attr.{q.attribute}.describe")
    pages["consent"] = ("consent",)
    return pages


def step_of(campaign: CampaignDetails, error_id: str) -> str:
    """The page that shows the field an error's id names (the check page for an error of no field)."""
    if error_id.startswith("consent-"):
        return "consent"
    if error_id.startswith("attr-"):
        ids = {f"attr-{q.attribute}{end}": f"q-{q.attribute}" for q in campaign.questions for end in ("", "-describe")}
        return ids.get(error_id, CHECK)
    return next((name for name, fields in steps(campaign).items() if error_id in fields), CHECK)


def one(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name, [])
    if len(values) > 1:
        raise BadFormError(f"the field {name} was sent more than once")
    return values[0] if values else ""


async def first(request: Request) -> Response:
    """GET /apply/SLUG: the single page, or the first of one thing per page (or the closed page)."""
    site = site_of(request)
    campaign = await apply.campaign_or_404(site, request.path_params["slug"])
    if campaign.layout != "one-per-page":
        return apply.page(site, request, campaign)  # the campaign as just read: not read a second time
    token = request.query_params.get("preview", "")
    preview = apply.closed_or_preview(site, request, campaign, token)
    if isinstance(preview, Response):
        return preview
    kept = {"started": [site.limits.started_field(site.clock())], **({"preview": [token]} if preview else {})}
    return render_step(site, request, campaign, FIRST, kept)


async def open_post(
    request: Request,
) -> tuple[Site, CampaignDetails, dict[str, list[str]], dict[str, list[str]]] | Response:
    """A one-per-page POST opened: its campaign, the posted fields and the carried answers; or the page
    refusing it (a bad form token, an unreadable post or a carry that does not open: 400, nothing written)."""
    site = site_of(request)
    campaign = await apply.campaign_or_404(site, request.path_params["slug"])
    fields, problem = await site.posted(request)
    if problem:
        return site.refused(request, problem, campaign=campaign)
    try:
        carried = unseal(carry_key(site.settings.session_key), campaign.slug, one(fields, "carry"))
    except BadCarryError:
        return site.render(request, "problem.html", 400, reason="bad_carry", campaign=campaign)
    except BadFormError:
        return site.render(request, "problem.html", 400, reason="unreadable", campaign=campaign)
    return site, campaign, fields, carried


async def step(request: Request) -> Response:
    """POST /apply/SLUG/page: ``at`` a page with its answers and ``go=next``; or ``go`` a page (Back, Change)."""
    opened = await open_post(request)
    if isinstance(opened, Response):
        return opened
    site, campaign, fields, carried = opened
    try:
        at, go, change = one(fields, "at"), one(fields, "go"), one(fields, "change") == "1"
    except BadFormError:
        return site.render(request, "problem.html", 400, reason="unreadable", campaign=campaign)
    closed = apply.closed_or_preview(site, request, campaign, one(carried, "preview"))
    if isinstance(closed, Response):
        return closed
    pages = steps(campaign)
    if go == "next" and at in pages:
        answered = {k: v for k, v in carried.items() if k not in pages[at]}
        answered.update({k: fields[k] for k in pages[at] if k in fields})
        try:
            errors = await page_errors(site, campaign, answered, at)
        except BadFormError:
            return site.render(request, "problem.html", 400, reason="unreadable", campaign=campaign)
        if errors:
            return render_step(site, request, campaign, at, answered, errors=errors, change=change, carry=carried)
        order = [*pages, CHECK]
        return render_step(site, request, campaign, CHECK if change else order[order.index(at) + 1], answered)
    if go in pages or go == CHECK:
        return render_step(site, request, campaign, go, carried, change=change)
    return site.render(request, "problem.html", 400, reason="unreadable", campaign=campaign)


async def page_errors(site: Site, campaign: CampaignDetails, fields: dict[str, list[str]], at: str) -> list[FieldError]:
    """The errors the shared rules find in the answers so far that belong on page ``at``."""
    posted = read_form(campaign, fields)
    prepare = partial(Campaigns(site.app).prepare, campaign, posted.answers, at=site.clock())
    prepared = await run_in_threadpool(prepare)
    errors = posted.errors + (prepared if isinstance(prepared, list) else [])
    return [e for e in errors if step_of(campaign, field_id(campaign, e.field)) == at]


async def send_checked(request: Request) -> Response:
    """POST /apply/SLUG/check: the carried answers (and the page's honeypot) through ``web.apply.accept``."""
    opened = await open_post(request)
    if isinstance(opened, Response):
        return opened
    site, campaign, fields, carried = opened
    answers = {k: v for k, v in carried.items() if k != "preview"}
    answers["website"] = fields.get("website", [""])
    shown = partial(errors_on_pages, site, request, campaign, one(carried, "preview"))
    return await apply.accept(site, request, campaign, answers, on_errors=shown)


def errors_on_pages(
    site: Site, request: Request, campaign: CampaignDetails, preview: str, posted: Posted, errors: list[FieldError],
    started: str,
) -> Response:  # fmt: skip
    """Errors found when the application was sent: the first page with one, showing that page's errors."""
    fields = {k: [v] for k, v in posted.values.items()} | {"consent": list(posted.consents), "started": [started]}
    if preview:
        fields["preview"] = [preview]
    at = min((step_of(campaign, field_id(campaign, e.field)) for e in errors), key=[*steps(campaign), CHECK].index)
    mine = [e for e in errors if step_of(campaign, field_id(campaign, e.field)) == at]
    return render_step(site, request, campaign, at, fields, errors=mine, change=True)


def render_step(
    site: Site,
    request: Request,
    campaign: CampaignDetails,
    at: str,
    fields: dict[str, list[str]],
    *,
    errors: list[FieldError] | None = None,
    change: bool = False,
    carry: dict[str, list[str]] | None = None,
) -> Response:
    """Page ``at`` with the answers in ``fields``; the carry token holds ``carry`` (default: ``fields``)."""
    pages = [*steps(campaign), CHECK]
    shown, by_id = apply.plain_errors(site, campaign, errors or [])
    back = CHECK if change and at != CHECK else (pages[pages.index(at) - 1] if at != FIRST else "")
    values = {k: v[0] for k, v in fields.items() if len(v) == 1 and k not in ("consent", *KEPT)}
    question = next((q for q in campaign.questions if f"q-{q.attribute}" == at), None)
    token = seal(carry_key(site.settings.session_key), campaign.slug, carry if carry is not None else fields)
    context = {
        "campaign": campaign, "at": at, "back": back, "change": change, "carry": token, "values": values,
        "consents": tuple(fields.get("consent", [])), "errors": shown, "error_for": by_id, "question": question,
        "prefer_not": PREFER_NOT, "describe": DESCRIBE, "preview": bool(one(fields, "preview")),
    }  # fmt: skip
    if at == CHECK:
        return private(site.render_form(request, "apply_check.html", 400 if errors else 200,
                                              rows=check_rows(site, campaign, values, fields), **context))  # fmt: skip
    context["notice"] = notice_blocks(campaign.notice_lines) if at == "consent" else []
    return private(site.render_form(request, "apply_page.html", 400 if errors else 200, **context))


def check_rows(
    site: Site, campaign: CampaignDetails, values: dict[str, str], fields: dict[str, list[str]]
) -> list[tuple[str, list[str], str, str]]:
    """The rows of "Check your answers": the question, the answer's lines, the page to change it, its id."""
    words = site.copy_for(campaign)
    none = words["pages"]["not_answered"]
    contact = (("name", "name"), ("email", "contact"), ("phone", "contact"), ("postcode", "postcode"))
    rows = [(words["apply"][name], [values.get(name) or none], page, name) for name, page in contact]
    for q in campaign.questions:
        rows.append((q.question, [answer_text(words, q, values) or none], f"q-{q.attribute}", f"attr-{q.attribute}"))
    ticked = [words["consent_purposes"][p] for p in campaign.purposes if p in fields.get("consent", [])]
    rows.append((words["apply"]["consent"], ticked or [words["pages"]["nothing_ticked"]], "consent", "consent"))
    return rows


def answer_text(words: dict[str, dict[str, str]], q: Question, values: dict[str, str]) -> str:
    """A question's answer as the applicant chose it: the option's words, their own words, or "Prefer not to say"."""
    chosen = values.get(f"attr.{q.attribute}", "")
    if chosen == PREFER_NOT:
        return words["apply"]["prefer_not"]
    if chosen == DESCRIBE:
        return values.get(f"attr.{q.attribute}.describe", "")
    return next((o.label for o in q.options if o.value == chosen), "")


ROUTES = [
    Route("/apply/{slug}", first, methods=["GET"]),
    Route("/apply/{slug}/page", step, methods=["POST"]),
    Route("/apply/{slug}/check", send_checked, methods=["POST"]),
]
