"""An engagement's payment terms (rate card version, budget, four-eyes amount, fee choices) and rate cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ValidationError
from panel.domain.event_types import Created, Event
from panel.domain.money import MAX_LINE_PENCE, MAX_RATE_PENCE, MAX_TOTAL_PENCE, format_pence, require_amount
from panel.domain.values import require_choice, require_utc
from panel.payments.domain.values import PAYMENT_NAMESPACE, UNITS, require_text


def terms_id(engagement_id: UUID) -> UUID:
    return uuid5(PAYMENT_NAMESPACE, f"terms/{engagement_id.hex}")


def rate_card_id(name: str) -> UUID:
    return uuid5(PAYMENT_NAMESPACE, f"rate-card/{name}")


class RateCard(Aggregate):
    """A named, versioned rate: version 1 is the published rate, each revision adds a version."""

    class Published(Created):
        name: str
        unit: str
        amount_pence: int
        hours_per_day: int
        by: str
        at: datetime

    class Revised(Event):
        unit: str
        amount_pence: int
        hours_per_day: int
        by: str
        at: datetime

    @event(Published)
    def __init__(self, name: str, unit: str, amount_pence: int, hours_per_day: int, by: str, at: datetime) -> None:
        self.name = name
        self.rates: list[dict[str, Any]] = [
            {"unit": unit, "amount_pence": amount_pence, "hours_per_day": hours_per_day, "by": by, "at": at}
        ]

    @staticmethod
    def _check(unit: str, amount_pence: int, hours_per_day: int) -> None:
        require_choice(unit, UNITS, "rate unit (--unit)")
        require_amount(amount_pence, "--amount", ceiling=MAX_RATE_PENCE)
        if not 1 <= hours_per_day <= 24:
            raise ValidationError("--hours-per-day must be between 1 and 24")
        day = amount_pence * {"hour": hours_per_day, "half_day": 2}.get(unit, 1)
        if day > MAX_LINE_PENCE:
            raise ValidationError(
                f"a full day at {format_pence(amount_pence)} per {unit} is {format_pence(day)}, above the ceiling "
                f"of {format_pence(MAX_LINE_PENCE)} for a payment line: lower --amount or --hours-per-day"
            )

    @classmethod
    def publish(
        cls, *, name: str, unit: str, amount_pence: int, by: str, at: datetime, hours_per_day: int = 6
    ) -> RateCard:
        cls._check(unit, amount_pence, hours_per_day)
        name = require_text(name, "rate card name")
        return cls._create(
            cls.Published,
            id=rate_card_id(name),
            name=name,
            unit=unit,
            amount_pence=amount_pence,
            hours_per_day=hours_per_day,
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    def revise(self, *, unit: str, amount_pence: int, by: str, at: datetime, hours_per_day: int = 6) -> None:
        self._check(unit, amount_pence, hours_per_day)
        self._revise(
            unit=unit,
            amount_pence=amount_pence,
            hours_per_day=hours_per_day,
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    @event(Revised)
    def _revise(self, unit: str, amount_pence: int, hours_per_day: int, by: str, at: datetime) -> None:
        self.rates.append(
            {"unit": unit, "amount_pence": amount_pence, "hours_per_day": hours_per_day, "by": by, "at": at}
        )

    def rate(self, version: int | None = None) -> dict[str, Any]:
        """The rate of one version (1-based), the latest by default."""
        number = version or len(self.rates)
        if not 1 <= number <= len(self.rates):
            raise ValidationError(f"rate card {self.name} has versions 1 to {len(self.rates)}, not {number}")
        return dict(self.rates[number - 1], version=number)


class PaymentTerms(Aggregate):
    """An engagement's payment terms: rate card version, budget, four-eyes amount, fee choices."""

    class Agreed(Created):
        engagement_id: UUID
        at: datetime

    class RateCardAssigned(Event):
        rate_card_id: UUID
        rate_card: str
        version: int
        unit: str
        amount_pence: int
        hours_per_day: int
        by: str
        at: datetime

    class BudgetSet(Event):
        code: str
        amount_pence: int
        four_eyes_above_pence: int
        by: str
        at: datetime

    class ApprovalsRecorded(Event):
        payments: int
        amount_pence: int
        approved_before_pence: int
        over_budget: bool
        by: str
        at: datetime

    class FeeDeclined(Event):
        participant_id: UUID
        reason: str
        by: str
        at: datetime

    class FeeReduced(Event):
        participant_id: UUID
        cap_pence: int
        reason: str
        by: str
        at: datetime

    @event(Agreed)
    def __init__(self, engagement_id: UUID, at: datetime) -> None:
        self.engagement_id = engagement_id
        self.rate: dict[str, Any] | None = None
        self.budget_code: str | None = None
        self.budget_pence: int | None = None
        self.four_eyes_above_pence = 0
        self.choices: dict[str, dict[str, Any]] = {}

    @classmethod
    def agree(cls, *, engagement_id: UUID, at: datetime) -> PaymentTerms:
        return cls._create(cls.Agreed, id=terms_id(engagement_id), engagement_id=engagement_id, at=require_utc(at))

    def assign_rate_card(self, *, card: RateCard, version: int | None, by: str, at: datetime) -> None:
        rate = card.rate(version)
        if rate["unit"] == "task":
            raise ValidationError(
                f"rate card {card.name} pays per task: attendance cannot accrue it; "
                "choose an hour, half_day, day or session card"
            )
        self._assign(
            rate_card_id=card.id,
            rate_card=card.name,
            version=rate["version"],
            unit=rate["unit"],
            amount_pence=rate["amount_pence"],
            hours_per_day=rate["hours_per_day"],
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    @event(RateCardAssigned)
    def _assign(
        self,
        rate_card_id: UUID,
        rate_card: str,
        version: int,
        unit: str,
        amount_pence: int,
        hours_per_day: int,
        by: str,
        at: datetime,
    ) -> None:
        self.rate = {
            "rate_card_id": rate_card_id,
            "rate_card": rate_card,
            "version": version,
            "unit": unit,
            "amount_pence": amount_pence,
            "hours_per_day": hours_per_day,
        }

    def set_budget(self, *, code: str, amount_pence: int, four_eyes_above_pence: int, by: str, at: datetime) -> None:
        require_amount(amount_pence, "--amount", ceiling=MAX_TOTAL_PENCE)
        require_amount(four_eyes_above_pence, "--four-eyes-above", ceiling=MAX_TOTAL_PENCE)
        self._set_budget(
            code=require_text(code, "--code"),
            amount_pence=amount_pence,
            four_eyes_above_pence=four_eyes_above_pence,
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    @event(BudgetSet)
    def _set_budget(self, code: str, amount_pence: int, four_eyes_above_pence: int, by: str, at: datetime) -> None:
        self.budget_code, self.budget_pence, self.four_eyes_above_pence = code, amount_pence, four_eyes_above_pence

    def record_approvals(
        self, *, payments: int, amount_pence: int, approved_before_pence: int, over_budget: bool, by: str, at: datetime
    ) -> None:
        """Note an approval run against the budget (the budget position at the time is part of the record).

        Saved with the approved payments, it also makes concurrent approvals of one engagement
        conflict, so the budget check of the second is re-run on retry.
        """
        self._record_approvals(
            payments=payments,
            amount_pence=amount_pence,
            approved_before_pence=approved_before_pence,
            over_budget=over_budget,
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    @event(ApprovalsRecorded)
    def _record_approvals(
        self, payments: int, amount_pence: int, approved_before_pence: int, over_budget: bool, by: str, at: datetime
    ) -> None:
        pass

    def decline_fee(self, *, participant_id: UUID, reason: str, by: str, at: datetime) -> None:
        self._decline_fee(
            participant_id=participant_id,
            reason=require_text(reason, "--reason"),
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    @event(FeeDeclined)
    def _decline_fee(self, participant_id: UUID, reason: str, by: str, at: datetime) -> None:
        self.choices[participant_id.hex] = {"choice": "declined", "cap_pence": 0, "reason": reason}

    def reduce_fee(self, *, participant_id: UUID, cap_pence: int, reason: str, by: str, at: datetime) -> None:
        require_amount(cap_pence, "--amount", ceiling=MAX_TOTAL_PENCE)
        self._reduce_fee(
            participant_id=participant_id,
            cap_pence=cap_pence,
            reason=require_text(reason, "--reason"),
            by=require_text(by, "--by"),
            at=require_utc(at),
        )

    @event(FeeReduced)
    def _reduce_fee(self, participant_id: UUID, cap_pence: int, reason: str, by: str, at: datetime) -> None:
        self.choices[participant_id.hex] = {"choice": "reduced", "cap_pence": cap_pence, "reason": reason}
