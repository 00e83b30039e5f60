"""The Participant aggregate: sign-up, consents, participation, leaving and erasure.

Personal data (contact details and self-described attributes) arrives already sealed by the
application under the participant's own data key; the aggregate only ever holds ciphertext.
Every public method validates first, then triggers exactly one event through a private
``@event`` method whose body only records the fact (it runs again on every replay).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from panel.domain import consent
from panel.domain import participation_record as record
from panel.domain.errors import ErasedParticipantError, ParticipationStateError
from panel.domain.event_types import Created, Event, new_history
from panel.domain.participant_checks import erasure_record, registration, withdrawal_reason
from panel.domain.values import RESPONSE_CHANNELS, require_choice, require_utc


class Participant(Aggregate):
    """A person in the pool, identified by a keyed hash of (source, external reference)."""

    class Registered(Created):
        source: str
        external_ref: str
        channel: str
        captured_by: str | None
        at: datetime
        sealed: str

    class AttributesUpdated(Event):
        sealed: str
        captured_by: str | None
        at: datetime

    class ConsentGranted(Event):
        """Version 2 added the expiry (``expires_at``); version 1 events load with None (no expiry)."""

        class_version = 2
        purpose: str
        notice_version: str
        method: str
        captured_by: str
        at: datetime
        expires_at: datetime | None
        upcast_v1_v2 = staticmethod(consent.no_expiry)

    class ConsentWithdrawn(Event):
        purpose: str
        captured_by: str | None
        at: datetime

    class Invited(Event):
        engagement_id: UUID
        draw_id: UUID | None
        override_reason: str | None
        at: datetime

    class InvitationAccepted(Event):  # version 2 added the channel; version 1 events load with None
        class_version = 2
        engagement_id: UUID
        at: datetime
        channel: str | None
        upcast_v1_v2 = staticmethod(record.no_channel)

    class InvitationDeclined(Event):  # version 2 added the channel; version 1 events load with None
        class_version = 2
        engagement_id: UUID
        at: datetime
        channel: str | None
        upcast_v1_v2 = staticmethod(record.no_channel)

    class Attended(Event):
        engagement_id: UUID
        session_date: date
        half_day: bool
        at: datetime

    class NoShow(Event):
        engagement_id: UUID
        session_date: date
        at: datetime

    class WithdrewFromEngagement(Event):
        engagement_id: UUID
        reason: str
        at: datetime

    class LeftPanel(Event):
        reason: str
        at: datetime

    class Erased(Event):
        """Version 2 records who carried out the erasure (``erased_by``); version 1 events load with None."""

        class_version = 2
        reason: str
        at: datetime
        erased_by: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["erased_by"] = None

    @event(Registered)
    def __init__(
        self, source: str, external_ref: str, channel: str, captured_by: str | None, at: datetime, sealed: str
    ) -> None:
        self.source = source
        self.external_ref = external_ref
        self.channel = channel
        self.captured_by = captured_by
        self.registered_at = at
        self.sealed: list[str] = [sealed]
        self.consent_log: list[dict[str, Any]] = []
        self.participations: dict[str, dict[str, Any]] = {}
        self.left_panel_at: datetime | None = None
        self.erased_at: datetime | None = None

    @classmethod
    def register(
        cls,
        *,
        id: UUID,
        source: str,
        external_ref: str,
        channel: str,
        captured_by: str | None,
        at: datetime,
        sealed: str,
    ) -> Participant:
        return cls._create(
            cls.Registered, id=id, **registration(source, external_ref, channel, captured_by, at, sealed)
        )

    @classmethod
    def sign_up(
        cls,
        *,
        id: UUID,
        source: str,
        external_ref: str,
        channel: str,
        captured_by: str | None,
        at: datetime,
        sealed: str,
        consents: Sequence[consent.Grant] = (),
    ) -> list[Aggregate.Event]:
        """The events of a new sign-up and its consents, checked exactly as ``register`` and ``grant_consent``.

        Bulk imports use this: the events are built directly instead of being replayed through the
        aggregate one method call at a time; a test proves both ways give the same history.
        Each consent is (purpose, notice_version, method, captured_by, effective time[, expiry]).
        """
        registered = registration(source, external_ref, channel, captured_by, at, sealed)
        grants = [(cls.ConsentGranted, fields) for fields in consent.new_grants(consents)]
        return new_history(cls, id, (cls.Registered, registered), grants)

    # -- personal data ---------------------------------------------------------------------
    def update_attributes(self, *, sealed: str, captured_by: str | None, at: datetime) -> None:
        self.require_not_erased()
        self._update_attributes(sealed=sealed, captured_by=captured_by, at=require_utc(at))

    @event(AttributesUpdated)
    def _update_attributes(self, sealed: str, captured_by: str | None, at: datetime) -> None:
        self.sealed.append(sealed)

    # -- consent ---------------------------------------------------------------------------
    def grant_consent(
        self, *, purpose: str, notice_version: str, method: str, captured_by: str, at: datetime,
        expires_at: datetime | None = None,
    ) -> bool:  # fmt: skip
        """Record a grant (lapsing at ``expires_at``, if given); returns False (and records nothing) if the same
        grant is already active."""
        self.require_not_erased()
        consent.check_grant(purpose, notice_version, method, captured_by)
        at = require_utc(at)
        expires_at = consent.check_expiry(at, expires_at)
        if consent.repeats(self.consent_at(purpose, at), notice_version, method, expires_at):
            return False
        self._grant_consent(
            purpose=purpose,
            notice_version=notice_version.strip(),
            method=method,
            captured_by=captured_by.strip(),
            at=at,
            expires_at=expires_at,
        )
        return True

    @event(ConsentGranted)
    def _grant_consent(
        self,
        purpose: str,
        notice_version: str,
        method: str,
        captured_by: str,
        at: datetime,
        expires_at: datetime | None,
    ) -> None:
        self.consent_log.append(
            consent.granted_item(purpose, notice_version, method, captured_by, at, None, expires_at)
        )

    def withdraw_consent(self, *, purpose: str, captured_by: str | None, at: datetime) -> None:
        at = consent.require_held(self.consent_log, self.external_ref, purpose, at)
        self._withdraw_consent(purpose=purpose, captured_by=captured_by, at=at)

    @event(ConsentWithdrawn)
    def _withdraw_consent(self, purpose: str, captured_by: str | None, at: datetime) -> None:
        self.consent_log.append(consent.withdrawn_item(purpose, captured_by, at))

    def consent_history(self, as_of: datetime | None = None) -> list[consent.ConsentEntry]:
        """Consent grants as they stood at ``as_of`` (effective time), oldest first."""
        return consent.fold_consents(self.consent_log, as_of)

    def consent_at(self, purpose: str, moment: datetime) -> consent.ConsentEntry | None:
        """The grant of ``purpose`` in force at ``moment``, or None."""
        return consent.consent_at(self.consent_log, purpose, moment)

    # -- participation ---------------------------------------------------------------------
    def invite(
        self, *, engagement_id: UUID, at: datetime, draw_id: UUID | None = None, override_reason: str | None = None
    ) -> None:
        self.require_not_erased()
        at = require_utc(at)
        contact, status = self.consent_at("contact", at), self.participation_status(engagement_id)
        record.check_invitable(self.external_ref, at, self.left_panel_at, contact, status)
        self._invite(engagement_id=engagement_id, draw_id=draw_id, override_reason=override_reason, at=at)

    @event(Invited)
    def _invite(self, engagement_id: UUID, draw_id: UUID | None, override_reason: str | None, at: datetime) -> None:
        self.participations[engagement_id.hex] = record.invitation(at, draw_id)

    def respond(self, *, engagement_id: UUID, accept: bool, at: datetime, channel: str = "staff") -> None:
        self.require_not_erased()
        require_choice(channel, RESPONSE_CHANNELS, "channel")
        self._require_status(engagement_id, (record.INVITED,), "accept or decline" if accept else "decline")
        if accept:
            self._accept(engagement_id=engagement_id, at=require_utc(at), channel=channel)
        else:
            self._decline(engagement_id=engagement_id, at=require_utc(at), channel=channel)

    @event(InvitationAccepted)
    def _accept(self, engagement_id: UUID, at: datetime, channel: str) -> None:
        self.participations[engagement_id.hex].update(status=record.ACCEPTED, responded_at=at)

    @event(InvitationDeclined)
    def _decline(self, engagement_id: UUID, at: datetime, channel: str) -> None:
        self.participations[engagement_id.hex].update(status=record.DECLINED, responded_at=at)

    def attend(self, *, engagement_id: UUID, session_date: date, half_day: bool, at: datetime) -> None:
        entry = self._require_status(engagement_id, (record.ACCEPTED,), "attend")
        record.require_unrecorded(entry, session_date, self.external_ref)
        self._attend(engagement_id=engagement_id, session_date=session_date, half_day=half_day, at=require_utc(at))

    @event(Attended)
    def _attend(self, engagement_id: UUID, session_date: date, half_day: bool, at: datetime) -> None:
        self.participations[engagement_id.hex]["attended"].append([session_date.isoformat(), half_day])

    def record_no_show(self, *, engagement_id: UUID, session_date: date, at: datetime) -> None:
        entry = self._require_status(engagement_id, (record.ACCEPTED,), "be marked as a no-show")
        record.require_unrecorded(entry, session_date, self.external_ref)
        self._no_show(engagement_id=engagement_id, session_date=session_date, at=require_utc(at))

    @event(NoShow)
    def _no_show(self, engagement_id: UUID, session_date: date, at: datetime) -> None:
        self.participations[engagement_id.hex]["no_shows"].append(session_date.isoformat())

    def recorded_on(self, engagement_id: UUID, session_date: date) -> str | None:
        """What is recorded for a session: 'full day', 'half day', 'no-show', or None."""
        return record.recorded_on(self.participations.get(engagement_id.hex), session_date)

    def withdraw_from(self, *, engagement_id: UUID, reason: str, at: datetime) -> None:
        self._require_status(engagement_id, (record.INVITED, record.ACCEPTED), "withdraw")
        self._withdraw_from(engagement_id=engagement_id, reason=withdrawal_reason(reason), at=require_utc(at))

    @event(WithdrewFromEngagement)
    def _withdraw_from(self, engagement_id: UUID, reason: str, at: datetime) -> None:
        self.participations[engagement_id.hex].update(status=record.WITHDREW, reason=reason, responded_at=at)

    def participation_status(self, engagement_id: UUID) -> str | None:
        entry = self.participations.get(engagement_id.hex)
        return None if entry is None else str(entry["status"])

    # -- leaving and erasure ---------------------------------------------------------------
    def leave_panel(self, *, reason: str, at: datetime) -> None:
        self.require_not_erased()
        if self.left_panel_at is not None:
            raise ParticipationStateError(f"participant {self.external_ref} already left the panel")
        self._leave(reason=reason, at=require_utc(at))

    @event(LeftPanel)
    def _leave(self, reason: str, at: datetime) -> None:
        self.left_panel_at = at

    def erase(self, *, reason: str, at: datetime, erased_by: str | None = None) -> None:
        self.require_not_erased()
        reason, erased_by = erasure_record(reason, erased_by)
        self._erase(reason=reason, at=require_utc(at), erased_by=erased_by)

    @event(Erased)
    def _erase(self, reason: str, at: datetime, erased_by: str | None) -> None:
        self.erased_at = at

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def require_not_erased(self) -> None:
        if self.erased_at is not None:
            raise ErasedParticipantError(f"participant {self.external_ref} was erased on {self.erased_at.date()}")

    def _require_status(self, engagement_id: UUID, allowed: tuple[str, ...], action: str) -> dict[str, Any]:
        return record.require_status(self.participations.get(engagement_id.hex), allowed, self.external_ref, action)
