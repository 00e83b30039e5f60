"""Payment lines coming into being: fees accrued from attendance, a participant's decline or lower total,
expense claims and vouchers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.clock import now
from panel.domain.engagement import Engagement
from panel.domain.errors import ValidationError
from panel.domain.participant import Participant
from panel.domain.values import format_pence
from panel.payments.base import Outcome, PaymentService
from panel.payments.domain.payment import Payment
from panel.payments.domain.values import ACCRUED, APPROVED, ISSUED, RECONCILED, payment_id
from panel.payments.rules import allocate_cap, session_fee

FEE = "involvement_fee"
ATTENDED_TOPIC = get_topic(Participant.Attended)


class Accrual(PaymentService):
    """Accrue fees, vary them at the participant's request, record expense claims and vouchers."""

    def accrue(self, eid: UUID, *, by: str, at: datetime | None = None) -> Outcome:
        """Accrue the involvement fee of every attended session not yet accrued (idempotent)."""
        engagement = self.app.load(eid, Engagement)
        moment = at or now()

        def attempt() -> tuple[list[Any], Outcome]:
            terms = self._terms(eid)
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
                        self._new_payment(
                            line_id,
                            engagement,
                            person,
                            by=by,
                            at=moment,
                            kind=FEE,
                            category=rate["unit"],
                            earned_on=date.fromisoformat(iso),
                            quantity=quantity,
                            gross_pence=amount,
                            rate_card=card,
                            budget_code=terms.budget_code,
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
            terms = self._terms(eid)
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
            by=by,
            at=at,
            earned_on=spent_on,
            category=category,
            gross_pence=amount_pence,
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
            by=by,
            at=at,
            category="voucher",
            gross_pence=face_value_pence,
            voucher_code=code,
        )

    def _new_line(
        self,
        eid: UUID,
        pid: UUID,
        *,
        kind: str,
        key: str,
        by: str,
        at: datetime | None,
        earned_on: date | None = None,
        **facts: Any,
    ) -> UUID:
        """Record one claimed line (an expense or a voucher); the same claim twice is refused."""
        engagement = self.app.load(eid, Engagement)
        person = self.app.load(pid, Participant)
        line_id = payment_id(eid, pid, kind, key)
        if self._get(line_id, Payment) is not None:
            raise ValidationError(
                f"{kind} {key!r} is already recorded for {person.external_ref} in "
                f"{engagement.ref} as payment {line_id}: see `panel pay show {line_id}`"
            )
        moment = at or now()
        line = self._new_payment(
            line_id,
            engagement,
            person,
            by=by,
            at=moment,
            kind=kind,
            earned_on=earned_on or moment.date(),
            quantity="1",
            budget_code=self._terms(eid).budget_code,
            **facts,
        )
        self._save(lambda: ([line], None))
        return line_id

    @staticmethod
    def _new_payment(
        line_id: UUID, engagement: Engagement, person: Participant, *, by: str, at: datetime, **facts: Any
    ) -> Payment:
        return Payment.accrue(
            id=line_id,
            engagement_id=engagement.id,
            engagement_ref=engagement.ref,
            participant_id=person.id,
            participant_ref=person.external_ref,
            created_by=by,
            at=at,
            **facts,
        )
