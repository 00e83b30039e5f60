"""The composition root of the web service: routes, templates and the application they call.

Handlers parse, call one application method (in a worker thread: the store's calls block) and
render a template. See docs/web.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from panel.application import PanelApp
from panel.campaigns import CampaignDetails, CampaignNotFoundError, Campaigns
from panel.domain.errors import AlreadyRegisteredError
from panel.validation import FieldError, InvalidSignUpError
from web.forms import DESCRIBE, PREFER_NOT, BadFormError, errors_in_page_order, parse_body, read_form
from web.notice import notice_blocks
from web.security import SecurityHeaders, csrf_cookie_name, csrf_field, csrf_ok, new_csrf_cookie
from web.settings import WebSettings

HERE = Path(__file__).parent
REF = re.compile(r"APP-[A-Z]{10}")


def load_copy(language: str = "en") -> dict[str, Any]:
    """The words of every page, from web/copy/LANG.toml (one file per language or Easy Read variant)."""
    with (HERE / "copy" / f"{language}.toml").open("rb") as file:
        return tomllib.load(file)


def create_app(app: PanelApp, settings: WebSettings, clock: Callable[[], datetime] | None = None) -> Starlette:
    """The ASGI application over ``app``; ``clock`` (UTC) decides whether a campaign is open (tests set it)."""
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True
    )
    copy = load_copy()
    campaigns = Campaigns(app)
    today = clock or (lambda: datetime.now(UTC))
    cookie_name = csrf_cookie_name(settings.secure_cookies)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        page = templates.get_template(name).render(copy=copy, request=request, **context)
        return HTMLResponse(page, status_code=status)

    async def campaign_or_404(slug: str) -> CampaignDetails:
        try:
            return await run_in_threadpool(campaigns.get, slug)
        except CampaignNotFoundError:
            raise HTTPException(404) from None

    def form_page(request: Request, campaign: CampaignDetails, status: int = 200, **context: Any) -> HTMLResponse:
        cookie = request.cookies.get(cookie_name)
        fresh = cookie is None or len(cookie) > 100
        if fresh:
            cookie = new_csrf_cookie()
        context.setdefault("values", {})
        context.setdefault("errors", [])
        response = render(
            request, "apply.html", status, campaign=campaign, csrf=csrf_field(settings.signing_key, cookie),
            prefer_not=PREFER_NOT, describe=DESCRIBE, notice=notice_blocks(campaign.notice_lines), **context,
        )  # fmt: skip
        if fresh:
            response.set_cookie(
                cookie_name, cookie, httponly=True, secure=settings.secure_cookies, samesite="strict", path="/"
            )
        return response

    async def home(request: Request) -> Response:
        return render(request, "home.html")

    async def accessibility(request: Request) -> Response:
        return render(request, "accessibility.html")

    async def apply_page(request: Request) -> Response:
        campaign = await campaign_or_404(request.path_params["slug"])
        state = campaign.state_on(today().date())
        if state != "open":
            return render(request, "closed.html", campaign=campaign, state=state)
        return form_page(request, campaign)

    async def apply_post(request: Request) -> Response:
        campaign = await campaign_or_404(request.path_params["slug"])
        body = await _read_limited(request, settings.max_body)
        try:
            fields = parse_body(body)
        except BadFormError:
            return render(request, "problem.html", 400, reason="unreadable")
        token = fields.get("csrf_token", [""])
        if len(token) != 1 or not csrf_ok(settings.signing_key, request.cookies.get(cookie_name), token[0]):
            return render(request, "problem.html", 403, reason="csrf", campaign=campaign)
        state = campaign.state_on(today().date())
        if state != "open":
            return render(request, "closed.html", 409, campaign=campaign, state=state)
        if fields.get("website", [""]) != [""]:  # the honeypot: people never see this field
            return render(request, "problem.html", 400, reason="unreadable")
        try:
            posted = read_form(campaign, fields)
        except BadFormError:
            return render(request, "problem.html", 400, reason="unreadable")
        errors = posted.errors + await run_in_threadpool(campaigns.check, campaign, posted.answers, at=today())
        if not errors:
            try:
                await run_in_threadpool(campaigns.apply, campaign, posted.answers, at=today())
            except InvalidSignUpError as exc:  # the store changed between the check and the write
                errors = exc.errors
            except AlreadyRegisteredError:  # a fresh random reference collided: vanishingly rare
                return render(request, "problem.html", 409, reason="retry", campaign=campaign)
            else:
                return RedirectResponse(f"/apply/{campaign.slug}/done", status_code=303)
        plain = copy.get("field_errors", {})
        errors = [FieldError(e.field, plain.get(e.field, e.message)) for e in errors]
        shown = errors_in_page_order(campaign, errors)
        by_id: dict[str, str] = {}
        for e in shown:
            by_id.setdefault(e["id"], e["message"])
        return form_page(
            request, campaign, 400, values=posted.values, consents=posted.consents, errors=shown, error_for=by_id
        )

    async def done(request: Request) -> Response:
        campaign = await campaign_or_404(request.path_params["slug"])
        return render(request, "done.html", campaign=campaign)

    async def not_found(request: Request, exc: Exception) -> Response:
        return render(request, "problem.html", 404, reason="not_found")

    async def too_large(request: Request, exc: Exception) -> Response:
        return render(request, "problem.html", 413, reason="too_large")

    async def server_error(request: Request, exc: Exception) -> Response:
        return render(request, "problem.html", 500, reason="server")

    async def method_not_allowed(request: Request, exc: Exception) -> Response:
        return render(request, "problem.html", 405, reason="not_found")

    routes = [
        Route("/", home),
        Route("/accessibility", accessibility),
        Route("/apply/{slug}", apply_page, methods=["GET"]),
        Route("/apply/{slug}", apply_post, methods=["POST"]),
        Route("/apply/{slug}/done", done),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers = {404: not_found, 405: method_not_allowed, 413: too_large, 500: server_error}
    web = Starlette(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]
    return SecurityHeaders(web, hsts=settings.secure_cookies)  # type: ignore[return-value]


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, or 413 when it is larger than ``limit`` bytes (declared or actually sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413)
        chunks.append(chunk)
    return b"".join(chunks)
