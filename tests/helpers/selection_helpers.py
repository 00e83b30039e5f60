"""Shared helpers for the selection tests: small instances and an independent leximin."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import linprog

from selection import Candidate, Quota


def people(
    rows: Sequence[tuple[str, ...]], names: Sequence[str] = ("gender", "age"), households: dict[int, str] | None = None
) -> list[Candidate]:
    """Candidates p00, p01, ... with the given feature values."""
    households = households or {}
    return [
        Candidate(f"p{i:02d}", dict(zip(names, row, strict=False)), households.get(i)) for i, row in enumerate(rows)
    ]


def satisfies(panel: Sequence[str], candidates: Sequence[Candidate], quotas: Sequence[Quota], k: int) -> bool:
    """Return True when the panel has k distinct people, meets every quota and household rule."""
    by_id = {c.id: c for c in candidates}
    if len(panel) != k or len(set(panel)) != k:
        return False
    houses = [by_id[p].household for p in panel if by_id[p].household is not None]
    if len(houses) != len(set(houses)):
        return False
    for q in quotas:
        count = sum(by_id[p].features[q.feature].casefold() == q.value.casefold() for p in panel)
        if not q.min <= count <= q.max:
            return False
    return True


def feasible_panels(candidates: Sequence[Candidate], quotas: Sequence[Quota], k: int) -> list[tuple[str, ...]]:
    """Enumerate every feasible panel (only for tiny pools)."""
    ids = sorted(c.id for c in candidates)
    return [p for p in itertools.combinations(ids, k) if satisfies(p, candidates, quotas, k)]


def enumerated_leximin(candidates: Sequence[Candidate], quotas: Sequence[Quota], k: int) -> dict[str, float]:
    """Leximin by brute force: iterative LPs over all feasible panels (scipy HiGHS).

    Fixing rule (independent of duals): after maximising the level z, a free person is fixed
    when their own probability cannot exceed z while everyone keeps their floor.
    """
    ids = sorted(c.id for c in candidates)
    panels = feasible_panels(candidates, quotas, k)
    member = np.array([[i in p for p in panels] for i in ids], dtype=float)  # people x panels
    n, m = member.shape
    floor = np.full(n, -1.0)
    while (floor < 0).any():
        free = floor < 0
        # variables: lambda (m), z ; maximise z
        a_ub = np.hstack([-member, free[:, None].astype(float)])
        b_ub = np.where(free, 0.0, -floor + 1e-10)
        res = linprog(
            np.r_[np.zeros(m), -1.0],
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=np.r_[np.ones(m), 0.0][None, :],
            b_eq=[1.0],
            bounds=[(0, None)] * m + [(0, 1)],
            method="highs",
        )
        z = -res.fun
        for i in np.flatnonzero(free):
            bound = np.where(free, z - 1e-10, floor - 1e-10)
            check = linprog(
                -member[i],
                A_ub=-member,
                b_ub=-bound,
                A_eq=np.ones((1, m)),
                b_eq=[1.0],
                bounds=[(0, None)] * m,
                method="highs",
            )
            if -check.fun <= z + 1e-7:
                floor[i] = z
        if (floor[free] < 0).all():  # numerical guard: fix the lowest at least
            floor[np.flatnonzero(free)[0]] = z
    return dict(zip(ids, floor, strict=False))


SHARES = {
    "gender": (0.5, 0.46, 0.04),
    "age": (0.15, 0.25, 0.3, 0.2, 0.1),
    "ethnicity": (0.8, 0.1, 0.05, 0.05),
    "region": (0.25, 0.2, 0.2, 0.2, 0.15),
    "imd": (0.1, 0.15, 0.2, 0.25, 0.3),
    "disability": (0.2, 0.8),
}


def six_features(n: int, k: int, seed: int) -> tuple[list[Candidate], list[Quota]]:
    """A pool with six skewed features and quotas of 80-120% of each share of k."""
    rng = np.random.default_rng(seed)
    picks = {f: rng.choice(len(s), size=n, p=s) for f, s in SHARES.items()}
    candidates = [Candidate(f"p{i:04d}", {f: f"{f}{picks[f][i]}" for f in SHARES}) for i in range(n)]
    quotas = [
        Quota(f, f"{f}{v}", math.floor(0.8 * s * k), math.ceil(1.2 * s * k))
        for f, shares in SHARES.items()
        for v, s in enumerate(shares)
    ]
    return candidates, quotas


def share_households(candidates: list[Candidate], seed: int) -> list[Candidate]:
    """A fifth of the pool in households of two or three (at most one of each on a panel)."""
    rng = np.random.default_rng(seed)
    sharing = rng.permutation(len(candidates))[: len(candidates) // 5]
    house: dict[int, str] = {}
    start = 0
    while start < len(sharing) - 1:
        group = sharing[start : start + int(rng.integers(2, 4))]
        house.update({int(member): f"h{group[0]}" for member in group})
        start += len(group)
    return [replace(c, household=house.get(i)) for i, c in enumerate(candidates)]
