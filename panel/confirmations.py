"""Double opt-in: record that an applicant confirmed their email address (EmailConfirmed), once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from panel.application import PanelApp
from panel.clock import now
from panel.domain.confirmation import EmailConfirmation, confirmation_id
from panel.email_index import EmailIndex
from panel.queries import Queries


class Confirmations:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def confirm(self, participant_id: UUID, at: datetime | None = None) -> bool:
        """Record EmailConfirmed and note the address as this person's (``EmailIndex``); False (and nothing
        written) if it was already confirmed (a replayed link)."""
        person = Queries(self.app).participant(participant_id)  # ParticipantNotFoundError if there is none
        if self.confirmed_at(participant_id) is not None:
            return False
        try:
            self.app.save(EmailConfirmation.confirm(participant_id, at or now()))
        except IntegrityError:  # confirmed at the same moment by another request
            return False
        if person.personal.email:
            EmailIndex(self.app).note(person.personal.email, participant_id, confirmed=True)
        return True

    def confirmed_at(self, participant_id: UUID) -> datetime | None:
        cid = confirmation_id(participant_id)
        return self.app.load(cid, EmailConfirmation).confirmed_at if self.app.exists(cid) else None
