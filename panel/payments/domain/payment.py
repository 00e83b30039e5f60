"""Payments: rate cards, an engagement's payment terms and one aggregate per payment line.

Money is integer pence. A payment line never changes silently: every change is an event
(accrued, declined, reduced, approved, issued, reconciled, reversed, voucher redeemed, expired,
cancelled) and a correction is a reversal with a reason, never an edit. Public methods validate
first, then trigger one private ``@event`` method whose body only records the fact.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Unpack
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from panel.domain.event_types import Created, Event
from panel.domain.values import require_choice, require_utc
from panel.payments.domain.four_eyes import FourEyesError as FourEyesError  # re-exported: raised by approve and issue
from panel.payments.domain.four_eyes import check_approver, check_issuer, needs_two_approvals
from panel.payments.domain.values import (
    ACCRUED,
    APPROVED,
    CANCELLED,
    DECLINED,
    ISSUED,
    RECONCILED,
    REVERSED,
    ROUTES,
    NewLine,
    check_reconciled_amount,
    check_reduced,
    check_voucher,
    check_voucher_route,
    checked_line,
    require_status,
    require_text,
)


class Payment(Aggregate):
    """One payment line for one participant in one engagement: a session's fee, an expense or a voucher."""

    class Accrued(Created):
        engagement_id: UUID
        engagement_ref: str
        participant_id: UUID
        participant_ref: str
        kind: str
        category: str
        earned_on: date
        quantity: str
        gross_pence: int
        receipt: str | None
        voucher_code: str | None
        rate_card: str | None
        budget_code: str | None
        created_by: str
        at: datetime

    class Declined(Event):
        reason: str
        by: str
        at: datetime

    class Reduced(Event):
        amount_pence: int
        reason: str
        by: str
        at: datetime

    class FirstApproved(Event):
        """The first of the two approvals a payment above the four-eyes amount needs."""

        by: str
        amount_pence: int
        four_eyes_above_pence: int
        at: datetime

    class Approved(Event):
        by: str
        amount_pence: int
        budget_code: str | None
        over_budget: bool
        at: datetime

    class Issued(Event):
        route: str
        reference: str
        batch_ref: str | None
        by: str
        at: datetime

    class Reconciled(Event):
        account: str
        statement_line: str
        statement_date: date
        amount_pence: int
        matched_by: str
        at: datetime

    class Reversed(Event):
        reason: str
        by: str
        at: datetime

    class Redeemed(Event):
        at: datetime

    class Expired(Event):
        at: datetime

    class Cancelled(Event):
        reason: str
        by: str
        at: datetime

    @event(Accrued)
    def __init__(
        self,
        engagement_id: UUID,
        engagement_ref: str,
        participant_id: UUID,
        participant_ref: str,
        kind: str,
        category: str,
        earned_on: date,
        quantity: str,
        gross_pence: int,
        receipt: str | None,
        voucher_code: str | None,
        rate_card: str | None,
        budget_code: str | None,
        created_by: str,
        at: datetime,
    ) -> None:
        self.engagement_id, self.engagement_ref = engagement_id, engagement_ref
        self.participant_id, self.participant_ref = participant_id, participant_ref
        self.kind, self.category, self.earned_on, self.quantity = kind, category, earned_on, quantity
        self.gross_pence = self.amount_pence = gross_pence
        self.receipt, self.voucher_code = receipt, voucher_code
        self.rate_card, self.budget_code = rate_card, budget_code
        self.created_by = created_by
        self.status = ACCRUED
        self.history: list[dict[str, Any]] = [{"status": ACCRUED, "by": created_by, "at": at}]
        self.route: str | None = None
        self.reference: str | None = None
        self.statement_line: str | None = None
        self.voucher_state: str | None = None
        self.first_approved_by: str | None = None
        self.approved_by: str | None = None

    @classmethod
    def accrue(cls, *, id: UUID, **line: Unpack[NewLine]) -> Payment:
        """A new line, accrued: its kind, category, amount and who created it are checked first."""
        return cls._create(cls.Accrued, id=id, **checked_line(line))

    @property
    def label(self) -> str:
        return f"payment {str(self.id)[:8]} ({self.kind} {self.participant_ref} {self.earned_on})"

    def _require(self, allowed: tuple[str, ...], action: str) -> None:
        require_status(self.label, self.status, allowed, action, str(self.id))

    # -- the participant's choice -----------------------------------------------------------
    def decline(self, *, reason: str, by: str, at: datetime) -> None:
        self._require((ACCRUED, APPROVED), "declined")
        self._decline(reason=require_text(reason, "--reason"), by=require_text(by, "--by"), at=require_utc(at))

    @event(Declined)
    def _decline(self, reason: str, by: str, at: datetime) -> None:
        self.amount_pence, self.status = 0, DECLINED
        self.history.append({"status": DECLINED, "by": by, "at": at, "reason": reason})

    def reduce(self, *, amount_pence: int, reason: str, by: str, at: datetime) -> None:
        self._require((ACCRUED, APPROVED), "reduced")
        check_reduced(self.label, self.amount_pence, amount_pence)
        self._reduce(amount_pence, require_text(reason, "--reason"), require_text(by, "--by"), require_utc(at))

    @event(Reduced)
    def _reduce(self, amount_pence: int, reason: str, by: str, at: datetime) -> None:
        self.amount_pence = amount_pence
        self.history.append({"status": self.status, "by": by, "at": at, "reason": reason, "amount": amount_pence})

    # -- the finance lifecycle --------------------------------------------------------------
    def approval_completes(self, four_eyes_above_pence: int) -> bool:
        """True if one more approval makes this payment approved (False: it would be its first of two)."""
        return self.first_approved_by is not None or not needs_two_approvals(self.amount_pence, four_eyes_above_pence)

    def approve(
        self, *, by: str, four_eyes_above_pence: int, budget_code: str | None, over_budget: bool, at: datetime
    ) -> bool:
        """Record an approval; returns True when the payment is now approved, False after a first approval of two."""
        self._require((ACCRUED,), "approved")
        by = require_text(by, "--by")
        check_approver(
            self.label,
            by=by,
            created_by=self.created_by,
            first_approved_by=self.first_approved_by,
            amount_pence=self.amount_pence,
            four_eyes_above_pence=four_eyes_above_pence,
        )
        if not self.approval_completes(four_eyes_above_pence):
            self._first_approve(by, self.amount_pence, four_eyes_above_pence, require_utc(at))
            return False
        self._approve(by, self.amount_pence, budget_code, over_budget, require_utc(at))
        return True

    @event(FirstApproved)
    def _first_approve(self, by: str, amount_pence: int, four_eyes_above_pence: int, at: datetime) -> None:
        self.first_approved_by = by
        self.history.append({"status": "first approval", "by": by, "at": at, "four_eyes_above": four_eyes_above_pence})

    @event(Approved)
    def _approve(self, by: str, amount_pence: int, budget_code: str | None, over_budget: bool, at: datetime) -> None:
        self.status, self.budget_code, self.approved_by = APPROVED, budget_code or self.budget_code, by
        self.history.append({"status": APPROVED, "by": by, "at": at, "over_budget": over_budget})

    def issue(self, *, route: str, reference: str, batch_ref: str | None, by: str, at: datetime) -> None:
        self._require((APPROVED,), "issued")
        require_choice(route, ROUTES, "payment route (--route)")
        check_issuer(self.label, by=require_text(by, "--by"), approvers=(self.first_approved_by, self.approved_by))
        check_voucher_route(self.label, self.kind, route)
        reference, by = require_text(reference, "--reference"), require_text(by, "--by")
        self._issue(route, reference, batch_ref, by, require_utc(at))

    @event(Issued)
    def _issue(self, route: str, reference: str, batch_ref: str | None, by: str, at: datetime) -> None:
        self.status, self.route, self.reference = ISSUED, route, reference
        self.history.append(
            {"status": ISSUED, "by": by, "at": at, "route": route, "reference": reference, "batch_ref": batch_ref}
        )

    def reconcile(
        self,
        *,
        account: str,
        statement_line: str,
        statement_date: date,
        amount_pence: int,
        matched_by: str,
        at: datetime,
    ) -> None:
        self._require((ISSUED,), "reconciled")
        check_reconciled_amount(self.label, self.amount_pence, amount_pence)
        self._reconcile(account, statement_line, statement_date, amount_pence, matched_by, require_utc(at))

    @event(Reconciled)
    def _reconcile(
        self, account: str, statement_line: str, statement_date: date, amount_pence: int, matched_by: str, at: datetime
    ) -> None:
        self.status, self.statement_line = RECONCILED, statement_line
        self.history.append(
            {"status": RECONCILED, "by": "reconcile", "at": at, "account": account, "statement_date": statement_date}
        )

    def reverse(self, *, reason: str, by: str, at: datetime) -> None:
        self._require((ACCRUED, DECLINED, APPROVED, ISSUED, RECONCILED), "reversed")
        self._reverse(reason=require_text(reason, "--reason"), by=require_text(by, "--by"), at=require_utc(at))

    @event(Reversed)
    def _reverse(self, reason: str, by: str, at: datetime) -> None:
        self.status = REVERSED
        self.history.append({"status": REVERSED, "by": by, "at": at, "reason": reason})

    # -- vouchers -----------------------------------------------------------------------------
    def _require_voucher(self, allowed: tuple[str, ...], action: str) -> None:
        check_voucher(self.label, self.kind, self.voucher_code, self.voucher_state, action)
        self._require(allowed, action)

    def mark_redeemed(self, *, at: datetime) -> None:
        self._require_voucher((ISSUED, RECONCILED), "redeemed")
        self._redeemed(at=require_utc(at))

    @event(Redeemed)
    def _redeemed(self, at: datetime) -> None:
        self.voucher_state = "redeemed"

    def mark_expired(self, *, at: datetime) -> None:
        self._require_voucher((ISSUED, RECONCILED), "expired")
        self._expired(at=require_utc(at))

    @event(Expired)
    def _expired(self, at: datetime) -> None:
        self.voucher_state = "expired"

    def cancel_voucher(self, *, reason: str, by: str, at: datetime) -> None:
        """Cancel an unredeemed voucher: it no longer counts as paid."""
        self._require_voucher((ACCRUED, APPROVED, ISSUED, RECONCILED), "cancelled")
        self._cancel(reason=require_text(reason, "--reason"), by=require_text(by, "--by"), at=require_utc(at))

    @event(Cancelled)
    def _cancel(self, reason: str, by: str, at: datetime) -> None:
        self.status, self.voucher_state = CANCELLED, "cancelled"
        self.history.append({"status": CANCELLED, "by": by, "at": at, "reason": reason})
