"""Round an optimal lottery to M equally likely concrete panels, and draw one.

Compositions get floor or ceil of M * weight panels: after the floors, the spare panels
go one by one to the composition whose members are furthest below their optimal share
(a deterministic, deficit-balancing rounding). Each type's members then fill that type's
seats round-robin in a seeded order, so every person appears within one panel of their
type's share: a person's lottery probability is within 1/M of the rounded type share.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from selection.model import PersonType


def balanced_counts(columns: Sequence[np.ndarray], weights: np.ndarray, sizes: np.ndarray, m: int) -> np.ndarray:
    """Return panel counts (floor or ceil of m * weight, summing to m) that keep every type's
    share of the lottery close to its optimal share."""
    scaled = weights * m
    counts = np.floor(scaled + 1e-12).astype(np.int64)
    spare = m - int(counts.sum())
    eligible = scaled - counts > 1e-12
    support = [np.flatnonzero(c) for c in columns]
    index = np.concatenate(support).astype(np.int64)
    value = np.concatenate([c[s] for c, s in zip(columns, support, strict=True)]).astype(float)
    starts = np.cumsum([0] + [len(s) for s in support[:-1]])
    goal = sum(w * c for w, c in zip(scaled, columns, strict=True))
    have = sum((n * c for n, c in zip(counts, columns, strict=True) if n), np.zeros(len(sizes)))
    for _ in range(spare):
        deficit = (goal - have) / sizes
        score = np.add.reduceat(value * deficit[index], starts)
        score[~eligible] = -np.inf
        pick = int(np.argmax(score))
        if not eligible[pick]:
            eligible = scaled - counts > -1.0  # more spare panels than fractional parts
            continue
        counts[pick] += 1
        eligible[pick] = False
        have = have + columns[pick]
    return counts


def expand(
    columns: Sequence[np.ndarray], counts: np.ndarray, types: Sequence[PersonType], rng: np.random.Generator
) -> list[tuple[str, ...]]:
    """Turn composition counts into concrete panels (sorted id tuples), round-robin per type."""
    orders = [list(np.asarray(t.members)[rng.permutation(len(t.members))]) for t in types]
    cursor = [0] * len(types)
    panels: list[tuple[str, ...]] = []
    for column, count in zip(columns, counts, strict=True):
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
