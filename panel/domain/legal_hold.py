"""The LegalHold aggregate: staff put a person's data on hold (a dispute, an investigation, a claim), so
that no retention rule erases it, until they release it. No personal data: the participant's id, the
reasons, who and when. One aggregate per hold (a random id); a person may be held again after a release."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ValidationError
from panel.domain.values import require_utc

MAX_TEXT = 500


def _text(value: str | None, what: str, fix: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"{what} is empty: {fix}")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"{what} is {len(text)} characters long: keep it to {MAX_TEXT}")
    return text


class HoldStateError(ValidationError):
    """Raised when a hold is placed on a person already held, or released when none is in force."""


class LegalHold(Aggregate):
    """One legal hold on one participant: placed, then (perhaps) released."""

    class Placed(Aggregate.Created):
        participant_id: UUID
        reason: str
        by: str
        at: datetime

    class Released(Aggregate.Event):
        reason: str
        by: str
        at: datetime

    @event(Placed)
    def __init__(self, participant_id: UUID, reason: str, by: str, at: datetime) -> None:
        self.participant_id = participant_id
        self.reason = reason
        self.placed_by = by
        self.placed_at = at
        self.released_at: datetime | None = None

    @classmethod
    def place(cls, *, participant_id: UUID, reason: str, by: str, at: datetime) -> LegalHold:
        return cls._create(
            cls.Placed,
            id=uuid4(),
            participant_id=participant_id,
            reason=_text(reason, "--reason", "say why the data must be kept, e.g. 'claim CL-7 in progress'"),
            by=_text(by, "--by", "name who places the hold"),
            at=require_utc(at),
        )

    @property
    def in_force(self) -> bool:
        return self.released_at is None

    def release(self, *, reason: str, by: str, at: datetime) -> None:
        if not self.in_force:
            raise HoldStateError(f"the hold placed on {self.placed_at.date()} was already released")
        self._release(
            reason=_text(reason, "--reason", "say why the hold ends, e.g. 'claim CL-7 settled'"),
            by=_text(by, "--by", "name who releases the hold"),
            at=require_utc(at),
        )

    @event(Released)
    def _release(self, reason: str, by: str, at: datetime) -> None:
        self.released_at = at
