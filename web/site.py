"""What every page handler shares: templates and their words, the clock, the keys, CSRF and the body limit."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from panel.application import PanelApp
from panel.audit_watch import ChainWatch
from panel.campaign_cache import CampaignCache
from panel.domain.errors import PanelError
from panel.numbers import whole_number
from panel.outbox import Message, Outbox
from web.copies import html_lang, load_copy
from web.forms import BadFormError, parse_body
from web.ledger_reads import ledger_reads
from web.limits import ApplyLimits
from web.security import csrf_cookie_name, csrf_field, csrf_ok, new_csrf_cookie
from web.settings import WebSettings

HERE = Path(__file__).parent
CSRF_MARK, STARTED_MARK = "\x00csrf\x00", "\x00started\x00"  # where a blank form's per-request values go
FILLED = (CSRF_MARK, STARTED_MARK)
BLANKS = re.compile("(" + "|".join(re.escape(m) for m in FILLED) + ")")
LOG = logging.getLogger("panel.web")


class Site:
    def __init__(
        self,
        app: PanelApp,
        settings: WebSettings,
        clock: Callable[[], datetime],
        outbox: Outbox,
        views: Engine | None = None,
    ) -> None:
        self.app = app
        self.ledger = ledger_reads(app, views)  # payment lines: the ledger view where there is one
        self.settings = settings
        self.clock = clock
        self.outbox = outbox
        self.copy = load_copy()
        self.blank_forms: dict[tuple[str, str], tuple[object, list[str]]] = {}  # render_blank_form's pages
        self.lock = threading.Lock()
        self.copies: dict[str, dict[str, Any]] = {"en": self.copy}
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), trim_blocks=True
        )
        self.cookie_name = csrf_cookie_name(settings.secure_cookies)
        self.campaigns = CampaignCache(app)  # every application page reads its campaign: checked, not replayed
        self.chain_watch = ChainWatch(app)  # the audit page's chain check: in full hourly, from the head between
        self.limits = ApplyLimits(
            app.rate_counts,
            settings.signing_key,
            settings.limit_per_address,
            settings.limit_per_email,
            settings.min_fill_seconds,
            settings.limit_per_partner,
        )

    def copy_for(self, campaign: object = None) -> dict[str, Any]:
        """The words a campaign chose (its ``language``: en, en-easyread or cy); the plain English ones for a
        page without a campaign, or when the campaign's copy file has since been removed."""
        language = getattr(campaign, "language", "en")
        if language not in self.copies:
            try:
                self.copies[language] = load_copy(language)
            except OSError:
                LOG.error("no copy file web/copy/%s.toml: showing the English pages", language)
                return self.copy
        return self.copies[language]

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page in the words of the campaign it is about (``campaign`` in the context), or plain English."""
        return HTMLResponse(self.page_text(request, name, **context), status_code=status)

    def page_text(self, request: Request, name: str, **context: Any) -> str:
        """``render``'s HTML."""
        words = self.copy_for(context.get("campaign"))
        language = getattr(context.get("campaign"), "language", "en") if words is not self.copy else "en"
        context.setdefault("lang", html_lang(language))
        return self.templates.get_template(name).render(copy=words, request=request, **context)

    def refused(self, request: Request, problem: str, **context: Any) -> HTMLResponse:
        """The page for a post ``posted`` refused: 403 for a CSRF mismatch, 400 for an unreadable body."""
        return self.render(request, "problem.html", 403 if problem == "csrf" else 400, reason=problem, **context)

    def render_form(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A page with a form: its CSRF field, and the cookie it pairs with when the visitor has none yet."""
        cookie, fresh = self.csrf_cookie(request)
        response = self.render(request, name, status, csrf=csrf_field(self.settings.signing_key, cookie), **context)
        return self.with_cookie(response, cookie, fresh)

    def render_blank_form(
        self, request: Request, name: str, campaign: Any, started: str, context: Callable[[], dict[str, Any]]
    ) -> HTMLResponse:
        """``render_form`` of a campaign's form as nobody has filled it in, with its CSRF field and its ``started``
        field: the page is rendered once per campaign and template (again when the campaign's details differ),
        with markers where those two go, and each request puts its own values there, escaped as the template
        would. ``context`` gives the rest of the page's context (called only when the page is rendered)."""
        pieces = self.blank_forms.get((name, campaign.slug))
        if pieces is None or not (pieces[0] is campaign or pieces[0] == campaign):
            text = self.page_text(request, name, campaign=campaign, csrf=CSRF_MARK, started=STARTED_MARK, **context())
            pieces = (campaign, BLANKS.split(text))
            if [p for p in pieces[1] if p in FILLED] != [CSRF_MARK, STARTED_MARK]:  # not one of each: no shortcut
                fields = {"campaign": campaign, "started": started, **context()}
                return self.render_form(request, name, **fields)
            with self.lock:
                self.blank_forms[(name, campaign.slug)] = pieces
        cookie, fresh = self.csrf_cookie(request)
        filled = {
            CSRF_MARK: str(escape(csrf_field(self.settings.signing_key, cookie))),
            STARTED_MARK: str(escape(started)),
        }
        response = HTMLResponse("".join(filled.get(p, p) for p in pieces[1]))
        return self.with_cookie(response, cookie, fresh)

    def csrf_cookie(self, request: Request) -> tuple[str, bool]:
        """The visitor's CSRF cookie, and whether it is a new one (they had none, or one too long to be ours)."""
        given = request.cookies.get(self.cookie_name)
        fresh = given is None or len(given) > 100
        return (new_csrf_cookie() if given is None or fresh else given), fresh

    def with_cookie(self, response: HTMLResponse, cookie: str, fresh: bool) -> HTMLResponse:
        """``response``, setting the CSRF cookie when it is a new one."""
        if fresh:
            response.set_cookie(
                self.cookie_name,
                cookie,
                httponly=True,
                secure=self.settings.secure_cookies,
                samesite="strict",
                path="/",
            )
        return response

    async def posted(self, request: Request) -> tuple[dict[str, list[str]], str | None]:
        """The posted fields and None, or ({}, "unreadable") / ({}, "csrf") when the body cannot be read or its
        CSRF token does not match its cookie. Raises 413 for a body over the limit."""
        body = await read_limited(request, self.settings.max_body)
        try:
            fields = parse_body(body)
        except BadFormError:
            return {}, "unreadable"
        token = fields.get("csrf_token", [""])
        if len(token) != 1 or not csrf_ok(self.settings.signing_key, request.cookies.get(self.cookie_name), token[0]):
            return {}, "csrf"
        return fields, None

    def mail(self, message: Message) -> bool:
        """Send ``message`` through the outbox; False (and one log line, without the address) when it cannot."""
        try:
            self.outbox.send(message)
        except (OSError, PanelError) as exc:  # FolderOutbox raises OutboxError; another outbox may raise OSError
            LOG.error("could not keep a %s email in the outbox: %s", message.kind, exc)
            return False
        return True

    def base_url(self, request: Request) -> str:
        return self.settings.base_url or str(request.base_url).rstrip("/")


def site_of(request: Request) -> Site:
    """The Site the application was built with (kept in the Starlette app's state)."""
    site: Site = request.app.state.site
    return site


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, or 413 when it is larger than ``limit`` bytes (declared or actually sent)."""
    declared = whole_number(request.headers.get("content-length", ""))
    if declared is not None and declared > limit:
        raise HTTPException(413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413)
        chunks.append(chunk)
    return b"".join(chunks)
