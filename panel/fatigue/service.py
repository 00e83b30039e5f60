"""The fatigue service: rules recorded as FatiguePolicy events, and the check an invitation must pass."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from panel.clock import now
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.domain.policy import FatiguePolicy, FatigueRuleError, policy_id
from panel.fatigue.rules import FatigueRules, check, history_from_participations

if TYPE_CHECKING:
    from panel.application import PanelApp


class Fatigue:
    """Consultation-fatigue rules: global, per engagement, and as they stood at a past position."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def set_fatigue_rules(
        self,
        engagement_id: UUID | None,
        *,
        cooldown_days: int | None,
        max_per_year: int | None,
        set_by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Set the global rules (engagement_id None) or one engagement's rules, recorded as an event."""
        if engagement_id is not None:
            self.app.load(engagement_id, Engagement)

        def attempt() -> None:
            try:
                policy = self.app.repository.get(policy_id(engagement_id))
            except AggregateNotFoundError:
                policy = FatiguePolicy.start(engagement_id)
            policy.set_rules(cooldown_days=cooldown_days, max_per_year=max_per_year, set_by=set_by, at=at or now())
            self.app.save(policy)

        self.app.retry(attempt)

    def fatigue_policy(
        self, engagement_id: UUID | None, as_of: Mapping[UUID, int] | None = None
    ) -> FatigueRules | None:
        """The rules explicitly set globally (None) or for one engagement, or None.

        ``as_of`` maps aggregate ids to versions: the rules as they stood at a past position.
        """
        aggregate_id = policy_id(engagement_id)
        if as_of is not None and aggregate_id not in as_of:
            return None
        try:
            version = None if as_of is None else as_of[aggregate_id]
            policy = self.app.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        return FatigueRules(policy.cooldown_days, policy.max_per_year)

    def fatigue_rules(self, engagement_id: UUID | None = None, as_of: Mapping[UUID, int] | None = None) -> FatigueRules:
        """The rules in force for an engagement: global, then its own cooldown, then its own policy.

        ``as_of`` (aggregate id -> version) gives the rules as they stood at a past position.
        """
        rules = self.fatigue_policy(None, as_of) or FatigueRules()
        if engagement_id is not None:
            if as_of is None:
                opened = self.app.load(engagement_id, Engagement).cooldown_days
            else:
                opened = self.app.repository.get(engagement_id, version=as_of[engagement_id]).cooldown_days
            rules = rules.merged(FatigueRules(opened, None))
            rules = rules.merged(self.fatigue_policy(engagement_id, as_of) or FatigueRules())
        return rules

    def fatigue_excluded(
        self, participant: Participant, engagement_id: UUID, at: datetime, rules: FatigueRules | None = None
    ) -> str | None:
        """Why a fatigue rule excludes ``participant`` from ``engagement_id`` at ``at``, or None.

        Pool builders should fetch ``fatigue_rules(engagement_id)`` once and pass it as ``rules``.
        """
        rules = self.fatigue_rules(engagement_id) if rules is None else rules
        if not rules.active:
            return None
        return check(rules, history_from_participations(participant.participations), engagement_id.hex, at)

    def require_not_fatigued(
        self,
        person: Participant,
        engagement: Engagement,
        at: datetime,
        rules: FatigueRules,
        override_reason: str | None,
    ) -> None:
        """Refuse an invitation a rule excludes, unless an override reason is given (it is recorded)."""
        reason = self.fatigue_excluded(person, engagement.id, at, rules)
        if reason and not (override_reason and override_reason.strip()):
            raise FatigueRuleError(
                f"participant {person.external_ref} cannot be invited to {engagement.ref}: {reason}; "
                "invite later, or pass --override-reason TEXT to invite anyway (the reason is recorded)"
            )
