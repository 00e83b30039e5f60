"""A panel on a face from the face's linear relaxation (algorithm version 4's walk).

The Caratheodory walk needs some feasible panel on the smallest face of the relaxation that holds
its current point; any one will do, the weights only steer it towards a long step. Versions 1-3
ask the panel ILP every time the swap repair from the previous panel fails, and each of those
solves costs 20-250 ms however small the face (HiGHS's presolve and root work, not its search;
at n = 10,000 and k = 100, 140 of them were 7 of the draw's 12 s).

Version 4 asks the face's LP first (one warm-started simplex solve, about 3 ms):
- a vertex that is already integral is a panel on the face;
- otherwise the vertex is rounded to integers summing to k within the face's type bounds, and the
  swap repair moves that onto the face;
- only when both fail does the ILP run, which still decides when the face holds no panel.
"""

from __future__ import annotations

import highspy
import numpy as np

from selection import highs_util
from selection.pool import Pool, panel_rows
from selection.repair import Face, Repairer

INTEGRAL = 1e-9


def restrict(h: highspy.Highs, pool: Pool, face: Face) -> None:
    """Set a panel model's column and row bounds to ``face`` (quota rows, then size, then households)."""
    size = len(pool.types)
    h.changeColsBounds(size, np.arange(size, dtype=np.int32), face.type_low, face.type_high)
    for q, (low, high) in enumerate(zip(face.row_low, face.row_high, strict=True)):
        h.changeRowBounds(q, float(low), float(high))
    first = len(pool.quotas) + 1
    for i, low in enumerate(face.house_low):
        h.changeRowBounds(first + i, float(low), 1.0)


def round_to_size(x: np.ndarray, high: np.ndarray, k: int) -> np.ndarray:
    """Round ``x`` (summing to ``k``) to integers summing to ``k``: floors, then one more for the largest
    fractional parts (ties: the lower type index) while a type has room under ``high``."""
    floors = np.floor(x + INTEGRAL)
    counts = floors.astype(np.int64)
    missing = k - int(counts.sum())
    for t in np.argsort(-(x - floors), kind="stable"):
        if missing <= 0:
            break
        if counts[t] < high[t]:
            counts[t] += 1
            missing -= 1
    return counts


class FaceLP:
    """The panel polytope's LP relaxation, restricted to one face at a time."""

    def __init__(self, pool: Pool, k: int) -> None:
        self.pool = pool
        self.k = k
        self.size = len(pool.types)
        self.calls = 0
        h = highs_util.new_model()
        highs_util.add_columns(h, np.zeros(self.size), pool.sizes.astype(float), np.zeros(self.size))
        rows, lower, upper = panel_rows(pool, k)
        highs_util.add_rows(h, rows, lower, upper)
        self.model = h

    def vertex(self, face: Face, weights: np.ndarray) -> np.ndarray | None:
        """Return an optimal vertex of max weights . x over the face's relaxation, or None if it is empty."""
        self.calls += 1
        h = self.model
        restrict(h, self.pool, face)
        h.changeColsCost(self.size, np.arange(self.size, dtype=np.int32), -np.asarray(weights, dtype=float))
        if not highs_util.is_optimal(highs_util.run(h, "face LP")):
            return None
        return np.asarray(h.getSolution().col_value)

    def panel(self, face: Face, weights: np.ndarray, repairer: Repairer) -> np.ndarray | None:
        """Return a panel on the face from its LP vertex (as it is, or rounded and repaired), or None."""
        x = self.vertex(face, weights)
        if x is None:
            return None
        nearest = np.rint(x)
        if np.abs(x - nearest).max() <= INTEGRAL:
            return nearest.astype(np.int64)
        high = np.minimum(face.type_high, self.pool.sizes)
        return repairer.repair(round_to_size(x, high, self.k), face, weights)
