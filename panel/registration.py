"""Registration: sign-ups (one or many, any channel) and later changes to a person's data.

One path writes every sign-up: validated whole first (``panel.validation``), personal data sealed
under a per-person key, events written in atomic batches with the attribute names they introduce.
A large import without a per-person history goes through the same steps in worker processes
(``panel.store.bulk_import``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from panel.catalogue import AttributeNames
from panel.clock import now
from panel.domain.errors import AlreadyRegisteredError, ConcurrentUpdateError, ValidationError
from panel.domain.participant import Participant
from panel.email_index import DuplicateEmailError, EmailIndex, confirmed_holder, duplicate_holder
from panel.engagements import Engagements
from panel.store.conflicts import TRIES
from panel.store.import_writer import existing_on
from panel.store.recorders import WITH_STATEMENTS
from panel.store.sealing import seal, sealed_signup, signup_events
from panel.validation import (
    CheckedSignUp,
    FieldError,
    InvalidSignUpError,
    SignUp,
    validate_attributes,
    validate_personal,
    validate_signup,
)

if TYPE_CHECKING:
    from panel.application import PanelApp

History = Callable[[Participant, SignUp], None]
Statement = Callable[[Any], None]  # more statements run on a write transaction's cursor


class Registration:
    """Sign-ups and updates of personal data."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app
        self.sources_noted: set[str] = set()

    def register(
        self,
        signup: SignUp,
        *,
        refuse_duplicate: bool = False,
        note_email: bool = False,
        counting: Statement | None = None,
    ) -> UUID:
        """Register one sign-up (with its consents); a second sign-up with the same reference is refused.

        The sign-up is validated whole first (``validate_signup``; a CheckedSignUp already was): if any field
        is invalid, InvalidSignUpError names each one and nothing is written. With ``refuse_duplicate``, a sign-up
        whose email address a confirmed applicant holds (``panel.email_index.duplicate_holder``) is then
        refused with DuplicateEmailError, and nothing is written. With ``note_email`` the address is noted in the
        email index (``EmailIndex.noting``: an online application's) in the transaction that registers them.
        ``counting`` runs in that transaction too (a rate limit's count, ``RateCounts.taking``): an error it raises
        (RateLimitedError) rolls the sign-up back with it, so a refused sign-up leaves neither events nor a count.
        """
        if not isinstance(signup, CheckedSignUp):  # one validated by ``validate_signup`` already is not run again
            signup = validate_signup(signup, Engagements(self.app).numeric_attributes())
        if refuse_duplicate:
            holder = duplicate_holder(self.app, signup)
            if holder is not None:
                raise DuplicateEmailError(holder)
        pid = self.app.participant_id_for(signup.ref, signup.source)
        email = signup.personal.get("email", "").strip() if note_email else ""
        also = together([counting, EmailIndex(self.app).noting(email, pid) if email else None])
        for attempt in range(1, TRIES):
            self._refuse_registered(pid, signup)
            try:
                self.save_new([(pid, signup)], also=also)
                return pid
            except ConcurrentUpdateError:  # most often two first sign-ups noting the same new attribute names at
                # once (the catalogue's next version): again, on the catalogue as it is now
                time.sleep(random.uniform(0.005, 0.02) * attempt)  # noqa: S311 - jitter, so the rivals spread out
        self._refuse_registered(pid, signup)
        self.save_new([(pid, signup)], also=also)
        return pid

    def _refuse_registered(self, pid: UUID, signup: SignUp) -> None:
        if self.app.exists(pid):
            raise AlreadyRegisteredError(
                f"reference {signup.ref!r} is already registered as {pid}: use `panel participant update`"
            )

    def register_many(
        self,
        signups: Sequence[SignUp],
        batch: int = 2500,
        progress: Callable[[int], None] | None = None,
        history: History | None = None,
    ) -> tuple[int, int, int]:
        """Register sign-ups in atomic batches, skipping those already present (idempotent).

        ``history`` may apply further commands to each new participant before the batch is saved
        (the demo uses it to add invitations and attendance). Returns (created, unchanged, events).
        Sign-ups not already validated (``CheckedSignUp``) are validated first, all of them before
        anything is written.
        """
        signups = self.checked(signups)
        if history is None and len(signups) > batch:
            from panel.store import bulk_import  # worker processes only pay off on a large import

            if bulk_import.worth_it(len(signups), batch):
                self.note_attribute_names(signups)
                return bulk_import.register_parallel(self, signups, batch, progress)
        created = unchanged = events = 0
        seen: set[UUID] = set()
        for start in range(0, len(signups), batch):
            chunk = signups[start : start + batch]
            fresh = self.fresh_items(chunk, seen)
            seen.update(pid for pid, _ in fresh)
            unchanged += len(chunk) - len(fresh)
            if fresh:
                events += self.save_new(fresh, history)
                created += len(fresh)
            if progress:
                progress(len(chunk))
        return created, unchanged, events

    def checked(self, signups: Sequence[SignUp]) -> Sequence[SignUp]:
        """The sign-ups, each validated unless it already was; InvalidSignUpError names the references at fault."""
        if all(isinstance(s, CheckedSignUp) for s in signups):
            return signups
        numeric = Engagements(self.app).numeric_attributes()
        checked: list[SignUp] = []
        errors: list[FieldError] = []
        for s in signups:
            try:
                checked.append(validate_signup(s, numeric))
            except InvalidSignUpError as exc:
                errors.extend(FieldError(e.field, f"sign-up {s.ref!r}: {e.message}") for e in exc.errors)
        if errors:
            raise InvalidSignUpError(errors)
        return checked

    # -- the seams the bulk import uses ------------------------------------------------------------
    def fresh_items(self, chunk: Sequence[SignUp], seen: set[UUID]) -> list[tuple[UUID, SignUp]]:
        """The chunk's sign-ups with their ids, less those already stored or seen earlier in this run."""
        items = [(self.app.participant_id_for(s.ref, s.source), s) for s in chunk]
        present = self.existing({pid for pid, _ in items} - seen) | seen
        return [(pid, s) for pid, s in items if pid not in present]

    def keys_for(self, items: list[tuple[UUID, SignUp]]) -> dict[UUID, bytes]:
        """Note any new sources, then create (idempotently) and return the data keys of ``items``."""
        new_sources = {s.source for _, s in items} - self.sources_noted
        if new_sources:
            self.app.keys.note_sources(new_sources)
            self.sources_noted |= new_sources
        return self.app.keys.ensure_keys(pid for pid, _ in items)

    def save_new(
        self, items: list[tuple[UUID, SignUp]], history: History | None = None, *, also: Statement | None = None
    ) -> int:
        """Write new sign-ups in one transaction: their events, the attribute names they introduce, their new data
        keys and reference sources, and ``also`` (more statements on its cursor); returns the events."""
        keys, store_keys = self.app.keys.new_keys(pid for pid, _ in items)
        sources = {s.source for _, s in items} - self.app.keys.noted_sources  # each noted once per process
        pending: list[Any] = []
        for pid, s in items:
            if history is None:  # the bulk path: events built directly, same checks
                pending.extend(signup_events(pid, s, keys[pid]))
                continue
            at = s.at or now()
            participant = Participant.register(
                id=pid,
                source=s.source,
                external_ref=s.ref,
                channel=s.channel,
                captured_by=s.captured_by,
                at=at,
                sealed=sealed_signup(pid, s, keys[pid]),
            )
            for c in s.consents:
                participant.grant_consent(
                    purpose=c.purpose,
                    notice_version=c.notice_version,
                    method=c.method,
                    captured_by=c.captured_by,
                    at=c.at or at,
                    expires_at=c.expires_at,
                )
            history(participant, s)
            pending.extend(participant.collect_events())
        names = AttributeNames(self.app).events_for(s for _, s in items)  # new names, in the same transaction
        statements = [self.app.keys.noting_sources(sources) if sources else None, store_keys, also]
        self.write_events([self.app.mapper.to_stored_event(e) for e in [*pending, *names]], statements)
        self.app.keys.noted_sources |= sources  # committed: not noted again (a transaction rolled back raised above)
        return len(pending)

    def write_events(self, stored: list[StoredEvent], statements: Sequence[Statement | None] = ()) -> None:
        """Write one batch's stored events in one transaction, with ``statements`` run on its cursor."""
        run = together(statements)
        try:
            # events go straight to the recorder: save() would check each event against a runtime
            # Protocol and build a Recording per event, which together cost more than writing it
            self.app.recorder.insert_events(stored, **({WITH_STATEMENTS: run} if run else {}))
        except IntegrityError:
            raise ConcurrentUpdateError(
                "another writer registered some of these references at the same time: re-run the command"
            ) from None

    def note_attribute_names(self, signups: Sequence[SignUp]) -> None:
        """Record the attribute names ``signups`` introduce (before a bulk import's workers start)."""
        events = AttributeNames(self.app).events_for(signups)
        if events:
            self.write_events([self.app.mapper.to_stored_event(e) for e in events])

    def existing(self, ids: set[UUID]) -> set[UUID]:
        """Those of ``ids`` that already have a first event."""
        if not ids:
            return set()
        with self.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            return existing_on(self.app, c, ids)

    # -- later changes -----------------------------------------------------------------------------
    def update_personal(
        self,
        pid: UUID,
        *,
        personal: dict[str, str],
        attributes: dict[str, str],
        captured_by: str | None,
        at: datetime | None = None,
        refuse_duplicate: bool = False,
    ) -> None:
        """Replace some of a person's personal data or attributes (sealed again under their key).

        A new email address moves the person's row of the email index in the transaction that records the change
        (``EmailIndex.moving``). With ``refuse_duplicate`` (staff) an address that another confirmed applicant
        holds (``panel.email_index.confirmed_holder``, the duplicate rule) is refused with DuplicateEmailError,
        after the validation; a refused change writes nothing.
        """
        data = {
            "personal": validate_personal(personal),
            "attributes": validate_attributes(attributes, numeric=Engagements(self.app).numeric_attributes()),
        }
        key = self.app.data_key(pid)
        if not data["personal"] and not data["attributes"]:
            raise ValidationError("nothing to update: pass --attr key=value or a contact option")
        email = data["personal"].get("email", "")
        if refuse_duplicate and (holder := confirmed_holder(self.app, email)) not in (None, pid):
            raise DuplicateEmailError(holder)

        def attempt() -> None:
            participant = self.app.load(pid, Participant)
            old = (self.app.personal_data(participant).email or "") if email else ""
            participant.update_attributes(sealed=seal(key, pid, data), captured_by=captured_by, at=at or now())
            moving = EmailIndex(self.app).moving(old, email, pid) if email else None
            self.app.save(
                participant, *AttributeNames(self.app).noting([data["attributes"]]), **{WITH_STATEMENTS: moving}
            )

        self.app.retry(attempt)


def together(statements: Sequence[Statement | None]) -> Statement | None:
    """The statements (Nones skipped) as one, run in order on the same cursor; None when there are none."""
    run = [s for s in statements if s is not None]
    if not run:
        return None
    if len(run) == 1:
        return run[0]

    def all_of(cursor: Any) -> None:
        for statement in run:
            statement(cursor)

    return all_of
