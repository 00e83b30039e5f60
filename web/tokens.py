"""The pages a personal link opens: whose the link's token is, and answers that no cache may keep.

Every signed link (confirm, me, new_email, invitation...) carries a token of ``panel.links``; a page
reads it here, so an expired or tampered link gets the same problem page wherever it was opened.
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from panel.links import BadLinkError, ExpiredLinkError, read_token
from web.site import Site

NO_STORE = {"cache-control": "no-store"}


def subject(site: Site, kind: str, request: Request) -> UUID | Response:
    """The id a link's token of ``kind`` names, or the page that says why the link does not work."""
    try:
        return read_token(site.settings.signing_key, kind, request.path_params["token"], site.clock())
    except ExpiredLinkError:
        return site.render(request, "problem.html", 410, reason="expired_link")
    except BadLinkError:
        return site.render(request, "problem.html", 400, reason="bad_link")


def private(response: Response) -> Response:
    """The response, marked for no cache to keep (it shows a person's own data or acts on their link)."""
    response.headers.update(NO_STORE)
    return response
