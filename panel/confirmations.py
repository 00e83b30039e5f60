"""Double opt-in: record that an applicant confirmed their email address (EmailConfirmed), once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from panel.application import PanelApp
from panel.clock import now
from panel.domain.confirmation import EmailConfirmation, confirmation_id
from panel.queries import Queries


class Confirmations:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def confirm(self, participant_id: UUID, at: datetime | None = None) -> bool:
        """Record EmailConfirmed; False (and nothing written) if it was already confirmed (a replayed link)."""
        Queries(self.app).participant(participant_id)  # ParticipantNotFoundError for a participant that does not exist
        if self.confirmed_at(participant_id) is not None:
            return False
        try:
            self.app.save(EmailConfirmation.confirm(participant_id, at or now()))
        except IntegrityError:  # confirmed at the same moment by another request
            return False
        return True

    def confirmed_at(self, participant_id: UUID) -> datetime | None:
        cid = confirmation_id(participant_id)
        return self.app.load(cid, EmailConfirmation).confirmed_at if self.app.exists(cid) else None
