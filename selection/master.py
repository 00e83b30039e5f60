"""The master LP of leximin column generation, kept warm between rounds.

Variables: z (the level being maximised) and one weight per panel composition.
Rows: the weights sum to 1; for every type t, E[c_t] / n_t - z >= 0 while t is free,
or E[c_t] / n_t >= its fixed value once leximin has fixed it.
"""

from __future__ import annotations

import highspy
import numpy as np

from selection import highs_util
from selection.errors import SolverError

FIX_SLACK = 1e-9
MASTER_OPTIONS: dict[str, object] = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


class Master:
    """Maximise the smallest free type probability over the compositions added so far."""

    def __init__(self, sizes: np.ndarray) -> None:
        self.sizes = sizes.astype(float)
        self.size = len(sizes)
        self.columns: list[np.ndarray] = []
        self._seen: set[bytes] = set()
        self.free = np.ones(self.size, dtype=bool)
        self.fixed_value = np.zeros(self.size)
        h = highs_util.new_model()
        h.setOptionValue("presolve", "off")
        for name, value in MASTER_OPTIONS.items():
            h.setOptionValue(name, value)
        highs_util.add_columns(h, np.zeros(1), np.ones(1), -np.ones(1))  # z, minimise -z
        rows = [(np.zeros(0, dtype=np.int32), np.zeros(0))]
        rows += [(np.zeros(1, dtype=np.int32), -np.ones(1)) for _ in range(self.size)]
        highs_util.add_rows(h, rows, [1.0] + [0.0] * self.size,
                            [1.0] + [highs_util.INF] * self.size)
        self.model = h

    def add(self, counts: np.ndarray) -> bool:
        """Add a composition as a column; return False if it was already there."""
        key = counts.astype(np.int64).tobytes()
        if key in self._seen:
            return False
        self._seen.add(key)
        self.columns.append(counts.astype(np.int64))
        nz = np.flatnonzero(counts)
        idx = np.concatenate([[0], nz + 1]).astype(np.int32)
        val = np.concatenate([[1.0], counts[nz] / self.sizes[nz]])
        self.model.addCols(1, np.zeros(1), np.zeros(1), np.full(1, highs_util.INF), len(idx),
                           np.zeros(1, dtype=np.int32), idx, val)
        return True

    def solve(self) -> tuple[float, np.ndarray, float]:
        """Return (level z, type duals y >= 0, convexity dual mu) of the current LP."""
        h = self.model
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = h.modelStatusToString(h.getModelStatus())
            raise SolverError(f"HiGHS stopped with status {status} on the leximin master LP; "
                              "please report this instance.")
        sol = h.getSolution()
        duals = np.asarray(sol.row_dual)
        z = float(sol.col_value[0])
        return z, np.maximum(duals[1:], 0.0), -float(duals[0])

    def weights(self) -> np.ndarray:
        """Return the current weight of each column."""
        return np.asarray(self.model.getSolution().col_value)[1:]

    def fix(self, types: np.ndarray, value: float) -> None:
        """Fix the given free types at probability ``value`` (minus a tiny slack)."""
        h = self.model
        for t in types:
            h.changeCoeff(int(t) + 1, 0, 0.0)
            h.changeRowBounds(int(t) + 1, value - FIX_SLACK, highs_util.INF)
        self.free[types] = False
        self.fixed_value[types] = value

    def marginals(self) -> np.ndarray:
        """Return each type's probability E[c_t] / n_t under the current weights."""
        lam = self.weights()
        if not self.columns:
            return np.zeros(self.size)
        return (np.array(self.columns).T @ lam) / self.sizes
