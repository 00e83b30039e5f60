"""Reading payments: one payment, and finding a payment from what people type."""

from __future__ import annotations

from uuid import UUID

from panel.payments.base import PaymentService
from panel.payments.domain.payment import Payment
from panel.payments.domain.values import PaymentStateError


class PaymentQueries(PaymentService):
    """One payment; a payment from its id, an id prefix or our reference."""

    def payment(self, pid: UUID) -> Payment:
        return self._payment(pid)

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
