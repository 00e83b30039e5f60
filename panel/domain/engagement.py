"""The Engagement aggregate: one piece of community engagement that people are recruited to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import EngagementClosedError, ValidationError
from panel.domain.event_types import Created, Event
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

    class Opened(Created):
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

    class Closed(Event):
        reason: str
        at: datetime

    class EligibilityChanged(Event):
        eligibility: list[str]
        changed_by: str | None
        reason: str | None
        at: datetime

    class SessionsChanged(Event):
        sessions: list[date]
        changed_by: str | None
        reason: str | None
        at: datetime

    class TargetSizeChanged(Event):
        target_size: int | None
        changed_by: str | None
        reason: str | None
        at: datetime

    class CooldownChanged(Event):
        cooldown_days: int | None
        changed_by: str | None
        reason: str | None
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
        self.opened_eligibility = list(eligibility)
        self.cooldown_days = cooldown_days
        self.opened_by = opened_by
        self.opened_at = at
        self.closed_at: datetime | None = None
        self.changes: list[Change] = []

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
        _check_sizes(target_size, cooldown_days)
        _check_sessions(sessions)
        rules = parse_rules(eligibility or [])
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
        return self._parsed(self.eligibility)

    def eligibility_at(self, moment: datetime) -> list[str]:
        """The eligibility rules in force at ``moment`` (effective time), e.g. when a draw was made."""
        rules = list(self.opened_eligibility)
        for change in sorted(self.changes, key=lambda c: c.at):
            if change.field == "eligibility" and change.at <= moment:
                rules = list(cast("list[str]", change.after))  # an eligibility change is to a list of rules
        return rules

    def rules_at(self, moment: datetime) -> list[EligibilityRule]:
        return self._parsed(self.eligibility_at(moment))

    def _parsed(self, texts: list[str]) -> list[EligibilityRule]:
        try:
            return [EligibilityRule.parse(text) for text in texts]
        except ValidationError as exc:  # a rule stored before rules were parsed strictly
            raise ValidationError(
                f"engagement {self.ref}: {exc}; correct it with `panel engagement update {self.ref} --eligible ...`"
            ) from None

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

    # -- changes after opening -------------------------------------------------------------
    def update(
        self,
        *,
        at: datetime,
        eligibility: list[str] | None = None,
        sessions: list[date] | None = None,
        target_size: int | None = None,
        cooldown_days: int | None = None,
        changed_by: str | None = None,
        reason: str | None = None,
    ) -> list[str]:
        """Change what is given (all checked first); returns the fields that changed, each one event."""
        self.require_open()
        if eligibility is None and sessions is None and target_size is None and cooldown_days is None:
            raise ValidationError(
                "nothing to update: pass --eligible, --everyone, --session, --target-size or --cooldown-days"
            )
        at = require_utc(at)
        if at < self.opened_at:
            raise ValidationError(
                f"--at {at.isoformat()} is before {self.ref} was opened ({self.opened_at.date()}): "
                "a change cannot take effect before the engagement existed"
            )
        _check_sizes(target_size, cooldown_days)
        rules = None if eligibility is None else parse_rules(eligibility)
        if sessions is not None:
            _check_sessions(sessions)
            self._check_past_sessions_kept(sorted(sessions), at)
        why = reason.strip() if reason and reason.strip() else None
        by = changed_by.strip() if changed_by and changed_by.strip() else None
        changed = []
        if rules is not None and rules != self.eligibility:
            self._change_eligibility(eligibility=rules, changed_by=by, reason=why, at=at)
            changed.append("eligibility")
        if sessions is not None and sorted(sessions) != self.sessions:
            self._change_sessions(sessions=sorted(sessions), changed_by=by, reason=why, at=at)
            changed.append("sessions")
        if target_size is not None and target_size != self.target_size:
            self._change_target_size(target_size=target_size, changed_by=by, reason=why, at=at)
            changed.append("target size")
        if cooldown_days is not None and cooldown_days != self.cooldown_days:
            self._change_cooldown(cooldown_days=cooldown_days, changed_by=by, reason=why, at=at)
            changed.append("cooldown")
        return changed

    def _check_past_sessions_kept(self, sessions: list[date], at: datetime) -> None:
        gone = [d for d in self.sessions if d not in sessions and d <= at.date()]
        if gone:
            raise ValidationError(
                f"session {gone[0].isoformat()} of {self.ref} has already taken place: keep it in the --session list"
            )

    @event(EligibilityChanged)
    def _change_eligibility(
        self, eligibility: list[str], changed_by: str | None, reason: str | None, at: datetime
    ) -> None:
        self.changes.append(Change("eligibility", self.eligibility, eligibility, changed_by, reason, at))
        self.eligibility = list(eligibility)

    @event(SessionsChanged)
    def _change_sessions(self, sessions: list[date], changed_by: str | None, reason: str | None, at: datetime) -> None:
        self.changes.append(Change("sessions", self.sessions, sessions, changed_by, reason, at))
        self.sessions = sorted(sessions)

    @event(TargetSizeChanged)
    def _change_target_size(
        self, target_size: int | None, changed_by: str | None, reason: str | None, at: datetime
    ) -> None:
        self.changes.append(Change("target size", self.target_size, target_size, changed_by, reason, at))
        self.target_size = target_size

    @event(CooldownChanged)
    def _change_cooldown(
        self, cooldown_days: int | None, changed_by: str | None, reason: str | None, at: datetime
    ) -> None:
        self.changes.append(Change("cooldown", self.cooldown_days, cooldown_days, changed_by, reason, at))
        self.cooldown_days = cooldown_days


@dataclass(frozen=True)
class Change:
    """One recorded change to an engagement: which field, from what, to what, by whom, why and when."""

    field: str
    before: object
    after: object
    changed_by: str | None
    reason: str | None
    at: datetime


def parse_rules(texts: list[str]) -> list[str]:
    """Eligibility rules in their canonical text, each parsed strictly (the one parser for every path)."""
    return [str(EligibilityRule.parse(text)) for text in texts]


def _check_sizes(target_size: int | None, cooldown_days: int | None) -> None:
    if target_size is not None and target_size < 1:
        raise ValidationError("--target-size must be at least 1")
    if cooldown_days is not None and cooldown_days < 0:
        raise ValidationError("--cooldown-days must be zero or more")


def _check_sessions(sessions: list[date]) -> None:
    if len(set(sessions)) != len(sessions):
        raise ValidationError("a --session date is given twice: list each session date once")
