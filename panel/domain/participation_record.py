"""A participant's record of one engagement, as the Participant aggregate keeps it, and the checks on it.

The aggregate holds one plain dict per engagement (``Participant.participations``, keyed by the
engagement id's hex): its status, when they were invited and by which draw, when they responded,
the sessions attended (``[date, half_day]``) and missed, and why they withdrew.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from panel.domain.consent import ConsentEntry
from panel.domain.errors import ConsentRequiredError, ParticipationStateError

INVITED, ACCEPTED, DECLINED, WITHDREW = "invited", "accepted", "declined", "withdrew"


def invitation(at: datetime, draw_id: UUID | None) -> dict[str, Any]:
    """The record of a new invitation."""
    return {
        "status": INVITED,
        "invited_at": at,
        "draw_id": draw_id,
        "responded_at": None,
        "attended": [],
        "no_shows": [],
        "reason": None,
    }


def no_channel(state: dict[str, Any]) -> None:
    """Upcast an InvitationAccepted or InvitationDeclined of version 1 (before channels were recorded)."""
    state["channel"] = None


def check_invitable(
    who: str, at: datetime, left_panel_at: datetime | None, contact: ConsentEntry | None, status: str | None
) -> None:
    """Raise unless someone may be invited at ``at``: still on the panel, with ``contact`` consent, not yet invited."""
    if left_panel_at is not None and left_panel_at <= at:
        raise ParticipationStateError(
            f"participant {who} left the panel on {left_panel_at.date()}: they cannot be invited"
        )
    if contact is None:
        raise ConsentRequiredError(
            f"participant {who} has no active 'contact' consent at {at.isoformat()}: "
            "record one with `panel consent grant ... --purpose contact` before inviting"
        )
    if status in (INVITED, ACCEPTED):
        raise ParticipationStateError(f"participant {who} is already {status} for this engagement")


def require_status(record: dict[str, Any] | None, allowed: tuple[str, ...], who: str, action: str) -> dict[str, Any]:
    """The record, if its status is one of ``allowed``; otherwise a ParticipationStateError saying why not."""
    status = None if record is None else record["status"]
    if record is None or status not in allowed:
        raise ParticipationStateError(
            f"participant {who} cannot {action}: their status for this engagement is "
            f"{status or 'not invited'} (needs {' or '.join(allowed)})"
        )
    return record


def recorded_on(record: dict[str, Any] | None, session_date: date) -> str | None:
    """What is recorded for a session: 'full day', 'half day', 'no-show', or None."""
    if record is None:
        return None
    day = session_date.isoformat()
    for attended, half_day in record["attended"]:
        if attended == day:
            return "half day" if half_day else "full day"
    return "no-show" if day in record["no_shows"] else None


def require_unrecorded(record: dict[str, Any], session_date: date, who: str) -> None:
    """Raise if the session already has an attendance or a no-show: a recorded session is not changed."""
    already = recorded_on(record, session_date)
    if already is not None:
        raise ParticipationStateError(
            f"{session_date} is already recorded as a {already} for {who}: a recorded session is not changed"
        )
