"""Leximin over the LP relaxation of the panel polytope, tightened by cuts.

Variables are expected type counts x_t (0 <= x_t <= n_t) under the quota, panel-size and
household rows, plus cuts w . x <= W proven valid for every feasible panel. The level
LP maximises z with x_t >= n_t z for free types; types with a positive dual are fixed.
The result is an upper bound for the true leximin, and equals it once the decomposition
into real panels succeeds (see decompose.py).
"""

from __future__ import annotations

import numpy as np

from selection import highs_util
from selection.errors import SolverError
from selection.pool import Pool, panel_rows

DUAL_EPS = 1e-9
FIX_SLACK = 1e-10


class XSpace:
    """The relaxed leximin LP, kept warm between calls; cuts can be added."""

    def __init__(self, pool: Pool, k: int) -> None:
        self.sizes = pool.sizes.astype(float)
        self.size = len(self.sizes)
        self.levels = 0
        self.cuts = 0
        self.cut_rows: list[tuple[np.ndarray, np.ndarray, float]] = []  # (types, weights, bound)
        self.history: list[dict[str, object]] = []  # the last leximin's levels with their duals
        h = highs_util.new_model()
        h.setOptionValue("presolve", "off")
        costs = np.r_[np.zeros(self.size), -1.0]
        highs_util.add_columns(h, np.zeros(self.size + 1), np.r_[self.sizes, 1.0], costs)
        rows, lower, upper = panel_rows(pool, k)
        self.first = len(rows)
        for t in range(self.size):
            rows.append((np.array([t, self.size]), np.array([1.0, -self.sizes[t]])))
            lower.append(0.0)
            upper.append(highs_util.INF)
        highs_util.add_rows(h, rows, lower, upper)
        self.model = h

    def add_cut(self, weights: np.ndarray, bound: float) -> None:
        """Add the valid inequality weights . x <= bound."""
        support = np.flatnonzero(weights > 0)
        highs_util.add_rows(self.model, [(support, weights[support])], [-highs_util.INF], [bound])
        self.cut_rows.append((support, weights[support].astype(float), float(bound)))
        self.cuts += 1

    def _solve(self) -> tuple[float, np.ndarray]:
        h = self.model
        h.run()
        if not highs_util.is_optimal(h.getModelStatus()):
            h.clearSolver()  # a warm start can stall numerically; solve from scratch once
            h.run()
        if not highs_util.is_optimal(h.getModelStatus()):
            status = h.modelStatusToString(h.getModelStatus())
            raise SolverError(
                f"HiGHS stopped with status {status} on the relaxed leximin LP; please report this instance."
            )
        solution = h.getSolution()
        duals = np.abs(np.asarray(solution.row_dual)[self.first : self.first + self.size])
        return float(solution.col_value[self.size]), duals

    def _row_duals(self) -> list[float]:
        """The level LP's row multipliers, signed so that they prove an upper bound on z (certificate)."""
        return [-float(v) for v in self.model.getSolution().row_dual]

    def leximin(self) -> np.ndarray:
        """Return leximin type probabilities over the relaxation with the current cuts."""
        h = self.model
        for t in range(self.size):
            h.changeCoeff(self.first + t, self.size, -self.sizes[t])
            h.changeRowBounds(self.first + t, 0.0, highs_util.INF)
        free = np.ones(self.size, dtype=bool)
        self.history = []
        while free.any():
            self.levels += 1
            z, duals = self._solve()
            chosen = free & (duals > DUAL_EPS)
            if not chosen.any():
                chosen = free & (duals >= duals[free].max())
            self.history.append({"value": z, "fixed": np.flatnonzero(chosen).tolist(), "row_duals": self._row_duals()})
            for index in np.flatnonzero(chosen):
                h.changeCoeff(self.first + int(index), self.size, 0.0)
                h.changeRowBounds(self.first + int(index), self.sizes[index] * (z - FIX_SLACK), highs_util.INF)
            free &= ~chosen
        self._solve()
        counts = np.asarray(h.getSolution().col_value)[: self.size]
        return np.asarray(np.clip(counts / self.sizes, 0.0, 1.0))
