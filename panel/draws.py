"""Draws: build the pool from the event history, run the selection, record it, verify and replace.

The application adapts participants into ``selection.Candidate`` values; the selection library
never sees the store. A draw's members are invited in the same transaction that records it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import numpy as np
from eventsourcing.utils import get_topic

import selection
from panel.application import PanelApp, now
from panel.domain.draw import Draw
from panel.domain.errors import PanelError, ValidationError
from panel.pool import NOT_STATED, PoolMember, build_pool, derive_features, household_key, member_hash

DRAW_TOPIC = get_topic(Draw.Completed)


class NoEligiblePeopleError(PanelError):
    """Raised when nobody can be drawn for an engagement at that time."""


class DrawNotFoundError(PanelError):
    """Raised when no draw has the given id."""


@dataclass(frozen=True)
class DrawOutcome:
    draw_id: UUID
    result: selection.SelectionResult
    pool: list[PoolMember]
    excluded: dict[str, int]
    invited: int


def _candidates(members: Sequence[PoolMember]) -> list[selection.Candidate]:
    return [selection.Candidate(id=m.id.hex, features=m.features, household=m.household) for m in members]


def _quota_dicts(quotas: Sequence[selection.Quota]) -> list[dict[str, Any]]:
    return [{"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in quotas]


def _quotas(recorded: list[dict[str, Any]]) -> list[selection.Quota]:
    return [selection.Quota(q["feature"], q["value"], int(q["min"]), int(q["max"])) for q in recorded]


def _pool_rows(draw_context: str, members: Sequence[PoolMember]) -> tuple[list[list[Any]], str]:
    rows = [[m.id.hex, m.version, member_hash(m.key, draw_context, m.features, m.household)] for m in members]
    digest = hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()
    return rows, digest


def run_selection(
    candidates: list[selection.Candidate],
    quotas: list[selection.Quota],
    k: int,
    *,
    algorithm: str,
    seed: int | None,
    seed_from: str | None,
    reserves: int,
    lottery_size: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> selection.SelectionResult:
    """The one place draws call the selection library, so a draw and its verification agree."""
    rng = np.random.default_rng(seed if seed is not None else 0)
    return selection.select(
        candidates,
        quotas,
        k,
        rng=rng,
        algorithm=algorithm,
        reserves=reserves,
        lottery_size=lottery_size,
        seed_from=seed_from,
        progress=progress,
    )


class Draws:
    """Draw, show, verify and replace: the recruiter's main job."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def draw(
        self,
        engagement: str | UUID,
        size: int,
        quotas: list[selection.Quota],
        *,
        algorithm: str = "leximin",
        seed: int | None = None,
        seed_from: str | None = None,
        reserves: int = 0,
        household_by: str | None = None,
        lottery_size: int = 1000,
        at: datetime | None = None,
        drawn_by: str | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        candidate_ids: Iterable[UUID] | None = None,
    ) -> DrawOutcome:
        eid = engagement if isinstance(engagement, UUID) else self.app.resolve_engagement(engagement)
        aggregate = self.app.engagement_aggregate(eid)
        aggregate.require_open()
        if household_by not in (None, "postcode", "address"):
            raise ValidationError(f"--household-by {household_by!r} is unknown: use postcode or address")
        moment = at or now()
        if seed is None and not seed_from:
            seed = secrets.randbelow(2**63)  # recorded, so the draw can be re-run
        features = sorted({q.feature for q in quotas})
        snapshot = build_pool(
            self.app, aggregate, moment, features=features, household_by=household_by, candidate_ids=candidate_ids
        )
        if not snapshot.members:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(snapshot.excluded.items(), key=lambda x: -x[1]))
            raise NoEligiblePeopleError(
                f"nobody can be drawn for {aggregate.ref} at {moment.isoformat()}: of {snapshot.considered} people "
                f"{reasons or 'none are registered'}; check consents and the engagement's eligibility rules"
            )
        result = run_selection(
            _candidates(snapshot.members),
            quotas,
            size,
            algorithm=algorithm,
            seed=seed,
            seed_from=seed_from,
            reserves=reserves,
            lottery_size=lottery_size,
            progress=progress,
        )
        draw_id = uuid4()
        rows, pool_sha = _pool_rows(draw_id.hex, snapshot.members)
        draw = Draw.record(
            id=draw_id,
            at=moment,
            engagement_id=eid,
            size=size,
            algorithm=result.algorithm,
            algorithm_version=result.algorithm_version,
            solver=result.solver,
            solver_version=result.solver_version,
            seed=seed,
            seed_from=seed_from,
            lottery_size=lottery_size,
            lottery_index=result.lottery_index,
            quotas=_quota_dicts(quotas),
            features=features,
            household_by=household_by,
            pool=rows,
            pool_sha256=pool_sha,
            inputs_sha256=result.inputs_sha256,
            probabilities=dict(result.probabilities),
            selected=list(result.selected),
            reserves=list(result.reserves),
            report=_small_report(result, snapshot.excluded),
            drawn_by=drawn_by,
        )
        invited = [self.app.participant_aggregate(UUID(pid)) for pid in result.selected]
        for person in invited:
            person.invite(engagement_id=eid, at=moment, draw_id=draw_id)
        self.app.save(draw, *invited)
        return DrawOutcome(draw_id, result, snapshot.members, snapshot.excluded, len(invited))

    def get(self, draw_id: UUID) -> Draw:
        from eventsourcing.application import AggregateNotFoundError

        try:
            draw = self.app.repository.get(draw_id)
        except AggregateNotFoundError:
            raise DrawNotFoundError(f"no draw has id {draw_id}: list draws with `panel draw list`") from None
        if not isinstance(draw, Draw):
            raise DrawNotFoundError(f"{draw_id} is not a draw: list draws with `panel draw list`")
        return draw

    def resolve(self, text: str) -> UUID:
        """A draw id from its full id or a unique prefix of it."""
        try:
            return UUID(text)
        except ValueError:
            pass
        matches = [i for i in self.ids() if i.hex.startswith(text.replace("-", "").lower())]
        if len(matches) != 1:
            raise DrawNotFoundError(f"no single draw has an id starting {text!r}: list draws with `panel draw list`")
        return matches[0]

    def ids(self) -> list[UUID]:
        return list(self.app._originators(DRAW_TOPIC))  # noqa: SLF001 - same scan as participants

    def list(self) -> list[Draw]:
        return [self.get(i) for i in self.ids()]

    def recorded_candidates(self, draw: Draw) -> tuple[list[selection.Candidate], list[str]]:
        """Re-read every pool member as they were at the draw; check each against the recorded hash."""
        problems: list[str] = []
        candidates: list[selection.Candidate] = []
        ids = [UUID(row[0]) for row in draw.pool]
        keys = self.app.keys.get_keys(ids)
        for (pid_hex, version, recorded_hash), pid in zip(draw.pool, ids):
            key = keys.get(pid)
            person = self.app.repository.get(pid, version=version)
            if key is None:
                problems.append(
                    f"pool member {person.external_ref} was erased after the draw: their features "  # type: ignore[attr-defined]
                    "can no longer be read, so the draw cannot be re-run"
                )
                continue
            personal = self.app.personal_data(person)  # type: ignore[arg-type]
            attributes = derive_features(personal.attributes)
            features = {f: attributes.get(f, NOT_STATED) for f in draw.features}
            household = household_key(personal, draw.household_by)
            if member_hash(key, draw.id.hex, features, household) != recorded_hash:
                problems.append(
                    f"pool member {person.external_ref}'s recorded features differ from the "  # type: ignore[attr-defined]
                    f"history at version {version}"
                )
            candidates.append(selection.Candidate(id=pid_hex, features=features, household=household))
        return candidates, problems

    def verify(self, draw_id: UUID) -> list[str]:
        """Re-run a draw from its recorded inputs; the differences found (none means verified)."""
        draw = self.get(draw_id)
        recomputed = hashlib.sha256(json.dumps(draw.pool, separators=(",", ":")).encode()).hexdigest()
        differences = []
        if recomputed != draw.pool_sha256:
            differences.append("the recorded pool does not match its recorded pool hash")
        candidates, problems = self.recorded_candidates(draw)
        differences.extend(problems)
        if problems:
            return differences
        result = run_selection(
            candidates,
            _quotas(draw.quotas),
            draw.size,
            algorithm=draw.algorithm,
            seed=draw.seed,
            seed_from=draw.seed_from,
            reserves=len(draw.drawn_reserves),
            lottery_size=draw.lottery_size,
        )
        if list(result.selected) != draw.selected:
            differences.append(
                f"the panel differs: the re-run selects {len(set(result.selected) - set(draw.selected))} other people"
            )
        if list(result.reserves) != draw.drawn_reserves:
            differences.append("the reserve list differs")
        if result.lottery_index != draw.lottery_index:
            differences.append(
                f"the lottery index differs: recorded {draw.lottery_index}, re-run {result.lottery_index}"
            )
        worst = max((abs(result.probabilities.get(pid, -1.0) - p) for pid, p in draw.probabilities.items()), default=0)
        if set(result.probabilities) != set(draw.probabilities) or worst > 1e-9:
            differences.append(f"selection probabilities differ (largest difference {worst:.3g})")
        if result.inputs_sha256 != draw.inputs_sha256:
            differences.append("the selection inputs hash differs")
        return differences

    def replace(self, draw_id: UUID, dropout: UUID, reason: str, at: datetime | None = None) -> selection.Replacement:
        """Replace a panel member who dropped out by the first reserve that keeps the quotas."""
        draw = self.get(draw_id)
        moment = at or now()
        candidates, problems = self.recorded_candidates(draw)
        if problems:
            raise ValidationError(problems[0])
        outcome = selection.replace(
            candidates=candidates,
            quotas=_quotas(draw.quotas),
            panel=list(draw.panel),
            reserves=list(draw.reserves),
            dropout=dropout.hex,
        )
        draw.replace(
            dropout=dropout.hex,
            replacement=outcome.chosen,
            reason=reason,
            quota_ok=outcome.quota_ok,
            message=outcome.message,
            at=moment,
        )
        changed: list[Any] = [draw]
        leaving = self.app.participant_aggregate(dropout)
        if leaving.participation_status(draw.engagement_id) in ("invited", "accepted"):
            leaving.withdraw_from(engagement_id=draw.engagement_id, reason=reason, at=moment)
            changed.append(leaving)
        if outcome.chosen is not None:
            joining = self.app.participant_aggregate(UUID(outcome.chosen))
            joining.invite(engagement_id=draw.engagement_id, at=moment, draw_id=draw.id)
            changed.append(joining)
        self.app.save(*changed)
        return outcome


def _small_report(result: selection.SelectionResult, excluded: dict[str, int]) -> dict[str, Any]:
    report = dict(result.report)
    report["excluded"] = excluded
    return json.loads(json.dumps(report, default=str))
