"""Staff pages that read the store, each behind one permission (panel.staff_roles; docs/web.md):

- ``/staff/participants`` and ``/staff/participants/REF`` (view_participants): look a person up by
  reference and see their stored details. That is a showing of personal data, so a DataAccess
  (actor: the staff member, channel ``web``) is recorded *before* the page is rendered, through the
  same AccessLog as the CLI (``panel audit access``).
- ``/staff/payments`` (view_payments): payments not yet finished, by engagement, participant
  reference and stage, with amounts; no names, so nothing to record.
- ``/staff/audit`` (view_audit): the hash chain as ``panel.audit_watch.ChainWatch`` last checked it (every event
  hourly, the new ones in between) and the access records (which hold
  no personal data), newest first. Read-only.

Both listings show ``PAGE_SIZE`` rows a page (``?page=N``, from 1, through ``panel.paging.Page`` as the CLI's
``--limit``/``--offset``), with the GOV.UK pagination links (``_pagination.html``). A ``page`` that is not a
page number is 400, one after the last page 404: the page says so and links to the first; nothing is echoed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from panel.access import AccessLog
from panel.domain.errors import ParticipantNotFoundError
from panel.numbers import whole_number
from panel.paging import Page
from panel.payments.ledger import LedgerLine
from panel.payments.outstanding import GroupKey, stream_outstanding
from panel.queries import Queries
from panel.records import ParticipantDetails
from panel.staff_roles import VIEW_AUDIT, VIEW_PARTICIPANTS, VIEW_PAYMENTS
from web.site import Site, site_of
from web.staff_auth import staff_may

WORDS: dict[str, Any] = tomllib.loads((Path(__file__).parent / "staff_words.toml").read_text(encoding="utf-8"))
MAX_REF = 100  # longer than any reference or id; anything longer is not one
SHOWN = "staff participant page"  # the ``what`` of the access record
PAGE_SIZE = 50  # rows on one page of a staff listing
LAST_PAGE = 9_999_999  # ?page=N: never more than any real listing's number of pages


@dataclass(frozen=True)
class Outstanding:
    """Payment lines at one stage for one person in one engagement (as `panel pay outstanding` groups them)."""

    engagement: str
    participant: str
    stage: str
    reference: str
    lines: int
    amount_pence: int


async def lookup(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, VIEW_PARTICIPANTS)
    if isinstance(account, Response):
        return account
    ref = request.query_params.get("ref", "").strip()
    if ref and len(ref) <= MAX_REF:
        return RedirectResponse(f"/staff/participants/{quote(ref, safe=':')}", status_code=303)
    error = WORDS["enter_ref"] if "ref" in request.query_params else None
    return _lookup_page(site, request, 400 if error else 200, error, ref[:MAX_REF])


def _lookup_page(site: Site, request: Request, status: int, error: str | None, ref: str) -> Response:
    errors = [{"id": "ref", "message": error}] if error else []
    return site.render(request, "staff_lookup.html", status, words=WORDS, errors=errors, ref=ref)


async def participant(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, VIEW_PARTICIPANTS)
    if isinstance(account, Response):
        return account
    ref = request.path_params["ref"]
    person = await run_in_threadpool(_show, site, ref, account.name) if len(ref) <= MAX_REF else None
    if person is None:
        return _lookup_page(site, request, 404, WORDS["no_participant"], "")
    return site.render(request, "staff_participant.html", words=WORDS, person=person,
                       active=person.active_consents(site.clock()))  # fmt: skip


def _show(site: Site, ref: str, staff_name: str) -> ParticipantDetails | None:
    """The person's details, after recording that ``staff_name`` is shown them (None: no such person)."""
    try:
        pid = site.app.resolve_participant(ref)
    except ParticipantNotFoundError:
        return None
    person = Queries(site.app).participant(pid)
    AccessLog(site.app).record(staff_name, SHOWN, [pid], channel="web", at=site.clock())
    return person


async def payments(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, VIEW_PAYMENTS)
    if isinstance(account, Response):
        return account
    number = page_asked(request)
    if number is None:
        return _no_page(site, request, "staff_payments.html", 400)
    page = Page(PAGE_SIZE, (number - 1) * PAGE_SIZE)
    groups, count, total = await run_in_threadpool(lambda: paged_outstanding(site.ledger.waiting(), page))
    pages = Pages.of(request, number, len(groups), count)
    if pages is None:
        return _no_page(site, request, "staff_payments.html", 404, last=Pages.last_of(count))
    return site.render(request, "staff_payments.html", words=WORDS, groups=groups, pages=pages, total=total)


