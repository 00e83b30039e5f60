"""Fast exact decomposition of target type counts into panels (Caratheodory walk).

Keep a residual r with mass m (start: r = target counts, m = 1). Find a feasible panel c
on the smallest face of the relaxation that contains r / m (types at 0 or at n_t stay
there, tight quota and household rows stay tight), take the largest step theta with
(r - theta c) / (m - theta) still in the relaxation, and repeat. Every step makes one
more row tight, so at most (types + rows) panels are produced. The walk may fail when
the face holds no panel; the caller then falls back to column generation.
"""

from __future__ import annotations

import numpy as np

from selection.pool import Pool
from selection.pricing import Pricer

TIGHT = 1e-7
WALK_GAP = 0.5


def _step(pool: Pool, r: np.ndarray, m: float, c: np.ndarray) -> float:
    sizes = pool.sizes.astype(float)
    limits = [m]
    use = c > 0
    limits.extend(r[use] / c[use])
    room = c < sizes
    limits.extend((m * sizes[room] - r[room]) / (sizes[room] - c[room]))
    ar, ac = pool.incidence @ r, pool.incidence @ c
    for value_r, value_c, low, high in zip(ar, ac, pool.qmin, pool.qmax):
        if value_c > low:
            limits.append((value_r - m * low) / (value_c - low))
        if value_c < high:
            limits.append((m * high - value_r) / (high - value_c))
    for house in pool.households:
        taken = float(c[list(house)].sum())
        if taken < 1:
            limits.append((m - float(r[list(house)].sum())) / (1 - taken))
    return max(0.0, min(limits))


def _restrict(pricer: Pricer, pool: Pool, y: np.ndarray) -> None:
    h, sizes = pricer.model, pool.sizes.astype(float)
    low = np.where(y >= sizes - TIGHT, sizes, 0.0)
    high = np.where(y <= TIGHT, 0.0, sizes)
    h.changeColsBounds(len(sizes), np.arange(len(sizes), dtype=np.int32), low, high)
    ay = pool.incidence @ y
    for q, (value, qlo, qhi) in enumerate(zip(ay, pool.qmin, pool.qmax)):
        h.changeRowBounds(q, qhi if value >= qhi - TIGHT else qlo,
                          qlo if value <= qlo + TIGHT else qhi)
    first = len(pool.quotas) + 1
    for i, house in enumerate(pool.households):
        h.changeRowBounds(first + i, 1.0 if y[list(house)].sum() >= 1 - TIGHT else 0.0, 1.0)


def walk(pool: Pool, k: int, target: np.ndarray, pricer: Pricer,
         limit: int) -> tuple[list[np.ndarray], np.ndarray] | None:
    """Return (compositions, weights) averaging to ``target`` probabilities, or None."""
    sizes = pool.sizes.astype(float)
    r, m = target * sizes, 1.0
    columns: list[np.ndarray] = []
    weights: list[float] = []
    while m > 1e-9 and len(columns) < limit:
        y = np.clip(r / m, 0.0, sizes)
        _restrict(pricer, pool, y)
        found = pricer.best(y / sizes + 1e-3 / sizes)
        if found is None:
            if m < 1e-6:
                break
            return None
        c = found[1].astype(float)
        theta = _step(pool, r, m, c)
        if theta <= 1e-12:
            if m < 1e-6:
                break
            return None
        columns.append(found[1])
        weights.append(theta)
        r = r - theta * c
        m -= theta
    lam = np.array(weights) / sum(weights)
    achieved = (np.array(columns).T @ lam) / sizes
    if np.abs(achieved - target).max() > 5e-7:
        return None
    return columns, lam


def release(pricer: Pricer, pool: Pool, k: int) -> None:
    """Undo the face restrictions on the pricing model."""
    h, size = pricer.model, len(pool.types)
    h.changeColsBounds(size, np.arange(size, dtype=np.int32), np.zeros(size),
                       pool.sizes.astype(float))
    for q, (low, high) in enumerate(zip(pool.qmin, pool.qmax)):
        h.changeRowBounds(q, low, high)
    h.changeRowBounds(len(pool.quotas), float(k), float(k))
    for i in range(len(pool.households)):
        h.changeRowBounds(len(pool.quotas) + 1 + i, 0.0, 1.0)
