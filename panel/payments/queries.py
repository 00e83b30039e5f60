"""Reading payments: one payment and its history as a plain record, and finding a payment from what people type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from panel.payments.base import PaymentService
from panel.payments.domain.values import PaymentStateError


@dataclass(frozen=True)
class PaymentRecord:
    """One payment line and its history, as `panel pay show` shows it (plain values; amounts in pence).

    Each history entry has the ``status`` it reached, ``by`` whom and ``at`` what time, and the
    details of that step (a reason, the route and reference, the four-eyes amount ...).
    """

    id: UUID
    engagement_id: UUID
    engagement_ref: str
    participant_id: UUID
    participant_ref: str
    kind: str
    category: str
    earned_on: date
    gross_pence: int
    amount_pence: int
    status: str
    reference: str | None
    history: tuple[dict[str, Any], ...]


class PaymentQueries(PaymentService):
    """One payment as a record; a payment from its id, an id prefix or our reference."""

    def payment(self, pid: UUID) -> PaymentRecord:
        p = self._payment(pid)
        return PaymentRecord(
            id=p.id,
            engagement_id=p.engagement_id,
            engagement_ref=p.engagement_ref,
            participant_id=p.participant_id,
            participant_ref=p.participant_ref,
            kind=p.kind,
            category=p.category,
            earned_on=p.earned_on,
            gross_pence=p.gross_pence,
            amount_pence=p.amount_pence,
            status=p.status,
            reference=p.reference,
            history=tuple(dict(entry) for entry in p.history),
        )

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
