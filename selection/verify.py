"""Re-run a recorded selection and list every difference (empty list = verified)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from selection.api import select
from selection.model import Candidate, Quota

COMPARED = ("inputs_sha256", "algorithm_version", "selected", "reserves", "lottery_index", "lottery", "probabilities")


def generator_from_state(state: Mapping[str, Any]) -> np.random.Generator:
    """Rebuild a numpy Generator from ``bit_generator.state`` (as recorded in options)."""
    bit_generator = getattr(np.random, str(state["bit_generator"]))()
    bit_generator.state = dict(state)
    return np.random.Generator(bit_generator)


def verify(candidates: Iterable[Candidate], quotas: Iterable[Quota], k: int, recorded: Mapping[str, Any]) -> list[str]:
    """Recompute the selection recorded by ``SelectionResult.to_dict()`` and compare."""
    options = dict(recorded.get("options", {}))
    state = options.pop("rng_state", None)
    if state is None:
        return ["the record has no options.rng_state; it cannot be replayed."]
    again = select(
        candidates,
        quotas,
        k,
        rng=generator_from_state(state),
        algorithm=options["algorithm"],
        must_include=options["must_include"],
        must_exclude=options["must_exclude"],
        lottery_size=options["lottery_size"],
        reserves=options["reserves"],
        seed_from=options["seed_from"],
        monte_carlo_draws=options["monte_carlo_draws"],
        algorithm_version=int(recorded.get("algorithm_version", 1)),
    ).to_dict()
    differences = []
    for key in COMPARED:
        if _canonical(again.get(key)) != _canonical(recorded.get(key)):
            differences.append(
                f"{key} differs: recorded {_short(recorded.get(key))}, recomputed {_short(again.get(key))}"
            )
    return differences


def _canonical(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
