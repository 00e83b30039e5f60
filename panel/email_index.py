"""Find an applicant by their email address without keeping the address in clear.

The index maps a keyed hash of the normalised address (HMAC-SHA256 under the store's ``email_index`` secret)
to a participant id, in the store's settings table beside the data keys, outside the event log: a row
``email:HASH`` holds the participant id. An online application notes its address (unless a confirmed
applicant already holds it); a confirmation (EmailConfirmed) notes it for the person who confirmed, so a
later application with the same address is recognised as theirs. A change of address (``moving``: by staff,
or at /me once the new address is confirmed, ``panel.email_changes``) moves the person's row to the new address
in the transaction that records it. Erasing a person deletes their rows in the same transaction as their key
(``KeyStore.deleting``). People who confirmed before the index existed are put in it by `panel init`
(``EmailIndex.add_confirmed``).

``confirmed_holder`` is the one duplicate rule of every entry path (online, staff-entered, partner referral,
``duplicate_holder``) and of a staff change of address: an address a confirmed applicant holds.
``Registration.register`` and ``Registration.update_personal`` apply it, after the validation, when asked to
refuse duplicates (``DuplicateEmailError``); each entry path decides what to tell.
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


class DuplicateEmailError(PanelError):
    """Raised when a sign-up gives the email address a confirmed applicant holds (the field ``email``)."""

    field = "email"

    def __init__(self, holder: UUID) -> None:
        super().__init__("a participant who confirmed this email address already exists")
        self.holder = holder  # for staff, who may open their page; never for a stranger or a partner


def duplicate_holder(app: PanelApp, signup: SignUp) -> UUID | None:
    """The confirmed applicant who holds the sign-up's email address, or None (``confirmed_holder``)."""
    return confirmed_holder(app, signup.personal.get("email", ""))


def confirmed_holder(app: PanelApp, email: str) -> UUID | None:
    """The confirmed applicant who holds ``email``, or None (no address, not a valid one, or nobody confirmed it).
    The one duplicate rule of every entry path, and of a staff change of address."""
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

    def moving(self, old: str, new: str, pid: UUID) -> Callable[[Any], None]:
        """A change of ``pid``'s address from ``old`` to ``new`` as a statement inside the transaction that records
        it: the row of ``old`` goes if it names them, and ``new`` is noted for them (``noting``: another applicant
        who confirmed it is never displaced) if that row named them or they confirmed an address (EmailConfirmed).
        Someone the index never held (entered by staff or imported, never confirmed) stays out of it."""
        try:
            gone = f"email:{self.digest(old)}" if old.strip() else None
        except InvalidSignUpError:  # an old address today's validation refuses: no row can name it
            gone = None
        note, keys = self.noting(new, pid), self.app.keys

        def run(cursor: Any) -> None:
            value = keys.setting_on(cursor, gone) if gone is not None else None
            held = value is not None and bytes(value[:16]) == pid.bytes
            if held and gone is not None:
                keys.dropping(gone)(cursor)
            if held or existing_on(self.app, cursor, {confirmation_id(pid)}):
                note(cursor)

        return run

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
        for notification in self.app.notifications(CONFIRMED_TOPIC):
            yield self.app.mapper.to_domain_event(notification).participant_id  # type: ignore[attr-defined]
