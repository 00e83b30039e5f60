"""Who a staff request comes from, and whether their role may do what it asks (panel.staff_roles).

Every staff route but sign-in starts with ``staff_may(site, request, PERMISSION)``: no session sends
the browser to sign in, a role without the permission gets a 403 page; either way nothing is read
or written. See docs/web.md.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from panel.actor import act_as
from panel.links import BadLinkError, ExpiredLinkError, read_token
from panel.staff import Staff, StaffDetails
from web.site import Site

SIGNED_IN = "signed_in"  # what every account may do: the staff home and signing out


def cookie_name(site: Site) -> str:
    return "__Host-panel_staff" if site.settings.secure_cookies else "panel_staff"


async def signed_in(site: Site, request: Request) -> StaffDetails | None:
    """The staff member this request's session names, while the session and the account last."""
    token = request.cookies.get(cookie_name(site), "")
    try:
        account_id = read_token(site.settings.session_key, "staff", token, site.clock())
    except (BadLinkError, ExpiredLinkError):
        return None
    account = await run_in_threadpool(Staff(site.app).get, account_id)
    if account is not None:
        act_as(account.name)  # what this request writes is recorded as this staff member's doing (web.actor)
    return account


def to_sign_in(request: Request) -> Response:
    return RedirectResponse(f"/staff/sign-in?next={quote(request.url.path)}", status_code=303)


async def staff_may(site: Site, request: Request, permission: str) -> StaffDetails | Response:
    """The signed-in account if its role may do ``permission``, else the response to send instead."""
    account = await signed_in(site, request)
    if account is None:
        return to_sign_in(request)
    if permission != SIGNED_IN and not account.may(permission):
        return site.render(request, "problem.html", 403, reason="not_allowed", account=account)
    return account
