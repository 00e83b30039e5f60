"""The FatiguePolicy aggregate: consultation-fatigue rules, set globally or for one engagement.

The global policy has a constant id; an engagement's policy id is derived from the engagement id,
so both can be found without an index. Each change is a ``RulesSet`` event recording who set the
rules and when, so the rules in force at any past moment can be shown to an auditor.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import PanelError, ValidationError
from panel.domain.event_types import Created, Event
from panel.domain.values import require_utc

POLICY_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/fatigue-policy")
GLOBAL_POLICY_ID = uuid5(POLICY_NAMESPACE, "global")


class FatigueRuleError(PanelError):
    """Raised when an invitation breaks a consultation-fatigue rule and no override reason is given."""


def policy_id(engagement_id: UUID | None) -> UUID:
    """The id of the global policy (None) or of one engagement's policy."""
    return GLOBAL_POLICY_ID if engagement_id is None else uuid5(POLICY_NAMESPACE, engagement_id.hex)


class FatiguePolicy(Aggregate):
    """Fatigue rules: a cooldown after attending, and a cap on engagements per 12 months."""

    class Started(Created):
        engagement_id: UUID | None

    class RulesSet(Event):
        cooldown_days: int | None
        max_per_year: int | None
        set_by: str | None
        at: datetime

    @event(Started)
    def __init__(self, engagement_id: UUID | None) -> None:
        self.engagement_id = engagement_id
        self.cooldown_days: int | None = None
        self.max_per_year: int | None = None
        self.set_at: datetime | None = None
        self.set_by: str | None = None

    @classmethod
    def start(cls, engagement_id: UUID | None) -> FatiguePolicy:
        return cls._create(cls.Started, id=policy_id(engagement_id), engagement_id=engagement_id)

    def set_rules(
        self, *, cooldown_days: int | None, max_per_year: int | None, set_by: str | None, at: datetime
    ) -> None:
        if cooldown_days is not None and cooldown_days < 0:
            raise ValidationError("--cooldown-days is negative: give a number of days, e.g. 90 (0 turns it off)")
        if max_per_year is not None and max_per_year < 0:
            raise ValidationError("--max-per-year is negative: give a count, e.g. 3 (0 turns it off)")
        if cooldown_days is None and max_per_year is None:
            raise ValidationError("no rule given: pass --cooldown-days and/or --max-per-year")
        self._set_rules(cooldown_days=cooldown_days, max_per_year=max_per_year, set_by=set_by, at=require_utc(at))

    @event(RulesSet)
    def _set_rules(self, cooldown_days: int | None, max_per_year: int | None, set_by: str | None, at: datetime) -> None:
        if cooldown_days is not None:
            self.cooldown_days = cooldown_days
        if max_per_year is not None:
            self.max_per_year = max_per_year
        self.set_by = set_by
        self.set_at = at
