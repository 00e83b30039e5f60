"""Participant payments: rate cards, accrual from attendance, approvals, issue, reconciliation, totals."""

from panel.payments.service import Payments, payment_reference

__all__ = ["Payments", "payment_reference"]
