"""InvitationAccepted and InvitationDeclined version 2 record who answered (staff or the person); version 1
events, stored before, load with channel None; invitation emails and reminders have one id each."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import get_topic

from panel.application import DateAsISO
from panel.domain.errors import ValidationError
from panel.domain.mailing import InvitationEmail, SessionReminder, invitation_email_id, reminder_id
from panel.domain.participant import Participant
from panel.letters import link_expiry
from panel.records import EngagementDetails

T = datetime(2026, 3, 1, 9, tzinfo=UTC)


def mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


@pytest.mark.parametrize("cls", [Participant.InvitationAccepted, Participant.InvitationDeclined])
def test_a_version_1_answer_loads_with_no_channel(cls: type) -> None:
    m, pid, eid = mapper(), uuid4(), uuid4()
    state = m.transcoder.encode({"originator_id": pid, "originator_version": 3, "timestamp": T,
                                 "engagement_id": eid, "at": T})  # fmt: skip
    old = m.to_domain_event(StoredEvent(pid, 3, get_topic(cls), state))
    assert isinstance(old, cls) and old.channel is None and old.engagement_id == eid  # type: ignore[attr-defined]
    new = cls(originator_id=pid, originator_version=4, timestamp=T, engagement_id=eid, at=T, channel="self_service")
    again = m.to_domain_event(m.to_stored_event(new))
    assert again.channel == "self_service"  # type: ignore[attr-defined]


def invited() -> tuple[Participant, UUID]:
    p = Participant.register(id=uuid4(), source="default", external_ref="X-1", channel="online", captured_by=None,
                             at=T, sealed="")  # fmt: skip
    p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=T)
    eid = uuid4()
    p.invite(engagement_id=eid, at=T)
    return p, eid


def test_an_answer_records_its_channel() -> None:
    p, eid = invited()
    with pytest.raises(ValidationError):
        p.respond(engagement_id=eid, accept=True, at=T, channel="carrier pigeon")
    p.respond(engagement_id=eid, accept=True, at=T, channel="self_service")
    (answer,) = [e for e in p.collect_events() if isinstance(e, Participant.InvitationAccepted)]
    assert answer.channel == "self_service"
    q, other = invited()
    q.respond(engagement_id=other, accept=False, at=T)
    assert [e.channel for e in q.collect_events() if isinstance(e, Participant.InvitationDeclined)] == ["staff"]


def test_each_invitation_and_reminder_has_its_own_id() -> None:
    eid, pid = uuid4(), uuid4()
    sent = InvitationEmail.send(
        engagement_id=eid, participant_id=pid, invited_at=T, expires=datetime(2026, 4, 2, tzinfo=UTC), at=T
    )
    assert (
        sent.id == invitation_email_id(eid, pid, T) != invitation_email_id(eid, pid, datetime(2026, 3, 2, tzinfo=UTC))
    )
    with pytest.raises(ValidationError):
        InvitationEmail.send(engagement_id=eid, participant_id=pid, invited_at=T, expires=T, at=T)
    reminder = SessionReminder.send(
        engagement_id=eid, participant_id=pid, session_date=date(2026, 4, 2), days_before=7, at=T
    )
    assert reminder.id == reminder_id(eid, pid, date(2026, 4, 2), 7) != reminder_id(eid, pid, date(2026, 4, 2), 1)
    with pytest.raises(ValidationError):
        SessionReminder.send(engagement_id=eid, participant_id=pid, session_date=date(2026, 4, 2), days_before=0, at=T)


def test_links_expire_when_the_first_session_ahead_starts() -> None:
    def engagement(*sessions: date) -> EngagementDetails:
        return EngagementDetails(uuid4(), "e", "E", "p", "involve", list(sessions), 0, None, [], None, T, None)

    assert link_expiry(engagement(date(2026, 3, 1), date(2026, 4, 2)), T) == datetime(2026, 4, 2, tzinfo=UTC)
    assert link_expiry(engagement(date(2026, 3, 1)), T) is None  # every session has begun
    assert link_expiry(engagement(), T) == datetime(2026, 3, 31, 9, tzinfo=UTC)  # no dates: 30 days
