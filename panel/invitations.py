"""Invitations by email: send each invitation once, remind those who accepted before each session, and say
where the invitations stand (which declines need `panel draw replace`).

Each email is claimed by recording its event first (``InvitationEmail.Sent`` or ``SessionReminder.Sent``,
ids from uuid5, so two runs at once cannot both claim one) and then handed to the outbox, which keeps it
and, with PANEL_SMTP_URL, sends it (a failure is kept in ``failed/`` for `panel outbox send`). The address
is decrypted only to write the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from panel import letters
from panel.clock import now
from panel.domain.draw import Draw
from panel.domain.engagement import Engagement
from panel.domain.errors import ValidationError
from panel.domain.mailing import InvitationEmail, SessionReminder, invitation_email_id, reminder_id
from panel.domain.participant import Participant
from panel.domain.participation_record import ACCEPTED, DECLINED, INVITED, WITHDREW
from panel.links import make_token
from panel.outbox import Outbox
from panel.queries import engagement_details

if TYPE_CHECKING:
    from panel.application import PanelApp

INVITED_TOPIC = get_topic(Participant.Invited)
DEFAULT_DAYS = (7, 1)


@dataclass(frozen=True)
class Invitee:
    """One person invited to the engagement, as things stand."""

    participant_id: UUID
    ref: str
    status: str  # invited | accepted | declined | withdrew
    invited_at: datetime
    draw_id: UUID | None
    emailed_at: datetime | None  # when this invitation was emailed (None: not emailed)
    replacement_due: bool  # declined or withdrew while still on their draw's panel: `panel draw replace` is due


@dataclass
class MailRun:
    """What a run sent (reference and what about) and what it skipped, by reason."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, ref: str) -> None:
        self.skipped.setdefault(reason, []).append(ref)


@dataclass(frozen=True)
class InvitationPage:
    """What the /invitation page shows: the engagement, and the invitation's state."""

    invitation_id: UUID
    engagement_id: UUID
    participant_id: UUID
    name: str
    purpose: str
    sessions: list[date]
    status: str  # the person's status now; "replaced" when they were invited again since this email


def due_reminders(sessions: Iterable[date], offsets: Iterable[int], today: date) -> dict[date, int]:
    """Each session still ahead with a reminder due by ``today``: the nearest one (the smallest N days before)."""
    due = {}
    for session in sessions:
        reached = [n for n in offsets if session > today and session - timedelta(days=n) <= today]
        if reached:
            due[session] = min(reached)
    return due


