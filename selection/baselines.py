"""The non-optimising algorithms: ``uniform`` (no quotas) and ``legacy`` (greedy, for comparison)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from math import comb

import numpy as np

from selection.errors import InfeasibleQuotasError
from selection.model import Candidate, Quota, normalize
from selection.pool import feature_values, household_key

LEGACY_ATTEMPTS = 100


def household_groups(candidates: Sequence[Candidate]) -> list[list[str]]:
    """Return candidate ids grouped by household (people alone form their own group)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for candidate in sorted(candidates, key=lambda c: c.id):
        key = household_key(candidate)
        groups["h:" + key if key is not None else "p:" + candidate.id].append(candidate.id)
    return [groups[key] for key in sorted(groups)]


def uniform_probabilities(groups: list[list[str]], k: int) -> dict[str, float]:
    """Exact probabilities of a uniform draw over panels with at most one per household."""
    sizes: dict[int, int] = defaultdict(int)
    for group in groups:
        sizes[len(group)] += 1
    total = _panel_count(sizes, k)
    result: dict[str, float] = {}
    for size in sizes:
        others = dict(sizes)
        others[size] -= 1
        share = _panel_count(others, k - 1) / total if k > 0 else 0.0
        for group in groups:
            if len(group) == size:
                result.update(dict.fromkeys(group, share))
    return result


def _panel_count(sizes: dict[int, int], k: int) -> int:
    """Number of k-panels with at most one person from each group: [x^k] prod (1 + s x)^m."""
    if k < 0:
        return 0
    poly = [1]
    for size, many in sizes.items():
        factor = [comb(many, j) * size**j for j in range(min(many, k) + 1)]
        poly = [
            sum(poly[i] * factor[j - i] for i in range(max(0, j - len(factor) + 1), min(j, len(poly) - 1) + 1))
            for j in range(min(len(poly) + len(factor) - 1, k + 1))
        ]
    return poly[k] if k < len(poly) else 0


def uniform_draw(groups: list[list[str]], k: int, rng: np.random.Generator) -> tuple[str, ...]:
    """Draw uniformly among panels of size k with at most one person per household."""
    if all(len(g) == 1 for g in groups):
        picks = rng.choice(len(groups), size=k, replace=False)
        return tuple(sorted(groups[int(i)][0] for i in picks))
    weights = np.array([len(g) for g in groups], dtype=float)
    theta = _poisson_scale(weights, k)
    inclusion = theta * weights / (1.0 + theta * weights)
    while True:  # conditional Poisson sampling: P(set) proportional to prod of group sizes
        chosen = np.flatnonzero(rng.random(len(groups)) < inclusion)
        if len(chosen) == k:
            return tuple(sorted(groups[int(i)][int(rng.integers(len(groups[int(i)])))] for i in chosen))


def _poisson_scale(weights: np.ndarray, k: int) -> float:
    low, high = 0.0, 1.0
    while (high * weights / (1 + high * weights)).sum() < k:
        high *= 2.0
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if (mid * weights / (1 + mid * weights)).sum() < k else (low, mid)
    return (low + high) / 2


class Legacy:
    """Greedy stratified draw: fill the most-needed quota value first, restart on failure."""

    def __init__(self, candidates: Sequence[Candidate], quotas: Sequence[Quota], k: int) -> None:
        self.ids = [c.id for c in sorted(candidates, key=lambda c: c.id)]
        by_id = {c.id: c for c in candidates}
        values = [feature_values(by_id[i]) for i in self.ids]
        self.member = np.array(
            [[v.get(normalize(q.feature)) == normalize(q.value) for v in values] for q in quotas], dtype=bool
        ).reshape(len(quotas), len(self.ids))
        self.qmin = np.array([q.min for q in quotas])
        self.qmax = np.array([q.max for q in quotas])
        house = [household_key(by_id[i]) or "p:" + i for i in self.ids]
        codes = {h: n for n, h in enumerate(sorted(set(house)))}
        self.house = np.array([codes[h] for h in house])
        self.k = k

    def draw(self, rng: np.random.Generator) -> tuple[str, ...]:
        """Return one panel, retrying up to LEGACY_ATTEMPTS times."""
        for _ in range(LEGACY_ATTEMPTS):
            panel = self._attempt(rng)
            if panel is not None:
                return panel
        raise InfeasibleQuotasError(
            f"the legacy greedy draw failed {LEGACY_ATTEMPTS} times in a "
            "row; use algorithm leximin, which finds a panel when one exists."
        )

    def _attempt(self, rng: np.random.Generator) -> tuple[str, ...] | None:
        open_ = np.ones(len(self.ids), dtype=bool)
        counts = np.zeros(len(self.qmin), dtype=np.int64)
        chosen: list[int] = []
        while len(chosen) < self.k:
            remaining = self.member[:, open_].sum(axis=1)
            need = self.qmin - counts
            ratio = np.where(need > 0, need / np.maximum(remaining, 1), -1.0)
            if ratio.size and ratio.max() > 0:
                pool = np.flatnonzero(open_ & self.member[int(np.argmax(ratio))])
            else:
                pool = np.flatnonzero(open_)
            if pool.size == 0 or (ratio.size and ratio.max() > 1):
                return None
            person = int(pool[int(rng.integers(pool.size))])
            chosen.append(person)
            counts += self.member[:, person]
            full = counts >= self.qmax
            open_ &= ~self.member[full].any(axis=0)
            open_ &= self.house != self.house[person]
        if (counts < self.qmin).any():
            return None
        return tuple(sorted(self.ids[i] for i in chosen))
