"""What the panel emailed about an engagement: each invitation once, each session reminder once.

``InvitationEmail`` is one per invitation: its id comes from the engagement, the participant and the
moment they were invited, so an invitation is emailed once however often `panel invitations send`
runs, and a later invitation to the same engagement (after a decline) is emailed again.
``SessionReminder`` is one per (engagement, participant, session, days before). Neither holds
personal data: the address stays sealed in the participant's events and is read only to send.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ValidationError
from panel.domain.event_types import Created
from panel.domain.values import require_utc

MAILING_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/mailing")


def invitation_email_id(engagement_id: UUID, participant_id: UUID, invited_at: datetime) -> UUID:
    return uuid5(MAILING_NAMESPACE, f"invitation/{engagement_id.hex}/{participant_id.hex}/{invited_at.isoformat()}")


def reminder_id(engagement_id: UUID, participant_id: UUID, session_date: date, days_before: int) -> UUID:
    return uuid5(MAILING_NAMESPACE, f"reminder/{engagement_id.hex}/{participant_id.hex}/{session_date}/{days_before}")


class InvitationEmail(Aggregate):
    """That an invitation was emailed, with links to accept or decline that work until ``expires``."""

    class Sent(Created):
        engagement_id: UUID
        participant_id: UUID
        invited_at: datetime
        expires: datetime
        at: datetime

    @event(Sent)
    def __init__(
        self, engagement_id: UUID, participant_id: UUID, invited_at: datetime, expires: datetime, at: datetime
    ) -> None:
        self.engagement_id = engagement_id
        self.participant_id = participant_id
        self.invited_at = invited_at
        self.expires = expires
        self.sent_at = at

    @classmethod
    def send(
        cls, *, engagement_id: UUID, participant_id: UUID, invited_at: datetime, expires: datetime, at: datetime
    ) -> InvitationEmail:
        at, expires = require_utc(at), require_utc(expires, "link expiry")
        if expires <= at:
            raise ValidationError(f"the invitation's links would expire ({expires.isoformat()}) before it is sent")
        return cls._create(
            cls.Sent, id=invitation_email_id(engagement_id, participant_id, invited_at),
            engagement_id=engagement_id, participant_id=participant_id, invited_at=invited_at, expires=expires, at=at,
        )  # fmt: skip


class SessionReminder(Aggregate):
    """That a participant who accepted was reminded of a session, ``days_before`` days before it."""

    class Sent(Created):
        engagement_id: UUID
        participant_id: UUID
        session_date: date
        days_before: int
        at: datetime

    @event(Sent)
    def __init__(
        self, engagement_id: UUID, participant_id: UUID, session_date: date, days_before: int, at: datetime
    ) -> None:
        self.engagement_id = engagement_id
        self.participant_id = participant_id
        self.session_date = session_date
        self.days_before = days_before
        self.sent_at = at

    @classmethod
    def send(
        cls, *, engagement_id: UUID, participant_id: UUID, session_date: date, days_before: int, at: datetime
    ) -> SessionReminder:
        if days_before < 1:
            raise ValidationError("a reminder goes at least 1 day before its session")
        return cls._create(
            cls.Sent, id=reminder_id(engagement_id, participant_id, session_date, days_before),
            engagement_id=engagement_id, participant_id=participant_id, session_date=session_date,
            days_before=days_before, at=require_utc(at),
        )  # fmt: skip
