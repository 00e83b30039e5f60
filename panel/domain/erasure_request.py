"""The ErasureRequest aggregate: a person asked for their data to be erased (self-service), and what held
it back, if anything. No personal data: the participant's id, the channel, the time and the blockers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from panel.domain.values import require_utc


class ErasureRequest(Aggregate):
    """One request to erase one participant's data."""

    class Received(Aggregate.Created):
        participant_id: UUID
        channel: str
        at: datetime
        blocked_by: list[str]

    @event(Received)
    def __init__(self, participant_id: UUID, channel: str, at: datetime, blocked_by: list[str]) -> None:
        self.participant_id = participant_id
        self.channel = channel
        self.received_at = at
        self.blocked_by = list(blocked_by)

    @classmethod
    def receive(cls, participant_id: UUID, channel: str, at: datetime, blocked_by: list[str]) -> ErasureRequest:
        return cls._create(
            cls.Received, id=uuid4(), participant_id=participant_id, channel=channel, at=require_utc(at, "time"),
            blocked_by=list(blocked_by),
        )  # fmt: skip
