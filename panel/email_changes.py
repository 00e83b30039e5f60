"""A change of email address asked for at /me takes effect only once the new address is confirmed.

The new address waits in a row ``email_change:ID`` of the store's settings table (beside the data keys,
outside the event log), holding the participant id and the address sealed under the person's data key.
The signed link sent to the new address makes the change (AttributesUpdated, channel ``self_service``);
until then contact and pools use the old address. The old address is told, with a second signed link that
stops the change (``cancel``: the row goes; nothing is recorded, as nothing was). Erasing the person deletes the
row with their key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from panel.confirmations import Confirmations
from panel.domain.errors import ErasedParticipantError, ParticipantNotFoundError
from panel.email_index import EmailIndex
from panel.registration import Registration
from panel.store.sealing import seal, unseal
from panel.validation import validate_personal

if TYPE_CHECKING:
    from panel.application import PanelApp


class EmailChanges:
    """A change of email address asked for at /me, waiting for the new address to be confirmed."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def request(self, pid: UUID, new_email: str) -> UUID:
        """Keep the new address (sealed) until it is confirmed; returns the change's id for the signed link.
        InvalidSignUpError when it is not an email address; nothing about the person changes yet."""
        clean = validate_personal({"email": new_email})["email"]
        key = self.app.data_key(pid)  # ErasedParticipantError / ParticipantNotFoundError
        change = uuid.uuid4()
        sealed = seal(key, pid, {"email": clean}).encode()
        self.app.keys.put_setting(f"email_change:{change.hex}", pid.bytes + sealed)
        return change

    def pending(self, change: UUID) -> tuple[UUID, str] | None:
        """The participant and the new address of a change still waiting, or None (used, or their data erased)."""
        value = self.app.keys.setting(f"email_change:{change.hex}")
        if value is None:
            return None
        pid = UUID(bytes=bytes(value[:16]))
        try:
            key = self.app.data_key(pid)
        except (ErasedParticipantError, ParticipantNotFoundError):
            return None
        return pid, str(unseal(key, pid, bytes(value[16:]).decode())["email"])

    def confirm(self, change: UUID, at: datetime) -> bool:
        """Make the change (AttributesUpdated by ``self_service``, which moves the person's row of the email index
        to the new address as a staff change does; EmailConfirmed too if the person had not confirmed an address
        yet), then note the new address as theirs, confirmed; False if it was used or is unknown.

        The link proves the mailbox, so unlike a staff change (which the duplicate rule guards) this one is never
        refused and the person takes the address's row even from another applicant who confirmed it earlier."""
        found = self.pending(change)
        if found is None:
            return False
        pid, email = found
        Registration(self.app).update_personal(
            pid, personal={"email": email}, attributes={}, captured_by="self_service", at=at
        )
        self.app.keys.drop_setting(f"email_change:{change.hex}")
        Confirmations(self.app).confirm(pid, at)  # the new address is confirmed by this link
        EmailIndex(self.app).note(email, pid, confirmed=True)
        return True

    def cancel(self, change: UUID) -> bool:
        """Stop a change still waiting (the link sent to the old address): its row goes and the new address is never
        used; False if it was already made, stopped or erased. Nothing is recorded: nothing about the person changed."""
        if self.pending(change) is None:
            return False
        self.app.keys.drop_setting(f"email_change:{change.hex}")
        return True