class Invitations:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def invited_to(self, eid: UUID) -> list[UUID]:
        """Everyone an Invited event names for this engagement, in the order they were first invited."""
        found: dict[UUID, None] = {}
        for notification in self.app.notifications(INVITED_TOPIC):
            fact = self.app.mapper.to_domain_event(notification)
            if getattr(fact, "engagement_id", None) == eid:
                found[fact.originator_id] = None
        return list(found)

    def status(self, eid: UUID) -> list[Invitee]:
        return list(self.each_status(eid))

    def each_status(self, eid: UUID) -> Iterator[Invitee]:
        """Each invitation to ``eid`` as it stands, in the order first invited, one person read at a time."""
        self.app.load(eid, Engagement)
        draws: dict[UUID, Draw] = {}
        for pid in self.invited_to(eid):
            person = self.app.load(pid, Participant)
            entry = person.participations[eid.hex]
            draw_id = entry["draw_id"]
            due = False
            if draw_id is not None and entry["status"] in (DECLINED, WITHDREW):
                if draw_id not in draws:
                    draws[draw_id] = self.app.load(draw_id, Draw)
                due = pid.hex in draws[draw_id].panel
            iid = invitation_email_id(eid, pid, entry["invited_at"])
            emailed = self.app.load(iid, InvitationEmail).sent_at if self.app.exists(iid) else None
            yield Invitee(pid, person.external_ref, entry["status"], entry["invited_at"], draw_id, emailed, due)

    def send(
        self, eid: UUID, outbox: Outbox, words: Mapping[str, str], *, key: bytes, base_url: str, at: datetime | None
    ) -> MailRun:
        """Email every invitation to the engagement not emailed yet, to people with contact consent and an email
        address who have not answered; each with its accept and decline links (expiring at the first session)."""
        moment = at or now()
        engagement = self.app.load(eid, Engagement)
        engagement.require_open()
        details = engagement_details(engagement)
        expires = letters.link_expiry(details, moment)
        run = MailRun()
        for pid in self.invited_to(eid):
            person = self.app.load(pid, Participant)
            entry, ref = person.participations[eid.hex], person.external_ref
            iid = invitation_email_id(eid, pid, entry["invited_at"])
            email = self._reachable(person, moment, run, entry["status"], (INVITED,), "already answered")
            if email is None:
                continue
            if expires is None:
                run.skip("every session has begun", ref)
                continue
            claim = InvitationEmail.send(
                engagement_id=eid, participant_id=pid, invited_at=entry["invited_at"], expires=expires, at=moment
            )
            if self.app.exists(iid) or not self._claim(claim):
                run.skip("already emailed", ref)
                continue
            accept, decline = (
                f"{base_url}/invitation/{make_token(key, k, iid, expires)}" for k in ("accept", "decline")
            )
            outbox.send(letters.invitation(words, details, email, accept, decline, expires))
            run.sent.append((ref, "invitation"))
        return run

    def remind(
        self, eid: UUID, outbox: Outbox, words: Mapping[str, str], *, days: Iterable[int] = DEFAULT_DAYS,
        at: datetime | None = None,
    ) -> MailRun:  # fmt: skip
        """Remind everyone who accepted (and has contact consent and an email address) of each session ahead:
        once per (session, N days before). When several reminders of one session are due, only the nearest
        (the smallest N) goes; the others are past."""
        moment, offsets = at or now(), sorted(set(days))
        if not offsets or offsets[0] < 1:
            raise ValidationError("--days must list whole numbers of days of at least 1, e.g. 7,1")
        details = engagement_details(self.app.load(eid, Engagement))
        today, run = moment.date(), MailRun()
        due = due_reminders(details.sessions, offsets, today)
        if not due:
            return run
        for pid in self.invited_to(eid):
            person = self.app.load(pid, Participant)
            email = self._reachable(person, moment, run, person.participations[eid.hex]["status"], (ACCEPTED,), "")
            if email is None:
                continue
            for session, n in sorted(due.items()):
                what = f"{session} ({n} day{'s' * (n != 1)} before)"
                if self.app.exists(reminder_id(eid, pid, session, n)) or not self._claim(
                    SessionReminder.send(
                        engagement_id=eid, participant_id=pid, session_date=session, days_before=n, at=moment
                    )  # fmt: skip
                ):
                    run.skip(f"already reminded of {what}", person.external_ref)
                    continue
                outbox.send(letters.reminder(words, details, email, session, today))
                run.sent.append((person.external_ref, f"reminder of {what}"))
        return run

    def page(self, invitation_id: UUID) -> InvitationPage:
        """The invitation an accept or decline link names (ValidationError when there is none)."""
        if not self.app.exists(invitation_id):
            raise ValidationError("no such invitation")
        sent = self.app.load(invitation_id, InvitationEmail)
        details = engagement_details(self.app.load(sent.engagement_id, Engagement))
        person = self.app.load(sent.participant_id, Participant)
        entry = person.participations.get(sent.engagement_id.hex)
        status = "erased" if person.is_erased else "replaced" if entry is None else str(entry["status"])
        if entry is not None and entry["invited_at"] != sent.invited_at:
            status = "replaced"
        return InvitationPage(invitation_id, sent.engagement_id, sent.participant_id, details.name, details.purpose,
                              list(details.sessions), status)  # fmt: skip

    def _reachable(
        self, person: Participant, at: datetime, run: MailRun, status: str, wanted: tuple[str, ...], other: str
    ) -> str | None:
        """The person's email address if they may be emailed about this now; otherwise None (and why, in ``run``)."""
        ref = person.external_ref
        reason = None
        if status not in wanted:
            reason = other or None
        elif person.is_erased:
            reason = "erased"
        elif person.left_panel_at is not None and person.left_panel_at <= at:
            reason = "left the panel"
        elif person.consent_at("contact", at) is None:
            reason = "no contact consent"
        if reason is None and status in wanted:
            email = (self.app.personal_data(person).email or "").strip()
            if email:
                return email
            reason = "no email address"
        if reason:
            run.skip(reason, ref)
        return None

    def _claim(self, record: InvitationEmail | SessionReminder) -> bool:
        """Record that an email goes; False when another run recorded it first."""
        try:
            self.app.save(record)
        except IntegrityError:
            return False
        return True
