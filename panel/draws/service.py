"""Draws: build the pool from the event history, run the selection, record it, verify and replace.

The application adapts pool members into ``selection.Candidate`` values, one per slot of the
draw's type table (``panel.draws.record``); the selection library never sees the store or a
person's id. A draw's members are invited in the same transaction that records it, and a draw's
id comes from its engagement and round, so two draws of one round can never both be recorded.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

import selection
from panel.application import PanelApp
from panel.clock import now
from panel.domain.draw import Draw
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.draws.compose import DrawPlan, Progress, compose
from panel.draws.errors import (
    DrawConflictError,
    DrawExistsError,
    DrawNotFoundError,
    DrawUnreadableError,
    NoEligiblePeopleError,
)
from panel.draws.history import changed_since, current_position, position_of
from panel.draws.narrowed import narrowed_pool
from panel.draws.pool_builder import PoolMember, PoolSnapshot, build_pool
from panel.draws.protocols import PoolNarrowing
from panel.paging import Page

DRAW_TOPIC = get_topic(Draw.Completed)


@dataclass(frozen=True)
class DrawOutcome:
    draw_id: UUID
    result: selection.SelectionResult
    pool: list[PoolMember]
    excluded: dict[str, int]
    invited: int
    draw: Draw | None = None  # the composed draw (a dry run's, never saved)


Consenting = Callable[[datetime], Iterable[UUID]]


class Draws:
    """Draw, show, verify and replace: the recruiter's main job.

    ``narrowing``, when the wiring gives one (``projections.pool_narrowing``), is the read models'
    first cut of a pool: only its candidates, and anyone changed since its position, are read back
    from their history (``panel.draws.narrowed``), for a draw and for its verification alike.
    ``consenting(at)``, the older narrowing by consent alone, names who held the pool's consents at
    ``at``: they and anyone changed since the draw's snapshot are loaded. Without either every
    participant is replayed (the full replay); every rule is re-checked on each person's history
    either way, so the pool is the same.
    """

    def __init__(
        self, app: PanelApp, consenting: Consenting | None = None, narrowing: PoolNarrowing | None = None
    ) -> None:
        self.app = app
        self.consenting = consenting
        self.narrowing = narrowing

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
        lottery_size: int | None = None,
        at: datetime | None = None,
        drawn_by: str | None = None,
        progress: Progress | None = None,
        new_round: bool = False,
        dry_run: bool = False,
        reserves_model: str = "plain",
        model_settings: Sequence[str] = (),
    ) -> DrawOutcome:
        """Draw, record and invite a panel; the service's ``consenting`` narrows who is loaded.

        ``dry_run`` does everything but save: the pool, the quota check, the lottery and the panel
        are computed and returned (``DrawOutcome.draw``), nothing is recorded and nobody invited.
        """
        plan = DrawPlan(
            size,
            tuple(quotas),
            algorithm,
            seed,
            seed_from,
            reserves,
            household_by,
            lottery_size,
            drawn_by,
            reserves_model,
            tuple(model_settings),
        )
        plan.check()
        eid = engagement if isinstance(engagement, UUID) else self.app.resolve_engagement(engagement)
        aggregate = self.app.load(eid, Engagement)
        aggregate.require_open()
        round_number = self.next_round(eid, aggregate.ref, new_round)
        moment = at or now()
        if seed is None and not seed_from:
            plan = replace(plan, seed=secrets.randbelow(2**63))  # recorded, so the draw can be re-run
        position = current_position(self.app)  # the pool snapshot: verification rebuilds it as of here
        snapshot = self.pool(aggregate, moment, position, plan.features, household_by)
        if not snapshot.members:
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(snapshot.excluded.items(), key=lambda x: -x[1]))
            raise NoEligiblePeopleError(
                f"nobody can be drawn for {aggregate.ref} at {moment.isoformat()}: of {snapshot.considered} people "
                f"{reasons or 'none are registered'}; check consents and the engagement's eligibility rules"
            )
        history = None
        if plan.reserves_model == "dropout":  # our own history as of the same snapshot (verify re-gathers it)
            from panel.draws.dropout_history import gather

            history = gather(self.app, position, plan.dropout_settings().model_features(plan.features))
        composed = compose(plan, eid, round_number, snapshot, moment, position, progress, history)
        if dry_run:
            return DrawOutcome(composed.draw.id, composed.result, snapshot.members, snapshot.excluded, 0, composed.draw)
        versions = {m.id: m.version for m in snapshot.members}
        invited: list[Participant] = [self.app.repository.get(pid, version=versions[pid]) for pid in composed.panel]
        for person in invited:  # as of the snapshot: anyone changed since makes the save fail, not go stale
            person.invite(engagement_id=eid, at=moment, draw_id=composed.draw.id)
        self._save_new(composed.draw, invited, aggregate.ref, round_number)
        return DrawOutcome(composed.draw.id, composed.result, snapshot.members, snapshot.excluded, len(invited))

    def pool(
        self, engagement: Engagement, moment: datetime, position: int, features: list[str], household_by: str | None
    ) -> PoolSnapshot:
        """The pool at ``moment`` as the history stood at ``position``, narrowed when the wiring allows."""
        if self.narrowing is not None:
            return narrowed_pool(
                self.app,
                engagement,
                moment,
                self.narrowing,
                position=position,
                features=features,
                household_by=household_by,
            )
        candidate_ids = None
        if self.consenting is not None:  # anyone changed since the snapshot is loaded too, whatever the view says
            candidate_ids = set(self.consenting(moment)) | changed_since(self.app, position)
        return build_pool(
            self.app,
            engagement,
            moment,
            features=features,
            household_by=household_by,
            candidate_ids=candidate_ids,
            position=position,
        )

    def _save_new(self, draw: Draw, invited: list[Any], ref: str, round_number: int) -> None:
        try:
            self.app.save(draw, *invited)
        except IntegrityError:
            if position_of(self.app, draw.id) is not None:
                raise DrawConflictError(
                    f"another draw of {ref} (round {round_number}) was recorded while this one ran: this one "
                    "recorded nothing; see it with `panel draw list`"
                ) from None
            raise DrawConflictError(
                f"someone on the panel drawn for {ref} changed while the draw ran: nothing was recorded; "
                "run the draw again"
            ) from None

    def next_round(self, eid: UUID, ref: str, new_round: bool) -> int:
        """The round a new draw of ``eid`` takes: 1, or one more than the last with ``new_round``."""
        earlier = [d for d in self.recorded() if d.engagement_id == eid]
        if earlier and not new_round:
            last = max(earlier, key=lambda d: d.round)
            raise DrawExistsError(
                f"{ref} already has a draw (round {last.round}, {last.drawn_at.date()}, id {str(last.id)[:8]}): "
                "replace drop-outs with `panel draw replace`, or pass --new-round to draw another round"
            )
        if new_round and not earlier:
            raise DrawExistsError(f"{ref} has no draw yet, so there is no round to follow: drop --new-round")
        return max((d.round for d in earlier), default=0) + 1

    def get(self, draw_id: UUID) -> Draw:
        try:
            draw: Draw = self.app.repository.get(draw_id)
        except AggregateNotFoundError:
            raise DrawNotFoundError(f"no draw has id {draw_id}: list draws with `panel draw list`") from None
        except Exception as exc:  # noqa: BLE001 - a corrupted stored event: one line, never a traceback
            raise DrawUnreadableError(f"the record of draw {draw_id} cannot be read ({type(exc).__name__})") from None
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
        return list(self.app.originators(DRAW_TOPIC))

    def recorded_page(self, page: Page) -> tuple[list[Draw], bool]:
        """One page of the recorded draws, oldest first (paged in the database); and whether more follow."""
        ids, more = page.cut(self.app.originators_page(DRAW_TOPIC, page.offset, page.limit + 1))
        return [self.get(i) for i in ids], more

    def recorded(self) -> list[Draw]:
        """Every recorded draw, oldest first."""
        return [self.get(i) for i in self.ids()]

    def verify(self, draw_id: UUID) -> Any:
        """Re-run a draw and check it against the history: a ``Verification`` (no differences = verified)."""
        from panel.draws.verify import verify

        return verify(self, self.get(draw_id))

    def replace(
        self,
        draw_id: UUID,
        dropout: UUID,
        reason: str,
        at: datetime | None = None,
        *,
        allow_quota_break: bool = False,
    ) -> Any:
        """Replace a panel member who dropped out by the reserve who restores the quotas best
        (``panel.draws.replace``); a ``ReplaceOutcome``. A replacement that breaks a quota is refused
        unless ``allow_quota_break`` (``reason`` is then recorded as the reason the break was accepted)."""
        from panel.draws.replace import replace

        return replace(self, self.get(draw_id), dropout, reason, at or now(), allow_quota_break)

    def person_probabilities(self, draw: Draw) -> dict[UUID, float]:
        """Each readable pool member's selection probability (a draw with a type table records them by slot)."""
        if not draw.keeps_types:
            return {UUID(pid): p for pid, p in draw.probabilities.items()}
        from panel.draws.record import claim_slots

        ids = [UUID(str(r[0])) for r in draw.pool]
        claims = claim_slots(draw.id, draw.pool, self.app.keys.get_keys(ids))
        return {pid: draw.probabilities[s] for pid, s in claims.slot_of.items() if s in draw.probabilities}
