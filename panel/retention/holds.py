"""Legal holds: place and release them (``LegalHold`` events), and find the ones in force."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.clock import now
from panel.domain.legal_hold import HoldStateError, LegalHold
from panel.domain.participant import Participant

if TYPE_CHECKING:
    from panel.application import PanelApp

PLACED_TOPIC = get_topic(LegalHold.Placed)


class LegalHolds:
    """Commands and queries on legal holds, over one PanelApp."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def in_force(self) -> dict[UUID, list[LegalHold]]:
        """Every hold in force, by participant id."""
        found: dict[UUID, list[LegalHold]] = {}
        for hid in dict.fromkeys(self.app.originators(PLACED_TOPIC)):
            hold = self.app.load(hid, LegalHold)
            if hold.in_force:
                found.setdefault(hold.participant_id, []).append(hold)
        return found

    def place(self, pid: UUID, *, reason: str, by: str, at: datetime | None = None) -> LegalHold:
        """Place a hold on a participant who is not erased and not already held."""
        person = self.app.load(pid, Participant)
        person.require_not_erased()
        held = self.in_force().get(pid)
        if held:
            raise HoldStateError(
                f"participant {person.external_ref} is already on legal hold since {held[0].placed_at.date()} "
                f"({held[0].reason}): release it first with `panel participant release-hold`"
            )
        hold = LegalHold.place(participant_id=pid, reason=reason, by=by, at=at or now())
        self.app.save(hold)
        return hold

    def release(self, pid: UUID, *, reason: str, by: str, at: datetime | None = None) -> int:
        """Release every hold in force on the participant; returns how many."""
        person = self.app.load(pid, Participant)
        held = self.in_force().get(pid, [])
        if not held:
            raise HoldStateError(f"participant {person.external_ref} has no legal hold in force: nothing to release")
        moment = at or now()
        for hold in held:
            hold.release(reason=reason, by=by, at=moment)
        self.app.save(*held)
        return len(held)
