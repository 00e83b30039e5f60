"""The terms payments are made on: rate cards, the card an engagement pays, its budget and four-eyes amount."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from panel.clock import now
from panel.domain.errors import ValidationError
from panel.payments.base import PaymentService
from panel.payments.domain.terms import RateCard, rate_card_id


@dataclass(frozen=True)
class RateVersion:
    """One version of a rate card (amounts in pence)."""

    unit: str
    amount_pence: int
    hours_per_day: int
    by: str
    at: datetime
    version: int


@dataclass(frozen=True)
class RateCardRecord:
    """A rate card and every version of it, oldest first."""

    name: str
    versions: tuple[RateVersion, ...]


class PaymentSetup(PaymentService):
    """Publish and revise rate cards; assign one to an engagement; set its budget."""

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

    def _card(self, name: str) -> RateCard:
        card = self._get(rate_card_id(name.strip()), RateCard)
        if card is None:
            raise ValidationError(f"no rate card is named {name!r}: publish it with `panel pay rate-card set`")
        return card

    def rate_card(self, name: str) -> RateCardRecord:
        card = self._card(name)
        versions = (card.rate(v) for v in range(1, len(card.rates) + 1))
        return RateCardRecord(card.name, tuple(RateVersion(**v) for v in versions))

    def assign_rate_card(
        self, eid: UUID, *, name: str, version: int | None, by: str, at: datetime | None = None
    ) -> dict[str, Any]:
        def attempt() -> tuple[list[Any], dict[str, Any]]:
            terms = self._terms(eid)
            terms.assign_rate_card(card=self._card(name), version=version, by=by, at=at or now())
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
            terms = self._terms(eid)
            terms.set_budget(
                code=code, amount_pence=amount_pence, four_eyes_above_pence=four_eyes_above_pence, by=by, at=at or now()
            )
            return [terms], None

        self._save(attempt)
