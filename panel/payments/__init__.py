"""Participant payments: rate cards, accrual from attendance, approvals, issue, reconciliation, totals."""

from panel.payments.lifecycle import payment_reference
from panel.payments.service import Payments

__all__ = ["Payments", "payment_reference"]
