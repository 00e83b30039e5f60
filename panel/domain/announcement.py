"""The Announcement aggregate: a draw committed to before the public randomness that completes it exists.

An announcement freezes everything a draw needs except the lottery index: the pool (as per-member
salted commitments in the published document, and as the draw's own pool record), the quotas, the
algorithm and its version, the lottery of L panels and the rule that turns the numbers of a named
public lottery into an index and into the reserves' hash chain. It is published first; once the
numbers are drawn, ``reveal`` records them with the index they give, in the same save as the draw.

Its id comes from the draw it will complete (engagement and round), so one round is announced once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import PanelError, ValidationError
from panel.domain.event_types import Created, Event
from panel.domain.values import require_utc

ANNOUNCEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.example/announcement")


class AlreadyRevealedError(PanelError):
    """Raised when an announcement whose numbers were already revealed is revealed again."""


def announcement_id(draw_id: UUID) -> UUID:
    """An announcement's id from the draw it will complete: one announcement per engagement round."""
    return uuid5(ANNOUNCEMENT_NAMESPACE, draw_id.hex)


class Announcement(Aggregate):
    """A published commitment to a draw, then the public numbers that completed it."""

    class Published(Created):
        class_version = 1
        engagement_id: UUID
        draw_id: UUID
        round: int
        at: datetime
        document: dict[str, Any]
        announcement_sha256: str
        frozen: dict[str, Any]
        announced_by: str | None

    class Revealed(Event):
        class_version = 1
        numbers: str
        chain_head: str
        lottery_index: int
        at: datetime

    @event(Published)
    def __init__(
        self,
        engagement_id: UUID,
        draw_id: UUID,
        round: int,
        at: datetime,
        document: dict[str, Any],
        announcement_sha256: str,
        frozen: dict[str, Any],
        announced_by: str | None,
    ) -> None:
        self.engagement_id = engagement_id
        self.draw_id = draw_id
        self.round = round
        self.announced_at = at
        self.document = document
        self.announcement_sha256 = announcement_sha256
        self.frozen = frozen
        self.announced_by = announced_by
        self.numbers: str | None = None
        self.chain_head: str | None = None
        self.lottery_index: int | None = None
        self.revealed_at: datetime | None = None

    @classmethod
    def publish(cls, *, draw_id: UUID, at: datetime, **fields: Any) -> Announcement:
        if len(fields["announcement_sha256"]) != 64:
            raise ValidationError("an announcement's hash is a SHA-256 in hex")
        if fields["round"] < 1:
            raise ValidationError(f"a draw's round is 1 or more, not {fields['round']}")
        return cls._create(cls.Published, id=announcement_id(draw_id), draw_id=draw_id, at=require_utc(at), **fields)

    def require_unrevealed(self) -> None:
        if self.revealed_at is not None:
            raise AlreadyRevealedError(
                f"announcement {str(self.id)[:8]} was already revealed with {self.numbers!r} on "
                f"{self.revealed_at.date()} (draw {str(self.draw_id)[:8]}): a draw is revealed once"
            )

    def reveal(self, *, numbers: str, chain_head: str, lottery_index: int, at: datetime) -> None:
        self.require_unrevealed()
        size = int(self.document["lottery"]["size"])
        if not 0 <= lottery_index < size:
            raise ValidationError(f"lottery index {lottery_index} is outside the lottery of {size} panels")
        self._revealed(numbers=numbers, chain_head=chain_head, lottery_index=lottery_index, at=require_utc(at))

    @event(Revealed)
    def _revealed(self, numbers: str, chain_head: str, lottery_index: int, at: datetime) -> None:
        self.numbers = numbers
        self.chain_head = chain_head
        self.lottery_index = lottery_index
        self.revealed_at = at
