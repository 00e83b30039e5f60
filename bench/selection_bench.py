"""Benchmark: our leximin against the Sortition Foundation's sortition-algorithms.

Run:  .venv/bin/python bench/selection_bench.py --sizes 500 2000 10000 --panels 30 100
Their side runs only when --sf-python points at a venv with sortition-algorithms installed.
"""

from __future__ import annotations

import math

import numpy as np

SEED = 20240601
FEATURES: dict[str, list[tuple[str, float, float]]] = {
    # value, population share, response multiplier (under-responding groups < 1)
    "gender": [("female", 0.50, 1.0), ("male", 0.48, 0.9), ("other", 0.02, 0.8)],
    "age_band": [("16-29", 0.22, 0.5), ("30-44", 0.25, 0.8), ("45-59", 0.25, 1.0),
                 ("60-74", 0.18, 1.3), ("75+", 0.10, 1.1)],
    "ethnicity": [("white", 0.80, 1.0), ("asian", 0.09, 0.6), ("black", 0.04, 0.5),
                  ("mixed", 0.03, 0.6), ("arab", 0.01, 0.5), ("other", 0.03, 0.6)],
    "region": [("north", 0.20, 1.0), ("midlands", 0.17, 0.9), ("east", 0.15, 1.0),
               ("london", 0.16, 0.8), ("south", 0.20, 1.1), ("west", 0.12, 1.0)],
    "imd_quintile": [("1", 0.20, 0.5), ("2", 0.20, 0.75), ("3", 0.20, 1.0), ("4", 0.20, 1.2),
                     ("5", 0.20, 1.4)],
    "disability": [("yes", 0.18, 0.6), ("no", 0.82, 1.0)],
}


def make_people(n: int, *, households: bool, seed: int = SEED) -> list[dict[str, str]]:
    """Return n synthetic respondents (id, six features, address) with response bias."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, str]] = [{"id": f"p{i:05d}"} for i in range(n)]
    for feature, values in FEATURES.items():
        weights = np.array([share * resp for _, share, resp in values])
        picks = rng.choice(len(values), size=n, p=weights / weights.sum())
        for row, pick in zip(rows, picks):
            row[feature] = values[pick][0]
    for i, row in enumerate(rows):
        row["address"] = f"a{i:05d}"
    if households:
        sharing = rng.permutation(n)[: n // 5]
        pos = 0
        while pos < len(sharing) - 1:
            size = int(rng.integers(2, 4))
            group = sharing[pos: pos + size]
            for member in group:
                rows[member]["address"] = f"h{group[0]:05d}"
            pos += size
    return rows


def make_quotas(k: int) -> list[tuple[str, str, int, int]]:
    """Return (feature, value, min, max) with min=floor(.8t), max=ceil(1.2t), t=share*k."""
    quotas = []
    for feature, values in FEATURES.items():
        for value, share, _ in values:
            target = share * k
            quotas.append((feature, value, math.floor(0.8 * target), math.ceil(1.2 * target)))
    return quotas
