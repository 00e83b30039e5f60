"""A person's own request to erase their data (from /me): recorded, then carried out at once unless something
holds it back (a payment to them not yet finished), in which case staff see it in
`panel participant erasure-requests` and erase with `panel participant erase` when it is clear."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.application import PanelApp
from panel.clock import now
from panel.domain.erasure_request import ErasureRequest
from panel.domain.participant import Participant
from panel.participation import Participation
from panel.payments import Payments
from panel.payments.ledger import LedgerLine

OPEN_PAYMENTS = ("accrued", "approved", "issued")  # money not yet settled: the record is still needed to pay them
SELF_SERVICE_REASON = "asked for by the person (self-service)"


@dataclass(frozen=True)
class ErasureOutcome:
    erased: bool
    blocked_by: tuple[str, ...]


@dataclass(frozen=True)
class PendingErasure:
    participant_id: UUID
    reference: str
    requested_at: datetime
    blocked_by: tuple[str, ...]


class ErasureRequests:
    """``lines_of(participant)``, when the caller has the ledger view (the web service's ``ViewLedger``), gives
    a person's payment lines from it; without it they are folded from every payment event in the store."""

    def __init__(self, app: PanelApp, lines_of: Callable[[UUID], Sequence[LedgerLine]] | None = None) -> None:
        self.app = app
        self.lines_of = lines_of or (lambda pid: Payments(app).lines(participant=pid))

    def blockers(self, pid: UUID) -> list[str]:
        """What holds an erasure back now: each payment line to them that is not yet settled."""
        lines = self.lines_of(pid)
        return [f"payment {line.reference or str(line.id)[:8]} is {line.status}" for line in lines
                if line.status in OPEN_PAYMENTS]  # fmt: skip

    def request(self, pid: UUID, *, channel: str = "self_service", at: datetime | None = None) -> ErasureOutcome:
        """Record the request, and erase at once when nothing holds it back."""
        moment = at or now()
        self.app.load(pid, Participant).require_not_erased()
        blocked = self.blockers(pid)
        self.app.save(ErasureRequest.receive(pid, channel, moment, blocked))
        if blocked:
            return ErasureOutcome(False, tuple(blocked))
        Participation(self.app).erase(pid, SELF_SERVICE_REASON, at=moment, erased_by=channel)
        return ErasureOutcome(True, ())

    def pending(self) -> list[PendingErasure]:
        """Requests whose person is not erased yet (held back, or interrupted), oldest first."""
        return sorted(self.waiting(), key=lambda p: p.requested_at)

    def waiting(self) -> Iterator[PendingErasure]:
        """The pending requests in the order they were received, streamed one at a time (for a page).

        Holds only the ids of people already listed (one request each), never every participant.
        """
        listed: set[UUID] = set()
        for rid in self.app.originators(get_topic(ErasureRequest.Received)):  # one Received per request
            request = self.app.load(rid, ErasureRequest)
            if request.participant_id in listed:
                continue
            person = self.app.load(request.participant_id, Participant)
            if not person.is_erased:
                listed.add(request.participant_id)
                yield PendingErasure(
                    request.participant_id, person.external_ref, request.received_at, tuple(request.blocked_by)
                )
