"""Round an optimal lottery to M equally likely concrete panels, and draw one.

Compositions get floor or ceil of M * weight panels (systematic sampling with a seeded
offset). Each type's members then fill that type's seats round-robin in a seeded order,
so every person appears within one panel of their type's share: a person's lottery
probability is within 1/M of M-rounded type probability.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from selection.model import PersonType


def round_counts(weights: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    """Return integer panel counts summing to ``m``, each floor or ceil of m * weight."""
    cumulative = np.concatenate([[0.0], np.cumsum(weights)]) * m
    cumulative[-1] = m
    offset = float(rng.random())
    points = offset + np.arange(m)
    edges = np.searchsorted(points, cumulative, side="left")
    return np.diff(edges).astype(np.int64)


def expand(columns: Sequence[np.ndarray], counts: np.ndarray, types: Sequence[PersonType],
           rng: np.random.Generator) -> list[tuple[str, ...]]:
    """Turn composition counts into concrete panels (sorted id tuples), round-robin per type."""
    orders = [list(np.asarray(t.members)[rng.permutation(len(t.members))]) for t in types]
    cursor = [0] * len(types)
    panels: list[tuple[str, ...]] = []
    for column, count in zip(columns, counts):
        support = np.flatnonzero(column)
        for _ in range(int(count)):
            people: list[str] = []
            for t in support:
                members, need = orders[t], int(column[t])
                start = cursor[t]
                people.extend(members[(start + i) % len(members)] for i in range(need))
                cursor[t] = (start + need) % len(members)
            panels.append(tuple(sorted(str(p) for p in people)))
    return panels


def marginals(panels: Sequence[tuple[str, ...]], ids: Sequence[str]) -> dict[str, float]:
    """Return each id's share of the panels that contain it."""
    counts = dict.fromkeys(ids, 0)
    for panel in panels:
        for person in panel:
            counts[person] += 1
    return {person: count / len(panels) for person, count in counts.items()}


def draw_index(m: int, rng: np.random.Generator, seed_from: str | None) -> int:
    """Return the lottery index: from sha256(seed_from) when given, else from ``rng``."""
    if seed_from is not None:
        digest = hashlib.sha256(seed_from.encode("utf-8")).digest()
        return int.from_bytes(digest, "big") % m
    return int(rng.integers(m))
