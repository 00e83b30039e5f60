"""What the read side takes from a participant's stored events: consent-log items and the erasure record.

Unlike the aggregate's own consent log, these items carry when each event was stored
(``recorded_at``), so the auditor's history shows late and out-of-order records as such.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from panel.domain.consent import ErasureEntry, granted_item, withdrawn_item
from panel.domain.participant import Participant


def erasure_item(domain_event: DomainEventProtocol[UUID]) -> ErasureEntry | None:
    """The erasure row of a stored Erased event (who, when, why), for the consent history."""
    if isinstance(domain_event, Participant.Erased):
        return ErasureEntry(domain_event.at, domain_event.erased_by, domain_event.reason, domain_event.timestamp)
    return None


def consent_item(domain_event: DomainEventProtocol[UUID]) -> dict[str, Any] | None:
    """The consent-log item of a stored ConsentGranted/ConsentWithdrawn event, with its record time."""
    e = domain_event
    if isinstance(e, Participant.ConsentGranted):
        return granted_item(
            e.purpose, e.notice_version, e.method, e.captured_by, e.at, e.timestamp, expires_at=e.expires_at
        )
    if isinstance(e, Participant.ConsentWithdrawn):
        return withdrawn_item(e.purpose, e.captured_by, e.at, e.timestamp)
    return None
