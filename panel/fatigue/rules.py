"""Consultation-fatigue rules, evaluated as pure functions over a participant's history and a time.

Definitions (documented in docs/read-models.md):

* an engagement **counts** towards ``max_per_year`` when the person accepted it (and did not
  withdraw) or attended at least one of its sessions, and was invited within the 365 days before;
* the **cooldown** runs from the last attended session date: no invitation while fewer than
  ``cooldown_days`` days have passed;
* the engagement being invited to never counts against itself; a rule of 0 (or None) is off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class FatigueRules:
    """The rules in force for one invitation; None or 0 means the rule is off."""

    cooldown_days: int | None = None
    max_per_year: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.cooldown_days) or bool(self.max_per_year)

    def describe(self) -> str:
        parts = []
        if self.cooldown_days:
            parts.append(f"no invitation within {self.cooldown_days} days of an attendance")
        if self.max_per_year:
            parts.append(f"at most {self.max_per_year} engagements in 12 months")
        return "; ".join(parts) or "no rules"

    def merged(self, other: FatigueRules) -> FatigueRules:
        """These rules, with each rule that ``other`` sets taking precedence."""
        return FatigueRules(
            other.cooldown_days if other.cooldown_days is not None else self.cooldown_days,
            other.max_per_year if other.max_per_year is not None else self.max_per_year,
        )


@dataclass(frozen=True)
class Taking:
    """One engagement in a person's history: when they were invited, whether they took part, attendances."""

    engagement_id: str
    invited_at: datetime
    took_part: bool
    attended: tuple[date, ...] = ()


def history_from_participations(participations: Mapping[str, Mapping[str, Any]]) -> list[Taking]:
    """Adapt ``Participant.participations`` (engagement hex -> record) into a history."""
    history = []
    for eid, record in participations.items():
        attended = tuple(date.fromisoformat(d) for d, _half in record["attended"])
        took_part = record["status"] == "accepted" or bool(attended)
        history.append(Taking(eid, record["invited_at"], took_part, attended))
    return history


def check(rules: FatigueRules, history: Iterable[Taking], engagement_id: str, at: datetime) -> str | None:
    """The reason an invitation to ``engagement_id`` at ``at`` breaks a rule, or None if it does not."""
    past = [t for t in history if t.engagement_id != engagement_id and t.invited_at <= at]
    if rules.cooldown_days:
        days = [d for t in past for d in t.attended if d <= at.date()]
        if days:
            last = max(days)
            gap = (at.date() - last).days
            if gap < rules.cooldown_days:
                return (
                    f"cooldown: attended on {last.isoformat()}, {gap} days before "
                    f"(rule: no invitation within {rules.cooldown_days} days of an attendance)"
                )
    if rules.max_per_year:
        recent = [t for t in past if t.took_part and at - YEAR < t.invited_at]
        if len(recent) >= rules.max_per_year:
            return (
                f"max-per-year: already took part in {len(recent)} engagements in the 12 months before "
                f"{at.date().isoformat()} (rule: at most {rules.max_per_year} engagements in 12 months)"
            )
    return None


def gini(values: Iterable[int]) -> float:
    """The Gini coefficient of non-negative counts (0 = all equal, towards 1 = held by one)."""
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def top_share(values: Iterable[int], fraction: float = 0.1) -> float:
    """The share of the total held by the most active ``fraction`` of people (at least one person)."""
    ordered = sorted(values, reverse=True)
    total = sum(ordered)
    if not ordered or total == 0:
        return 0.0
    k = max(1, round(len(ordered) * fraction))
    return sum(ordered[:k]) / total
