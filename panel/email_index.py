"""Find an applicant by their email address without keeping the address in clear.

The index maps a keyed hash of the normalised address (HMAC-SHA256 under the store's ``email_index`` secret)
to a participant id, in the store's settings table beside the data keys, outside the event log: a row
``email:HASH`` holds the participant id. An online application notes its address (unless a confirmed
applicant already holds it); a confirmation (EmailConfirmed) notes it for the person who confirmed, so a
later application with the same address is recognised as theirs. Erasing a person deletes their rows in the
same transaction as their key (``KeyStore.deleting``); pending changes of address are ``panel.email_changes``.
People who confirmed before the index existed are put in it by `panel init` (``EmailIndex.add_confirmed``).

``duplicate_holder`` is the one duplicate rule of every entry path (online, staff-entered, partner referral):
a sign-up whose email address a confirmed applicant holds. ``Registration.register`` applies it, after the
validation, when asked to refuse duplicates (``DuplicateEmailError``); each entry path decides what to tell.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.domain.confirmation import EmailConfirmation, confirmation_id
from panel.domain.errors import PanelError
from panel.domain.participant import Participant
from panel.store.import_writer import existing_on
from panel.validation import InvalidSignUpError, SignUp, validate_personal

if TYPE_CHECKING:
    from panel.application import PanelApp

CONFIRMED_TOPIC = get_topic(EmailConfirmation.Confirmed)
PAGE = 1000


class DuplicateEmailError(PanelError):
    """Raised when a sign-up gives the email address a confirmed applicant holds (the field ``email``)."""

    field = "email"

    def __init__(self, holder: UUID) -> None:
        super().__init__("a participant who confirmed this email address already exists")
        self.holder = holder  # for staff, who may open their page; never for a stranger or a partner


def duplicate_holder(app: PanelApp, signup: SignUp) -> UUID | None:
    """The confirmed applicant who holds the sign-up's email address, or None (no address, not a valid one, or
    nobody confirmed it). The one duplicate rule of every entry path."""
    email = signup.personal.get("email", "")
    if not email or not email.strip():
        return None
    try:
        return EmailIndex(app).confirmed_owner(email)
    except InvalidSignUpError:  # not an email address: the validation says so, next to the field
        return None


class EmailIndex:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def digest(self, email: str) -> str:
        """The keyed hash of an address; InvalidSignUpError (field ``email``) when it is not an email address."""
        clean = validate_personal({"email": email}).get("email", "")
        secret = self.app.keys.secret("email_index") or b""
        return hmac.new(secret, b"email\x1f" + clean.lower().encode(), hashlib.sha256).hexdigest()

    def owner(self, email: str) -> UUID | None:
        """The participant (not erased) the address was last noted for, or None."""
        value = self.app.keys.setting(f"email:{self.digest(email)}")
        if value is None:
            return None
        pid = UUID(bytes=bytes(value[:16]))
        if not self.app.exists(pid) or self.app.load(pid, Participant).is_erased:
            return None
        return pid

    def confirmed_owner(self, email: str) -> UUID | None:
        """The participant who confirmed this address (EmailConfirmed), or None."""
        pid = self.owner(email)
        return pid if pid is not None and self.app.exists(confirmation_id(pid)) else None

    def note(self, email: str, pid: UUID, *, confirmed: bool = False) -> None:
        """Note ``pid`` as the holder of ``email``; an unconfirmed holder never displaces a confirmed one."""
        if not email.strip():
            return
        if not confirmed and self.confirmed_owner(email) not in (None, pid):
            return
        self.app.keys.put_setting(f"email:{self.digest(email)}", pid.bytes)

    def noting(self, email: str, pid: UUID) -> Callable[[Any], None]:
        """``note`` (an unconfirmed holder) as a statement inside another transaction on the events' database (a
        registration's, so the person and the row commit together); the holder is read on that transaction's
        cursor, and one who confirmed the address is never displaced."""
        name, keys = f"email:{self.digest(email)}", self.app.keys

        def run(cursor: Any) -> None:
            value = keys.setting_on(cursor, name)
            if value is not None and bytes(value[:16]) != pid.bytes:
                holder = UUID(bytes=bytes(value[:16]))
                if existing_on(self.app, cursor, {confirmation_id(holder)}):
                    return
            keys.putting(name, pid.bytes)(cursor)

        return run

    def forget(self, email: str, pid: UUID) -> None:
        """Remove the row for ``email`` if it names ``pid`` (after the person changed their address)."""
        name = f"email:{self.digest(email)}"
        value = self.app.keys.setting(name)
        if value is not None and bytes(value[:16]) == pid.bytes:
            self.app.keys.drop_setting(name)

    def add_confirmed(self) -> int:
        """Note every confirmed applicant (EmailConfirmed) whom no row of the index names, under the address they
        hold now: people who confirmed before the index existed (`panel init`, the upgrade, runs this). Erased
        people, people with no (valid) address now, and an address an applicant who confirmed earlier holds are
        skipped. Returns how many were added; a second run adds nothing."""
        named = {value[:16] for value in self.app.keys.setting_values("email:")}
        added = 0
        for pid in self.confirmed_people():
            if pid.bytes in named or not self.app.exists(pid):
                continue
            email = self.app.personal_data(self.app.load(pid, Participant)).email  # None once erased
            try:
                if not email or self.confirmed_owner(email) not in (None, pid):
                    continue
            except InvalidSignUpError:  # an address today's validation refuses: nothing to look it up by
                continue
            self.note(email, pid, confirmed=True)
            named.add(pid.bytes)
            added += 1
        return added

    def confirmed_people(self) -> Iterator[UUID]:
        """Everyone who confirmed an address (EmailConfirmed), in the order they confirmed (the log read in pages)."""
        start = None
        while page := self.app.recorder.select_notifications(
            start=start, limit=PAGE, topics=[CONFIRMED_TOPIC], inclusive_of_start=False
        ):
            for notification in page:
                yield self.app.mapper.to_domain_event(notification).participant_id  # type: ignore[attr-defined]
            start = page[-1].id
