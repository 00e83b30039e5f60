"""Reading payments: one payment line and its history as a plain record, and finding a payment from what people type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.payments import ledger
from panel.payments.base import PaymentService
from panel.payments.domain.payment import Payment
from panel.payments.domain.values import PaymentStateError
from panel.payments.ledger import LedgerLine

MATCH_TOPICS = [get_topic(Payment.Accrued), get_topic(Payment.Issued)]
# what ``resolve`` is given to find payments: key (lower case) -> the payments whose latest reference is the key,
# else (8 characters or more) those whose id starts with it (the CLI passes ``projections.ledger.PaymentFinder``)
Matching = Callable[[str], list[UUID]]


@dataclass(frozen=True)
class PaymentRecord:
    """One payment line as the ledger shows it, and its history (what `panel pay show` shows).

    Each history entry has the ``status`` it reached, ``by`` whom and ``at`` what time, and the
    details of that step (a reason, the route and reference, the four-eyes amount ...).
    """

    line: LedgerLine
    history: tuple[dict[str, Any], ...]


class PaymentQueries(PaymentService):
    """One payment as a record; a payment from its id, an id prefix or our reference."""

    def payment(self, pid: UUID) -> PaymentRecord:
        history = tuple(dict(entry) for entry in self._payment(pid).history)
        rows: dict[UUID, dict[str, Any]] = {}
        for e in self.app.events.get(pid):  # the same fold as the ledger's, over this payment's events
            ledger.apply(rows, e)
        return PaymentRecord(ledger.to_line(rows[pid]), history)

    def resolve(self, text: str, *, matching: Matching | None = None) -> UUID:
        """A payment from its id, an id prefix of at least 8 characters, or our payment reference; found by
        ``matching`` when given (the ledger view's indexed reads), else from the stored events."""
        key = text.strip().lower()
        try:
            return UUID(key)
        except ValueError:
            pass
        hits = (matching or self._matching)(key)
        if len(hits) != 1:
            many = f"{len(hits)} payments (one transfer) have reference {text!r}: name one by its id"
            none = f"no payment has id or reference {text!r}: give 8 or more characters of its id (`panel pay ledger`)"
            raise PaymentStateError(many if hits else none)
        return hits[0]

    def _matching(self, key: str) -> list[UUID]:
        """The payments whose reference is ``key``, else (8 characters or more) whose id starts with it: read from
        the accrual and issue events as they stream past, holding only the matches, not the ledger."""
        referenced: dict[UUID, None] = {}  # a payment's reference is the one its latest PaymentIssued gave
        prefixed: list[UUID] = []
        for e in self._events(MATCH_TOPICS):
            if isinstance(e, Payment.Issued):
                if key and e.reference.lower() == key:
                    referenced[e.originator_id] = None
                else:
                    referenced.pop(e.originator_id, None)
            elif len(key) >= 8 and str(e.originator_id).startswith(key):
                prefixed.append(e.originator_id)
        return list(referenced) or prefixed
