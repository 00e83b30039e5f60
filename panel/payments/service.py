"""The payments service: commands over payment lines, terms and rate cards, saved through the panel app.

Same event store and notification log as the rest of the panel. Each command loads what it
needs, validates everything, then saves once (atomically), retrying if another writer won.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from panel.clock import now
from panel.domain.engagement import Engagement
from panel.domain.errors import PanelError, ValidationError
from panel.domain.participant import Participant
from panel.domain.values import format_pence
from panel.payments import ledger
from panel.payments.domain.payment import Payment
from panel.payments.domain.terms import PaymentTerms, RateCard, rate_card_id, terms_id
from panel.payments.domain.values import ACCRUED, APPROVED, ISSUED, RECONCILED, PaymentStateError, payment_id
from panel.payments.ledger import PAYMENT_TOPICS, LedgerLine
from panel.payments.reconcile import Report, match_statement, parse_statement
from panel.payments.rules import allocate_cap, session_fee
from panel.store.conflicts import retrying

T = TypeVar("T")
FEE = "involvement_fee"
ATTENDED_TOPIC = get_topic(Participant.Attended)


@dataclass
class Outcome:
    """What a command did: lines it changed or created, lines left as they were, warnings to show."""

    changed: list[UUID] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    first_approved: list[UUID] = field(default_factory=list)  # approved once; each needs a second approver


class BudgetExceededError(PanelError):
    """Raised when an approval would take an engagement over its budget and that was not allowed."""


if TYPE_CHECKING:
    from panel.application import PanelApp


class Payments:
    """Payment commands and queries over a PanelApp's event store."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    # -- loading ----------------------------------------------------------------------------
    def _get(self, aggregate_id: UUID, cls: type[T]) -> T | None:
        try:
            aggregate: Any = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            raise ValidationError(f"{aggregate_id} is not a {cls.__name__}")
        return aggregate

    def payment(self, pid: UUID) -> Payment:
        found = self._get(pid, Payment)
        if found is None:
            raise PaymentStateError(f"no payment has id {pid}: list them with `panel pay ledger`")
        return found

    def terms(self, eid: UUID) -> PaymentTerms:
        """The engagement's payment terms (new, unsaved terms if none were recorded yet)."""
        self.app.load(eid, Engagement)
        return self._get(terms_id(eid), PaymentTerms) or PaymentTerms.agree(engagement_id=eid, at=now())

    def _save(self, attempt: Callable[[], tuple[list[Any], T]]) -> T:
        """Load, decide and save once; again from a fresh load if another writer won or the store was busy."""

        def once() -> T:
            aggregates, result = attempt()
            if aggregates:
                self.app.save(*aggregates)
            return result

        return retrying(once, what="payments")

    # -- rate cards, budgets ------------------------------------------------------------------
    def publish_rate_card(
        self, *, name: str, unit: str, amount_pence: int, by: str, hours_per_day: int = 6, at: datetime | None = None
    ) -> int:
        """Publish a new rate card (version 1) or revise it (next version); returns the version."""

        def attempt() -> tuple[list[Any], int]:
            card = self._get(rate_card_id(name.strip()), RateCard)
            if card is None:
                card = RateCard.publish(
                    name=name, unit=unit, amount_pence=amount_pence, by=by, hours_per_day=hours_per_day, at=at or now()
                )
            else:
                card.revise(unit=unit, amount_pence=amount_pence, by=by, hours_per_day=hours_per_day, at=at or now())
            return [card], len(card.rates)

        return self._save(attempt)

    def rate_card(self, name: str) -> RateCard:
        card = self._get(rate_card_id(name.strip()), RateCard)
        if card is None:
            raise ValidationError(f"no rate card is named {name!r}: publish it with `panel pay rate-card set`")
        return card

    def assign_rate_card(
        self, eid: UUID, *, name: str, version: int | None, by: str, at: datetime | None = None
    ) -> dict[str, Any]:
        def attempt() -> tuple[list[Any], dict[str, Any]]:
            terms = self.terms(eid)
            terms.assign_rate_card(card=self.rate_card(name), version=version, by=by, at=at or now())
            return [terms], dict(terms.rate or {})

        return self._save(attempt)

    def set_budget(
        self,
        eid: UUID,
        *,
        code: str,
        amount_pence: int,
        four_eyes_above_pence: int,
        by: str,
        at: datetime | None = None,
    ) -> None:
        def attempt() -> tuple[list[Any], None]:
            terms = self.terms(eid)
            terms.set_budget(
                code=code, amount_pence=amount_pence, four_eyes_above_pence=four_eyes_above_pence, by=by, at=at or now()
            )
            return [terms], None

        self._save(attempt)

    # -- accrual --------------------------------------------------------------------------------
    def accrue(self, eid: UUID, *, by: str, at: datetime | None = None) -> Outcome:
        """Accrue the involvement fee of every attended session not yet accrued (idempotent)."""
        engagement = self.app.load(eid, Engagement)
        moment = at or now()

        def attempt() -> tuple[list[Any], Outcome]:
            terms = self.terms(eid)
            rate = terms.rate or {
                "unit": "day",
                "amount_pence": engagement.day_rate_pence,
                "hours_per_day": 6,
                "rate_card": None,
            }
            card = f"{rate['rate_card']} v{rate['version']}" if rate.get("rate_card") else "engagement day rate"
            outcome, fresh = Outcome(), []
            for pid in self._attendees(eid):
                person = self.app.load(pid, Participant)
                record = person.participations.get(eid.hex)
                new = []
                for iso, half_day in (record or {}).get("attended", []):
                    line_id = payment_id(eid, pid, FEE, iso)
                    if self.app.recorder.select_events(line_id, limit=1):
                        outcome.unchanged += 1
                        continue
                    amount, quantity = session_fee(rate["unit"], rate["amount_pence"], half_day, rate["hours_per_day"])
                    if amount == 0:
                        continue
                    new.append(
                        Payment.accrue(
                            id=line_id,
                            engagement_id=eid,
                            engagement_ref=engagement.ref,
                            participant_id=pid,
                            participant_ref=person.external_ref,
                            kind=FEE,
                            category=rate["unit"],
                            earned_on=date.fromisoformat(iso),
                            quantity=quantity,
                            gross_pence=amount,
                            rate_card=card,
                            budget_code=terms.budget_code,
                            created_by=by,
                            at=moment,
                        )
                    )
                choice = terms.choices.get(pid.hex)
                if new and choice:
                    self._apply_choice(eid, pid, new, choice, by, moment)
                fresh += new
            outcome.changed = [p.id for p in fresh]
            return fresh, outcome

        return self._save(attempt)

    def _attendees(self, eid: UUID) -> list[UUID]:
        """Participants with recorded attendance at the engagement, from the Attended events only."""
        found: dict[UUID, None] = {}
        for e in self._events([ATTENDED_TOPIC]):
            if e.engagement_id == eid:
                found[e.originator_id] = None
        return list(found)

    def _fee_lines(self, eid: UUID, pid: UUID) -> list[Payment]:
        person = self.app.load(pid, Participant)
        record = person.participations.get(eid.hex) or {}
        found = (self._get(payment_id(eid, pid, FEE, iso), Payment) for iso, _ in record.get("attended", []))
        return sorted((p for p in found if p is not None), key=lambda p: p.earned_on)

    def _apply_choice(
        self, eid: UUID, pid: UUID, lines: list[Payment], choice: dict[str, Any], by: str, at: datetime
    ) -> list[Payment]:
        """Apply a decline or a lower total to the open fee lines; earlier lines are kept first."""
        reason = choice["reason"]
        open_ = [p for p in lines if p.status in (ACCRUED, APPROVED)]
        known = {p.id for p in lines}
        fixed = sum(
            p.amount_pence
            for p in self._fee_lines(eid, pid)
            if p.id not in known and p.status in (ACCRUED, APPROVED, ISSUED, RECONCILED)
        )
        fixed += sum(p.amount_pence for p in lines if p.status in (ISSUED, RECONCILED))
        shares = allocate_cap([p.amount_pence for p in open_], choice["cap_pence"] - fixed)
        changed = []
        for line, share in zip(open_, shares, strict=False):
            if share == line.amount_pence:
                continue
            if share == 0:
                note = (
                    reason
                    if choice["choice"] == "declined"
                    else f"within a lower total of {format_pence(choice['cap_pence'])}: {reason}"
                )
                line.decline(reason=note, by=by, at=at)
            else:
                line.reduce(amount_pence=share, reason=reason, by=by, at=at)
            changed.append(line)
        return changed

    def vary_fee(
        self, eid: UUID, pid: UUID, *, cap_pence: int | None, reason: str, by: str, at: datetime | None = None
    ) -> Outcome:
        """Record a decline (``cap_pence`` None) or a lower total, and apply it to unissued fee lines.

        The attendance record is never touched; lines already issued stay as they are.
        """
        moment = at or now()

        def attempt() -> tuple[list[Any], Outcome]:
            terms = self.terms(eid)
            self.app.load(pid, Participant)
            if cap_pence is None:
                terms.decline_fee(participant_id=pid, reason=reason, by=by, at=moment)
            else:
                lines = self._fee_lines(eid, pid)
                current = sum(p.amount_pence for p in lines if p.status in (ACCRUED, APPROVED, ISSUED, RECONCILED))
                if lines and cap_pence >= current:
                    raise ValidationError(
                        f"the fee so far is {format_pence(current)}: a lower amount must be "
                        f"below it (got {format_pence(cap_pence)})"
                    )
                terms.reduce_fee(participant_id=pid, cap_pence=cap_pence, reason=reason, by=by, at=moment)
            changed = self._apply_choice(eid, pid, self._fee_lines(eid, pid), terms.choices[pid.hex], by, moment)
            return [terms, *changed], Outcome(changed=[p.id for p in changed])

        return self._save(attempt)

    # -- claims and vouchers ---------------------------------------------------------------------
    def claim_expense(
        self,
        eid: UUID,
        pid: UUID,
        *,
        category: str,
        amount_pence: int,
        receipt: str,
        by: str,
        spent_on: date | None = None,
        at: datetime | None = None,
    ) -> UUID:
        return self._new_line(
            eid,
            pid,
            kind="expense",
            key=receipt.strip(),
            category=category,
            amount_pence=amount_pence,
            by=by,
            at=at,
            earned_on=spent_on,
            receipt=receipt,
        )

    def add_voucher(
        self, eid: UUID, pid: UUID, *, code: str, face_value_pence: int, by: str, at: datetime | None = None
    ) -> UUID:
        return self._new_line(
            eid,
            pid,
            kind="voucher",
            key=code.strip(),
            category="voucher",
            amount_pence=face_value_pence,
            by=by,
            at=at,
            voucher_code=code,
        )

    def _new_line(
        self,
        eid: UUID,
        pid: UUID,
        *,
        kind: str,
        key: str,
        category: str,
        amount_pence: int,
        by: str,
        at: datetime | None,
        earned_on: date | None = None,
        **extra: Any,
    ) -> UUID:
        engagement = self.app.load(eid, Engagement)
        person = self.app.load(pid, Participant)
        line_id = payment_id(eid, pid, kind, key)
        if self._get(line_id, Payment) is not None:
            raise ValidationError(
                f"{kind} {key!r} is already recorded for {person.external_ref} in "
                f"{engagement.ref} as payment {line_id}: see `panel pay show {line_id}`"
            )
        moment = at or now()
        line = Payment.accrue(
            id=line_id,
            engagement_id=eid,
            engagement_ref=engagement.ref,
            participant_id=pid,
            participant_ref=person.external_ref,
            kind=kind,
            category=category,
            earned_on=earned_on or moment.date(),
            quantity="1",
            gross_pence=amount_pence,
            budget_code=self.terms(eid).budget_code,
            created_by=by,
            at=moment,
            **extra,
        )
        self._save(lambda: ([line], None))
        return line_id

    # -- lifecycle --------------------------------------------------------------------------------
    def approve(
        self, ids: Sequence[UUID], *, by: str, allow_over_budget: bool = False, at: datetime | None = None
    ) -> Outcome:
        """Approve payments (all or none); refuses over-budget approvals unless allowed.

        Above the engagement's four-eyes amount an approval is the first of two (``Outcome.first_approved``)
        unless the payment was already approved once by someone else; the budget is checked at both.
        """
        moment = at or now()

        def attempt() -> tuple[list[Any], Outcome]:
            payments = [self.payment(i) for i in dict.fromkeys(ids)]
            outcome = Outcome()
            once: list[Payment] = []
            by_engagement: dict[UUID, list[Payment]] = {}
            for p in payments:
                by_engagement.setdefault(p.engagement_id, []).append(p)
            terms_changed = []
            for eid, group in by_engagement.items():
                terms = self.terms(eid)
                before = ledger.totals(self.lines(engagement=eid)).approved
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
            payments = [self.payment(i) for i in dict.fromkeys(ids)]
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

    def change(self, pid: UUID, action: Callable[[Payment], None]) -> None:
        """Load one payment, apply one command (reverse, voucher redeemed/expired/cancelled), save."""

        def attempt() -> tuple[list[Any], None]:
            p = self.payment(pid)
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
    ) -> Report:
        """Match a statement and record each new match; a malformed statement records nothing.

        ``columns`` maps date, amount, reference and payee to the statement's column names.
        """
        statement = parse_statement(text, name, columns)
        moment = at or now()

        def attempt() -> tuple[list[Any], Report]:
            report = match_statement(
                statement, self.lines(), account=account, tolerance_days=tolerance_days, as_of=as_of
            )
            changed = []
            for m in (m for m in report.matched if m.new):
                for line in m.payments:
                    p = self.payment(line.id)
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

    # -- queries -----------------------------------------------------------------------------------
    def _events(self, topics: Sequence[str]) -> Iterator[Any]:
        start = None
        while True:
            page = self.app.recorder.select_notifications(
                start=start, limit=1000, topics=topics, inclusive_of_start=False
            )
            for n in page:
                yield self.app.mapper.to_domain_event(n)
            if len(page) < 1000:
                return
            start = page[-1].id

    def lines(self, *, engagement: UUID | None = None, participant: UUID | None = None) -> list[LedgerLine]:
        """Every payment line, folded from the stored events (the source of truth the view mirrors)."""
        rows: dict[UUID, dict[str, Any]] = {}
        for e in self._events(PAYMENT_TOPICS):
            ledger.apply(rows, e)
        result = [ledger.to_line(r) for r in rows.values()]
        return [
            line
            for line in result
            if (engagement is None or line.engagement_id == engagement)
            and (participant is None or line.participant_id == participant)
        ]

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
