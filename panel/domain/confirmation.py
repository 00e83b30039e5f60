"""The EmailConfirmation aggregate: an applicant confirmed their email address (double opt-in).

One per participant (its id comes from theirs); its only event, ``Confirmed`` (EmailConfirmed in
prose), records when the signed link was used. No personal data: the address itself stays sealed
in the participant's own events.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.values import require_utc

CONFIRMATION_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/email-confirmation")
CAMPAIGN_SOURCE = "campaign."  # an application through campaign SLUG has source "campaign.SLUG"


def campaign_source(slug: str) -> str:
    """The source an application through campaign ``slug`` is registered with (which campaign it came through)."""
    return CAMPAIGN_SOURCE + slug


def awaits_confirmation(source: str, channel: str, email: str | None) -> bool:
    """Double opt-in: an online application through a campaign that gave an email address stays out of every
    pool until that address is confirmed (EmailConfirmed). Phone-only applicants and staff entries do not."""
    return source.startswith(CAMPAIGN_SOURCE) and channel == "online" and bool(email and email.strip())


def confirmation_id(participant_id: UUID) -> UUID:
    return uuid5(CONFIRMATION_NAMESPACE, participant_id.hex)


class EmailConfirmation(Aggregate):
    """That a participant confirmed their email address, and when."""

    class Confirmed(Aggregate.Created):
        participant_id: UUID
        channel: str
        at: datetime

    @event(Confirmed)
    def __init__(self, participant_id: UUID, channel: str, at: datetime) -> None:
        self.participant_id = participant_id
        self.channel = channel
        self.confirmed_at = at

    @classmethod
    def confirm(cls, participant_id: UUID, at: datetime, channel: str = "self_service") -> EmailConfirmation:
        return cls._create(
            cls.Confirmed, id=confirmation_id(participant_id), participant_id=participant_id, channel=channel,
            at=require_utc(at, "confirmation time"),
        )  # fmt: skip
