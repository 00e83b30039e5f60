"""The Draw aggregate: one recorded, verifiable random selection of a panel for an engagement.

A draw records everything needed to re-run it: who was in the pool (with the version of each
person's record and a hash of their feature values, never the values themselves), the quotas,
the algorithm and solver with their versions, the randomness, every pool member's probability,
the panel and the ordered reserves. Replacements after drop-outs are recorded against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ParticipationStateError, ValidationError
from panel.domain.values import require_utc


class Draw(Aggregate):
    """A completed selection: inputs, randomness, probabilities, panel, reserves and replacements."""

    class Completed(Aggregate.Created):
        engagement_id: UUID
        size: int
        algorithm: str
        algorithm_version: int
        solver: str
        solver_version: str
        seed: int | None
        seed_from: str | None
        lottery_size: int
        lottery_index: int
        quotas: list[dict[str, Any]]
        features: list[str]
        household_by: str | None
        pool: list[list[Any]]
        pool_sha256: str
        inputs_sha256: str
        probabilities: dict[str, float]
        selected: list[str]
        reserves: list[str]
        report: dict[str, Any]
        drawn_by: str | None
        at: datetime

    class MemberReplaced(Aggregate.Event):
        dropout: str
        replacement: str | None
        reason: str
        quota_ok: bool
        message: str
        at: datetime

    @event(Completed)
    def __init__(
        self,
        engagement_id: UUID,
        size: int,
        algorithm: str,
        algorithm_version: int,
        solver: str,
        solver_version: str,
        seed: int | None,
        seed_from: str | None,
        lottery_size: int,
        lottery_index: int,
        quotas: list[dict[str, Any]],
        features: list[str],
        household_by: str | None,
        pool: list[list[Any]],
        pool_sha256: str,
        inputs_sha256: str,
        probabilities: dict[str, float],
        selected: list[str],
        reserves: list[str],
        report: dict[str, Any],
        drawn_by: str | None,
        at: datetime,
    ) -> None:
        self.engagement_id = engagement_id
        self.size = size
        self.algorithm = algorithm
        self.algorithm_version = algorithm_version
        self.solver = solver
        self.solver_version = solver_version
        self.seed = seed
        self.seed_from = seed_from
        self.lottery_size = lottery_size
        self.lottery_index = lottery_index
        self.quotas = quotas
        self.features = features
        self.household_by = household_by
        self.pool = pool
        self.pool_sha256 = pool_sha256
        self.inputs_sha256 = inputs_sha256
        self.probabilities = probabilities
        self.selected = list(selected)
        self.reserves = list(reserves)
        self.drawn_reserves = list(reserves)
        self.report = report
        self.drawn_by = drawn_by
        self.drawn_at = at
        self.panel = list(selected)
        self.replacements: list[dict[str, Any]] = []

    @classmethod
    def record(cls, *, id: UUID, at: datetime, **fields: Any) -> Draw:  # noqa: A002
        if fields["seed"] is None and not fields["seed_from"]:
            raise ValidationError("a draw must record its randomness: a seed or public randomness text")
        if len(fields["selected"]) != fields["size"]:
            raise ValidationError(f"the panel has {len(fields['selected'])} members, not {fields['size']}")
        return cls._create(cls.Completed, id=id, at=require_utc(at), **fields)

    def replace(
        self, *, dropout: str, replacement: str | None, reason: str, quota_ok: bool, message: str, at: datetime
    ) -> None:
        if dropout not in self.panel:
            raise ParticipationStateError(f"{dropout} is not on the current panel of this draw")
        if replacement is not None and replacement not in self.reserves:
            raise ParticipationStateError(f"{replacement} is not a remaining reserve of this draw")
        if not reason.strip():
            raise ValidationError("--reason is empty: say why the member is replaced")
        self._replace(
            dropout=dropout,
            replacement=replacement,
            reason=reason.strip(),
            quota_ok=quota_ok,
            message=message,
            at=require_utc(at),
        )

    @event(MemberReplaced)
    def _replace(
        self, dropout: str, replacement: str | None, reason: str, quota_ok: bool, message: str, at: datetime
    ) -> None:
        self.panel.remove(dropout)
        if replacement is not None:
            self.panel.append(replacement)
            self.reserves.remove(replacement)
        self.replacements.append(
            {
                "dropout": dropout,
                "replacement": replacement,
                "reason": reason,
                "quota_ok": quota_ok,
                "message": message,
                "at": at,
            }
        )
