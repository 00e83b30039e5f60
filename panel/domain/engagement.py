"""The Engagement aggregate: one piece of community engagement that people are recruited to."""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import EngagementClosedError, ValidationError
from panel.domain.money import MAX_RATE_PENCE, require_amount
from panel.domain.values import ENGAGEMENT_TYPES, EligibilityRule, require_choice, require_utc

ENGAGEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/engagement")


def engagement_ref(name: str) -> str:
    """A readable reference made from a name: 'Vested 2026!' -> 'vested-2026'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


def engagement_id(ref: str) -> UUID:
    """Engagement ids come from their (non-personal) reference, so a reference is unique."""
    return uuid5(ENGAGEMENT_NAMESPACE, ref)


class Engagement(Aggregate):
    """A consultation, panel or co-production with sessions, a day rate and eligibility rules."""

    class Opened(Aggregate.Created):
        ref: str
        name: str
        purpose: str
        kind: str
        sessions: list[date]
        day_rate_pence: int
        target_size: int | None
        eligibility: list[str]
        cooldown_days: int | None
        opened_by: str | None
        at: datetime

    class Closed(Aggregate.Event):
        reason: str
        at: datetime

    @event(Opened)
    def __init__(
        self,
        ref: str,
        name: str,
        purpose: str,
        kind: str,
        sessions: list[date],
        day_rate_pence: int,
        target_size: int | None,
        eligibility: list[str],
        cooldown_days: int | None,
        opened_by: str | None,
        at: datetime,
    ) -> None:
        self.ref = ref
        self.name = name
        self.purpose = purpose
        self.kind = kind
        self.sessions = sorted(sessions)
        self.day_rate_pence = day_rate_pence
        self.target_size = target_size
        self.eligibility = list(eligibility)
        self.cooldown_days = cooldown_days
        self.opened_by = opened_by
        self.opened_at = at
        self.closed_at: datetime | None = None

    @classmethod
    def open(
        cls,
        *,
        name: str,
        purpose: str,
        kind: str,
        sessions: list[date],
        day_rate_pence: int,
        at: datetime,
        ref: str | None = None,
        target_size: int | None = None,
        eligibility: list[str] | None = None,
        cooldown_days: int | None = None,
        opened_by: str | None = None,
    ) -> Engagement:
        if not name.strip():
            raise ValidationError("engagement name is empty: give it a name, e.g. 'Vested youth panel'")
        require_choice(kind, ENGAGEMENT_TYPES, "engagement type (--type)")
        require_amount(day_rate_pence, "--day-rate", ceiling=MAX_RATE_PENCE)
        if target_size is not None and target_size < 1:
            raise ValidationError("--target-size must be at least 1")
        if cooldown_days is not None and cooldown_days < 0:
            raise ValidationError("--cooldown-days must be zero or more")
        if len(set(sessions)) != len(sessions):
            raise ValidationError("a --session date is given twice: list each session date once")
        rules = [str(EligibilityRule.parse(text)) for text in (eligibility or [])]
        reference = ref or engagement_ref(name)
        if not reference:
            raise ValidationError(f"cannot make a reference from {name!r}: pass --ref")
        return cls._create(
            cls.Opened,
            id=engagement_id(reference),
            ref=reference,
            name=name.strip(),
            purpose=purpose.strip(),
            kind=kind,
            sessions=sorted(sessions),
            day_rate_pence=day_rate_pence,
            target_size=target_size,
            eligibility=rules,
            cooldown_days=cooldown_days,
            opened_by=opened_by,
            at=require_utc(at),
        )

    @property
    def rules(self) -> list[EligibilityRule]:
        return [EligibilityRule.parse(text) for text in self.eligibility]

    def is_eligible(self, attributes: dict[str, str]) -> bool:
        return all(rule.holds(attributes) for rule in self.rules)

    def require_open(self) -> None:
        if self.closed_at is not None:
            raise EngagementClosedError(f"engagement {self.ref} was closed on {self.closed_at.date()}")

    def require_session(self, day: date) -> None:
        if self.sessions and day not in self.sessions:
            listed = ", ".join(d.isoformat() for d in self.sessions)
            raise ValidationError(f"{day} is not a session of {self.ref}: its sessions are {listed}")

    def close(self, *, reason: str, at: datetime) -> None:
        self.require_open()
        self._close(reason=reason, at=require_utc(at))

    @event(Closed)
    def _close(self, reason: str, at: datetime) -> None:
        self.closed_at = at
