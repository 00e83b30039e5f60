"""The finance lifecycle of payment lines: approve (within the budget, four-eyes), issue, reverse,
a voucher's outcome, and reconciliation against a bank statement."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from panel.clock import now
from panel.domain.errors import PanelError, ValidationError
from panel.domain.values import format_pence
from panel.payments import ledger
from panel.payments.base import Outcome, PaymentService
from panel.payments.domain.payment import Payment
from panel.payments.domain.terms import PaymentTerms
from panel.payments.domain.values import ACCRUED
from panel.payments.reconcile import Report, match_statement, parse_statement
from panel.payments.statement_lines import IssuedLines, statement_payments


class BudgetExceededError(PanelError):
    """Raised when an approval would take an engagement over its budget and that was not allowed."""


class Lifecycle(PaymentService):
    """Approve, issue, reverse and reconcile payments; record what became of a voucher."""

    def approve(
        self,
        ids: Sequence[UUID],
        *,
        by: str,
        allow_over_budget: bool = False,
        at: datetime | None = None,
        approved_so_far: Callable[[UUID], int] | None = None,
    ) -> Outcome:
        """Approve payments (all or none); refuses over-budget approvals unless allowed.

        Above the engagement's four-eyes amount an approval is the first of two (``Outcome.first_approved``)
        unless the payment was already approved once by someone else; the budget is checked at both.

        ``approved_so_far(engagement)``, when the wiring gives one (``projections.ledger.approved_pence``), is
        the engagement's approved total read from the ledger view, brought up to date at each call; without
        it the total is folded from every payment event in the store. Either way it is asked again when a
        concurrent approval of the same engagement makes the save retry (``record_approvals``).
        """
        approved = approved_so_far or (lambda eid: ledger.totals(self.lines(engagement=eid)).approved)
        moment = at or now()

        def attempt() -> tuple[list[Any], Outcome]:
            payments = [self._payment(i) for i in dict.fromkeys(ids)]
            outcome = Outcome()
            once: list[Payment] = []
            by_engagement: dict[UUID, list[Payment]] = {}
            for p in payments:
                by_engagement.setdefault(p.engagement_id, []).append(p)
            terms_changed = []
            for eid, group in by_engagement.items():
                terms = self._terms(eid)
                before = approved(eid)
                amount = sum(p.amount_pence for p in group if p.status == ACCRUED)
                over = over_budget(group[0].engagement_ref, terms, before, amount)
                completed: list[Payment] = []
                for p in group:  # four-eyes and state are checked first, on every payment
                    done = p.approve(
                        by=by,
                        four_eyes_above_pence=terms.four_eyes_above_pence,
                        budget_code=terms.budget_code,
                        over_budget=over is not None,
                        at=moment,
                    )
                    (completed if done else once).append(p)
                if over and not allow_over_budget:
                    raise BudgetExceededError(
                        over + ": pass --allow-over-budget to approve anyway, or raise it "
                        "with `panel pay budget set`; nothing was approved"
                    )
                if over:
                    outcome.warnings.append("Warning: " + over)
                outcome.changed += [p.id for p in completed]
                if completed:
                    terms.record_approvals(
                        payments=len(completed),
                        amount_pence=sum(p.amount_pence for p in completed),
                        approved_before_pence=before,
                        over_budget=over is not None,
                        by=by,
                        at=moment,
                    )
                    terms_changed.append(terms)
            outcome.first_approved = [p.id for p in once]
            return [*terms_changed, *payments], outcome

        return self._save(attempt)

    def issue(
        self,
        ids: Sequence[UUID],
        *,
        route: str,
        by: str,
        batch_ref: str | None = None,
        reference: str | None = None,
        at: datetime | None = None,
    ) -> Outcome:
        """Issue approved payments: one transfer per participant, its lines sharing one payment reference.

        The reference is ``PP-`` and 8 hex characters derived from the lines it pays, unless given
        (a given reference must cover one participant's lines).
        """
        moment = at or now()

        def attempt() -> tuple[list[Any], Outcome]:
            payments = [self._payment(i) for i in dict.fromkeys(ids)]
            people: dict[UUID, list[Payment]] = {}
            for p in payments:
                people.setdefault(p.participant_id, []).append(p)
            if reference and len(people) > 1:
                raise ValidationError(
                    "--reference names one transfer: the payments belong to "
                    f"{len(people)} participants; leave it out to get one reference each"
                )
            for group in people.values():
                ref = reference or payment_reference(group)
                for p in group:
                    p.issue(route=route, reference=ref, batch_ref=batch_ref, by=by, at=moment)
            return payments, Outcome(changed=[p.id for p in payments])

        return self._save(attempt)

    def reverse(self, pid: UUID, *, reason: str, by: str, at: datetime | None = None) -> None:
        """Reverse a payment: the correction for a mistake (nothing is ever edited)."""
        self._change(pid, lambda p: p.reverse(reason=reason, by=by, at=at or now()))

    def settle_voucher(
        self, pid: UUID, state: str, *, reason: str | None = None, by: str | None = None, at: datetime | None = None
    ) -> None:
        """Record a voucher redeemed, expired or cancelled (a cancellation needs a reason and who did it)."""
        moment = at or now()
        actions: dict[str, Callable[[Payment], None]] = {
            "redeemed": lambda p: p.mark_redeemed(at=moment),
            "expired": lambda p: p.mark_expired(at=moment),
            "cancelled": lambda p: p.cancel_voucher(reason=reason or "", by=by or "", at=moment),
        }
        self._change(pid, actions[state])

    def _change(self, pid: UUID, action: Callable[[Payment], None]) -> None:
        def attempt() -> tuple[list[Any], None]:
            p = self._payment(pid)
            action(p)
            return [p], None

        self._save(attempt)

    def reconcile(
        self,
        text: str,
        *,
        name: str,
        account: str,
        tolerance_days: int = 3,
        as_of: date | None = None,
        at: datetime | None = None,
        columns: dict[str, str] | None = None,
        issued_lines: IssuedLines | None = None,
    ) -> Report:
        """Match a statement and record each new match; a malformed statement records nothing.

        ``columns`` maps date, amount, reference and payee to the statement's column names. ``issued_lines``
        streams the ledger's issued and reconciled lines in accrual order (the CLI passes the ledger view's,
        ``projections.ledger.IssuedLedger``): only the lines this statement can touch are then held
        (``statement_lines``). Without it, every line is folded from the stored events.
        """
        statement = parse_statement(text, name, columns)
        moment = at or now()

        def attempt() -> tuple[list[Any], Report]:
            payments = self.lines() if issued_lines is None else statement_payments(statement, account, issued_lines)
            report = match_statement(statement, payments, account=account, tolerance_days=tolerance_days, as_of=as_of)
            changed = []
            for m in (m for m in report.matched if m.new):
                for line in m.payments:
                    p = self._payment(line.id)
                    p.reconcile(
                        account=account,
                        statement_line=m.line.key(account),
                        statement_date=m.line.day,
                        amount_pence=line.amount_pence,
                        matched_by=m.matched_by,
                        at=moment,
                    )
                    changed.append(p)
            return changed, report

        return self._save(attempt)


def payment_reference(lines: Sequence[Payment]) -> str:
    """Our reference for one transfer paying these lines of one participant.

    Made from the engagement and participant references and what each line pays for (session
    date, receipt or voucher code), so the same lines always get the same reference, in any store.
    """
    parts = sorted(f"{p.kind}/{p.receipt or p.voucher_code or p.earned_on.isoformat()}" for p in lines)
    text = "|".join([lines[0].engagement_ref, lines[0].participant_ref, *parts])
    return f"PP-{hashlib.sha256(text.encode()).hexdigest()[:8].upper()}"


def over_budget(engagement_ref: str, terms: PaymentTerms, before: int, amount: int) -> str | None:
    """Why approving ``amount`` on top of ``before`` takes the engagement over its budget, or None."""
    if terms.budget_pence is None or before + amount <= terms.budget_pence:
        return None
    return (
        f"approving these takes {engagement_ref} to {format_pence(before + amount)}, over its budget "
        f"{format_pence(terms.budget_pence)} (code {terms.budget_code})"
    )
