"""The invitation and reminder emails: their words come from the caller (web/copy/LANG.toml, section [email]).

Only the email address (and nothing else of the person) goes into a message; the links carry signed
tokens naming the invitation, never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from panel.outbox import Message
from panel.records import EngagementDetails

LINK_DAYS_WITHOUT_SESSIONS = 30  # an engagement without session dates: its invitation links work this long


def day(value: date) -> str:
    """'Thursday 2 April 2026'."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def link_expiry(engagement: EngagementDetails, at: datetime) -> datetime | None:
    """When an invitation's links stop working: the start (00:00 UTC) of the first session still ahead; without
    session dates, 30 days after ``at``; None when every session has begun (too late to invite)."""
    if not engagement.sessions:
        return at + timedelta(days=LINK_DAYS_WITHOUT_SESSIONS)
    starts = [datetime.combine(s, time(0), UTC) for s in engagement.sessions]
    ahead = [s for s in starts if s > at]
    return min(ahead) if ahead else None


def sessions_text(engagement: EngagementDetails, words: Mapping[str, str]) -> str:
    return "\n".join(f"- {day(s)}" for s in engagement.sessions) or words["no_sessions"]


def invitation(
    words: Mapping[str, str], engagement: EngagementDetails, to: str, accept: str, decline: str, expires: datetime
) -> Message:
    body = words["invitation_body"].format(
        engagement=engagement.name, purpose=engagement.purpose or engagement.name,
        sessions=sessions_text(engagement, words), accept=accept, decline=decline,
        expires=day((expires - timedelta(seconds=1)).date()),
    )  # fmt: skip
    subject = words["invitation_subject"].format(engagement=engagement.name)
    return Message(to=to, subject=subject, body=body, kind="invitation")


def reminder(words: Mapping[str, str], engagement: EngagementDetails, to: str, session: date, today: date) -> Message:
    days = (session - today).days
    when = words["tomorrow"] if days == 1 else words["in_days"].format(days=days)
    body = words["reminder_body"].format(
        engagement=engagement.name, purpose=engagement.purpose or engagement.name, session=day(session), when=when
    )
    subject = words["reminder_subject"].format(engagement=engagement.name, session=day(session))
    return Message(to=to, subject=subject, body=body, kind="reminder")
