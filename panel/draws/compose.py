"""Compose a draw's record from a pool snapshot: the type table, the selection run on its slots,
and the ``Draw`` aggregate with every member's commitments sealed under their own key.

The options every entry path shares are checked here (``DrawPlan.check``), before anything is read
or written; the verification re-runs the selection through the same ``run_selection``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np

import selection
from panel.domain.draw import Draw, draw_id
from panel.domain.errors import ValidationError
from panel.draws.dropout_settings import DropoutSettings, parse_settings
from panel.draws.pool_builder import PoolSnapshot, member_hash
from panel.draws.record import build_slots, seal_slot, slot_candidates, slot_rows
from panel.draws.reserves_model import apply_dropout, check_model

MAX_SEED = 2**63 - 1
MAX_LOTTERY_SIZE = 100_000
MAX_TEXT = 200
Progress = Callable[[str, int, int], None]


def quota_dicts(quotas: Iterable[selection.Quota]) -> list[dict[str, Any]]:
    return [{"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in quotas]


def recorded_quotas(recorded: list[dict[str, Any]]) -> list[selection.Quota]:
    return [selection.Quota(q["feature"], q["value"], int(q["min"]), int(q["max"])) for q in recorded]


def pool_digest(rows: list[list[Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def run_selection(
    candidates: list[selection.Candidate],
    quotas: list[selection.Quota],
    k: int,
    *,
    algorithm: str,
    seed: int | None,
    seed_from: str | None,
    reserves: int,
    lottery_size: int | None,
    progress: Progress | None = None,
    algorithm_version: int = selection.ALGORITHM_VERSION,
) -> selection.SelectionResult:
    """The one place draws call the selection library, so a draw and its verification agree.

    ``lottery_size`` None lets the selection choose it; a re-run passes the recorded size and the
    recorded ``algorithm_version`` (version 1 draws were rounded greedily to their recorded size).
    """
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
        algorithm_version=algorithm_version,
    )


def check_options(
    size: int,
    seed: int | None,
    seed_from: str | None,
    reserves: int,
    lottery_size: int | None,
    household_by: str | None,
) -> None:
    """The draw options every entry path shares, checked before anything is read or written."""
    if size < 1:
        raise ValidationError(f"--size {size} is not a panel size: use a whole number of 1 or more")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise ValidationError(
            f"--seed {seed} is out of range: use a whole number from 0 to {MAX_SEED}, or --seed-from TEXT"
        )
    if seed_from is not None and (not seed_from.strip() or len(seed_from) > MAX_TEXT or not seed_from.isprintable()):
        raise ValidationError(
            f"--seed-from must be printable text of 1 to {MAX_TEXT} characters, e.g. the lottery numbers announced"
        )
    if reserves < 0:
        raise ValidationError(f"--reserves {reserves} is negative: use 0 or more")
    if lottery_size is not None and not 1 <= lottery_size <= MAX_LOTTERY_SIZE:
        raise ValidationError(f"--lottery-size {lottery_size} is out of range: use auto or 1 to {MAX_LOTTERY_SIZE}")
    if household_by not in (None, "postcode", "address"):
        raise ValidationError(f"--household-by {household_by!r} is unknown: use postcode or address")


@dataclass(frozen=True)
class DrawPlan:
    """What a recruiter asks of a draw."""

    size: int
    quotas: tuple[selection.Quota, ...] = ()
    algorithm: str = "leximin"
    seed: int | None = None
    seed_from: str | None = None
    reserves: int = 0
    household_by: str | None = None
    lottery_size: int | None = None  # None: chosen from the instance (recorded as the size used)
    drawn_by: str | None = None
    reserves_model: str = "plain"  # or "dropout": see panel.draws.reserves_model
    model_settings: tuple[str, ...] = ()  # NAME=VALUE texts for the dropout model (panel.draws.dropout_settings)

    @property
    def features(self) -> list[str]:
        return sorted({q.feature for q in self.quotas})

    def check(self) -> None:
        check_options(self.size, self.seed, self.seed_from, self.reserves, self.lottery_size, self.household_by)
        check_model(self.reserves_model, self.reserves)
        if self.model_settings and self.reserves_model != "dropout":
            raise ValidationError("--model-setting sets the dropout model: use it with --reserves-model dropout")
        self.dropout_settings()
        if self.drawn_by is not None and (len(self.drawn_by) > MAX_TEXT or not self.drawn_by.isprintable()):
            raise ValidationError(f"--by must be printable text of at most {MAX_TEXT} characters")

    def dropout_settings(self) -> DropoutSettings:
        return parse_settings(self.model_settings, self.features)


@dataclass(frozen=True)
class Composed:
    draw: Draw
    result: selection.SelectionResult
    panel: list[UUID]  # the people drawn, to invite


def compose(
    plan: DrawPlan,
    engagement_id: UUID,
    round_number: int,
    snapshot: PoolSnapshot,
    moment: datetime,
    position: int,
    progress: Progress | None = None,
    history: Any = None,
) -> Composed:
    """Run the selection on the snapshot's type table and record it as a ``Draw`` (not yet saved);
    ``history`` (``dropout_history.GatheredHistory``) is the dropout model's input with ``--reserves-model dropout``."""
    features = plan.features
    table = build_slots(snapshot.members, features)
    candidates = slot_candidates(table.rows, table.counts, features)
    result = run_selection(
        candidates,
        list(plan.quotas),
        plan.size,
        algorithm=plan.algorithm,
        seed=plan.seed,
        seed_from=plan.seed_from,
        reserves=plan.reserves,
        lottery_size=plan.lottery_size,
        progress=progress,
    )
    model_record = None
    if plan.reserves_model == "dropout":
        result, chosen, model_record = apply_dropout(
            result,
            candidates,
            list(plan.quotas),
            plan.reserves,
            history,
            plan.seed,
            plan.seed_from,
            plan.dropout_settings(),
        )
        model_record["plain"] = [table.holder[s].hex for s in chosen.plain]
    did = draw_id(engagement_id, round_number)
    slot_of = {pid: slot for slot, pid in table.holder.items()}
    rows = [
        [
            m.id.hex,
            m.version,
            member_hash(m.key, did.hex, m.features, m.household),
            seal_slot(m.key, m.id, did, slot_of[m.id]),
        ]
        for m in snapshot.members  # sorted by id: the order says nothing about anyone's type
    ]
    row_at = dict(zip(table.slots, slot_rows(table.counts), strict=False))
    draw = Draw.record(
        id=did,
        at=moment,
        engagement_id=engagement_id,
        size=plan.size,
        algorithm=result.algorithm,
        algorithm_version=result.algorithm_version,
        solver=result.solver,
        solver_version=result.solver_version,
        seed=plan.seed,
        seed_from=plan.seed_from,
        lottery_size=len(result.lottery),
        lottery_index=result.lottery_index,
        quotas=quota_dicts(plan.quotas),
        features=features,
        household_by=plan.household_by,
        pool=rows,
        pool_sha256=pool_digest(rows),
        inputs_sha256=result.inputs_sha256,
        probabilities=dict(result.probabilities),  # by slot: a person's is readable only with their key
        selected=sorted(table.holder[s].hex for s in result.selected),
        reserves=[table.holder[s].hex for s in result.reserves],
        report=_small_report(result, snapshot.excluded),
        drawn_by=plan.drawn_by,
        round=round_number,
        as_of_position=position,
        types=table.recorded(),
        panel_rows=sorted(row_at[s] for s in result.selected),
        reserves_model=model_record,
    )
    return Composed(draw, result, [table.holder[s] for s in result.selected])


def _small_report(result: selection.SelectionResult, excluded: dict[str, int]) -> dict[str, Any]:
    report = dict(result.report)
    report["excluded"] = excluded
    return json.loads(json.dumps(report, default=str))
