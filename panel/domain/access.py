"""The DataAccess aggregate: someone was shown personal data in clear. One per showing (a random id).

It answers the subject-access question "who has seen my data, and when" without holding any personal
data itself: who looked (a staff name, PANEL_USER or the operating-system user), what they ran, the
participants' ids (keyed hashes, not personal data), the purpose when one was given, and when.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from panel.domain.values import require_utc


class DataAccess(Aggregate):
    """One showing of personal data to one actor."""

    class Recorded(Aggregate.Created):
        actor: str
        what: str
        participant_ids: list[UUID]
        purpose: str | None
        channel: str
        at: datetime

    @event(Recorded)
    def __init__(
        self, actor: str, what: str, participant_ids: list[UUID], purpose: str | None, channel: str, at: datetime
    ) -> None:
        self.actor = actor
        self.what = what
        self.participant_ids = list(participant_ids)
        self.purpose = purpose
        self.channel = channel
        self.at = at

    @classmethod
    def record(
        cls, actor: str, what: str, participant_ids: list[UUID], purpose: str | None, channel: str, at: datetime
    ) -> DataAccess:
        return cls._create(
            cls.Recorded, id=uuid4(), actor=actor, what=what, participant_ids=list(participant_ids), purpose=purpose,
            channel=channel, at=require_utc(at, "time"),
        )  # fmt: skip
