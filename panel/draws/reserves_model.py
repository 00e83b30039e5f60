"""How a draw orders its reserves: the plain list, or the dropout-aware list (``--reserves-model dropout``).

A dropout-model draw runs the selection exactly as a plain draw does (same panel, same plain
reserve list, same hashes), then fits ``selection.dropout`` to the history gathered as of the draw's
snapshot (``panel.draws.dropout_history``) and lets ``selection.dropout_reserves`` choose the list,
comparing it with the plain list. The simulation's seed comes from the draw's own randomness and
selection inputs, so the draw re-derives; the draw records the model (parameters and counts), the
seed, the plain list and the report (``Draw.reserves_model``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

import selection
from panel.domain.errors import ValidationError
from panel.draws.dropout_settings import DropoutSettings
from selection.dropout import estimate_dropout
from selection.dropout_reserves import DropoutReserves, choose_reserves

MODELS = ("plain", "dropout")


def check_model(name: str, reserves: int) -> None:
    if name not in MODELS:
        raise ValidationError(f"--reserves-model {name!r} is unknown: use plain or dropout")
    if name == "dropout" and reserves < 1:
        raise ValidationError("--reserves-model dropout orders reserves: give --reserves N (1 or more)")


def simulation_seed(inputs_sha256: str, seed: int | None, seed_from: str | None) -> int:
    """The simulation's seed, from the draw's randomness and its selection inputs (so a re-run gives it again)."""
    text = json.dumps(["dropout-reserves", inputs_sha256, seed, seed_from], separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def model_from_record(recorded: dict[str, Any]) -> Any:
    """Fit the model again from the recorded parameters and history counts."""
    from panel.draws.dropout_history import history_from_dict

    model = recorded["model"]
    return estimate_dropout(
        history_from_dict(model["history"]),
        prior_strength=float(model["prior_strength"]),
        default_rate=float(model["default_rate"]),
        shrink=float(model["shrink"]),
    )


def choose(
    result: selection.SelectionResult,
    candidates: Sequence[selection.Candidate],
    quotas: Sequence[selection.Quota],
    model: Any,
    seed: int,
    count: int,
    settings: DropoutSettings | None = None,
) -> DropoutReserves:
    """The dropout-aware list for the selection's panel, compared with the selection's plain list."""
    settings = settings or DropoutSettings()
    return choose_reserves(
        candidates,
        quotas,
        list(result.selected),
        count,
        model,
        np.random.default_rng(seed),
        scenarios=settings.scenarios,
        report_scenarios=settings.report_scenarios,
        shortlist=settings.shortlist,
        plain=list(result.reserves),
    )


def apply_dropout(
    result: selection.SelectionResult,
    candidates: Sequence[selection.Candidate],
    quotas: Sequence[selection.Quota],
    count: int,
    history: Any,
    seed: int | None,
    seed_from: str | None,
    settings: DropoutSettings | None = None,
) -> tuple[selection.SelectionResult, DropoutReserves, dict[str, Any]]:
    """Choose the reserves by the dropout model; the result with them, the choice and the record (plain ids
    still by slot: the caller names people)."""
    settings = settings or DropoutSettings()
    model = estimate_dropout(
        history.history,
        prior_strength=settings.prior_strength,
        default_rate=settings.default_rate,
        shrink=settings.shrink,
    )
    sim_seed = simulation_seed(result.inputs_sha256, seed, seed_from)
    chosen = choose(result, candidates, quotas, model, sim_seed, count, settings)
    report = {k: v for k, v in chosen.report.items() if k != "model"}
    record = {
        "name": "dropout",
        "count": count,
        "seed": sim_seed,
        "model": model.to_dict(),
        "settings": settings.to_dict(),
        "history": history.meta(),
        "report": report,
    }
    return dataclasses.replace(result, reserves=chosen.reserves), chosen, json.loads(json.dumps(record))


def summary(recorded: dict[str, Any] | None) -> dict[str, Any]:
    """What a draw's output shows of its reserve model."""
    if not recorded:
        return {"name": "plain"}
    lists = recorded["report"]["evaluation"]["lists"]
    ours, plain = lists["dropout-aware"], lists["plain"]
    model = recorded["model"]
    return {
        "name": "dropout",
        "seed": recorded["seed"],
        "kept": recorded["report"]["kept"],
        "scenarios": recorded["report"]["evaluation"]["scenarios"],
        "expected_shortfall": ours["expected_shortfall"],
        "plain_expected_shortfall": plain["expected_shortfall"],
        "difference": ours.get("difference_to_plain", 0.0),
        "difference_standard_error": ours.get("difference_standard_error", 0.0),
        "no_reserves_expected_shortfall": lists["no reserves"]["expected_shortfall"],
        "prior_rate": model["prior_rate"],
        "history_accepted": model["history"]["accepted"],
        "history_dropped": model["history"]["dropped"],
        "model": model,
        "settings": DropoutSettings.from_record(recorded).to_dict(),
        "history": recorded["history"],
    }
