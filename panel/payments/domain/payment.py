"""Payments: rate cards, an engagement's payment terms and one aggregate per payment line.

Money is integer pence. A payment line never changes silently: every change is an event
(accrued, declined, reduced, approved, issued, reconciled, reversed, voucher redeemed, expired,
cancelled) and a correction is a reversal with a reason, never an edit. Public methods validate
first, then trigger one private ``@event`` method whose body only records the fact.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import PanelError, ValidationError
from panel.domain.event_types import Created, Event
from panel.domain.money import MAX_LINE_PENCE, require_amount
from panel.domain.values import require_choice, require_utc
from panel.payments.domain.four_eyes import FourEyesError as FourEyesError  # re-exported: raised by approve and issue
from panel.payments.domain.four_eyes import check_approver, check_issuer, needs_two_approvals

PAYMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/payment")
UNITS = ("hour", "half_day", "day", "session", "task")
KINDS = ("involvement_fee", "expense", "voucher")
EXPENSE_CATEGORIES = ("travel", "childcare", "carer", "subsistence", "accessibility")
ROUTES = ("bank_transfer", "payroll", "voucher", "cash")
ACCRUED, DECLINED, APPROVED, ISSUED, RECONCILED, REVERSED, CANCELLED = (
    "accrued",
    "declined",
    "approved",
    "issued",
    "reconciled",
    "reversed",
    "cancelled",
)


class PaymentStateError(PanelError):
    """Raised when a payment command does not follow from the payment's history."""


class BudgetExceededError(PanelError):
    """Raised when an approval would take an engagement over its budget and that was not allowed."""


class StatementFormatError(PanelError):
    """Raised when a bank statement file is malformed; nothing is recorded."""


def payment_id(engagement_id: UUID, participant_id: UUID, kind: str, key: str) -> UUID:
    """Deterministic line id, so accruing or claiming the same thing twice is a no-op."""
    return uuid5(PAYMENT_NAMESPACE, f"{engagement_id.hex}/{participant_id.hex}/{kind}/{key}")


def require_text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise ValidationError(f"{what} is empty: {'name who does it' if what == '--by' else 'give a value'}")
    return value.strip()


VOUCHER_OUTCOMES = ("redeemed", "expired", "cancelled")  # what can happen to an issued voucher


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
        self.receipt, self.voucher_code, self.rate_card, self.budget_code = (
            receipt,
            voucher_code,
            rate_card,
            budget_code,
        )
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
    def accrue(
        cls,
        *,
        id: UUID,
        engagement_id: UUID,
        engagement_ref: str,
        participant_id: UUID,
        participant_ref: str,
        kind: str,
        category: str,
        earned_on: date,
        quantity: str,
        gross_pence: int,
        created_by: str,
        at: datetime,
        receipt: str | None = None,
        voucher_code: str | None = None,
        rate_card: str | None = None,
        budget_code: str | None = None,
    ) -> Payment:
        require_choice(kind, KINDS, "payment kind")
        if kind == "expense":
            require_choice(category, EXPENSE_CATEGORIES, "expense category (--category)")
            receipt = require_text(receipt, "--receipt")
        if kind == "voucher":
            voucher_code = require_text(voucher_code, "--code")
        if require_amount(gross_pence, "amount", ceiling=MAX_LINE_PENCE) == 0:
            raise ValidationError("amount £0.00 must be more than zero: give it in pounds, e.g. 12.40")
        return cls._create(
            cls.Accrued,
            id=id,
            engagement_id=engagement_id,
            engagement_ref=engagement_ref,
            participant_id=participant_id,
            participant_ref=participant_ref,
            kind=kind,
            category=category,
            earned_on=earned_on,
            quantity=quantity,
            gross_pence=gross_pence,
            receipt=receipt,
            voucher_code=voucher_code,
            rate_card=rate_card,
            budget_code=budget_code,
            created_by=require_text(created_by, "--by"),
            at=require_utc(at),
        )

    @property
    def label(self) -> str:
        return f"payment {str(self.id)[:8]} ({self.kind} {self.participant_ref} {self.earned_on})"

    def _require(self, allowed: tuple[str, ...], action: str) -> None:
        if self.status not in allowed:
            raise PaymentStateError(
                f"{self.label} cannot be {action}: it is {self.status} "
                f"(needs {' or '.join(allowed)}); see `panel pay show {self.id}`"
            )

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
        if not 0 < amount_pence < self.amount_pence:
            raise ValidationError(
                f"{self.label}: a reduced amount must be above 0 and below {self.amount_pence}p "
                f"(got {amount_pence}p); to take nothing use `panel pay decline`"
            )
        self._reduce(
            amount_pence=amount_pence,
            reason=require_text(reason, "--reason"),
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

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
            self._first_approve(
                by=by, amount_pence=self.amount_pence, four_eyes_above_pence=four_eyes_above_pence, at=require_utc(at)
            )
            return False
        self._approve(
            by=by, amount_pence=self.amount_pence, budget_code=budget_code, over_budget=over_budget, at=require_utc(at)
        )
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
        if (self.kind == "voucher") != (route == "voucher"):
            raise ValidationError(f"{self.label}: vouchers go by --route voucher and only vouchers do")
        self._issue(
            route=route,
            reference=require_text(reference, "--reference"),
            batch_ref=batch_ref,
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

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
        if amount_pence != self.amount_pence:
            raise PaymentStateError(
                f"{self.label} is for {self.amount_pence}p, the statement line for "
                f"{amount_pence}p: resolve the mismatch before reconciling"
            )
        self._reconcile(
            account=account,
            statement_line=statement_line,
            statement_date=statement_date,
            amount_pence=amount_pence,
            matched_by=matched_by,
            at=require_utc(at),
        )

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
    def _require_voucher(self, action: str) -> None:
        if self.kind != "voucher":
            raise PaymentStateError(f"{self.label} is not a voucher: it cannot be {action}")
        if self.voucher_state is not None:
            raise PaymentStateError(f"voucher {self.voucher_code} was already {self.voucher_state}")

    def mark_redeemed(self, *, at: datetime) -> None:
        self._require_voucher("redeemed")
        self._require((ISSUED, RECONCILED), "redeemed")
        self._redeemed(at=require_utc(at))

    @event(Redeemed)
    def _redeemed(self, at: datetime) -> None:
        self.voucher_state = "redeemed"

    def mark_expired(self, *, at: datetime) -> None:
        self._require_voucher("expired")
        self._require((ISSUED, RECONCILED), "expired")
        self._expired(at=require_utc(at))

    @event(Expired)
    def _expired(self, at: datetime) -> None:
        self.voucher_state = "expired"

    def cancel_voucher(self, *, reason: str, by: str, at: datetime) -> None:
        """Cancel an unredeemed voucher: it no longer counts as paid."""
        self._require_voucher("cancelled")
        self._require((ACCRUED, APPROVED, ISSUED, RECONCILED), "cancelled")
        self._cancel(reason=require_text(reason, "--reason"), by=require_text(by, "--by"), at=require_utc(at))

    @event(Cancelled)
    def _cancel(self, reason: str, by: str, at: datetime) -> None:
        self.status, self.voucher_state = CANCELLED, "cancelled"
        self.history.append({"status": CANCELLED, "by": by, "at": at, "reason": reason})
