"""Who each web request acts for, recorded with every event it writes (``panel.actor``).

A request starts as the party its address serves: ``applicant`` on the application form
(/apply), ``self`` on a person's own signed links (/confirm, /me, /invitation: the participant
acting for themselves), ``partner`` on the partner API and ``staff`` on the staff pages. Once a
handler knows more it says so with ``panel.actor.act_as``: a signed-in staff member by their account
name (the name `--by` and PANEL_USER give on the command line), a partner as ``partner:NAME``.
"""

from __future__ import annotations

from typing import Any

from panel.actor import acting_as

PREFIXES = (
    ("/apply/", "applicant"),
    ("/confirm/", "self"),
    ("/me/", "self"),
    ("/invitation/", "self"),
    ("/email/", "self"),  # confirming a new email address from /me
    ("/api/", "partner"),
    ("/staff", "staff"),
)


def party_of(path: str) -> str:
    """The actor a request to ``path`` starts as (``web`` for any other page)."""
    return next((party for prefix, party in PREFIXES if path.startswith(prefix)), "web")


class Actors:
    """Runs each HTTP request as the party its path serves (pure ASGI: handlers share its context)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with acting_as(party_of(scope.get("path", ""))):
            await self.app(scope, receive, send)