def paged_outstanding(lines: Iterable[LedgerLine], page: Page) -> tuple[list[Outstanding], int, int]:
    """``page`` of the unfinished lines' groups (by engagement, person, stage and payment reference, sorted), how
    many groups there are and the pence over all of them: the count and sum fold over every group (``collect``)
    while only the page's groups are kept. ``lines`` come as ``LedgerReads.waiting`` gives them, each
    engagement's and person's lines together in order, so one person's lines in one engagement are held at a
    time."""
    kept: list[Outstanding] = []
    count = total = 0
    for group in page.collect(_sorted_groups(lines), kept):
        count, total = count + 1, total + group.amount_pence
    shown, _ = page.cut(kept)
    return shown, count, total


def _sorted_groups(lines: Iterable[LedgerLine]) -> Iterator[Outstanding]:
    """The groups in the order of their keys: each (engagement, person) block's groups sorted as it ends."""
    block: list[Outstanding] = []
    for key, group in stream_outstanding(lines):
        if block and key[:2] != (block[0].engagement, block[0].participant):
            yield from sorted(block, key=_group_key)
            block = []
        block.append(Outstanding(*key, len(group), sum(line.amount_pence for line in group)))
    yield from sorted(block, key=_group_key)


def _group_key(group: Outstanding) -> GroupKey:
    return group.engagement, group.participant, group.stage, group.reference


async def audit(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, VIEW_AUDIT)
    if isinstance(account, Response):
        return account
    number = page_asked(request)
    if number is None:
        return _no_page(site, request, "staff_audit.html", 400)
    watched = await run_in_threadpool(site.chain_watch.check, site.clock())
    page = Page(PAGE_SIZE, (number - 1) * PAGE_SIZE)
    entries, count = await run_in_threadpool(AccessLog(site.app).newest, page)
    pages = Pages.of(request, number, len(entries), count)
    if pages is None:
        return _no_page(site, request, "staff_audit.html", 404, last=Pages.last_of(count))
    return site.render(request, "staff_audit.html", words=WORDS, report=watched.report, watched=watched,
                       entries=entries, pages=pages)  # fmt: skip


def page_asked(request: Request) -> int | None:
    """The page of a listing asked for in ``?page=N`` (1 when there is none), or None when it is not one."""
    asked = request.query_params.getlist("page")
    if not asked:
        return 1
    return whole_number(asked[0], 1, LAST_PAGE) if len(asked) == 1 else None


def _no_page(site: Site, request: Request, template: str, status: int, last: int | None = None) -> Response:
    """A listing's page that is not there: 400 for what is not a page number, 404 after the last page."""
    problem = WORDS["not_a_page"] if last is None else WORDS["after_last_page"].format(last=last)
    return site.render(request, template, status, words=WORDS, problem=problem, first=request.url.path)


@dataclass(frozen=True)
class Pages:
    """Where one page of a staff listing is, for its pagination links and its "Showing X to Y of Z"."""

    path: str
    number: int  # this page, from 1
    last: int
    first_row: int
    last_row: int
    total: int

    @staticmethod
    def last_of(total: int) -> int:
        return max(1, -(-total // PAGE_SIZE))

    @classmethod
    def of(cls, request: Request, number: int, shown: int, total: int) -> Pages | None:
        """Page ``number`` of a listing of ``total`` rows, showing ``shown``; None after the last page."""
        if number > cls.last_of(total):
            return None
        first = (number - 1) * PAGE_SIZE
        return cls(request.url.path, number, cls.last_of(total), first + 1 if shown else first, first + shown, total)

    def href(self, number: int) -> str:
        return f"{self.path}?page={number}"

    def numbers(self) -> list[int | None]:
        """The page numbers to link, GOV.UK's way: the first, the last, this one and those beside it; None where
        numbers are left out (shown as an ellipsis), unless just one is, which is linked instead."""
        wanted = sorted({1, self.last, *range(max(1, self.number - 1), min(self.last, self.number + 1) + 1)})
        linked: list[int | None] = []
        for n, before in zip(wanted, [0, *wanted], strict=False):
            if before and n - before > 1:
                linked.append(before + 1 if n - before == 2 else None)
            linked.append(n)
        return linked


ROUTES = [
    Route("/staff/participants", lookup, methods=["GET"]),
    Route("/staff/participants/{ref}", participant, methods=["GET"]),
    Route("/staff/payments", payments, methods=["GET"]),
    Route("/staff/audit", audit, methods=["GET"]),
]
