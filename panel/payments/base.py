"""What every payments service shares: the app, a loader, an engagement's terms, one retrying save, the ledger.

Each service is a ``Service(app)`` object holding nothing but the app. A command loads what it
needs, validates everything, then saves once (atomically), retrying if another writer won.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from panel.clock import now
from panel.domain.engagement import Engagement
from panel.domain.errors import ValidationError
from panel.payments import ledger
from panel.payments.domain.payment import Payment
from panel.payments.domain.terms import PaymentTerms, terms_id
from panel.payments.domain.values import PaymentStateError
from panel.payments.ledger import PAYMENT_TOPICS, LedgerLine
from panel.store.conflicts import retrying

if TYPE_CHECKING:
    from panel.application import PanelApp

T = TypeVar("T")
PAGE = 1000


@dataclass
class Outcome:
    """What a command did: lines it changed or created, lines left as they were, warnings to show."""

    changed: list[UUID] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    first_approved: list[UUID] = field(default_factory=list)  # approved once; each needs a second approver


class PaymentService:
    """The base of the payments services, over a PanelApp's event store."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def _get(self, aggregate_id: UUID, cls: type[T]) -> T | None:
        try:
            aggregate: Any = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            raise ValidationError(f"{aggregate_id} is not a {cls.__name__}")
        return aggregate

    def _payment(self, pid: UUID) -> Payment:
        found = self._get(pid, Payment)
        if found is None:
            raise PaymentStateError(f"no payment has id {pid}: list them with `panel pay ledger`")
        return found

    def _terms(self, eid: UUID) -> PaymentTerms:
        """The engagement's payment terms (new, unsaved terms if none were recorded yet)."""
        self.app.load(eid, Engagement)
        return self._get(terms_id(eid), PaymentTerms) or PaymentTerms.agree(engagement_id=eid, at=now())

    def _save(self, attempt: Callable[[], tuple[list[Any], T]]) -> T:
        """Load, decide and save once; again from a fresh load if another writer won or the store was busy."""

        def once() -> T:
            aggregates, result = attempt()
            if aggregates:
                self.app.save(*aggregates)
            return result

        return retrying(once, what="payments")

    def _events(self, topics: Sequence[str]) -> Iterator[Any]:
        start = None
        while True:
            page = self.app.recorder.select_notifications(
                start=start, limit=PAGE, topics=topics, inclusive_of_start=False
            )
            for n in page:
                yield self.app.mapper.to_domain_event(n)
            if len(page) < PAGE:
                return
            start = page[-1].id

    def lines(self, *, engagement: UUID | None = None, participant: UUID | None = None) -> list[LedgerLine]:
        """Every payment line, folded from the stored events (the source of truth the view mirrors), in the order
        they were accrued. With a filter, only the lines it keeps are folded (and held): the others' later
        events find no row and are passed over."""
        rows: dict[UUID, dict[str, Any]] = {}
        for e in self._events(PAYMENT_TOPICS):
            if isinstance(e, Payment.Accrued) and (
                (engagement is not None and e.engagement_id != engagement)
                or (participant is not None and e.participant_id != participant)
            ):
                continue
            ledger.apply(rows, e)
        return [ledger.to_line(r) for r in rows.values()]
