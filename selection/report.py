"""Numbers that describe a selection: quota table and fairness statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from selection.model import Candidate, Quota
from selection.pool import count_quota_members


def gini(values: Sequence[float] | np.ndarray) -> float:
    """Return the Gini coefficient of non-negative values (0 = everyone equal)."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    index = np.arange(1, x.size + 1)
    return float((2 * index - x.size - 1) @ x / (x.size * x.sum()))


def summary(probabilities: Mapping[str, float]) -> dict[str, float]:
    """Return min, median, max and Gini of selection probabilities."""
    values = np.array(list(probabilities.values()), dtype=float)
    if values.size == 0:
        return {"min": 0.0, "median": 0.0, "max": 0.0, "gini": 0.0}
    return {
        "min": float(values.min()),
        "median": float(np.median(values)),
        "max": float(values.max()),
        "gini": gini(values),
    }


def quota_table(
    candidates: Sequence[Candidate], quotas: Sequence[Quota], selected: Sequence[str]
) -> list[dict[str, Any]]:
    """Return one row per quota: feature, value, min, max, pool count and selected count."""
    chosen = set(selected)
    in_pool = count_quota_members(quotas, candidates)
    on_panel = count_quota_members(quotas, [c for c in candidates if c.id in chosen])
    return [
        {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max, "pool": pool, "selected": panel}
        for q, pool, panel in zip(quotas, in_pool, on_panel, strict=True)
    ]


def build_report(
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    k: int,
    selected: Sequence[str],
    lottery: Mapping[str, float],
    optimal: Mapping[str, float],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """Assemble the report dictionary of a SelectionResult."""
    n = len(candidates)
    fair_share = k / n if n else 0.0
    used, best = summary(lottery), summary(optimal)
    return {
        "quotas": quota_table(candidates, quotas, selected),
        "pool_size": n,
        "k_over_n": fair_share,
        "probability": used,
        "optimal_probability": best,
        "min_over_k_over_n": used["min"] / fair_share if fair_share else 0.0,
        "rounding_cost": best["min"] - used["min"],
        **dict(extra),
    }
