"""Whom to ask again: consents that expire within a window (and, on request, those already lapsed).

Read from the event log, as the auditor's history is: each participant's consent as it stood at
``as_of``. A consent is listed when the grant in force for its purpose has an expiry inside
``(as_of, as_of + within]``; with ``include_expired`` also when the last grant of the purpose expired
at or before ``as_of`` and nothing replaced it (no renewal, no withdrawal). A renewal is a new grant,
which supersedes the old one and its expiry, so a renewed person drops off the list. Erased people
and people who left the panel by ``as_of`` are never listed: there is nobody to ask.

Who is read: with an ``ExpiryNarrowing`` (the consent view, ``projections.expiry_narrowing``) only
the people holding a grant whose expiry could put them on the list, and everyone with an event
after the view's position, each re-checked from their own history, so the answer is the full
scan's; without one, every participant in turn. Only the consents to list are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from panel.application import PanelApp
from panel.domain.consent import ACTIVE, EXPIRED, ConsentEntry
from panel.domain.durations import Period
from panel.domain.participant import Participant
from panel.draws.narrowed import participants_changed_since
from panel.queries import Queries

EXPIRING = "expiring"


@dataclass(frozen=True)
class ExpiringConsent:
    """One consent to renew: whose (reference, no name), which purpose and notice, granted and expiring when."""

    participant_id: UUID
    ref: str
    purpose: str
    notice_version: str
    granted_at: datetime
    expires_at: datetime
    state: str  # 'expiring' (still in force at as_of) or 'expired'


class ExpiryNarrowing(Protocol):
    """A read model's first cut of the people to read (``projections.expiry_narrowing`` implements it)."""

    def expiring(
        self, as_of: datetime, until: datetime, *, purpose: str | None, include_expired: bool
    ) -> tuple[frozenset[UUID], int]:
        """Everyone who, as the log stood at the returned position, could hold a consent to list."""
        ...


def expiring_consents(
    app: PanelApp,
    as_of: datetime,
    within: Period,
    *,
    purpose: str | None = None,
    include_expired: bool = False,
    narrowing: ExpiryNarrowing | None = None,
) -> list[ExpiringConsent]:
    """The consents to ask again for, soonest expiry first (then reference and purpose)."""
    until = within.after(as_of)
    found: list[ExpiringConsent] = []
    for pid in _readers(app, as_of, until, purpose, include_expired, narrowing):
        person = app.load(pid, Participant)
        if _gone(person, as_of):
            continue
        for entry in _latest_grants(person.consent_history(as_of)):
            if entry.expires_at is None or (purpose is not None and entry.purpose != purpose):
                continue
            state = entry.state_at(as_of)
            if (state == ACTIVE and entry.expires_at <= until) or (state == EXPIRED and include_expired):
                found.append(
                    ExpiringConsent(
                        pid,
                        person.external_ref,
                        entry.purpose,
                        entry.notice_version,
                        entry.granted_at,
                        entry.expires_at,
                        EXPIRING if state == ACTIVE else EXPIRED,
                    )
                )
    return sorted(found, key=lambda c: (c.expires_at, c.ref, c.purpose))


def _readers(
    app: PanelApp,
    as_of: datetime,
    until: datetime,
    purpose: str | None,
    include_expired: bool,
    narrowing: ExpiryNarrowing | None,
) -> Iterable[UUID]:
    """Whose history to read: the narrowing's candidates and everyone changed since its position, or everyone."""
    if narrowing is None:
        return Queries(app).participant_ids()
    ids, position = narrowing.expiring(as_of, until, purpose=purpose, include_expired=include_expired)
    return sorted(ids | participants_changed_since(app, position), key=lambda pid: pid.hex)


def _gone(person: Participant, as_of: datetime) -> bool:
    erased, left = person.erased_at, person.left_panel_at
    return (erased is not None and erased <= as_of) or (left is not None and left <= as_of)


def _latest_grants(entries: list[ConsentEntry]) -> list[ConsentEntry]:
    """The last grant of each purpose (the one a renewal would replace)."""
    latest: dict[str, ConsentEntry] = {}
    for entry in entries:
        latest[entry.purpose] = entry  # fold order is effective-time order
    return list(latest.values())
