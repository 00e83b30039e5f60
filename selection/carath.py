"""Fast exact decomposition of target type counts into panels (Caratheodory walk).

Keep a residual r with mass m (start: r = target counts, m = 1). Find a feasible panel c
on the smallest face of the relaxation that contains r / m (types at 0 or at n_t stay
there, tight quota and household rows stay tight), take the largest step theta with
(r - theta c) / (m - theta) still in the relaxation, and repeat. Every step makes one
more row tight, so at most (types + rows) panels are produced. The walk may fail when
the face holds no panel; the caller then falls back to column generation.

Each face's panel is found by the swap repair from the previous panel, then (algorithm version 4,
``face_lp``) from the face's LP vertex (face_lp.py), then by the panel ILP.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from selection.face_lp import FaceLP, restrict
from selection.pool import Pool
from selection.pricing import Pricer
from selection.repair import Face, Repairer

TIGHT = 1e-7
WALK_GAP = 0.5
STUCK_MASS = 1e-6  # a walk stuck with less mass than this left still ends (the check decides)
NOISE = 1e-12  # version 4: the rounding error in the residual counts r
EXACT = 5e-7


def _step(pool: Pool, r: np.ndarray, m: float, c: np.ndarray) -> float:
    sizes = pool.sizes.astype(float)
    limits = [np.array([m])]
    use = c > 0
    limits.append(r[use] / c[use])
    room = c < sizes
    limits.append((m * sizes[room] - r[room]) / (sizes[room] - c[room]))
    ar, ac = pool.incidence @ r, pool.incidence @ c
    low, high = pool.qmin, pool.qmax
    above, below = ac > low, ac < high
    limits.append((ar[above] - m * low[above]) / (ac[above] - low[above]))
    limits.append((m * high[below] - ar[below]) / (high[below] - ac[below]))
    if pool.households:
        taken, held = house_sums(pool, c), house_sums(pool, r)
        free = taken < 1
        limits.append((m - held[free]) / (1 - taken[free]))
    return max(0.0, float(np.concatenate(limits).min()))


def house_sums(pool: Pool, values: np.ndarray) -> np.ndarray:
    """Return the sum of ``values`` over each household's types."""
    if not pool.households:
        return np.zeros(0)
    return np.add.reduceat(np.asarray(values, dtype=float)[pool.house_members], pool.house_starts)


def face_of(pool: Pool, y: np.ndarray, tight: float = TIGHT) -> Face:
    """Return the smallest face of the relaxation containing the point ``y`` (type counts), to ``tight``."""
    sizes = pool.sizes.astype(float)
    ay = pool.incidence @ y
    qlo, qhi = pool.qmin, pool.qmax
    house = house_sums(pool, y)
    return Face(
        type_low=np.where(y >= sizes - tight, sizes, 0.0),
        type_high=np.where(y <= tight, 0.0, sizes),
        row_low=np.where(ay >= qhi - tight, qhi, qlo),
        row_high=np.where(ay <= qlo + tight, qlo, qhi),
        house_low=np.where(house >= 1 - tight, 1.0, 0.0),
        house_high=np.ones(len(pool.households)),
    )


def _panel_on(
    pool: Pool,
    face: Face,
    y: np.ndarray,
    previous: np.ndarray | None,
    pricer: Pricer,
    repairer: Repairer,
    face_lp: FaceLP | None,
) -> np.ndarray | None:
    weights = y / pool.sizes + 1e-3 / pool.sizes
    if previous is not None:
        repaired = repairer.repair(previous, face, weights)
        if repaired is not None:
            return repaired
    if face_lp is not None:
        from_lp = face_lp.panel(face, weights, repairer)
        if from_lp is not None:
            return from_lp
    restrict(pricer.model, pool, face)
    found = pricer.best(weights)
    return None if found is None else found[1]


def walk(
    pool: Pool,
    k: int,
    target: np.ndarray,
    pricer: Pricer,
    limit: int,
    progress: Callable[[str, int, int], None] | None = None,
    face_lp: FaceLP | None = None,
    noise: float = 0.0,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Return (compositions, weights) averaging to ``target`` probabilities.

    When the walk gets stuck the weights are None and the compositions found so far are
    returned, to seed the column-generation fallback.

    ``progress("decomposing", done, 1000)`` reports the share of the lottery built so far.
    ``face_lp`` (version 4) is asked for a face's panel before the ILP. ``noise`` (version 4) is the
    rounding error the residual counts carry: a bound within ``noise / m`` of the point counts as tight,
    so the walk's last steps (m near 1e-6, where TIGHT alone is below the noise in r / m) do not stall.
    """
    sizes = pool.sizes.astype(float)
    repairer = Repairer(pool)
    r, m = target * sizes, 1.0
    columns: list[np.ndarray] = []
    weights: list[float] = []
    previous: np.ndarray | None = None
    while m > 1e-9 and len(columns) < limit:
        y = np.clip(r / m, 0.0, sizes)
        face = face_of(pool, y, max(TIGHT, noise / m))
        panel = _panel_on(pool, face, y, previous, pricer, repairer, face_lp)
        if panel is None:
            if m < STUCK_MASS:
                break
            return columns, None
        c = panel.astype(float)
        theta = _step(pool, r, m, c)
        if theta <= 1e-12:
            if m < STUCK_MASS:
                break
            return columns, None
        columns.append(panel)
        weights.append(theta)
        previous = panel
        r = r - theta * c
        m -= theta
        if progress is not None:
            progress("decomposing", min(1000, int((1.0 - m) * 1000)), 1000)
    lam = np.array(weights) / sum(weights)
    achieved = (np.array(columns).T @ lam) / sizes
    if np.abs(achieved - target).max() > EXACT:
        return columns, None
    return columns, lam
