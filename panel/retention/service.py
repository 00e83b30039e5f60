"""Retention: one computation (the plan) shared by the dry run and the erasure that carries it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from panel.clock import now
from panel.domain.errors import ErasedParticipantError, ValidationError
from panel.participation import Participation
from panel.retention.facts import PaymentsOf, RetentionFacts
from panel.retention.rules import Decision, RetentionPolicy, decide

if TYPE_CHECKING:
    from panel.application import PanelApp


@dataclass(frozen=True)
class Plan:
    """Who the rules erase at ``as_of`` and by which rule; who is due but kept, and why (references only)."""

    as_of: datetime
    policy: RetentionPolicy
    erase: list[Decision]
    kept: list[Decision]
    not_due: int
    already_erased: int

    def as_json(self) -> dict[str, Any]:
        def entry(d: Decision) -> dict[str, Any]:
            row: dict[str, Any] = {"participant": d.ref, "id": str(d.participant_id), "rule": d.rule,
                                   "due_since": d.due_since.isoformat(), "detail": d.detail}  # fmt: skip
            if d.kept_because:
                row["kept_because"] = list(d.kept_because)
            return row

        return {
            "as_of": self.as_of.isoformat(),
            "policy": self.policy.as_dict(),
            "erase": [entry(d) for d in self.erase],
            "kept": [entry(d) for d in self.kept],
            "not_due": self.not_due,
            "already_erased": self.already_erased,
        }


@dataclass(frozen=True)
class Applied:
    plan: Plan
    erased: int
    skipped: int  # erased by someone else between the plan and its erasure


class Retention:
    """``Retention(app, policy, payments_of)``: ``plan(as_of)`` writes nothing; ``apply(by, as_of)`` erases the
    plan's people. ``payments_of`` gives one person's payment lines (``panel.retention.facts.PaymentsOf``)."""

    def __init__(self, app: PanelApp, policy: RetentionPolicy, payments_of: PaymentsOf) -> None:
        self.app = app
        self.policy = policy
        self.payments_of = payments_of

    def plan(self, as_of: datetime | None = None) -> Plan:
        moment = as_of or now()
        erase: list[Decision] = []
        kept: list[Decision] = []
        people = erased = 0
        facts_of_each = RetentionFacts(self.app, self.payments_of).each()
        for facts in facts_of_each:  # one person at a time; only the decisions are kept
            if facts is None:
                erased += 1
                continue
            people += 1
            decision = decide(facts, self.policy, moment)
            if decision is not None:
                (erase if decision.erase else kept).append(decision)
        order = lambda d: (d.ref, str(d.participant_id))  # noqa: E731 - a sort key
        not_due = people - len(erase) - len(kept)
        return Plan(moment, self.policy, sorted(erase, key=order), sorted(kept, key=order), not_due, erased)

    def apply(self, by: str, as_of: datetime | None = None) -> Applied:
        """Erase everyone the plan erases, through the normal erasure, with the rule as its reason.

        ``as_of`` (today or earlier) sets the rules' clock; the erasures are recorded as done now.
        """
        if not by.strip():
            raise ValidationError("--by is empty: name the staff member who carries out the retention erasures")
        moment = now()
        if as_of is not None and as_of > moment:
            raise ValidationError(
                f"--as-of {as_of.date()} is in the future: apply erases only who is due now; "
                "see who comes due later with `panel retention plan --as-of`"
            )
        plan = self.plan(as_of or moment)
        participation = Participation(self.app)
        erased = skipped = 0
        for decision in plan.erase:
            try:
                participation.erase(decision.participant_id, decision.reason, erased_by=by.strip())  # effective now
            except ErasedParticipantError:
                skipped += 1
            else:
                erased += 1
        return Applied(plan, erased, skipped)
