"""The ledger as a pure fold over payment events: one row per payment line, and totals over rows.

Both the service (a full fold over the stored payment events) and the ledger view in
``projections/ledger.py`` (an incremental fold written with its tracking position) use ``apply``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from panel.payments.domain.payment import Payment
from panel.payments.domain.values import (
    ACCRUED,
    APPROVED,
    CANCELLED,
    DECLINED,
    ISSUED,
    RECONCILED,
    REVERSED,
)
from panel.payments.rules import tax_year_start

PAYMENT_TOPICS = [
    get_topic(cls)
    for cls in (
        Payment.Accrued,
        Payment.Declined,
        Payment.Reduced,
        Payment.FirstApproved,
        Payment.Approved,
        Payment.Issued,
        Payment.Reconciled,
        Payment.Reversed,
        Payment.Redeemed,
        Payment.Expired,
        Payment.Cancelled,
    )
]
LIVE = (ACCRUED, APPROVED, ISSUED, RECONCILED)


@dataclass(frozen=True)
class LedgerLine:
    """One payment line as the ledger shows it (plain values; amounts in integer pence)."""

    id: UUID
    engagement_id: UUID
    engagement_ref: str
    participant_id: UUID
    participant_ref: str
    kind: str
    category: str
    earned_on: date
    quantity: str
    gross_pence: int
    amount_pence: int
    status: str
    receipt: str | None = None
    voucher_code: str | None = None
    voucher_state: str | None = None
    rate_card: str | None = None
    budget_code: str | None = None
    created_by: str = ""
    accrued_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    over_budget: bool = False
    route: str | None = None
    reference: str | None = None
    batch_ref: str | None = None
    issued_at: datetime | None = None
    statement_line: str | None = None
    statement_date: date | None = None
    reconciled_at: datetime | None = None
    reason: str | None = None
    closed_at: datetime | None = None

    @property
    def is_income(self) -> bool:
        """Fees and vouchers are income for tax and benefits; reimbursed expenses are not."""
        return self.kind != "expense"

    @property
    def income_date(self) -> date:
        """Income counts when it is paid (issued), or when it was earned if not yet paid."""
        return self.issued_at.date() if self.issued_at else self.earned_on

    @property
    def tax_year(self) -> int:
        return tax_year_start(self.income_date)

    @property
    def awaiting_second_approval(self) -> bool:
        """Approved once, above the four-eyes amount: a second, different approver is needed."""
        return self.status == ACCRUED and self.approved_by is not None

    def live_amount(self) -> int:
        return self.amount_pence if self.status in LIVE else 0


FIELDS = tuple(f.name for f in fields(LedgerLine))


def apply(rows: dict[UUID, dict[str, Any]], e: DomainEventProtocol[Any]) -> UUID | None:
    """Fold one payment event into ``rows`` (id -> field dict); returns the changed line id, if any."""
    if isinstance(e, Payment.Accrued):
        rows[e.originator_id] = {
            "id": e.originator_id,
            "engagement_id": e.engagement_id,
            "engagement_ref": e.engagement_ref,
            "participant_id": e.participant_id,
            "participant_ref": e.participant_ref,
            "kind": e.kind,
            "category": e.category,
            "earned_on": e.earned_on,
            "quantity": e.quantity,
            "gross_pence": e.gross_pence,
            "amount_pence": e.gross_pence,
            "status": ACCRUED,
            "receipt": e.receipt,
            "voucher_code": e.voucher_code,
            "voucher_state": None,
            "rate_card": e.rate_card,
            "budget_code": e.budget_code,
            "created_by": e.created_by,
            "accrued_at": e.at,
            "approved_by": None,
            "approved_at": None,
            "over_budget": False,
            "route": None,
            "reference": None,
            "batch_ref": None,
            "issued_at": None,
            "statement_line": None,
            "statement_date": None,
            "reconciled_at": None,
            "reason": None,
            "closed_at": None,
        }
        return e.originator_id
    row = rows.get(e.originator_id)
    if row is None:
        return None
    if isinstance(e, Payment.Declined):
        row.update(amount_pence=0, status=DECLINED, reason=e.reason, closed_at=e.at)
    elif isinstance(e, Payment.Reduced):
        row.update(amount_pence=e.amount_pence, reason=e.reason)
    elif isinstance(e, Payment.FirstApproved):  # still accrued: approved_by names the first of two approvers
        row.update(approved_by=e.by, approved_at=e.at)
    elif isinstance(e, Payment.Approved):
        row.update(
            status=APPROVED,
            approved_by=e.by,
            approved_at=e.at,
            over_budget=e.over_budget,
            budget_code=e.budget_code or row["budget_code"],
        )
    elif isinstance(e, Payment.Issued):
        row.update(status=ISSUED, route=e.route, reference=e.reference, batch_ref=e.batch_ref, issued_at=e.at)
    elif isinstance(e, Payment.Reconciled):
        row.update(
            status=RECONCILED, statement_line=e.statement_line, statement_date=e.statement_date, reconciled_at=e.at
        )
    elif isinstance(e, Payment.Reversed):
        row.update(status=REVERSED, reason=e.reason, closed_at=e.at)
    elif isinstance(e, Payment.Redeemed):
        row.update(voucher_state="redeemed")
    elif isinstance(e, Payment.Expired):
        row.update(voucher_state="expired")
    elif isinstance(e, Payment.Cancelled):
        row.update(status=CANCELLED, voucher_state="cancelled", reason=e.reason, closed_at=e.at)
    else:
        return None
    return e.originator_id


def to_line(row: dict[str, Any]) -> LedgerLine:
    return LedgerLine(**{name: row[name] for name in FIELDS})


@dataclass(frozen=True)
class Totals:
    """Money by stage, in pence. accrued = pending + approved; issued and reconciled are parts of approved."""

    lines: int
    gross: int
    accrued: int
    pending: int
    approved: int
    issued: int
    reconciled: int
    expenses: int
    income: int

    @property
    def outstanding(self) -> int:
        """Approved but not yet issued."""
        return self.approved - self.issued


def add_totals(a: Totals, b: Totals) -> Totals:
    """The totals of two sets of lines together (so a reader can fold groups a line at a time)."""
    return Totals(*(getattr(a, f.name) + getattr(b, f.name) for f in fields(Totals)))


def totals(lines: Iterable[LedgerLine]) -> Totals:
    count = gross = accrued = pending = approved = issued = reconciled = expenses = income = 0
    for line in lines:
        count += 1
        live = line.live_amount()
        gross += line.gross_pence if line.status not in (REVERSED, CANCELLED) else 0
        accrued += live
        pending += live if line.status == ACCRUED else 0
        approved += live if line.status in (APPROVED, ISSUED, RECONCILED) else 0
        issued += live if line.status in (ISSUED, RECONCILED) else 0
        reconciled += live if line.status == RECONCILED else 0
        expenses += live if not line.is_income else 0
        income += live if line.is_income else 0
    return Totals(count, gross, accrued, pending, approved, issued, reconciled, expenses, income)
