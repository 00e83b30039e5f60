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

from panel.domain.consent import ConsentEntry, ErasureEntry, fold_consents
from panel.domain.consent import consent_at as grant_in_force
from panel.domain.errors import (
    ConsentRequiredError,
    ConsentStateError,
    ErasedParticipantError,
    ParticipationStateError,
    ValidationError,
)
from panel.domain.values import CHANNELS, CONSENT_METHODS, PURPOSES, require_choice, require_utc

INVITED, ACCEPTED, DECLINED, WITHDREW = "invited", "accepted", "declined", "withdrew"


class Participant(Aggregate):
    """A person in the pool, identified by a keyed hash of (source, external reference)."""

    class Registered(Aggregate.Created):
        source: str
        external_ref: str
        channel: str
        captured_by: str | None
        at: datetime
        sealed: str

    class AttributesUpdated(Aggregate.Event):
        sealed: str
        captured_by: str | None
        at: datetime

    class ConsentGranted(Aggregate.Event):
        purpose: str
        notice_version: str
        method: str
        captured_by: str
        at: datetime

    class ConsentWithdrawn(Aggregate.Event):
        purpose: str
        captured_by: str | None
        at: datetime

    class Invited(Aggregate.Event):
        engagement_id: UUID
        draw_id: UUID | None
        override_reason: str | None
        at: datetime

    class InvitationAccepted(Aggregate.Event):
        engagement_id: UUID
        at: datetime

    class InvitationDeclined(Aggregate.Event):
        engagement_id: UUID
        at: datetime

    class Attended(Aggregate.Event):
        engagement_id: UUID
        session_date: date
        half_day: bool
        at: datetime

    class NoShow(Aggregate.Event):
        engagement_id: UUID
        session_date: date
        at: datetime

    class WithdrewFromEngagement(Aggregate.Event):
        engagement_id: UUID
        reason: str
        at: datetime

    class LeftPanel(Aggregate.Event):
        reason: str
        at: datetime

    class Erased(Aggregate.Event):
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
        channel: str,  # noqa: A002
        captured_by: str | None,
        at: datetime,
        sealed: str,
    ) -> Participant:
        _check_registration(external_ref, channel, captured_by)
        return cls._create(
            cls.Registered,
            id=id,
            source=source,
            external_ref=external_ref.strip(),
            channel=channel,
            captured_by=captured_by,
            at=require_utc(at),
            sealed=sealed,
        )

    @classmethod
    def sign_up(
        cls,
        *,
        id: UUID,
        source: str,
        external_ref: str,
        channel: str,  # noqa: A002
        captured_by: str | None,
        at: datetime,
        sealed: str,
        consents: Sequence[tuple[str, str, str, str, datetime]] = (),
    ) -> list[Aggregate.Event]:
        """The events of a new sign-up and its consents, checked exactly as ``register`` and ``grant_consent``.

        Bulk imports use this: the events are built directly instead of being replayed through the
        aggregate one method call at a time; a test proves both ways give the same history.
        Each consent is (purpose, notice_version, method, captured_by, effective time).
        """
        _check_registration(external_ref, channel, captured_by)
        timestamp = cls.Registered.create_timestamp()
        events: list[Aggregate.Event] = [
            cls.Registered(
                originator_topic=f"{cls.__module__}:{cls.__qualname__}",
                originator_id=id,
                originator_version=1,
                timestamp=timestamp,
                source=source,
                external_ref=external_ref.strip(),
                channel=channel,
                captured_by=captured_by,
                at=require_utc(at),
                sealed=sealed,
            )
        ]
        log: list[dict[str, Any]] = []
        for purpose, notice_version, method, by, when in consents:
            _check_grant(purpose, notice_version, method, by)
            when = require_utc(when)
            earlier = any(item["purpose"] == purpose for item in log)  # only then can a grant be repeated
            current = grant_in_force(log, purpose, when) if earlier else None
            if current is not None and current.notice_version == notice_version and current.method == method:
                continue
            log.append(
                {
                    "kind": "granted",
                    "purpose": purpose,
                    "notice_version": notice_version.strip(),
                    "method": method,
                    "by": by.strip(),
                    "at": when,
                    "recorded_at": None,
                }
            )
            events.append(
                cls.ConsentGranted(
                    originator_id=id,
                    originator_version=len(events) + 1,
                    timestamp=timestamp,
                    purpose=purpose,
                    notice_version=notice_version.strip(),
                    method=method,
                    captured_by=by.strip(),
                    at=when,
                )
            )
        return events

    # -- personal data ---------------------------------------------------------------------
    def update_attributes(self, *, sealed: str, captured_by: str | None, at: datetime) -> None:
        self.require_not_erased()
        self._update_attributes(sealed=sealed, captured_by=captured_by, at=require_utc(at))

    @event(AttributesUpdated)
    def _update_attributes(self, sealed: str, captured_by: str | None, at: datetime) -> None:
        self.sealed.append(sealed)

    # -- consent ---------------------------------------------------------------------------
    def grant_consent(self, *, purpose: str, notice_version: str, method: str, captured_by: str, at: datetime) -> bool:
        """Record a grant; returns False (and records nothing) if the same grant is already active."""
        self.require_not_erased()
        _check_grant(purpose, notice_version, method, captured_by)
        at = require_utc(at)
        current = self.consent_at(purpose, at)
        if current is not None and current.notice_version == notice_version and current.method == method:
            return False
        self._grant_consent(
            purpose=purpose,
            notice_version=notice_version.strip(),
            method=method,
            captured_by=captured_by.strip(),
            at=at,
        )
        return True

    @event(ConsentGranted)
    def _grant_consent(self, purpose: str, notice_version: str, method: str, captured_by: str, at: datetime) -> None:
        self.consent_log.append(
            {
                "kind": "granted",
                "purpose": purpose,
                "notice_version": notice_version,
                "method": method,
                "by": captured_by,
                "at": at,
                "recorded_at": None,
            }
        )

    def withdraw_consent(self, *, purpose: str, captured_by: str | None, at: datetime) -> None:
        require_choice(purpose, PURPOSES, "consent purpose")
        at = require_utc(at)
        if self.consent_at(purpose, at) is None:
            raise ConsentStateError(
                f"participant {self.external_ref} holds no active {purpose!r} consent at {at.isoformat()}: "
                "check `panel consent history` for what was granted and when"
            )
        self._withdraw_consent(purpose=purpose, captured_by=captured_by, at=at)

    @event(ConsentWithdrawn)
    def _withdraw_consent(self, purpose: str, captured_by: str | None, at: datetime) -> None:
        self.consent_log.append(
            {"kind": "withdrawn", "purpose": purpose, "by": captured_by, "at": at, "recorded_at": None}
        )

    def consent_history(self, as_of: datetime | None = None) -> list[ConsentEntry]:
        """Consent grants as they stood at ``as_of`` (effective time), oldest first."""
        return fold_consents(self.consent_log, as_of)

    def consent_at(self, purpose: str, moment: datetime) -> ConsentEntry | None:
        """The grant of ``purpose`` in force at ``moment``, or None."""
        return grant_in_force(self.consent_log, purpose, moment)

    # -- participation ---------------------------------------------------------------------
    def invite(
        self, *, engagement_id: UUID, at: datetime, draw_id: UUID | None = None, override_reason: str | None = None
    ) -> None:
        self.require_not_erased()
        at = require_utc(at)
        if self.left_panel_at is not None and self.left_panel_at <= at:
            raise ParticipationStateError(
                f"participant {self.external_ref} left the panel on {self.left_panel_at.date()}: they cannot be invited"
            )
        if self.consent_at("contact", at) is None:
            raise ConsentRequiredError(
                f"participant {self.external_ref} has no active 'contact' consent at {at.isoformat()}: "
                "record one with `panel consent grant ... --purpose contact` before inviting"
            )
        status = self.participation_status(engagement_id)
        if status in (INVITED, ACCEPTED):
            raise ParticipationStateError(f"participant {self.external_ref} is already {status} for this engagement")
        self._invite(engagement_id=engagement_id, draw_id=draw_id, override_reason=override_reason, at=at)

    @event(Invited)
    def _invite(self, engagement_id: UUID, draw_id: UUID | None, override_reason: str | None, at: datetime) -> None:
        self.participations[engagement_id.hex] = {
            "status": INVITED,
            "invited_at": at,
            "draw_id": draw_id,
            "responded_at": None,
            "attended": [],
            "no_shows": [],
            "reason": None,
        }

    def respond(self, *, engagement_id: UUID, accept: bool, at: datetime) -> None:
        self.require_not_erased()
        self._require_status(engagement_id, (INVITED,), "accept or decline" if accept else "decline")
        if accept:
            self._accept(engagement_id=engagement_id, at=require_utc(at))
        else:
            self._decline(engagement_id=engagement_id, at=require_utc(at))

    @event(InvitationAccepted)
    def _accept(self, engagement_id: UUID, at: datetime) -> None:
        self.participations[engagement_id.hex].update(status=ACCEPTED, responded_at=at)

    @event(InvitationDeclined)
    def _decline(self, engagement_id: UUID, at: datetime) -> None:
        self.participations[engagement_id.hex].update(status=DECLINED, responded_at=at)

    def attend(self, *, engagement_id: UUID, session_date: date, half_day: bool, at: datetime) -> None:
        self._require_status(engagement_id, (ACCEPTED,), "attend")
        already = self.recorded_on(engagement_id, session_date)
        if already is not None:
            raise ParticipationStateError(
                f"{session_date} is already recorded as a {already} for {self.external_ref}: "
                "a recorded session is not changed"
            )
        self._attend(engagement_id=engagement_id, session_date=session_date, half_day=half_day, at=require_utc(at))

    @event(Attended)
    def _attend(self, engagement_id: UUID, session_date: date, half_day: bool, at: datetime) -> None:
        self.participations[engagement_id.hex]["attended"].append([session_date.isoformat(), half_day])

    def record_no_show(self, *, engagement_id: UUID, session_date: date, at: datetime) -> None:
        self._require_status(engagement_id, (ACCEPTED,), "be marked as a no-show")
        already = self.recorded_on(engagement_id, session_date)
        if already is not None:
            raise ParticipationStateError(
                f"{session_date} is already recorded as a {already} for {self.external_ref}: "
                "a recorded session is not changed"
            )
        self._no_show(engagement_id=engagement_id, session_date=session_date, at=require_utc(at))

    @event(NoShow)
    def _no_show(self, engagement_id: UUID, session_date: date, at: datetime) -> None:
        self.participations[engagement_id.hex]["no_shows"].append(session_date.isoformat())

    def recorded_on(self, engagement_id: UUID, session_date: date) -> str | None:
        """What is recorded for a session: 'full day', 'half day', 'no-show', or None."""
        record = self.participations.get(engagement_id.hex)
        if record is None:
            return None
        day = session_date.isoformat()
        for attended, half_day in record["attended"]:
            if attended == day:
                return "half day" if half_day else "full day"
        return "no-show" if day in record["no_shows"] else None

    def withdraw_from(self, *, engagement_id: UUID, reason: str, at: datetime) -> None:
        self._require_status(engagement_id, (INVITED, ACCEPTED), "withdraw")
        if not reason.strip():
            raise ValidationError("--reason is empty: say why the participant withdrew")
        self._withdraw_from(engagement_id=engagement_id, reason=reason.strip(), at=require_utc(at))

    @event(WithdrewFromEngagement)
    def _withdraw_from(self, engagement_id: UUID, reason: str, at: datetime) -> None:
        self.participations[engagement_id.hex].update(status=WITHDREW, reason=reason, responded_at=at)

    def participation_status(self, engagement_id: UUID) -> str | None:
        record = self.participations.get(engagement_id.hex)
        return None if record is None else str(record["status"])

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
        if not reason.strip():
            raise ValidationError("--reason is empty: record why the data is erased, e.g. 'erasure request 2026-11-02'")
        if erased_by is not None and not erased_by.strip():
            raise ValidationError("--by is empty: name the staff member who carried out the erasure")
        self._erase(reason=reason.strip(), at=require_utc(at), erased_by=erased_by.strip() if erased_by else None)

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
        record = self.participations.get(engagement_id.hex)
        status = None if record is None else record["status"]
        if record is None or status not in allowed:
            raise ParticipationStateError(
                f"participant {self.external_ref} cannot {action}: their status for this engagement is "
                f"{status or 'not invited'} (needs {' or '.join(allowed)})"
            )
        return record


