"""Verify a dropout-model draw's reserves: the model from its recorded counts, the list from its seed,
and the counts from the history as of the draw.

1. The model is fitted again from the recorded parameters and history counts; its rates must be the
   recorded ones. The simulation seed must follow from the draw's randomness and inputs.
2. The chooser runs again on the re-run panel with that model and seed: the plain list, the chosen
   list (checked with the rest of the re-run) and the expected-shortfall report must be as recorded.
3. The history is gathered again as of the draw's snapshot: its counts must be the recorded ones
   (unless people counted then can no longer be read: that is stated, not a difference).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import selection
from panel.domain.draw import Draw
from panel.draws.dropout_history import gather
from panel.draws.dropout_settings import DropoutSettings
from panel.draws.reserves_model import choose, model_from_record, simulation_seed
from panel.draws.results import RefBook, Verification

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService


def reserve_count(draw: Draw) -> int:
    """How many reserves the selection drew: the recorded request for a dropout-model draw."""
    recorded = getattr(draw, "reserves_model", None)
    return int(recorded["count"]) if recorded else len(draw.drawn_reserves)


def rerun_dropout(
    draw: Draw,
    result: selection.SelectionResult,
    candidates: Sequence[selection.Candidate],
    quotas: Sequence[selection.Quota],
    holder: dict[str, UUID],
    found: Verification,
) -> selection.SelectionResult:
    """The re-run's result with the reserves the recorded model and seed choose (differences listed)."""
    recorded: dict[str, Any] = draw.reserves_model or {}
    model = model_from_record(recorded)
    if json.loads(json.dumps(model.to_dict())) != recorded["model"]:
        found.differences.append(
            "the dropout model's recorded rates do not follow from its recorded history counts and parameters"
        )
    if simulation_seed(result.inputs_sha256, draw.seed, draw.seed_from) != recorded["seed"]:
        found.differences.append("the dropout simulation's recorded seed does not follow from the draw's randomness")
    settings = DropoutSettings.from_record(recorded)  # what the draw used (the defaults before they were recorded)
    if (settings.prior_strength, settings.default_rate, settings.shrink) != (
        model.prior_strength,
        model.default_rate,
        model.shrink,
    ):
        found.differences.append("the dropout model's recorded parameters differ from the draw's recorded settings")
    chosen = choose(result, candidates, quotas, model, int(recorded["seed"]), int(recorded["count"]), settings)
    slot_of = {pid: slot for slot, pid in holder.items()}
    plain = [UUID(p) for p in recorded.get("plain", [])]
    if len(plain) != len(chosen.plain) or any(
        pid in slot_of and slot_of[pid] != slot for pid, slot in zip(plain, chosen.plain, strict=False)
    ):
        found.differences.append("the plain reserve list the dropout-aware list was compared with differs")
    report = json.loads(json.dumps({k: v for k, v in chosen.report.items() if k != "model"}))
    if report != recorded["report"]:
        found.differences.append("the expected-shortfall report of the reserves differs from the re-run")
    return dataclasses.replace(result, reserves=chosen.reserves)


def check_dropout_history(draws: DrawService, draw: Draw, refs: RefBook, found: Verification) -> None:
    """Gather the dropout history again as of the draw's snapshot and compare its counts."""
    recorded = getattr(draw, "reserves_model", None)
    if not recorded:
        return
    meta = recorded["history"]
    position = int(meta["as_of_position"])
    if draw.as_of_position is not None and position != draw.as_of_position:
        found.differences.append("the dropout history was counted at another position than the draw's snapshot")
    again = gather(draws.app, position, DropoutSettings.from_record(recorded).model_features(draw.features))
    counts = again.history.to_dict()
    was = recorded["model"]["history"]
    if counts == was and again.unresolved == meta["not_yet_known"]:
        return
    if again.unreadable != meta["unreadable"]:
        found.notes.append(
            f"{again.unreadable - int(meta['unreadable'])} more people of the dropout history cannot be read "
            "(erased since the draw): its counts cannot be re-derived exactly"
        )
        return
    found.differences.append(
        f"the dropout history counts differ from the history as of the draw: recorded {was['accepted']} accepted, "
        f"{was['dropped']} dropped out; the history gives {counts['accepted']} and {counts['dropped']}"
        + ("" if counts["by_value"] == was["by_value"] or counts["accepted"] != was["accepted"] else " (by value)")
    )
