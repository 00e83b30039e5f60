"""Queries over the event log itself: participants, engagements and consent, as plain dataclasses.

These read aggregates from the store (the auditor's view, exact at any date); the read models in
``projections`` answer the questions over everyone at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.domain.consent import ConsentEntry, fold_consents
from panel.domain.engagement import Engagement
from panel.domain.errors import ParticipantNotFoundError
from panel.domain.participant import Participant
from panel.domain.participant_events import consent_item, erasure_item
from panel.domain.values import EligibilityRule
from panel.paging import Page
from panel.records import ConsentRecord, EngagementDetails, ParticipantDetails, ParticipationRecord

if TYPE_CHECKING:
    from panel.application import PanelApp

REGISTERED_TOPIC = get_topic(Participant.Registered)
OPENED_TOPIC = get_topic(Engagement.Opened)


def engagement_details(e: Engagement) -> EngagementDetails:
    """What a reader needs of an engagement, as a plain record."""
    return EngagementDetails(
        e.id,
        e.ref,
        e.name,
        e.purpose,
        e.kind,
        list(e.sessions),
        e.day_rate_pence,
        e.target_size,
        list(e.eligibility),
        e.cooldown_days,
        e.opened_at,
        e.closed_at,
        list(e.changes),
    )


class Queries:
    """Read participants, engagements and consent records from the log."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def participant(self, pid: UUID) -> ParticipantDetails:
        return self.details(self.app.load(pid, Participant))

    def participant_ids(self) -> Iterator[UUID]:
        yield from self.app.originators(REGISTERED_TOPIC)

    def participant_page(self, page: Page) -> tuple[list[UUID], bool]:
        """One page of participant ids in sign-up (log) order, paged in the database; and whether more follow."""
        return page.cut(self.app.originators_page(REGISTERED_TOPIC, page.offset, page.limit + 1))

    def participants(self, limit: int | None = None) -> list[ParticipantDetails]:
        result: list[ParticipantDetails] = []
        for pid in self.participant_ids():
            if limit is not None and len(result) >= limit:
                break
            result.append(self.participant(pid))
        return result

    def count_participants(self) -> int:
        """How many people have registered: counted in the database, not by a pass over every id."""
        return self.app.originators_count(REGISTERED_TOPIC)

    def consent_history(self, pid: UUID, as_of: datetime | None = None) -> list[ConsentEntry]:
        """Consent as it stood at ``as_of``, read from the event log itself (the auditor's view)."""
        return self.consent_record(pid, as_of).consents

    def consent_record(self, pid: UUID, as_of: datetime | None = None) -> ConsentRecord:
        """Consent grants (each active, withdrawn or superseded) and the erasure, as they stood at ``as_of``."""
        items: list[dict[str, Any]] = []
        registered: Participant.Registered | None = None
        erasure = None
        for e in self.app.events.get(pid):
            if isinstance(e, Participant.Registered):
                registered = e
            elif (item := consent_item(e)) is not None:
                items.append(item)
            elif (erased := erasure_item(e)) is not None and (as_of is None or erased.at <= as_of):
                erasure = erased
        if registered is None:
            raise ParticipantNotFoundError(f"no participant has id {pid}: check `panel participant list`")
        return ConsentRecord(pid, registered.external_ref, registered.at, as_of, fold_consents(items, as_of), erasure)

    def participant_ref(self, pid: UUID) -> str:
        """The participant's external reference (their personal data stays sealed)."""
        return self.app.load(pid, Participant).external_ref

    def engagement_rules(self, eid: UUID) -> list[EligibilityRule]:
        """The engagement's eligibility rules in force now, parsed."""
        return self.app.load(eid, Engagement).rules

    def engagement(self, eid: UUID) -> EngagementDetails:
        return engagement_details(self.app.load(eid, Engagement))

    def engagement_page(self, page: Page) -> tuple[list[EngagementDetails], bool]:
        """One page of engagements, oldest first (paged in the database); and whether more follow."""
        ids, more = page.cut(self.app.originators_page(OPENED_TOPIC, page.offset, page.limit + 1))
        return [self.engagement(eid) for eid in ids], more

    def engagements(self) -> list[EngagementDetails]:
        return [self.engagement(eid) for eid in self.app.originators(OPENED_TOPIC)]

    def details(self, p: Participant) -> ParticipantDetails:
        """What a reader needs of a participant (personal data unsealed unless erased), as a plain record."""
        records = [
            ParticipationRecord(
                UUID(eid),
                r["status"],
                r["invited_at"],
                r["draw_id"],
                [tuple(a) for a in r["attended"]],
                list(r["no_shows"]),
                r["reason"],
            )
            for eid, r in p.participations.items()
        ]
        return ParticipantDetails(
            p.id,
            p.external_ref,
            p.source,
            p.channel,
            p.captured_by,
            p.registered_at,
            self.app.personal_data(p),
            p.consent_history(),
            records,
            p.left_panel_at,
            p.erased_at,
            p.version,
        )