def _check_registration(external_ref: str, channel: str, captured_by: str | None) -> None:
    require_choice(channel, CHANNELS, "channel")
    if not external_ref.strip():
        raise ValidationError("external reference is empty: give the application's reference, e.g. --ref VES-001")
    if channel != "online" and not captured_by:
        raise ValidationError(f"a {channel} sign-up needs --captured-by: name the staff member who took it")


def _check_grant(purpose: str, notice_version: str, method: str, captured_by: str) -> None:
    require_choice(purpose, PURPOSES, "consent purpose")
    require_choice(method, CONSENT_METHODS, "consent method")
    if not notice_version.strip():
        raise ValidationError("--notice-version is empty: name the privacy notice version shown, e.g. v3")
    if not captured_by.strip():
        raise ValidationError("--captured-by is empty: name who captured the consent (or 'self' for online)")


def erasure_item(domain_event: Aggregate.Event) -> ErasureEntry | None:
    """The erasure row of a stored Erased event (who, when, why), for the consent history."""
    if isinstance(domain_event, Participant.Erased):
        return ErasureEntry(domain_event.at, domain_event.erased_by, domain_event.reason, domain_event.timestamp)
    return None


def consent_item(domain_event: Aggregate.Event) -> dict[str, Any] | None:
    """The consent-log item of a stored ConsentGranted/ConsentWithdrawn event, with its record time."""
    if isinstance(domain_event, Participant.ConsentGranted):
        return {
            "kind": "granted",
            "purpose": domain_event.purpose,
            "notice_version": domain_event.notice_version,
            "method": domain_event.method,
            "by": domain_event.captured_by,
            "at": domain_event.at,
            "recorded_at": domain_event.timestamp,
        }
    if isinstance(domain_event, Participant.ConsentWithdrawn):
        return {
            "kind": "withdrawn",
            "purpose": domain_event.purpose,
            "by": domain_event.captured_by,
            "at": domain_event.at,
            "recorded_at": domain_event.timestamp,
        }
    return None
