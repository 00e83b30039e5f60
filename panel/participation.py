"""Participation: consent, invitation, response, attendance, withdrawal, leaving and erasure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.clock import now
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.fatigue.service import Fatigue
from panel.store.recorders import WITH_STATEMENTS
from panel.validation import ConsentSpec

if TYPE_CHECKING:
    from panel.application import PanelApp

ERASED_TOPIC = get_topic(Participant.Erased)


class Participation:
    """Commands on one participant (or several invited at once), each load-change-save with retry."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def grant_consent(self, pid: UUID, spec: ConsentSpec) -> bool:
        return self.app.change(
            pid,
            lambda p: p.grant_consent(
                purpose=spec.purpose,
                notice_version=spec.notice_version,
                method=spec.method,
                captured_by=spec.captured_by,
                at=spec.at or now(),
                expires_at=spec.expires_at,
            ),
        )

    def withdraw_consent(
        self, pid: UUID, purpose: str, captured_by: str | None = None, at: datetime | None = None
    ) -> None:
        self.app.change(pid, lambda p: p.withdraw_consent(purpose=purpose, captured_by=captured_by, at=at or now()))

    def invite(
        self,
        eid: UUID,
        pids: Iterable[UUID],
        at: datetime | None = None,
        draw_id: UUID | None = None,
        override_reason: str | None = None,
    ) -> int:
        """Invite several people at once: all are checked first, then saved in one transaction."""
        engagement = self.app.load(eid, Engagement)
        engagement.require_open()
        moment = at or now()
        ids = list(dict.fromkeys(pids))
        fatigue = Fatigue(self.app)
        rules = fatigue.fatigue_rules(eid)

        def attempt() -> int:
            people = [self.app.load(pid, Participant) for pid in ids]
            for person in people:
                fatigue.require_not_fatigued(person, engagement, moment, rules, override_reason)
                person.invite(engagement_id=eid, at=moment, draw_id=draw_id, override_reason=override_reason)
            self.app.save(*people)
            return len(people)

        return self.app.retry(attempt)

    def respond(
        self, eid: UUID, pid: UUID, *, accept: bool, at: datetime | None = None, channel: str = "staff"
    ) -> None:
        """Record InvitationAccepted or InvitationDeclined; ``channel``: ``staff`` or the person (``self_service``)."""
        self.app.load(eid, Engagement)
        self.app.change(pid, lambda p: p.respond(engagement_id=eid, accept=accept, at=at or now(), channel=channel))

    def attend(self, eid: UUID, pid: UUID, day: date, *, half_day: bool = False, at: datetime | None = None) -> None:
        self.app.load(eid, Engagement).require_session(day)
        self.app.change(pid, lambda p: p.attend(engagement_id=eid, session_date=day, half_day=half_day, at=at or now()))

    def record_no_show(self, eid: UUID, pid: UUID, day: date, at: datetime | None = None) -> None:
        self.app.load(eid, Engagement).require_session(day)
        self.app.change(pid, lambda p: p.record_no_show(engagement_id=eid, session_date=day, at=at or now()))

    def withdraw_from(self, eid: UUID, pid: UUID, reason: str, at: datetime | None = None) -> None:
        self.app.load(eid, Engagement)
        self.app.change(pid, lambda p: p.withdraw_from(engagement_id=eid, reason=reason, at=at or now()))

    def leave_panel(self, pid: UUID, reason: str, at: datetime | None = None) -> None:
        self.app.change(pid, lambda p: p.leave_panel(reason=reason, at=at or now()))

    def erase(self, pid: UUID, reason: str, at: datetime | None = None, erased_by: str | None = None) -> bool:
        """Record the erasure (and who carried it out) and delete the participant's data key in ONE
        transaction (crypto-shredding).

        Returns True; or False when the person was already erased and only their key was left (an
        erasure interrupted before this was atomic): the key is destroyed now.
        """
        if self.app.load(pid, Participant).is_erased and self.finish_erasures([pid]):
            return False

        def attempt() -> None:
            participant = self.app.load(pid, Participant)
            participant.erase(reason=reason, at=at or now(), erased_by=erased_by)
            self.app.save(participant, **{WITH_STATEMENTS: self.app.keys.deleting([pid])})

        self.app.retry(attempt)
        self.app.keys.destroy_keys([pid])  # scrubs what the deleted row left; deletes it if a recorder lacked the hook
        return True

    def finish_erasures(self, pids: Iterable[UUID] | None = None) -> list[UUID]:
        """Destroy every data key still held for an erased participant (of ``pids``, or of the whole store)."""
        erased = set(self.app.originators(ERASED_TOPIC)) if pids is None else set(pids)
        left = list(self.app.keys.get_keys(erased))
        if left:
            self.app.keys.destroy_keys(left)
        return left
