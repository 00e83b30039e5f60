"""Reading payments: one payment line and its history as a plain record, and finding a payment from what people type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from panel.payments import ledger
from panel.payments.base import PaymentService
from panel.payments.domain.values import PaymentStateError
from panel.payments.ledger import LedgerLine


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

    def resolve(self, text: str) -> UUID:
        """A payment from its id, an id prefix of at least 8 characters, or our payment reference."""
        key = text.strip().lower()
        try:
            return UUID(key)
        except ValueError:
            pass
        lines = self.lines()
        hits = [line.id for line in lines if (line.reference or "").lower() == key]
        if not hits and len(key) >= 8:
            hits = [line.id for line in lines if str(line.id).startswith(key)]
        if len(hits) != 1:
            many = f"{len(hits)} payments (one transfer) have reference {text!r}: name one by its id"
            none = f"no payment has id or reference {text!r}: give 8 or more characters of its id (`panel pay ledger`)"
            raise PaymentStateError(many if hits else none)
        return hits[0]
