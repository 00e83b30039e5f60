"""Staff pages that read the store, each behind one permission (panel.staff_roles; docs/web.md):

- ``/staff/participants`` and ``/staff/participants/REF`` (view_participants): look a person up by
  reference and see their stored details. That is a showing of personal data, so a DataAccess
  (actor: the staff member, channel ``web``) is recorded *before* the page is rendered, through the
  same AccessLog as the CLI (``panel audit access``).
- ``/staff/payments`` (view_payments): payments not yet finished, by engagement, participant
  reference and stage, with amounts; no names, so nothing to record.
- ``/staff/audit`` (view_audit): the hash chain as ``panel.audit_watch.ChainWatch`` last checked it (every event
  hourly, the new ones in between) and the access records (which hold
  no personal data). Read-only.
"""

from __future__ import annotations

import tomllib
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
from panel.payments.ledger import LedgerLine
from panel.payments.outstanding import group_outstanding
from panel.queries import Queries
from panel.records import ParticipantDetails
from panel.staff_roles import VIEW_AUDIT, VIEW_PARTICIPANTS, VIEW_PAYMENTS
from web.site import Site, site_of
from web.staff_auth import staff_may

WORDS: dict[str, Any] = tomllib.loads((Path(__file__).parent / "staff_words.toml").read_text(encoding="utf-8"))
MAX_REF = 100  # longer than any reference or id; anything longer is not one
SHOWN = "staff participant page"  # the ``what`` of the access record


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
    groups = outstanding(await run_in_threadpool(lambda: list(site.ledger.waiting())))
    return site.render(request, "staff_payments.html", words=WORDS, groups=groups,
                       total=sum(g.amount_pence for g in groups))  # fmt: skip


def outstanding(lines: list[LedgerLine]) -> list[Outstanding]:
    """Lines not yet finished, grouped by engagement, person (reference), stage and payment reference."""
    groups = group_outstanding(lines)
    return [
        Outstanding(*key, len(group), sum(line.amount_pence for line in group)) for key, group in sorted(groups.items())
    ]


async def audit(request: Request) -> Response:
    site = site_of(request)
    account = await staff_may(site, request, VIEW_AUDIT)
    if isinstance(account, Response):
        return account
    watched = await run_in_threadpool(site.chain_watch.check, site.clock())
    entries = await run_in_threadpool(AccessLog(site.app).entries)
    return site.render(request, "staff_audit.html", words=WORDS, report=watched.report, watched=watched,
                       entries=entries[::-1])  # fmt: skip


ROUTES = [
    Route("/staff/participants", lookup, methods=["GET"]),
    Route("/staff/participants/{ref}", participant, methods=["GET"]),
    Route("/staff/payments", payments, methods=["GET"]),
    Route("/staff/audit", audit, methods=["GET"]),
]
